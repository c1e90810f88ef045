// Reverse connect under faults: the listener killed while a replica is paused, a listener that
// cannot be reached (refused, or silent), the connection dropped mid-step, an impostor listener,
// an impostor debuggee (also replaying a recorded handshake), and 100 knocks dialling a closed
// port without a leak of sockets, handles or bridge workers.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { freePortBelowEphemeralRange, startApp, within } from './helpers/index.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';
import { JWT_ENV, knockWith, listedTargets, startListen } from './fixtures/reverse/listen.mjs';
import { startTcpRelay } from './fixtures/reverse/tcp-relay.mjs';

const { DEBUGGEE_PATH } = await import('../dist/src/shared/reverse/address.js');
const handshake = await import('../dist/src/shared/reverse/handshake.js');

const REPLICA_APP = new URL('./fixtures/reverse/replica-app.cjs', import.meta.url).pathname;
const CONNECTED = /^epdb: listen: GET \/hello on \S+ \(pid \d+\) connected from /;
const REPLICA_ENV = { ...JWT_ENV, EPDB_WAIT_TIMEOUT: '30' };

/** A replica holding a knocked request, paused under a debugger attached through `listen`. */
async function pausedThroughListener(t, listen, path) {
  const replica = await startApp(t, { app: REPLICA_APP, env: REPLICA_ENV });
  const knock = { 'X-EPDB': await knockWith(JWT_ENV, listen.connect) };
  const response = get(replica.port, path, knock, { timeoutMs: 30_000 });
  await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000 });
  const dbg = await attachDebugger(listen.localPort, t);
  const pause = await dbg.nextPause(15_000);
  assert.equal(await dbg.evaluate(pause, 'req.url'), path);
  return { replica, knock, response, dbg, pause };
}

test('the listener killed while a replica is paused: the request completes and the replica keeps serving', async (t) => {
  const listen = await startListen(t);
  const { replica, response } = await pausedThroughListener(t, listen, '/hello?killed');
  listen.process.kill('SIGKILL');
  assert.deepEqual(await response, { status: 200, body: `hello from ${replica.process.pid} /hello?killed` });
  await replica.stderr.waitForLine(/^epdb: the connection to epdb listen at 127\.0\.0\.1:\d+ was lost \(1006\); the process runs on$/, { timeoutMs: 5_000 });
  assert.deepEqual(await get(replica.port, '/hello?after'), { status: 200, body: `hello from ${replica.process.pid} /hello?after` });
});

test('a listener that refuses connections: the request goes on undebugged at once, with one line', async (t) => {
  const closedPort = await freePortBelowEphemeralRange();
  const replica = await startApp(t, { app: REPLICA_APP, env: REPLICA_ENV });
  const knock = { 'X-EPDB': await knockWith(JWT_ENV, `127.0.0.1:${closedPort}`) };
  const startedAt = performance.now();
  const response = await get(replica.port, '/hello?unreachable', knock);
  const tookMs = performance.now() - startedAt;
  assert.equal(response.body, `hello from ${replica.process.pid} /hello?unreachable`);
  assert.ok(tookMs < 10_000, `answered after ${tookMs} ms: it waited for EPDB_WAIT_TIMEOUT (30 s) instead of giving up on the refused dial`);
  const line = `epdb: cannot reach epdb listen at 127.0.0.1:${closedPort}: connection refused (is epdb listen running there?); the request goes on undebugged`;
  await replica.stderr.waitForLine(new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), { timeoutMs: 5_000 });
  const about = replica.stderr.lines.filter((l) => l.startsWith('epdb: ') && !l.startsWith('epdb: knock accepted'));
  assert.deepEqual(about, [line]);
});

test('a listener that accepts but never answers: no hang past EPDB_WAIT_TIMEOUT', async (t) => {
  // A TCP server that takes the connection and says nothing (a wrong service, a black hole).
  const silent = net.createServer(() => {});
  const held = new Set();
  silent.on('connection', (socket) => { held.add(socket); socket.on('close', () => held.delete(socket)); });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  t.after(() => { for (const socket of held) socket.destroy(); silent.close(); });
  const replica = await startApp(t, { app: REPLICA_APP, env: { ...JWT_ENV, EPDB_WAIT_TIMEOUT: '1' } });
  const knock = { 'X-EPDB': await knockWith(JWT_ENV, `127.0.0.1:${silent.address().port}`) };
  const startedAt = performance.now();
  const response = await get(replica.port, '/hello?silent', knock, { timeoutMs: 8_000 });
  const tookMs = performance.now() - startedAt;
  assert.equal(response.status, 200);
  // Held until EPDB_WAIT_TIMEOUT (never less), then let go by it: the line says so. No upper
  // bound in wall-clock time (a loaded machine): the GET's own 8 s timeout is the hang check.
  assert.ok(tookMs >= 900, `answered after ${tookMs} ms, before the 1 s EPDB_WAIT_TIMEOUT`);
  await replica.stderr.waitForLine(/^epdb: no debugger after 1 s; going on$/, { timeoutMs: 5_000 });
});

