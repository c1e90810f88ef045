// Node's own terminal debugger, `node inspect HOST:PORT`, driven through its stdin: it finds the
// bridge through /json/list, attaches, breaks in for the knocked request, and `cont` lets the
// response through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { base64Knock, cleanEnv, freePortBelowEphemeralRange, spawnChild, startApp } from './helpers/index.mjs';
import { get } from './fixtures/session/debugger.mjs';

const HTTP_APP = fileURLToPath(new URL('./fixtures/session/http-app.cjs', import.meta.url));

test('node inspect attaches to the bridge, breaks in at the knocked request, and cont completes it', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: HTTP_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort) } });
  const response = get(app.port, '/hello?inspect', { 'X-EPDB': base64Knock() });
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });

  const inspect = spawnChild(process.execPath, ['inspect', `127.0.0.1:${bridgePort}`], { env: cleanEnv(), stdin: 'pipe', t });
  // EPDB_STOP_AT=app: node inspect, which has no ignore list, breaks in in the app's own handler.
  await inspect.stdout.waitForLine(/break in \S*test\/fixtures\/session\/http-app\.cjs:9$/, { timeoutMs: 15_000 });
  await app.stderr.waitForLine(/^epdb: debugger attached$/, { timeoutMs: 5_000 });

  inspect.stdin.write('exec req.url\n');
  await inspect.stdout.waitForLine(/'\/hello\?inspect'/, { timeoutMs: 5_000 });
  inspect.stdin.write('cont\n');
  assert.deepEqual(await response, { status: 200, body: 'hello /hello?inspect' });

  inspect.stdin.end('.exit\n');
  await app.stderr.waitForLine(/^epdb: debugger detached$/, { timeoutMs: 5_000 });
});
