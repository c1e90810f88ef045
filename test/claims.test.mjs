// What the docs claim and no other test ran: disable() with a running bridge (and the https /
// http2 prototypes and the require/listen hooks undone); a custom backend rebuilt from its
// recipe inside the bridge worker; the exposure warning when the bridge really binds an
// address other machines may reach; a debugger staying attached after its knock expires
// (SECURITY.md); `epdb connect` with `--wait 0`, with its default address, and on SIGINT.
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import net from 'node:net';
import { test } from 'node:test';
import { createBackend, readConfig } from 'epdb';
import { base64Knock, fixtureApp, freePort, freePortBelowEphemeralRange, get, startApp, within } from './helpers/index.mjs';
import { cdp, openSocket, portIsOpen, rawGet } from './fixtures/hostile/bridge.mjs';
import { startConnect } from './fixtures/cli/cli.mjs';
import { startFakeBridge } from './fixtures/cli/fake-bridge.mjs';

const WAIT_MS = 15_000;
const KNOCK = base64Knock();
const WAITING = /^epdb: waiting for a debugger on /;

/** GET `path` on the fixture's port; resolves with the parsed JSON body. */
async function probe(app, path) {
  const { status, body } = await get(app.port, path);
  assert.equal(status, 200, body);
  return JSON.parse(body);
}

/** The WebSocket URL of the bridge's one target. */
async function targetOf(bridgePort, knock) {
  const { status, body } = await get(bridgePort, '/json/list', { 'X-EPDB': knock });
  assert.equal(status, 200, body);
  return JSON.parse(body)[0].webSocketDebuggerUrl;
}

/** Attaches a CDP client through the bridge with `knock`, as DevTools does, and resumes its first pause. */
async function attachAndResume(t, bridgePort, knock) {
  const { ws } = await openSocket(await targetOf(bridgePort, knock), { 'X-EPDB': knock });
  t.after(() => ws.terminate());
  const client = cdp(ws);
  await client.startDebugging();
  await client.call('Debugger.resume');
  return client;
}

const WRAPPED = { instrumented: true, http: true, https: true, http2: true, http2Secure: true, listenHooked: false, requireHooked: false };
const UNWRAPPED = { instrumented: false, http: false, https: false, http2: false, http2Secure: false, listenHooked: false, requireHooked: false };

for (const load of ['early', 'late']) {
  test(`disable() with a running bridge (https/http2 loaded ${load === 'early' ? 'before instrument()' : 'by a require after it'}): every prototype unwrapped, the held request released, the bridge closed`, async (t) => {
    const bridgePort = await freePortBelowEphemeralRange();
    const app = await startApp(t, { app: 'api-disable.cjs', preload: 'none', env: { FIXTURE_LOAD: load, EPDB_PORT: String(bridgePort) } });
    // Late: require-in-the-middle wrapped them on that require; once every kind is wrapped, no hook is left.
    assert.deepEqual(await probe(app, '/probe'), WRAPPED);
    const held = get(app.port, '/held', { 'X-EPDB': KNOCK });
    held.catch(() => {});
    await app.stderr.waitForLine(WAITING, { timeoutMs: WAIT_MS });
    assert.equal((await rawGet(bridgePort, '/json/version', [['Host', '127.0.0.1']])).status, 200, 'the bridge is up');

    assert.deepEqual(await probe(app, '/disable'), UNWRAPPED);
    assert.deepEqual(await within(held, WAIT_MS, 'the held request'), { status: 200, body: 'hello /held' }, 'disable() let the held request go');
    assert.equal(await portIsOpen(bridgePort), false, 'the bridge no longer listens');
    const from = app.stderr.lines.length;
    assert.deepEqual(await get(app.port, '/after', { 'X-EPDB': KNOCK }), { status: 200, body: 'hello /after' });
    assert.deepEqual(await get(app.port, '/marker', { 'X-EPDB': base64Knock('{"nope": {}}') }), { status: 200, body: 'hello /marker' });
    assert.deepEqual(app.stderr.lines.slice(from).filter((line) => line.startsWith('epdb: knock')), [], 'nothing is checked any more');
  });
}