test('the connection dropped mid-step: the request completes, and the next knock is debugged again', async (t) => {
  const listen = await startListen(t);
  // A TCP relay between the replica and the listener, to cut their connection in the middle.
  const relay = await startTcpRelay(t, listen.acceptPort);

  const replica = await startApp(t, { app: REPLICA_APP, env: REPLICA_ENV });
  const knock = { 'X-EPDB': await knockWith(JWT_ENV, `127.0.0.1:${relay.port}`) };
  const response = get(replica.port, '/hello?cut', knock, { timeoutMs: 30_000 });
  await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000 });
  const dbg = await attachDebugger(listen.localPort, t);
  await dbg.nextPause(15_000);
  for (let step = 0; step < 3; step++) {
    await dbg.client.Debugger.stepInto();
    await dbg.nextPause();
  }
  // Mid-step: the step is sent, and the wire is cut before its pause can come back.
  const stepping = dbg.client.Debugger.stepInto().catch(() => {});
  for (const pair of relay.pairs) pair.toReplica.destroy();
  await stepping;
  assert.deepEqual(await response, { status: 200, body: `hello from ${replica.process.pid} /hello?cut` });
  await replica.stderr.waitForLine(/^epdb: the connection to epdb listen at 127\.0\.0\.1:\d+ was lost \(\d+\); the process runs on$/, { timeoutMs: 5_000 });
  await dbg.close().catch(() => {});

  // The replica is whole: a knock straight to the listener is debugged as usual.
  const from = listen.stderr.lines.length;
  const again = get(replica.port, '/hello?again', { 'X-EPDB': await knockWith(JWT_ENV, listen.connect) }, { timeoutMs: 30_000 });
  await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000, from });
  const second = await attachDebugger(listen.localPort, t);
  const pause = await second.nextPause(15_000);
  assert.equal(await second.evaluate(pause, 'req.url'), '/hello?again');
  await second.client.Debugger.resume();
  assert.deepEqual(await again, { status: 200, body: `hello from ${replica.process.pid} /hello?again` });
  await second.close();
});

test('an on-path attacker who injects messages after the handshake is refused, on either side', async (t) => {
  const listen = await startListen(t);
  // A TCP relay standing for someone on the path between the replica and the listener.
  const { port: relayPort, pairs } = await startTcpRelay(t, listen.acceptPort);
  /** One WebSocket text frame (a client's frames are masked, a server's not). */
  const frame = (text, masked) => {
    const payload = Buffer.from(text);
    assert.ok(payload.length < 126);
    const head = Buffer.from([0x81, (masked ? 0x80 : 0) | payload.length]);
    if (!masked) return Buffer.concat([head, payload]);
    const mask = Buffer.from([1, 2, 3, 4]);
    return Buffer.concat([head, mask, Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]))]);
  };
  const replica = await startApp(t, { app: REPLICA_APP, env: REPLICA_ENV });
  const knock = { 'X-EPDB': await knockWith(JWT_ENV, `127.0.0.1:${relayPort}`) };

  // Towards the process: a command to run code, as if from the listener. The connection is idle
  // after the handshake, so the frame lands between two frames, where a real one would.
  const first = get(replica.port, '/hello?inject', knock, { timeoutMs: 30_000 });
  await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000 });
  pairs[0].toReplica.write(frame('{"id":1,"method":"Runtime.evaluate","params":{"expression":"process.exit(9)"}}', false));
  await replica.stderr.waitForLine(/^epdb: a message from epdb listen at 127\.0\.0\.1:\d+ did not verify \(altered or injected on the way\?\); closed the connection, nothing of it was relayed$/, { timeoutMs: 5_000 });
  assert.equal((await first).body, `hello from ${replica.process.pid} /hello?inject`, 'the request went on, and the process did not exit');
  assert.equal(replica.process.exitCode, null);

  // Towards the listener: a forged event, as if from the process, for whatever debugger attaches.
  const from = listen.stderr.lines.length;
  const second = get(replica.port, '/hello?inject2', knock, { timeoutMs: 30_000 });
  await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000, from });
  pairs[1].toListener.write(frame('{"method":"Runtime.consoleAPICalled","params":{}}', true));
  await listen.stderr.waitForLine(/^epdb: listen: a message from \S+ \(pid \d+\) at 127\.0\.0\.1:\d+ did not verify \(altered or injected on the way\?\); closed its connection$/, { timeoutMs: 5_000, from });
  assert.equal((await second).status, 200);
  assert.deepEqual(await listedTargets(listen.localPort), [], 'the tampered connection is no target');
});

