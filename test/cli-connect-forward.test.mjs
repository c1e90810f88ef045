// `epdb connect` against a fake bridge (test/fixtures/cli/fake-bridge.mjs): fast checks of the
// forward itself: retrying until the bridge is up, the knock and Host on every request, the
// rewritten discovery answers, the WebSocket byte pipe, and each error it must explain.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import WebSocket from 'ws';
import { createBackend, readConfig, verifyKnock } from 'epdb';
import { freePortBelowEphemeralRange as freePort, within } from './helpers/index.mjs';
import { runCli, startConnect } from './fixtures/cli/cli.mjs';
import { FAKE_TARGET_ID, startFakeBridge } from './fixtures/cli/fake-bridge.mjs';

const JWT_ENV = { EPDB_BACKEND: 'jwt', EPDB_KEY: 'a'.repeat(64) };
const FERNET_ENV = { EPDB_BACKEND: 'fernet', EPDB_KEY: `${Buffer.alloc(32, 7).toString('base64url')}=` };

/** GET on the forward; resolves with status and body. */
async function get(port, path, headers = {}) {
  const response = await new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false, timeout: 10_000 }, resolve);
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
  let body = '';
  response.setEncoding('utf8');
  for await (const chunk of response) body += chunk;
  return { status: response.statusCode, headers: response.headers, body };
}

/** Opens a WebSocket, sends `text`, resolves with the echo. */
async function echoThrough(url, text) {
  const ws = new WebSocket(url, { handshakeTimeout: 10_000 });
  try {
    await once(ws, 'open', { signal: AbortSignal.timeout(10_000) });
    ws.send(text);
    const [data] = await once(ws, 'message', { signal: AbortSignal.timeout(10_000) });
    return data.toString();
  } finally {
    ws.terminate();
  }
}

for (const [name, env] of [['jwt', JWT_ENV], ['fernet', FERNET_ENV]]) {
  test(`${name}: connect waits for the bridge, then forwards discovery and the WebSocket with a fresh knock`, async (t) => {
    const backend = createBackend(readConfig(env));
    const bridgePort = await freePort();
    const localPort = await freePort();
    const connect = startConnect(t, [String(bridgePort), '--port', String(localPort)], env);
    // Nothing listens on the bridge port yet: connect must say so and keep trying.
    await connect.stderr.waitForLine(new RegExp(`^epdb: waiting for the bridge on 127\\.0\\.0\\.1:${bridgePort} \\(send a knock to the app\\)`), { timeoutMs: 10_000 });
    await connect.stdout.waitForLine(new RegExp(`^\\s+node inspect 127\\.0\\.0\\.1:${localPort}$`), { timeoutMs: 5000 });
    assert.ok(connect.stdout.text().includes(`"port": ${localPort}`), 'prints a VS Code attach snippet');

    const bridge = await startFakeBridge({ backend, port: bridgePort });
    t.after(() => bridge.close());
    await connect.stderr.waitForLine(new RegExp(`^epdb: the bridge on 127\\.0\\.0\\.1:${bridgePort} is up$`), { timeoutMs: 10_000 });

    for (const path of ['/json/list', '/json']) {
      const list = await get(localPort, path);
      assert.equal(list.status, 200, list.body);
      const [target] = JSON.parse(list.body);
      assert.equal(target.webSocketDebuggerUrl, `ws://127.0.0.1:${localPort}/${FAKE_TARGET_ID}`);
      assert.match(target.devtoolsFrontendUrl, new RegExp(`[?&]ws=127\\.0\\.0\\.1:${localPort}/${FAKE_TARGET_ID}$`));
      assert.equal(Number(list.headers['content-length']), Buffer.byteLength(list.body));
    }
    const version = await get(localPort, '/json/version', { host: 'localhost:1234' });
    assert.equal(version.status, 200);
    assert.equal(JSON.parse(version.body).Browser, 'node.js/v20');
    assert.equal((await get(localPort, '/nothing-here')).status, 404, 'other answers pass through');

    const [target] = JSON.parse((await get(localPort, '/json/list')).body);
    assert.equal(await echoThrough(target.webSocketDebuggerUrl, 'Runtime.evaluate?'), 'Runtime.evaluate?');
    const big = 'x'.repeat(200_000);
    assert.equal(await echoThrough(target.webSocketDebuggerUrl, big), big, 'large frames pass the byte pipe');

    // Every request reached the bridge with its own Host and a valid knock (none from the client).
    assert.ok(bridge.seen.some((r) => r.upgrade), 'the upgrade reached the bridge');
    for (const request of bridge.seen) {
      assert.equal(request.host, `127.0.0.1:${bridgePort}`);
      assert.ok(request.knock, `${request.url} carried a knock`);
      await verifyKnock(request.knock, backend);
    }
  });
}

