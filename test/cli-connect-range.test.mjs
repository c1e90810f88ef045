// `epdb connect [HOST:]FIRST-LAST`: how the range is read, what --help says about it, and the
// forward against stand-in bridges (their Host, knocks, a wrong key, a bridge going away).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import WebSocket from 'ws';
import { createBackend, readConfig, verifyKnock } from 'epdb';
import { cleanEnv, freePortBelowEphemeralRange, get, runToCompletion, spawnChild, startApp, within } from './helpers/index.mjs';
import { CLI } from './fixtures/cli/cli.mjs';
import { FAKE_TARGET_ID, startFakeBridge } from './fixtures/cli/fake-bridge.mjs';

const require = createRequire(import.meta.url);
const { parseBridgeRange, rangeAuthorityOf } = require('../dist/src/cli/connect/bridge-address.js');
const { UsageError } = require('../dist/src/cli/errors.js');

test('ranges with and without a host; a single port is no range', () => {
  assert.deepEqual(parseBridgeRange('9001-9100'), { host: '127.0.0.1', ports: { first: 9001, last: 9100 } });
  assert.deepEqual(parseBridgeRange('10.0.0.5:9001-9100'), { host: '10.0.0.5', ports: { first: 9001, last: 9100 } });
  assert.deepEqual(parseBridgeRange('[::1]:9001-9002'), { host: '::1', ports: { first: 9001, last: 9002 } });
  assert.deepEqual(parseBridgeRange('localhost:9001-9001'), { host: 'localhost', ports: { first: 9001, last: 9001 } });
  assert.equal(parseBridgeRange('9000'), null);
  assert.equal(parseBridgeRange('10.0.0.5:9000'), null);
  assert.equal(rangeAuthorityOf(parseBridgeRange('[::1]:9001-9002')), '[::1]:9001-9002');
});

test('bad ranges are usage errors that say why', () => {
  for (const [text, message] of [
    ['9100-9001', /reversed/],
    ['9000-10000', /holds 1001 ports; a range holds at most 1000/],
    ['0-5', /is not a port \(1-65535\)/],
    [':9001-9002', /empty host/],
  ]) {
    assert.throws(() => parseBridgeRange(text), (error) => error instanceof UsageError && message.test(error.message), text);
  }
});

test('connect --help shows the range form with an example', async () => {
  const { stdout } = await runToCompletion(process.execPath, [CLI, 'connect', '--help']);
  assert.match(stdout, /^ {7}epdb connect \[HOST:\]FIRST-LAST \[--port LOCAL\]$/m);
  assert.match(stdout, /^ {2}epdb connect 9001-9100$/m);
});

test('connect with no argument and a range in EPDB_PORT serves the range; SIGTERM ends it with 0', async (t) => {
  const localPort = await freePortBelowEphemeralRange();
  const connect = spawnChild(process.execPath, [CLI, 'connect', '--port', String(localPort)], {
    env: cleanEnv({ EPDB_BACKEND: 'jwt', EPDB_KEY: 'c'.repeat(64), EPDB_PORT: '9301-9310' }), t,
  });
  await connect.stdout.waitForLine(new RegExp(`^epdb connect: forwarding 127\\.0\\.0\\.1:${localPort} to every debug bridge on 127\\.0\\.0\\.1:9301-9310 \\(each process is a target of its own\\), adding a fresh X-EPDB knock to every request\\.$`), { timeoutMs: 10_000 });
  connect.process.kill('SIGTERM');
  assert.deepEqual(await within(connect.exited, 10_000, 'epdb connect to exit on SIGTERM'), { code: 0, signal: null });
});

