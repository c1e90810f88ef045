// One process with EPDB_PORT as a range: its bridge binds the first free port, says so with its
// pid, and its /json/list target names the held request; a range with no free port is one line.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { base64Knock, freePortBelowEphemeralRange, get, startApp } from './helpers/index.mjs';

/** Listens on `port` (127.0.0.1) until the test ends. */
async function occupy(t, port) {
  const server = net.createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  t.after(() => server.close());
}

/** A free port P such that P+1 is free too (both below the ephemeral range). */
async function twoFreePorts() {
  for (;;) {
    const port = await freePortBelowEphemeralRange();
    const next = await new Promise((resolve) => {
      const probe = net.createServer().once('error', () => resolve(false)).listen(port + 1, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (next) return port;
  }
}

test('the bridge takes the first free port of EPDB_PORT=FIRST-LAST; its target is titled with the held request and the pid', async (t) => {
  const first = await twoFreePorts();
  await occupy(t, first);
  const app = await startApp(t, { app: 'http.cjs', env: { EPDB_BACKEND: 'base64', EPDB_PORT: `${first}-${first + 1}`, EPDB_WAIT_TIMEOUT: '0' } });
  const response = get(app.port, '/hello?x=1', { 'X-EPDB': base64Knock() });
  response.catch(() => {});
  await app.stderr.waitForLine(new RegExp(`^epdb: waiting for a debugger on 127\\.0\\.0\\.1:${first + 1} \\(pid ${app.process.pid}\\)$`), { timeoutMs: 10_000 });
  const [target] = JSON.parse((await get(first + 1, '/json/list', { host: `127.0.0.1:${first + 1}` })).body);
  assert.match(target.title, new RegExp(`^GET /hello - \\S+http\\.cjs \\(pid ${app.process.pid}\\)$`));
  assert.equal(target.epdb.pid, app.process.pid);
  assert.equal(target.epdb.worker, null);
  assert.equal(target.epdb.held, 'GET /hello');
  assert.equal(typeof target.epdb.heldSince, 'number');
});

test('a range whose every port is taken: one line naming the range and the process, the request goes on', async (t) => {
  const first = await twoFreePorts();
  await occupy(t, first);
  await occupy(t, first + 1);
  const app = await startApp(t, { app: 'http.cjs', env: { EPDB_BACKEND: 'base64', EPDB_PORT: `${first}-${first + 1}`, EPDB_WAIT_TIMEOUT: '0' } });
  const response = get(app.port, '/hello', { 'X-EPDB': base64Knock() });
  await app.stderr.waitForLine(new RegExp(`^epdb: cannot start the debug bridge on 127\\.0\\.0\\.1:${first}-${first + 1} \\(pid ${app.process.pid}\\): every port of ${first}-${first + 1} is already in use; the request goes on undebugged$`), { timeoutMs: 10_000 });
  assert.equal((await response).status, 200);
});