test('base64: connect adds no knock (the bridge is open, like node --inspect); no argument means EPDB_PORT; SIGTERM exits 0', async (t) => {
  const bridge = await startFakeBridge({ backend: null });
  t.after(() => bridge.close());
  const localPort = await freePort();
  const connect = startConnect(t, ['-p', String(localPort)], { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridge.port) });
  await connect.stderr.waitForLine(new RegExp(`^epdb: the bridge on 127\\.0\\.0\\.1:${bridge.port} is up$`), { timeoutMs: 10_000 });
  const [target] = JSON.parse((await get(localPort, '/json/list', { 'x-epdb': 'Base64 e30=' })).body);
  assert.equal(await echoThrough(target.webSocketDebuggerUrl, 'hi'), 'hi');
  assert.ok(bridge.seen.length >= 2);
  for (const request of bridge.seen) assert.equal(request.knock, undefined, 'no X-EPDB, and the client\'s own is dropped');
  connect.process.kill('SIGTERM');
  const { code } = await Promise.race([connect.exited, new Promise((_, reject) => setTimeout(() => reject(new Error('connect did not exit on SIGTERM')), 5000).unref())]);
  assert.equal(code, 0);
});

test('a wrong key: connect says the bridge refused it (401) and exits 1', async (t) => {
  const bridge = await startFakeBridge({ backend: createBackend(readConfig(JWT_ENV)) });
  t.after(() => bridge.close());
  const { code, stderr } = await runCli(['connect', String(bridge.port), '--port', String(await freePort())], {
    env: { EPDB_BACKEND: 'jwt', EPDB_KEY: 'b'.repeat(64) },
  });
  assert.equal(code, 1);
  assert.match(stderr, new RegExp(`^epdb: the bridge on 127\\.0\\.0\\.1:${bridge.port} refused the knock \\(401\\): EPDB_KEY is wrong`, 'm'));
  assert.ok(!stderr.includes('b'.repeat(64)), 'the key is never printed');
});

test('the key changes under a running forward (app restarted with a new key): the 401 ends connect, exit 1', async (t) => {
  const bridge = await startFakeBridge({ backend: createBackend(readConfig(JWT_ENV)), port: await freePort() });
  t.after(() => bridge.close());
  const localPort = await freePort();
  const connect = startConnect(t, [String(bridge.port), '--port', String(localPort)], JWT_ENV);
  await connect.stderr.waitForLine(/is up$/, { timeoutMs: 10_000 });
  bridge.setBackend(createBackend(readConfig({ EPDB_BACKEND: 'jwt', EPDB_KEY: 'c'.repeat(64) })));
  const refused = await get(localPort, '/json/list');
  assert.equal(refused.status, 401, 'the bridge\'s answer is passed to the debugger');
  await connect.stderr.waitForLine(/^epdb: the bridge on 127\.0\.0\.1:\d+ refused the knock \(401\): EPDB_KEY is wrong/, { timeoutMs: 5_000 });
  const { code } = await within(connect.exited, 10_000, 'epdb connect to exit');
  assert.equal(code, 1);
});

