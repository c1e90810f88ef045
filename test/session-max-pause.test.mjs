// EPDB_MAX_PAUSE: a debugger left paused cannot hold the process stopped for ever. With an 11 s
// limit: the console warning 10 s before arrives; a step starts the clock again; at the limit
// the bridge detaches the debugger, the request completes, stderr says so, and the next knock
// stops again under a new debugger.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { base64Knock, freePortBelowEphemeralRange, startApp, within } from './helpers/index.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';

const EXPRESS_APP = fileURLToPath(new URL('./fixtures/session/express-app.cjs', import.meta.url));
const KNOCK = { 'X-EPDB': base64Knock() };
const LIMIT_S = 11;

test('a stop longer than EPDB_MAX_PAUSE: warned, reset by a step, then detached; the request completes', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: EXPRESS_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_MAX_PAUSE: String(LIMIT_S) } });
  const response = get(app.port, '/hello?long', KNOCK, { timeoutMs: 60_000 });
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });
  const dbg = await attachDebugger(bridgePort, t);
  const warnings = [];
  let warned;
  dbg.client.on('Runtime.consoleAPICalled', ({ type, args }) => {
    warnings.push({ type, text: args.map((arg) => arg.value).join(' '), at: performance.now() });
    warned?.();
  });
  const disconnected = new Promise((resolve) => dbg.client.on('disconnect', () => resolve(performance.now())));
  await dbg.client.Runtime.enable();
  await dbg.nextPause();
  const pausedAt = performance.now();

  // The warning 10 s before the limit, 1 s into the stop.
  await within(new Promise((resolve) => { warned = resolve; }), 10_000, 'the EPDB_MAX_PAUSE warning');
  assert.equal(warnings[0].type, 'warning');
  assert.match(warnings[0].text, /^epdb: this process has been paused for 1 s; in 10 s \(EPDB_MAX_PAUSE=11\) epdb resumes it and detaches this debugger/);

  // Stay stopped a while, then step: the clock starts again from the step.
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  await dbg.client.Debugger.stepOver();
  await dbg.nextPause();
  const steppedAt = performance.now();

  const from = app.stderr.lines.length;
  const detachedAt = await within(disconnected, 20_000, 'the bridge to detach the debugger');
  // Without the reset the detach would come 11 s after the first stop, ~6 s after the step.
  assert.ok(detachedAt - steppedAt >= (LIMIT_S - 2) * 1000, `detached ${((detachedAt - steppedAt) / 1000).toFixed(1)} s after the step`);
  assert.ok(detachedAt - pausedAt >= (LIMIT_S + 3) * 1000);
  assert.equal(warnings.length, 2, 'one warning for each stop');
  assert.deepEqual(await response, { status: 200, body: 'hello /hello?long' });
  await app.stderr.waitForLine(/^epdb: paused for 11 s \(EPDB_MAX_PAUSE\); resumed and detached the debugger$/, { timeoutMs: 5_000, from: 0 });
  await app.stderr.waitForLine(/^epdb: debugger detached$/, { timeoutMs: 5_000, from });

  // The next knock works as usual, under a new debugger.
  const next = get(app.port, '/hello?next', KNOCK);
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 5_000, from });
  const again = await attachDebugger(bridgePort, t);
  const pause = await again.nextPause();
  assert.equal(await again.evaluate(pause, 'req.url'), '/hello?next');
  await again.client.Debugger.resume();
  assert.deepEqual(await next, { status: 200, body: 'hello /hello?next' });
});