test('disable() before https/http2 are loaded removes the require and listen hooks: loaded later, they stay unwrapped', async (t) => {
  const app = await startApp(t, { app: 'api-disable.cjs', preload: 'none', env: { FIXTURE_LOAD: 'none', EPDB_PORT: String(await freePortBelowEphemeralRange()) } });
  assert.deepEqual(await probe(app, '/probe'), { instrumented: true, http: true, https: null, http2: null, http2Secure: null, listenHooked: true, requireHooked: true });
  assert.deepEqual(await probe(app, '/disable'), { instrumented: false, http: false, https: null, http2: null, http2Secure: null, listenHooked: false, requireHooked: false });
  assert.deepEqual(await probe(app, '/load'), UNWRAPPED);
});

test('a custom backend is rebuilt from its recipe inside the bridge worker, which authenticates with it', async (t) => {
  const { ReversedSecretBackend } = await import(fixtureApp('custom-backend.cjs'));
  const good = `Reversed ${new ReversedSecretBackend({ secret: 'right' }).encode({ epdb: {} })}`;
  const wrong = `Reversed ${new ReversedSecretBackend({ secret: 'wrong' }).encode({ epdb: {} })}`;
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: 'custom-backend-app.cjs', preload: 'none', env: { FIXTURE_SECRET: 'right', EPDB_PORT: String(bridgePort) } });
  const response = get(app.port, '/hello', { 'X-EPDB': good });
  response.catch(() => {});
  await app.stderr.waitForLine(/^epdb: knock accepted \(Reversed\) GET \/hello$/, { timeoutMs: WAIT_MS });
  await app.stderr.waitForLine(WAITING, { timeoutMs: WAIT_MS });
  for (const [what, headers, status] of [['no knock', [], 401], ['a knock with another secret', [['X-EPDB', wrong]], 401], ['the knock', [['X-EPDB', good]], 200]]) {
    assert.equal((await rawGet(bridgePort, '/json/version', [['Host', '127.0.0.1'], ...headers])).status, status, what);
  }
  await app.stderr.waitForLine(/^custom backend built in a worker thread$/, { timeoutMs: WAIT_MS });
  await attachAndResume(t, bridgePort, good);
  assert.deepEqual(await within(response, WAIT_MS, 'the knocked request'), { status: 200, body: 'hello from custom backend: GET /hello\n' });
});

/** An IPv4 address of this machine that is not loopback, or undefined on a machine without one. */
function reachableAddress() {
  return Object.values(networkInterfaces()).flat().find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
}

test('a bridge bound to an address other machines may reach says so once it listens there', async (t) => {
  // The machine's own non-loopback address (not 0.0.0.0: no need to listen on every interface),
  // with jwt, so that for the second it listens nobody without the key gets in.
  const host = reachableAddress();
  if (host === undefined) return t.skip('this machine has no non-loopback IPv4 address');
  const made = readConfig({ EPDB_BACKEND: 'jwt', EPDB_KEY: 'k'.repeat(64) });
  const backend = createBackend(made);
  const knock = `JWT ${await backend.encode({ epdb: {} })}`;
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: 'http.cjs', env: { EPDB_BACKEND: 'jwt', EPDB_KEY: 'k'.repeat(64), EPDB_HOST: host, EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0.001' } });
  await get(app.port, '/hello', { 'X-EPDB': knock });
  const escaped = host.replace(/\./g, '\\.');
  await app.stderr.waitForLine(new RegExp(`^epdb: waiting for a debugger on ${escaped}:${bridgePort} \\(pid ${app.process.pid}\\)$`), { timeoutMs: WAIT_MS });
  await app.stderr.waitForLine(new RegExp(`^epdb: warning: the debug bridge listens on ${escaped}, which other machines may reach; only a valid knock lets a debugger in`), { timeoutMs: WAIT_MS });
  // It really listens there (and only a knock opens it).
  const answer = (headers) => new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: bridgePort });
    let text = '';
    socket.on('connect', () => socket.write(`GET /json/version HTTP/1.1\r\nHost: ${host}\r\n${headers}Connection: close\r\n\r\n`));
    socket.on('data', (chunk) => { text += chunk; });
    socket.on('close', () => resolve(text.split(' ', 2)[1]));
    socket.on('error', reject);
  });
  assert.equal(await within(answer(''), WAIT_MS, 'the bridge on its address'), '401');
  assert.equal(await within(answer(`X-EPDB: ${knock}\r\n`), WAIT_MS, 'the bridge on its address'), '200');
});

