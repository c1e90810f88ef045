// A knocked request waiting at the gate does not hold up the server: hundreds of other requests
// are served, each with its own right answer, meanwhile.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { base64Knock, freePortBelowEphemeralRange, startApp } from './helpers/index.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';

const HTTP_APP = fileURLToPath(new URL('./fixtures/session/http-app.cjs', import.meta.url));
const OTHERS = 500;

test(`while one knocked request waits for a debugger, ${OTHERS} other requests are served`, async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: HTTP_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' } });
  const knocked = get(app.port, '/hello?held', { 'X-EPDB': base64Knock() }, { timeoutMs: 30_000 });
  let settled = false;
  knocked.then(() => { settled = true; }, () => { settled = true; });
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });

  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  t.after(() => agent.destroy());
  const answers = await Promise.all(
    Array.from({ length: OTHERS }, (_, i) => get(app.port, `/other?i=${i}`, {}, { agent })),
  );
  answers.forEach((answer, i) => assert.deepEqual(answer, { status: 200, body: `other /other?i=${i}` }));
  assert.equal(settled, false, 'the knocked request was answered without a debugger');

  const dbg = await attachDebugger(bridgePort, t);
  const pause = await dbg.nextPause();
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?held');
  await dbg.client.Debugger.resume();
  assert.deepEqual(await knocked, { status: 200, body: 'hello /hello?held' });
  await dbg.close();
});