test('the local port is taken: a clear error, exit 1', async (t) => {
  const squatter = net.createServer().listen(0, '127.0.0.1');
  await once(squatter, 'listening', { signal: AbortSignal.timeout(10_000) });
  t.after(() => squatter.close());
  const { port } = squatter.address();
  const { code, stdout, stderr } = await runCli(['connect', '9000', '--port', String(port)], { env: JWT_ENV });
  assert.equal(code, 1);
  assert.equal(stdout, '');
  assert.match(stderr, new RegExp(`^epdb: 127\\.0\\.0\\.1:${port} is already in use .*--port\\n$`));
});

test('nothing comes up within --wait: connection refused, exit 1', async () => {
  const bridgePort = await freePort();
  const started = Date.now();
  const { code, stderr } = await runCli(['connect', String(bridgePort), '--port', String(await freePort()), '--wait', '1'], { env: JWT_ENV });
  assert.equal(code, 1);
  assert.ok(Date.now() - started >= 1000, 'it retried for the whole bound');
  assert.match(stderr, /^epdb: waiting for the bridge on .*for up to 1 s$/m);
  assert.match(stderr, new RegExp(`^epdb: no bridge on 127\\.0\\.0\\.1:${bridgePort} after 1 s \\(connection refused\\): is the app running under epdb with EPDB_PORT=${bridgePort}`, 'm'));
});

test('something else on the port: connect says it is not the bridge, exit 1', async (t) => {
  const other = http.createServer((req, res) => res.writeHead(404).end()).listen(0, '127.0.0.1');
  await once(other, 'listening', { signal: AbortSignal.timeout(10_000) });
  t.after(() => other.close());
  const { code, stderr } = await runCli(['connect', String(other.address().port), '--port', String(await freePort())], { env: JWT_ENV });
  assert.equal(code, 1);
  assert.match(stderr, /^epdb: cannot use the bridge on 127\.0\.0\.1:\d+: it answered 404 Not Found to GET \/json\/version/m);

  const silent = net.createServer((socket) => socket.destroy()).listen(0, '127.0.0.1');
  await once(silent, 'listening', { signal: AbortSignal.timeout(10_000) });
  t.after(() => silent.close());
  const closed = await runCli(['connect', String(silent.address().port), '--port', String(await freePort()), '--wait', '1'], { env: JWT_ENV });
  assert.equal(closed.code, 1);
  assert.match(closed.stderr, /^epdb: no bridge on 127\.0\.0\.1:\d+ after 1 s \(the connection was closed without an answer\)/m);
});

test('the bridge goes away and comes back: connect says so and forwards again', async (t) => {
  const backend = createBackend(readConfig(JWT_ENV));
  const bridgePort = await freePort();
  let bridge = await startFakeBridge({ backend, port: bridgePort });
  t.after(() => bridge.close());
  const localPort = await freePort();
  const connect = startConnect(t, [String(bridgePort), '--port', String(localPort)], JWT_ENV);
  await connect.stderr.waitForLine(/is up$/, { timeoutMs: 10_000 });
  assert.equal((await get(localPort, '/json/list')).status, 200);
  await bridge.close();
  const pending = get(localPort, '/json/list');
  await connect.stderr.waitForLine(/^epdb: the bridge on 127\.0\.0\.1:\d+ has closed \(did the app exit or restart\?\)$/, { timeoutMs: 10_000 });
  await connect.stderr.waitForLine(/^epdb: waiting for the bridge on .* \(send a knock to the app again\)/, { timeoutMs: 10_000 });
  bridge = await startFakeBridge({ backend, port: bridgePort });
  const answer = await pending;
  assert.equal(answer.status, 200, 'the request waited for the bridge to come back');
  assert.equal(JSON.parse(answer.body)[0].webSocketDebuggerUrl, `ws://127.0.0.1:${localPort}/${FAKE_TARGET_ID}`);
});
