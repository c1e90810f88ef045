// A flood of valid knocks (anyone can make base64 ones) cannot exhaust the process: at most
// EPDB_MAX_HELD are held at once, the rest are served undebugged at once; open descriptors and
// log lines stay bounded; every request is answered; the next knock is held again.
import assert from 'node:assert/strict';
import http from 'node:http';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { base64Knock, freePortBelowEphemeralRange, startApp, within } from './helpers/index.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';

const FLOOD = 1_000;
const MAX_HELD = 8;

const openDescriptors = (pid) => readdirSync(`/proc/${pid}/fd`).length;

test(`${FLOOD} concurrent valid knocks: ${MAX_HELD} held, the rest served at once, descriptors and log bounded`, async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: 'http.cjs', env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '30' } });
  const before = openDescriptors(app.process.pid);
  const agent = new http.Agent({ keepAlive: false, maxSockets: 200 });
  t.after(() => agent.destroy());
  const knock = { 'X-EPDB': base64Knock() };
  const answered = [];
  const flood = Array.from({ length: FLOOD }, () => get(app.port, '/hello', knock, { agent, timeoutMs: 60_000 }).then((response) => {
    answered.push(response);
    return response;
  }));
  // All but the held ones are answered without waiting for a debugger.
  const deadline = Date.now() + 30_000;
  while (answered.length < FLOOD - MAX_HELD) {
    assert.ok(Date.now() < deadline, `only ${answered.length} of ${FLOOD} answered`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(answered.length, FLOOD - MAX_HELD, 'exactly EPDB_MAX_HELD requests are held');
  // The answered connections close on the server's side a moment after the client reads them:
  // let them (a held request keeps its descriptor for as long as it is held).
  const settleBy = Date.now() + 10_000;
  let during = openDescriptors(app.process.pid);
  while (during > before + MAX_HELD + 16 && Date.now() < settleBy) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    during = openDescriptors(app.process.pid);
  }
  t.diagnostic(`descriptors: ${before} before, ${during} with ${MAX_HELD} held after the flood`);
  assert.ok(during <= before + MAX_HELD + 16, `${during - before} more descriptors than before the flood`);
  for (const response of answered) assert.deepEqual(response, { status: 200, body: 'hello from node:http: GET /hello\n' });

  // A debugger attaches: the held ones stop one after the other and complete.
  const dbg = await attachDebugger(bridgePort, t);
  for (let n = 0; n < MAX_HELD; n++) {
    await dbg.nextPause();
    await dbg.client.Debugger.resume();
  }
  await within(Promise.all(flood), 20_000, 'every flooded request to be answered');
  const lines = app.stderr.matching(/^epdb: /);
  t.diagnostic(`${lines.length} epdb lines for ${FLOOD} knocks`);
  assert.ok(lines.length <= 40, `${lines.length} log lines:\n${lines.slice(0, 50).join('\n')}`);
  assert.ok(app.stderr.matching(/^epdb: 8 requests already wait for a debugger \(EPDB_MAX_HELD\); GET \/hello goes on undebugged$/).length >= 1);

  // The next knock is held and stopped as usual.
  const next = get(app.port, '/hello?next', knock);
  const pause = await dbg.nextPause();
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?next');
  await dbg.client.Debugger.resume();
  assert.deepEqual(await next, { status: 200, body: 'hello from node:http: GET /hello\n' });
});
