// Load while gated: 1,000 concurrent unknocked requests while a knocked request waits at the
// gate, then 1,000 more while a debugger is attached but not paused. Zero errors, every body
// right, and the knocked request itself completes once resumed.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePortBelowEphemeralRange as freePort, get, startApp } from './helpers/index.mjs';
import { cdp, linesMatching, openSocket, within } from './fixtures/hostile/bridge.mjs';

const APP = fileURLToPath(new URL('./fixtures/hostile/app.cjs', import.meta.url));
const KNOCK = 'Base64 eyJlcGRiIjoge319';
const CONCURRENT = 1000;

/**
 * Sends `count` unknocked requests at once (one connection each, as many clients would) and
 * checks each answer; resolves with the time it took.
 */
async function burst(port, label, count = CONCURRENT) {
  const agent = new http.Agent({ keepAlive: false, maxSockets: count });
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => get(port, `/load?${label}=${i}`, {}, { agent, timeoutMs: 30_000 })));
  const tookMs = performance.now() - started;
  agent.destroy();
  const errors = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  assert.deepEqual(errors.slice(0, 5), [], `${errors.length} of ${count} requests failed`);
  results.forEach((r, i) => assert.deepEqual(r.value, { status: 200, body: `load /load?${label}=${i}` }));
  return tookMs;
}

test(`${CONCURRENT} concurrent requests while a knocked request waits, and ${CONCURRENT} while a debugger is attached but not paused`, async (t) => {
  const bridgePort = await freePort();
  const app = await startApp(t, { app: APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' } });
  let knockedDone = false;
  const knocked = get(app.port, '/gated', { 'X-EPDB': KNOCK }, { timeoutMs: 60_000 }).finally(() => { knockedDone = true; });
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });

  const waitingMs = await burst(app.port, 'waiting');
  assert.equal(knockedDone, false, 'the knocked request stopped waiting');

  const { body } = await get(bridgePort, '/json/list');
  const { ws } = await openSocket(JSON.parse(body)[0].webSocketDebuggerUrl);
  t.after(() => ws.terminate());
  const client = cdp(ws);
  await client.startDebugging();
  await client.call('Debugger.resume');
  assert.deepEqual(await knocked, { status: 200, body: 'gated /gated' });

  // Attached, not paused: the debugger sees script parses and such, the app serves at full speed.
  const attachedMs = await burst(app.port, 'attached');
  ws.terminate();
  await linesMatching(app.stderr, /^epdb: debugger detached$/, 1);
  assert.equal(app.stderr.matching(/error|uncaught/i).length, 0, app.stderr.text());
  t.diagnostic(`${CONCURRENT} requests while waiting: ${Math.round(waitingMs)} ms; while attached: ${Math.round(attachedMs)} ms; 0 errors`);
});