test('an impostor listener without the key gets nothing: the debuggee refuses it before relaying anything', async (t) => {
  // It speaks the protocol but cannot prove the key: its proof is made with another one.
  const received = [];
  const closes = [];
  const impostor = new WebSocketServer({ host: '127.0.0.1', port: 0, path: DEBUGGEE_PATH });
  await once(impostor, 'listening');
  t.after(() => { for (const client of impostor.clients) client.terminate(); impostor.close(); });
  const wrongKey = handshake.deriveHandshakeKey(Buffer.from('not the key, but 32 bytes or more!'));
  impostor.on('connection', (ws) => {
    ws.on('close', (code) => closes.push(code));
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      received.push(message);
      if (message.type !== 'hello') return;
      const nonce = handshake.freshNonce();
      ws.send(JSON.stringify({ type: 'challenge', scheme: 'JWT', nonce, proof: handshake.proofOf(wrongKey, 'listener', 'JWT', message.nonce, nonce) }));
      // Then it tries to drive the debugger straight away.
      ws.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression: 'process.exit(7)' } }));
    });
  });
  const replica = await startApp(t, { app: REPLICA_APP, env: REPLICA_ENV });
  const knock = { 'X-EPDB': await knockWith(JWT_ENV, `127.0.0.1:${impostor.address().port}`) };
  const response = await get(replica.port, '/hello?impostor', knock);
  assert.deepEqual(response, { status: 200, body: `hello from ${replica.process.pid} /hello?impostor` });
  await replica.stderr.waitForLine(/^epdb: refused epdb listen at 127\.0\.0\.1:\d+ did not prove it holds EPDB_KEY \(an impostor, or another key\); nothing was relayed, the request goes on undebugged$/, { timeoutMs: 5_000 });
  await within(new Promise((resolve) => { if (closes.length > 0) resolve(); else impostor.clients.forEach((c) => c.once('close', resolve)); }), 5_000, 'the debuggee closing the impostor');
  assert.deepEqual(received.map((message) => message.type), ['hello'], 'the impostor got a hello (no secret in it) and nothing else');
  assert.equal(received[0].nonce.length, 43);
  assert.deepEqual(closes, [handshake.CLOSE_UNPROVEN]);
  // The impostor's evaluate never ran: the process is alive and answers.
  assert.equal((await get(replica.port, '/hello?alive')).status, 200);

  // A real epdb listen with another key is an impostor too.
  const other = await startListen(t, { env: { EPDB_BACKEND: 'jwt', EPDB_KEY: 'another secret of at least 32 bytes!!' } });
  const toOther = { 'X-EPDB': await knockWith(JWT_ENV, other.connect) };
  assert.equal((await get(replica.port, '/hello?other', toOther)).status, 200);
  await replica.stderr.waitForLine(/^epdb: refused epdb listen at .* did not prove it holds EPDB_KEY/, { timeoutMs: 5_000, from: 0 });
  await other.stderr.waitForLine(/^epdb: listen: refused a debuggee from 127\.0\.0\.1:\d+: it refused this listener's proof \(the listener did not prove the key\): does it have the same EPDB_BACKEND and EPDB_KEY\?$/, { timeoutMs: 5_000 });
  assert.deepEqual(await listedTargets(other.localPort), []);
});

