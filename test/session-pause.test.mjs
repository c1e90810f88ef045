// The debug session end to end under the real preload (base64 backend): a knocked request
// waits for a debugger, pauses with req/res in scope, steps into the app, and completes; later
// knocks pause at once; a debugger leaving while paused lets the response go; the wait times out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { base64Knock, freePortBelowEphemeralRange, startApp } from './helpers/index.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';

const EXPRESS_APP = fileURLToPath(new URL('./fixtures/session/express-app.cjs', import.meta.url));
const APP_URL = pathToFileURL(EXPRESS_APP).href;
const KNOCK = { 'X-EPDB': base64Knock() };
const WAITING = /^epdb: waiting for a debugger on 127\.0\.0\.1:(\d+) \(pid \d+\)$/;

/**
 * A knocked request stops, then the debugger goes away: the request completes and the app says
 * the debugger detached. Returns the stderr line count from before the detach.
 */
async function detachWhileStopped(app, dbg) {
  const third = get(app.port, '/hello?n=3', KNOCK);
  const pause = await dbg.nextPause();
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?n=3');
  const seen = app.stderr.lines.length;
  await dbg.close();
  assert.deepEqual(await third, { status: 200, body: 'hello /hello?n=3' });
  await app.stderr.waitForLine(/^epdb: debugger detached$/, { timeoutMs: 5_000, from: seen });
  return seen;
}

test('EPDB_STOP_AT=app: the first stop is the handler, later knocks stop there at once, a detach lets the request go', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: EXPRESS_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort) } });
  const first = get(app.port, '/hello?n=1', KNOCK);
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  const dbg = await attachDebugger(bridgePort, t);
  let pause = await dbg.nextPause();
  assert.equal(dbg.topUrl(pause), APP_URL);
  assert.equal(pause.callFrames[0].location.lineNumber, 8, 'the handler\'s first statement (line 9)');
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?n=1');
  assert.equal(await dbg.evaluate(pause, 'res.headersSent'), false);
  await dbg.client.Debugger.resume();
  assert.deepEqual(await first, { status: 200, body: 'hello /hello?n=1' });

  const second = get(app.port, '/hello?n=2', KNOCK);
  pause = await dbg.nextPause();
  assert.equal(dbg.topUrl(pause), APP_URL);
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?n=2');
  // One step over goes on inside the app: the client's own stepping after the walk works.
  await dbg.client.Debugger.stepOver();
  pause = await dbg.nextPause();
  assert.equal(dbg.topUrl(pause), APP_URL);
  await dbg.client.Debugger.resume();
  assert.deepEqual(await second, { status: 200, body: 'hello /hello?n=2' });

  // Unknocked requests never stop, though they run the same handler.
  assert.deepEqual(await get(app.port, '/hello?plain'), { status: 200, body: 'hello /hello?plain' });

  await detachWhileStopped(app, dbg);
});

test('EPDB_STOP_AT=entry: a knocked request pauses in epdb, steps into the app, and later knocks pause at once', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: EXPRESS_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_STOP_AT: 'entry' } });

  const first = get(app.port, '/hello?n=1', KNOCK);
  const [, advertised] = await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  assert.equal(Number(advertised), bridgePort);
  // Held, not answered: nothing has settled it while no debugger is there.
  let settled = false;
  first.then(() => { settled = true; }, () => { settled = true; });

  const dbg = await attachDebugger(bridgePort, t);
  await app.stderr.waitForLine(/^epdb: debugger attached$/, { timeoutMs: 5_000 });
  let pause = await dbg.nextPause();
  assert.equal(settled, false);
  assert.match(dbg.topUrl(pause), /\/dist\/preload-knock\.js$/);
  assert.match(pause.callFrames[0].functionName, /^pauseAt/, 'the stop is epdb\'s entry pause (bundled into the preload)');
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?n=1');
  assert.equal(await dbg.evaluate(pause, 'typeof res'), 'object');
  assert.equal(await dbg.evaluate(pause, 'res.headersSent'), false);

  const { steps, pause: inApp } = await dbg.stepIntoUntil((url) => url === APP_URL, 2_000);
  t.diagnostic(`steps from the pause to the Express handler, no ignore list: ${steps}`);
  assert.equal(await dbg.evaluate(inApp, 'req.url'), '/hello?n=1');
  await dbg.client.Debugger.resume();
  assert.deepEqual(await first, { status: 200, body: 'hello /hello?n=1' });

  // Still attached: the next knock pauses at once, on the same connection.
  const startedAt = performance.now();
  const second = get(app.port, '/hello?n=2', KNOCK);
  pause = await dbg.nextPause();
  t.diagnostic(`knock to Debugger.paused with a debugger attached: ${(performance.now() - startedAt).toFixed(1)} ms`);
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?n=2');
  await dbg.client.Debugger.resume();
  assert.deepEqual(await second, { status: 200, body: 'hello /hello?n=2' });

  // Unknocked requests never pause.
  assert.deepEqual(await get(app.port, '/other?plain'), { status: 200, body: 'other /other?plain' });

  // The debugger goes away while a request is paused: it completes.
  const seen = await detachWhileStopped(app, dbg);

  // The next knock waits for a new debugger.
  const fourth = get(app.port, '/hello?n=4', KNOCK);
  await app.stderr.waitForLine(WAITING, { timeoutMs: 5_000, from: seen });
  const again = await attachDebugger(bridgePort, t);
  pause = await again.nextPause();
  assert.equal(await again.evaluate(pause, 'req.url'), '/hello?n=4');
  await again.client.Debugger.resume();
  assert.deepEqual(await fourth, { status: 200, body: 'hello /hello?n=4' });
  await again.close();
});

test('without a debugger within EPDB_WAIT_TIMEOUT the knocked request goes on undebugged', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: EXPRESS_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0.5' } });
  const startedAt = performance.now();
  const response = await get(app.port, '/hello?late', KNOCK);
  const waitedMs = performance.now() - startedAt;
  assert.deepEqual(response, { status: 200, body: 'hello /hello?late' });
  assert.ok(waitedMs >= 450, `answered after ${waitedMs} ms, before the 0.5 s wait was over`);
  await app.stderr.waitForLine(/^epdb: no debugger after 0\.5 s; going on$/, { timeoutMs: 5_000 });
  assert.equal(app.stderr.matching(WAITING).length, 1);
});

test('a debugger that disables its Debugger domain is waited for again until it enables it', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: EXPRESS_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' } });
  const first = get(app.port, '/hello?first', KNOCK);
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  const dbg = await attachDebugger(bridgePort, t);
  await dbg.nextPause();
  await dbg.client.Debugger.resume();
  assert.deepEqual(await first, { status: 200, body: 'hello /hello?first' });

  const from = app.stderr.lines.length;
  await dbg.client.Debugger.disable();
  await app.stderr.waitForLine(/^epdb: debugger detached$/, { timeoutMs: 5_000, from });
  const second = get(app.port, '/hello?second', KNOCK);
  await app.stderr.waitForLine(WAITING, { timeoutMs: 5_000, from });
  await dbg.client.Debugger.enable();
  const pause = await dbg.nextPause();
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?second');
  await dbg.client.Debugger.resume();
  assert.deepEqual(await second, { status: 200, body: 'hello /hello?second' });
  await dbg.close();
});
