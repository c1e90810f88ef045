// The hand-over from a reverse connection's handshake to its sealed messages
// (src/shared/reverse/handshake-reader.ts): `ws` emits every frame of one TCP read in the same tick,
// so `epdb listen`'s welcome and the first commands it sends right after it (those of a debugger
// that attached before the process dialled in) can arrive together. None of them may be lost:
// losing the first left the early debugger waiting for an answer for ever (issue #20).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { within } from './helpers/index.mjs';

const { HandshakeReader, HandshakeStepError } = await import('../dist/src/shared/reverse/handshake-reader.js');
const { startAcceptServer } = await import('../dist/src/cli/listen/accept-server.js');
const { dialListener } = await import('../dist/src/worker/dial.js');
const { parseDialAddress } = await import('../dist/src/shared/reverse/address.js');
const { deriveHandshakeKey } = await import('../dist/src/shared/reverse/handshake.js');

/** The part of a `ws` WebSocket the reader uses; `deliver` emits frames as one TCP read would, in one tick. */
class FakeSocket extends EventEmitter {
  deliver(...frames) {
    for (const frame of frames) this.emit('message', Buffer.from(frame), false);
  }
}

test('frames that come in the tick of a handshake step are kept, in order, and handed over', async () => {
  const ws = new FakeSocket();
  const reader = new HandshakeReader(ws);
  const step = reader.next(1_000);
  ws.deliver('welcome', 'first', 'second');
  assert.equal(String(await step), 'welcome');
  assert.deepEqual(reader.handOver().map(({ data, isBinary }) => [String(data), isBinary]), [['first', false], ['second', false]]);
  assert.equal(ws.listenerCount('message') + ws.listenerCount('close') + ws.listenerCount('error'), 0, 'its listeners are off');
});

test('a close after kept frames: the next steps get the frames first, then the close', async () => {
  const ws = new FakeSocket();
  const reader = new HandshakeReader(ws);
  ws.deliver('hello');
  ws.emit('close', 4401, Buffer.from('unproven'));
  assert.equal(String(await reader.next(1_000)), 'hello');
  await assert.rejects(reader.next(1_000), (error) => error instanceof HandshakeStepError && error.closeCode === 4401 && error.closeReason === 'unproven');
});

test('a step with no message in time rejects, saying how long it waited', async () => {
  const reader = new HandshakeReader(new FakeSocket());
  await assert.rejects(reader.next(20), (error) => error instanceof HandshakeStepError && error.closeCode === null && /within 0\.02 s/.test(error.message));
});

test('what epdb listen sends with its welcome reaches the dialled relay, in order', async (t) => {
  const handshakeKey = deriveHandshakeKey(randomBytes(32));
  const key = { scheme: 'JWT', handshakeKey };
  const sent = ['{"id":1,"method":"Debugger.enable"}', '{"id":2,"method":"Runtime.runIfWaitingForDebugger"}'];
  // As the hub's early-attach join does: the held commands go as soon as the target exists, in
  // the tick of the welcome, so this process (one thread, both ends) reads them in one read.
  const accept = await startAcceptServer({
    host: '127.0.0.1', port: 0, key, tls: null,
    onTarget: (target) => {
      t.after(() => target.close(1001, 'test over'));
      target.connect().then((connection) => { for (const message of sent) connection.send(message); });
    },
  });
  t.after(() => accept.server.close());
  const received = [];
  let relayed;
  const allRelayed = new Promise((resolve) => { relayed = resolve; });
  let ended = null;
  dialListener({
    address: parseDialAddress(`127.0.0.1:${accept.port}`),
    scheme: 'JWT',
    handshakeKey,
    process: { hostname: 'test', pid: process.pid, worker: null, request: 'GET /hello', script: 'app.js', url: 'file:///app.js' },
  }, {
    connected(socket) {
      socket.on('message', (data) => {
        received.push(String(data));
        if (received.length === sent.length) relayed();
      });
    },
    ended(reason) { ended = reason; },
  });
  await within(allRelayed, 10_000, 'both commands relayed').catch((error) => {
    throw new Error(`${error.message}; got ${JSON.stringify(received)}, ended: ${ended}`);
  });
  assert.deepEqual(received, sent);
});
