// The bridge of an authenticating backend (jwt, fernet): every HTTP request and WebSocket
// upgrade needs a valid knock, a foreign Host is refused (DNS rebinding), and a bridge port
// taken by another process is one log line while the request is served.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePortBelowEphemeralRange, get, seedKnocks, startApp } from './helpers/index.mjs';
import { cdp, openSocket } from './fixtures/hostile/bridge.mjs';

const HTTP_APP = fileURLToPath(new URL('./fixtures/session/http-app.cjs', import.meta.url));
const WAITING = /^epdb: waiting for a debugger on /;
/** EPDB_WAIT_TIMEOUT where a request held for the whole wait is told from one answered at once. */
const HELD_SECONDS = 3;

for (const backend of /** @type {const} */ (['jwt', 'fernet'])) {
  test(`${backend}: bridge requests need a valid knock and a local Host`, async (t) => {
    const [made, foreign] = await Promise.all([seedKnocks(), seedKnocks()]);
    const key = backend === 'jwt' ? made.jwtSecret : made.fernetKey;
    const knock = made[backend];
    const wrongKnock = foreign[backend];
    const bridgePort = await freePortBelowEphemeralRange();
    const app = await startApp(t, { app: HTTP_APP, env: { EPDB_BACKEND: backend, EPDB_KEY: key, EPDB_PORT: String(bridgePort) } });

    const held = get(app.port, '/hello?auth', { 'X-EPDB': knock });
    await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });

    for (const path of ['/json/list', '/json', '/json/version', '/json/protocol']) {
      assert.equal((await get(bridgePort, path)).status, 401, `${path} without a knock`);
      assert.equal((await get(bridgePort, path, { 'X-EPDB': wrongKnock })).status, 401, `${path} with a foreign knock`);
      assert.equal((await get(bridgePort, path, { 'X-EPDB': 'Base64 eyJlcGRiIjoge319' })).status, 401, `${path} with a base64 knock`);
      assert.equal((await get(bridgePort, path, { 'X-EPDB': knock, Host: 'evil.example' })).status, 403, `${path} from evil.example`);
      assert.equal((await get(bridgePort, path, { 'X-EPDB': knock })).status, 200, `${path} with the knock`);
    }
    assert.equal((await get(bridgePort, '/json/version', { 'X-EPDB': knock, Host: `localhost:${bridgePort}` })).status, 200);
    assert.equal((await get(bridgePort, '/json/version', { 'X-EPDB': knock, Host: `[::1]:${bridgePort}` })).status, 200);
    assert.equal((await get(bridgePort, '/json/version', { 'X-EPDB': knock, Host: `127.0.0.1.evil.example:${bridgePort}` })).status, 403);

    const list = JSON.parse((await get(bridgePort, '/json/list', { 'X-EPDB': knock })).body);
    assert.equal(list.length, 1);
    assert.equal(list[0].type, 'node');
    const wsUrl = list[0].webSocketDebuggerUrl;
    assert.equal(wsUrl, `ws://127.0.0.1:${bridgePort}/${list[0].id}`);

    assert.deepEqual(await openSocket(wsUrl, {}), { status: 401 });
    assert.deepEqual(await openSocket(wsUrl, { 'X-EPDB': wrongKnock }), { status: 401 });
    assert.deepEqual(await openSocket(wsUrl, { 'X-EPDB': knock, Host: 'evil.example' }), { status: 403 });
    assert.equal((await openSocket(`ws://127.0.0.1:${bridgePort}/not-the-target`, { 'X-EPDB': knock })).status, 404);
    // Still waiting: none of these attached a debugger.
    assert.equal(app.stderr.matching(/^epdb: debugger attached$/).length, 0);

    const { ws } = await openSocket(wsUrl, { 'X-EPDB': knock });
    t.after(() => ws.terminate());
    const session = cdp(ws);
    const pause = await session.startDebugging();
    const { result } = await session.call('Debugger.evaluateOnCallFrame', { callFrameId: pause.callFrames[0].callFrameId, expression: 'req.url' });
    assert.equal(result.value, '/hello?auth');
    await session.call('Debugger.resume');
    assert.deepEqual(await held, { status: 200, body: 'hello /hello?auth' });
    // Refusals are logged without the knock's value.
    const refusals = app.stderr.matching(/^epdb: debug bridge refused /);
    assert.ok(refusals.length > 0);
    for (const line of refusals) assert.ok(!line.includes(knock.split(' ')[1]) && !line.includes(wrongKnock.split(' ')[1]));
  });
}

test('a knock while the bridge port is taken is logged and served; the next knock tries again', async (t) => {
  const made = await seedKnocks();
  const squatter = net.createServer((socket) => socket.destroy());
  await new Promise((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  t.after(() => squatter.close());
  const bridgePort = squatter.address().port;
  const app = await startApp(t, { app: HTTP_APP, env: { EPDB_BACKEND: 'jwt', EPDB_KEY: made.jwtSecret, EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: String(HELD_SECONDS) } });

  assert.deepEqual(await get(app.port, '/hello?taken', { 'X-EPDB': made.jwt }), { status: 200, body: 'hello /hello?taken' });
  await app.stderr.waitForLine(new RegExp(`^epdb: cannot start the debug bridge on 127\\.0\\.0\\.1:${bridgePort}: the port is already in use; the request goes on undebugged$`), { timeoutMs: 5_000 });
  assert.equal(app.stderr.matching(WAITING).length, 0);

  await new Promise((resolve) => squatter.close(resolve));
  const started = performance.now();
  const next = get(app.port, '/hello?free', { 'X-EPDB': made.jwt }).then((response) => ({ response, elapsedMs: performance.now() - started }));
  next.catch(() => {});
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  assert.equal((await get(bridgePort, '/json/version', { 'X-EPDB': made.jwt })).status, 200);
  // No debugger comes: this time the request is held for the whole wait, then served.
  const { response, elapsedMs } = await next;
  assert.deepEqual(response, { status: 200, body: 'hello /hello?free' });
  assert.ok(elapsedMs >= HELD_SECONDS * 1000 * 0.9, `held for the wait (${elapsedMs.toFixed(0)} ms)`);
  await app.stderr.waitForLine(new RegExp(`^epdb: no debugger after ${HELD_SECONDS} s; going on$`), { timeoutMs: 10_000 });
});