test('an impostor debuggee is refused by the listener, also when it replays a recorded handshake', async (t) => {
  const listen = await startListen(t);
  const url = `ws://127.0.0.1:${listen.acceptPort}${DEBUGGEE_PATH}`;
  const key = handshake.deriveHandshakeKey(Buffer.from(JWT_ENV.EPDB_KEY, 'utf8'));
  const process_ = JSON.stringify({ hostname: 'test', pid: 1, worker: null, request: 'GET /recorded', script: 'x', url: 'file:///x' });

  /** One handshake as the debuggee; `prove(hello, challenge)` makes the proof message. */
  async function dialAs(hello, prove) {
    const ws = new WebSocket(url);
    await once(ws, 'open');
    const messages = [];
    const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      messages.push(message);
      if (message.type === 'challenge') ws.send(JSON.stringify(prove(message)));
    });
    ws.send(JSON.stringify(hello));
    return { ws, messages, closed };
  }

  // A genuine debuggee, recorded.
  const recordedHello = { type: 'hello', version: 1, scheme: 'JWT', nonce: handshake.freshNonce() };
  let recordedProof;
  const genuine = await dialAs(recordedHello, (challenge) => {
    const proof = handshake.proofOf(key, 'debuggee', 'JWT', recordedHello.nonce, challenge.nonce, process_);
    recordedProof = { type: 'proof', proof, process: process_ };
    return recordedProof;
  });
  await listen.stderr.waitForLine(/^epdb: listen: GET \/recorded on test \(pid 1\) connected from /, { timeoutMs: 5_000 });
  assert.equal(genuine.messages.at(-1).type, 'welcome');
  genuine.ws.close();

  // Without the key: a made-up proof.
  const guess = await dialAs({ ...recordedHello, nonce: handshake.freshNonce() }, () => ({ type: 'proof', proof: 'A'.repeat(43), process: process_ }));
  assert.equal(await within(guess.closed, 5_000, 'the listener closing the guesser'), handshake.CLOSE_UNPROVEN);
  // Replaying the recorded hello and proof: the listener's nonce is new, so the proof fails.
  const replay = await dialAs(recordedHello, () => recordedProof);
  assert.equal(await within(replay.closed, 5_000, 'the listener closing the replayer'), handshake.CLOSE_UNPROVEN);
  assert.notEqual(replay.messages[0].nonce, genuine.messages[0].nonce);
  for (const attempt of [guess, replay]) assert.deepEqual(attempt.messages.map((m) => m.type), ['challenge']);
  assert.equal(listen.stderr.matching(/^epdb: listen: refused a debuggee from 127\.0\.0\.1:\d+: it did not prove it holds EPDB_KEY$/).length, 2);
  assert.deepEqual((await listedTargets(listen.localPort)).map((target) => target.title), [], 'no impostor became a target');
});

test('100 knocks dialling a closed port leak no socket, handle or bridge worker', async (t) => {
  const closedPort = await freePortBelowEphemeralRange();
  const replica = await startApp(t, { app: REPLICA_APP, env: REPLICA_ENV });
  const knock = { 'X-EPDB': await knockWith(JWT_ENV, `127.0.0.1:${closedPort}`) };
  const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const resources = async () => {
    const now = JSON.parse((await get(replica.port, '/resources', {}, { agent })).body);
    return { ...now, resources: now.resources.sort() };
  };
  // A bridge worker ends asynchronously after its last message, with nothing to wait on from
  // outside: read until three reads 100 ms apart agree (bounded), before and after alike, so a
  // worker still exiting is not counted and one left running is.
  const settledResources = async () => {
    let last = await resources();
    for (let agreeing = 1, deadline = performance.now() + 10_000; agreeing < 3 && performance.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = await resources();
      agreeing = JSON.stringify(now) === JSON.stringify(last) ? agreeing + 1 : 1;
      last = now;
    }
    return last;
  };
  // One knock first: it loads what every later one uses (the gate, jose), which is not a leak.
  await get(replica.port, '/hello?warm', knock, { agent });
  await replica.stderr.waitForLine(/cannot reach epdb listen/, { timeoutMs: 5_000 });
  const before = await settledResources();

  // Five at a time (knocks that arrive together share the bridge that dials for them).
  const statuses = [];
  for (let n = 0; n < 100; n += 5) {
    const batch = [0, 1, 2, 3, 4].map((i) => get(replica.port, `/hello?n=${n + i}`, knock));
    for (const { status } of await Promise.all(batch)) statuses.push(status);
  }
  assert.deepEqual(new Set(statuses), new Set([200]));
  assert.equal(statuses.length, 100);
  t.diagnostic(`dials that failed: ${replica.stderr.matching(/^epdb: cannot reach epdb listen at /).length - 1}`);
  const after = await settledResources();
  t.diagnostic(`before: ${JSON.stringify(before)}; after: ${JSON.stringify(after)}`);
  assert.deepEqual(after.resources, before.resources, 'active handles');
  assert.equal(after.fds, before.fds, 'open file descriptors (sockets included)');
  assert.equal(after.threads, before.threads, 'OS threads: a bridge worker left running has its own');
  assert.equal(after.listening, 1, 'only the app listens');
});
