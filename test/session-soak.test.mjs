// Memory over many pauses (issue 14): hundreds of knocked requests paused and resumed on one
// attached debugger, and hundreds of attach -> pause -> resume -> detach cycles, must leave the
// app's heap (after a full GC) where it was. Each paused request carries ~64 KB of ballast, so
// a leak of the paused frames (V8 kept the arming session's `backtrace` object group for ever)
// grows the heap by tens of MB, far past the bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { base64Knock, freePortBelowEphemeralRange, startApp } from './helpers/index.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';

const SOAK_APP = fileURLToPath(new URL('./fixtures/session/soak-app.cjs', import.meta.url));
const KNOCK = { 'X-EPDB': base64Knock() };
/** Heap growth allowed after GC; the leak this guards against is ~90 KB a pause here. */
const MAX_GROWTH_BYTES = 4 * 1024 * 1024;

async function heapOf(port) {
  const { status, body } = await get(port, '/heap');
  assert.equal(status, 200);
  return JSON.parse(body);
}

async function startSoakApp(t, extraEnv = {}) {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, {
    app: SOAK_APP,
    nodeArgs: ['--expose-gc'],
    env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_STOP_AT: 'entry', ...extraEnv },
  });
  return { app, bridgePort };
}

/** One knocked request: wait for its pause, resume, check the answer. */
async function pauseAndResume(dbg, port, n) {
  const response = get(port, `/soak?n=${n}`, KNOCK);
  await dbg.nextPause();
  await dbg.client.Debugger.resume();
  assert.deepEqual(await response, { status: 200, body: `ok /soak?n=${n}` });
}

// Both stops: epdb's entry pause, and (the default) the walk's stop in the app's handler, whose
// session stays enabled between knocks and must let go of every pause's objects too.
for (const [stopAt, pauses] of [['entry', 400], ['app', 200]]) {
  test(`${pauses} pauses on one attached debugger leave the heap flat (EPDB_STOP_AT=${stopAt})`, async (t) => {
    const { app, bridgePort } = await startSoakApp(t, { EPDB_STOP_AT: stopAt });
    const first = get(app.port, '/soak?n=warm', KNOCK);
    await app.stderr.waitForLine(/^epdb: waiting for a debugger/, { timeoutMs: 10_000 });
    const dbg = await attachDebugger(bridgePort, t);
    await dbg.nextPause();
    await dbg.client.Debugger.resume();
    await first;
    for (let n = 0; n < 20; n++) await pauseAndResume(dbg, app.port, n);
    const before = await heapOf(app.port);
    for (let n = 20; n < 20 + pauses; n++) await pauseAndResume(dbg, app.port, n);
    const after = await heapOf(app.port);
    const growth = after.heapUsed - before.heapUsed;
    t.diagnostic(`heap after GC ${(before.heapUsed / 1e6).toFixed(1)} -> ${(after.heapUsed / 1e6).toFixed(1)} MB over ${pauses} pauses; RSS ${(before.rss / 1e6).toFixed(0)} -> ${(after.rss / 1e6).toFixed(0)} MB`);
    assert.ok(growth < MAX_GROWTH_BYTES, `the heap grew by ${(growth / 1e6).toFixed(1)} MB over ${pauses} pauses`);
    await dbg.close();
  });
}

test('200 attach -> pause -> resume -> detach cycles leave the heap flat', async (t) => {
  const { app, bridgePort } = await startSoakApp(t);
  const cycle = async (n) => {
    const response = get(app.port, `/soak?c=${n}`, KNOCK);
    const dbg = await attachDebugger(bridgePort, t);
    await dbg.nextPause();
    await dbg.client.Debugger.resume();
    assert.deepEqual(await response, { status: 200, body: `ok /soak?c=${n}` });
    await dbg.close();
    await app.stderr.waitForLine(/^epdb: debugger detached/, { timeoutMs: 5_000, from: app.stderr.lines.length - 1 });
  };
  const first = get(app.port, '/soak?c=warm', KNOCK);
  await app.stderr.waitForLine(/^epdb: waiting for a debugger/, { timeoutMs: 10_000 });
  const dbg = await attachDebugger(bridgePort, t);
  await dbg.nextPause();
  await dbg.client.Debugger.resume();
  await first;
  await dbg.close();
  for (let n = 0; n < 10; n++) await cycle(n);
  const before = await heapOf(app.port);
  for (let n = 10; n < 210; n++) await cycle(n);
  const after = await heapOf(app.port);
  const growth = after.heapUsed - before.heapUsed;
  t.diagnostic(`heap after GC ${(before.heapUsed / 1e6).toFixed(1)} -> ${(after.heapUsed / 1e6).toFixed(1)} MB over 200 cycles; RSS ${(before.rss / 1e6).toFixed(0)} -> ${(after.rss / 1e6).toFixed(0)} MB`);
  assert.ok(growth < MAX_GROWTH_BYTES, `the heap grew by ${(growth / 1e6).toFixed(1)} MB over 200 attach/detach cycles`);
});