test('a debugger stays attached after its knock expires (SECURITY.md): the bridge refuses the old knock, the session goes on', async (t) => {
  // Long enough to knock and attach on a loaded machine (2 s was not, once), short enough to wait out.
  const env = { EPDB_BACKEND: 'jwt', EPDB_KEY: 'e'.repeat(64), EPDB_MAX_AGE: '6' };
  const backend = createBackend(readConfig(env));
  const knockNow = async () => `JWT ${await backend.encode({ epdb: {} })}`;
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: fixtureApp('../session/http-app.cjs'), env: { ...env, EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' } });
  const knock = await knockNow();
  const first = get(app.port, '/first', { 'X-EPDB': knock });
  first.catch(() => {});
  await app.stderr.waitForLine(WAITING, { timeoutMs: WAIT_MS });
  const client = await attachAndResume(t, bridgePort, knock);
  assert.deepEqual(await within(first, WAIT_MS, 'the first request'), { status: 200, body: 'first /first' });

  // No event says a token expired: ask the bridge until it refuses the knock (EPDB_MAX_AGE=6 s).
  await within((async () => {
    while ((await rawGet(bridgePort, '/json/version', [['Host', '127.0.0.1'], ['X-EPDB', knock]])).status !== 401) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })(), WAIT_MS, 'the bridge to refuse the expired knock');

  // The session opened with it still debugs: the next knocked request pauses in it.
  const second = get(app.port, '/second', { 'X-EPDB': await knockNow() });
  second.catch(() => {});
  const paused = await client.event('Debugger.paused', WAIT_MS);
  const { result } = await client.call('Debugger.evaluateOnCallFrame', { callFrameId: paused.callFrames[0].callFrameId, expression: 'req.url', returnByValue: true });
  assert.equal(result.value, '/second');
  await client.call('Debugger.resume');
  assert.deepEqual(await within(second, WAIT_MS, 'the second request'), { status: 200, body: 'second /second' });
  assert.deepEqual(app.stderr.matching(/^epdb: debugger detached$/), []);
});

test('epdb connect --wait 0 waits with no bound until the bridge comes up; SIGINT exits 0 and closes the forward', async (t) => {
  const bridgePort = await freePort();
  const localPort = await freePort();
  const connect = startConnect(t, [String(bridgePort), '-p', String(localPort), '--wait', '0'], { EPDB_BACKEND: 'base64' });
  await connect.stderr.waitForLine(new RegExp(`^epdb: waiting for the bridge on 127\\.0\\.0\\.1:${bridgePort} \\(send a knock to the app\\)$`), { timeoutMs: WAIT_MS });
  // With a bound it would have said "for up to N s"; 0 taken as 0 s would have failed at once.
  const bridge = await startFakeBridge({ backend: null, port: bridgePort });
  t.after(() => bridge.close());
  await connect.stderr.waitForLine(new RegExp(`^epdb: the bridge on 127\\.0\\.0\\.1:${bridgePort} is up$`), { timeoutMs: WAIT_MS });
  assert.equal(await portIsOpen(localPort), true);
  connect.process.kill('SIGINT');
  assert.deepEqual(await within(connect.exited, WAIT_MS, 'connect to exit on SIGINT'), { code: 0, signal: null });
  assert.equal(await portIsOpen(localPort), false, 'the forward is closed');
});

test('epdb connect without an address goes to EPDB_HOST:EPDB_PORT\'s defaults, 127.0.0.1:9000', async (t) => {
  const bridge = await startFakeBridge({ backend: null, port: 9000 }).catch((error) => error);
  if (bridge instanceof Error) return t.skip(`port 9000 is not free here (${bridge.code ?? bridge.message})`);
  t.after(() => bridge.close());
  const connect = startConnect(t, ['-p', String(await freePort())], { EPDB_BACKEND: 'base64' });
  await connect.stderr.waitForLine(/^epdb: the bridge on 127\.0\.0\.1:9000 is up$/, { timeoutMs: WAIT_MS });
  assert.ok(bridge.seen.length >= 1, 'it asked the bridge on 9000');
});

test('epdb connect without --port forwards on 127.0.0.1:9229, the port node inspect and DevTools try first', async (t) => {
  if (await portIsOpen(9229)) return t.skip('port 9229 is in use here');
  const bridgePort = await freePortBelowEphemeralRange();
  const connect = startConnect(t, [String(bridgePort)], { EPDB_BACKEND: 'base64' });
  await connect.stdout.waitForLine(/^epdb connect: forwarding 127\.0\.0\.1:9229 to the debug bridge/, { timeoutMs: WAIT_MS });
  assert.equal(await portIsOpen(9229), true);
  connect.process.kill('SIGINT');
  assert.deepEqual(await within(connect.exited, WAIT_MS, 'connect to exit on SIGINT'), { code: 0, signal: null });
});
