// The sealed messages of a reverse connection after its handshake (src/shared/reverse/sealed-socket.ts):
// every message carries a MAC over its number in its direction, so one replayed, reordered,
// dropped, altered or sent back the other way closes the connection (4403) before anything reads
// it. Two SealedSockets over a recording stand-in for the WebSocket, so each case is exact.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const { SealedSocket, sessionKeys } = require('../dist/src/shared/reverse/sealed-socket.js');

/** The part of a `ws` WebSocket a SealedSocket uses: what it sends is recorded, `deliver` plays frames in. */
class RecordingSocket extends EventEmitter {
  sent = [];
  closedWith = null;
  readyState = 1;
  send(text) { this.sent.push(text); }
  close(code, reason) { this.closedWith = { code, reason }; }
  terminate() {}
  deliver(frame, isBinary = false) { this.emit('message', Buffer.from(frame), isBinary); }
}

/** A debuggee's and a listener's sealed sockets with the keys one handshake gives both. */
function pair() {
  const key = randomBytes(32);
  const [debuggeeNonce, listenerNonce] = [randomBytes(16).toString('base64url'), randomBytes(16).toString('base64url')];
  const out = new RecordingSocket();
  const into = new RecordingSocket();
  let forged = 0;
  const sender = new SealedSocket(out, sessionKeys(key, 'debuggee', debuggeeNonce, listenerNonce));
  const receiver = new SealedSocket(into, sessionKeys(key, 'listener', debuggeeNonce, listenerNonce), () => { forged++; });
  const received = [];
  receiver.on('message', (text) => received.push(text));
  receiver.start();
  for (const text of ['{"id":1}', '{"id":2}', '{"id":3}']) sender.send(text);
  return { frames: out.sent, into, received, forged: () => forged, sender, receiver };
}

test('in order, each message is read once, without its MAC', () => {
  const { frames, into, received, forged } = pair();
  for (const frame of frames) into.deliver(frame);
  assert.deepEqual(received, ['{"id":1}', '{"id":2}', '{"id":3}']);
  assert.equal(forged(), 0);
  assert.equal(into.closedWith, null);
});

for (const [name, order] of [
  ['replayed', [0, 0, 1]],
  ['reordered', [1, 0, 2]],
  ['dropped', [0, 2]],
]) {
  test(`a ${name} message closes the connection with 4403; nothing from it on is read`, () => {
    const { frames, into, received, forged } = pair();
    for (const i of order) into.deliver(frames[i]);
    const firstBad = order.findIndex((i, position) => i !== position);
    assert.deepEqual(received, order.slice(0, firstBad).map((i) => `{"id":${i + 1}}`));
    assert.equal(forged(), 1);
    assert.deepEqual(into.closedWith, { code: 4403, reason: 'a message did not verify' });
  });
}

test('an altered, a binary, an unsealed and a reflected message are refused alike', () => {
  const cases = {
    altered: (frames) => `${frames[0].slice(0, 43)}{"id":9}`,
    unsealed: () => '{"id":1}',
    // The listener's own first message, sent back to it: the other direction's key does not verify.
    reflected: (frames, receiver, into) => { receiver.send('{"id":1}'); return into.sent.at(-1); },
  };
  for (const [name, frameOf] of Object.entries(cases)) {
    const { frames, into, received, forged, receiver } = pair();
    into.deliver(frameOf(frames, receiver, into));
    assert.deepEqual([received, forged(), into.closedWith?.code], [[], 1, 4403], name);
  }
  const { frames, into, received, forged } = pair();
  into.deliver(frames[0], true);
  assert.deepEqual([received, forged(), into.closedWith?.code], [[], 1, 4403], 'binary');
});

test('frames kept from the handshake are read first, at start(), then later ones as they come', () => {
  const key = randomBytes(32);
  const [debuggeeNonce, listenerNonce] = [randomBytes(16).toString('base64url'), randomBytes(16).toString('base64url')];
  const out = new RecordingSocket();
  const sender = new SealedSocket(out, sessionKeys(key, 'debuggee', debuggeeNonce, listenerNonce));
  for (const text of ['{"id":1}', '{"id":2}', '{"id":3}', '{"id":4}']) sender.send(text);
  const into = new RecordingSocket();
  // The first came with the handshake's last message (src/shared/reverse/handshake-reader.ts).
  const kept = [{ data: Buffer.from(out.sent[0]), isBinary: false }];
  const receiver = new SealedSocket(into, sessionKeys(key, 'listener', debuggeeNonce, listenerNonce), () => {}, kept);
  into.deliver(out.sent[1]);
  const received = [];
  receiver.on('message', (text) => received.push(text));
  assert.deepEqual(received, [], 'nothing is read before start()');
  receiver.start();
  into.deliver(out.sent[2]);
  into.deliver(out.sent[3]);
  assert.deepEqual(received, ['{"id":1}', '{"id":2}', '{"id":3}', '{"id":4}']);
  assert.equal(into.closedWith, null);
});
