// The first valid knock always says where to attach, even when its wait ends before the bridge
// is listening (a short EPDB_WAIT_TIMEOUT on a busy machine).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base64Knock, freePortBelowEphemeralRange, rawRequest, startApp } from './helpers/index.mjs';

test('the bridge address is logged even after the knock that started it timed out', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: 'http.cjs', env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0.001' } });
  const response = await rawRequest({ port: app.port, headers: { 'X-EPDB': base64Knock() } });
  assert.match(response.toString(), /^HTTP\/1.1 200 OK/);
  await app.stderr.waitForLine(/^epdb: no debugger after 0.001 s; going on$/, { timeoutMs: 5000 });
  await app.stderr.waitForLine(new RegExp(`^epdb: waiting for a debugger on 127\\.0\\.0\\.1:${bridgePort} \\(pid ${app.process.pid}\\)$`), { timeoutMs: 10_000 });
});