test('the range forward knocks each bridge with its own Host, leaves out one that refuses the key, relays a WebSocket, and drops a bridge that goes', async (t) => {
  const env = { EPDB_BACKEND: 'jwt', EPDB_KEY: 'a'.repeat(64) };
  const ours = createBackend(readConfig(env));
  let first;
  let good;
  let other;
  for (let attempt = 0; good === undefined; attempt++) {
    first = await freePortBelowEphemeralRange();
    try {
      good = await startFakeBridge({ backend: ours, port: first });
      other = await startFakeBridge({ backend: createBackend(readConfig({ ...env, EPDB_KEY: 'b'.repeat(64) })), port: first + 1 });
    } catch (error) {
      await good?.close();
      good = undefined;
      if (attempt === 5) throw error;
    }
  }
  t.after(() => Promise.all([good.close().catch(() => {}), other.close()]));
  const localPort = await freePortBelowEphemeralRange();
  const connect = spawnChild(process.execPath, [CLI, 'connect', `${first}-${first + 2}`, '--port', String(localPort)], { env: cleanEnv(env), t });
  await connect.stderr.waitForLine(new RegExp(`^epdb: found the bridge on 127\\.0\\.0\\.1:${first}$`), { timeoutMs: 10_000 });
  await connect.stderr.waitForLine(new RegExp(`^epdb: the bridge on 127\\.0\\.0\\.1:${first + 1} refused the knock \\(401\\): EPDB_KEY is wrong`), { timeoutMs: 10_000 });

  const list = JSON.parse((await get(localPort, '/json/list', { host: `localhost:${localPort}` })).body);
  assert.deepEqual(list.map((entry) => [entry.id, entry.title, entry.webSocketDebuggerUrl]), [[FAKE_TARGET_ID, 'app.mjs', `ws://localhost:${localPort}/${FAKE_TARGET_ID}`]]);
  const probes = good.seen.filter((request) => !request.upgrade);
  assert.ok(probes.length > 0 && probes.every((request) => request.host === `127.0.0.1:${first}`), 'each probe carries the bridge\'s own Host');
  for (const { knock } of probes.slice(-3)) await verifyKnock(knock, ours);

  const ws = new WebSocket(`ws://127.0.0.1:${localPort}/${FAKE_TARGET_ID}`);
  t.after(() => ws.terminate());
  await within(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 5000, 'the upgrade through the forward');
  ws.send('{"id":1,"method":"Runtime.evaluate"}');
  const [echoed] = await within(new Promise((resolve) => ws.once('message', (...args) => resolve(args))), 5000, 'the echo');
  assert.equal(echoed.toString(), '{"id":1,"method":"Runtime.evaluate"}');
  const upgrade = good.seen.find((request) => request.upgrade);
  assert.equal(upgrade.host, `127.0.0.1:${first}`);
  await verifyKnock(upgrade.knock, ours);

  const closed = new Promise((resolve) => ws.once('close', resolve));
  await good.close();
  await connect.stderr.waitForLine(new RegExp(`^epdb: the bridge on 127\\.0\\.0\\.1:${first} has gone$`), { timeoutMs: 10_000 });
  await within(closed, 5000, 'the debugger of a bridge that went away is disconnected');
  // Only the stand-in a debugger may attach to before the next knock.
  assert.deepEqual(JSON.parse((await get(localPort, '/json/list', {})).body).map((target) => target.id), ['waiting-for-a-knock']);
});

test('a range that holds the app\'s own port: its probes are knocks for bridges only, which the app serves as usual', async (t) => {
  const env = { EPDB_BACKEND: 'jwt', EPDB_KEY: 'd'.repeat(64) };
  const app = await startApp(t, { app: 'http.cjs', env: { ...env, EPDB_PORT: String(await freePortBelowEphemeralRange()), EPDB_WAIT_TIMEOUT: '0' } });
  const localPort = await freePortBelowEphemeralRange();
  const connect = spawnChild(process.execPath, [CLI, 'connect', `${app.port}-${app.port}`, '--port', String(localPort)], { env: cleanEnv(env), t });
  await app.stderr.waitForLine(/^epdb: a knock for the debug bridge reached GET \/json\/list \(is the app's port in an epdb connect range\?\); served as usual$/, { timeoutMs: 10_000 });
  assert.deepEqual(JSON.parse((await get(localPort, '/json/list', {})).body).map((target) => target.id), ['waiting-for-a-knock'], 'the app is no bridge');
  assert.deepEqual(app.stderr.matching(/knock accepted|waiting for a debugger/), [], 'no probe was held');
  connect.process.kill('SIGTERM');
  await within(connect.exited, 10_000, 'epdb connect to exit');
});
