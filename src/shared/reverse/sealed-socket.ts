import { EventEmitter } from 'node:events';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { RawData, WebSocket } from 'ws';
import type { HandshakeRole } from './handshake.js';
import type { ReceivedFrame } from './handshake-reader.js';

/** A MAC is 32 bytes of HMAC-SHA256, written as 43 base64url characters before the message. */
const MAC_CHARS = 43;

/**
 * The two keys of a connection after its handshake, one a direction, derived from the handshake
 * key and both nonces: each connection has its own, and a message sent one way never verifies
 * the other way.
 */
export function sessionKeys(handshakeKey: Uint8Array, role: HandshakeRole, debuggeeNonce: string, listenerNonce: string): { outgoing: Uint8Array; incoming: Uint8Array } {
  const derive = (from: HandshakeRole): Uint8Array =>
    new Uint8Array(hkdfSync('sha256', handshakeKey, `${debuggeeNonce}.${listenerNonce}`, `epdb reverse-connect v1 messages from ${from}`, 32));
  const other: HandshakeRole = role === 'debuggee' ? 'listener' : 'debuggee';
  return { outgoing: derive(role), incoming: derive(other) };
}

/** One direction's MAC: over the message's number in its direction and its text. */
function macOf(key: Uint8Array, sequence: number, text: string): string {
  const number = Buffer.alloc(8);
  number.writeBigUInt64BE(BigInt(sequence));
  return createHmac('sha256', key).update(number).update(text, 'utf8').digest('base64url');
}

/**
 * A reverse connection after its handshake, as the relay and `epdb listen` use a WebSocket
 * (`send`, `close`, `terminate`, `'message'`, `'close'`, `'error'`). With keys, every message
 * carries a MAC over its number in its direction and its text, checked in constant time: a
 * message that does not verify (injected, altered, replayed, reordered or dropped on the way)
 * closes the connection before anything reads it. Without keys (base64) it passes messages as
 * they are. It protects integrity, not secrecy: use `wss://` for that.
 *
 * States: `held` (from construction: the frames that came with the handshake's last message,
 * then any later ones, are kept, so its reader can subscribe first), `open` (after
 * {@link start}: read as they come).
 */
export class SealedSocket extends EventEmitter {
  private sent = 0;
  private received = 0;
  private state: 'held' | 'open' = 'held';
  private readonly backlog: ReceivedFrame[];

  constructor(
    private readonly ws: WebSocket,
    private readonly keys: { readonly outgoing: Uint8Array; readonly incoming: Uint8Array } | null,
    /** Called once when a message does not verify (the connection is being closed). */
    private readonly onForged: () => void = () => {},
    /** Frames the handshake read past its last step (src/shared/reverse/handshake-reader.ts), first in line. */
    earlier: readonly ReceivedFrame[] = [],
  ) {
    super();
    this.backlog = [...earlier];
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.state === 'held') this.backlog.push({ data, isBinary });
      else this.receive(data, isBinary);
    });
    ws.on('close', (code: number, reason: Buffer) => this.emit('close', code, reason));
    ws.on('error', (error: Error) => this.emit('error', error));
  }

  /** Its reader has subscribed: the kept frames are read now, in order, and later ones as they come. */
  start(): void {
    if (this.state === 'open') return;
    this.state = 'open';
    for (const { data, isBinary } of this.backlog.splice(0)) this.receive(data, isBinary);
  }

  /** `WebSocket.OPEN` while messages can be sent. */
  get readyState(): number {
    return this.ws.readyState;
  }

  send(text: string): void {
    if (this.keys === null) {
      this.ws.send(text);
      return;
    }
    this.ws.send(`${macOf(this.keys.outgoing, this.sent++, text)}${text}`);
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  private receive(data: RawData, isBinary: boolean): void {
    // Closed for a forged message: nothing after it is read (kept frames included).
    if (this.received < 0) return;
    const text = data.toString();
    if (this.keys === null) {
      if (!isBinary) this.emit('message', text, false);
      return;
    }
    const mac = Buffer.from(text.slice(0, MAC_CHARS), 'utf8');
    const message = text.slice(MAC_CHARS);
    const expected = Buffer.from(macOf(this.keys.incoming, this.received, message), 'utf8');
    if (isBinary || mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
      this.forged();
      return;
    }
    this.received++;
    this.emit('message', message, false);
  }

  private forged(): void {
    if (this.received < 0) return;
    this.received = -1;
    this.ws.removeAllListeners('message');
    this.onForged();
    this.ws.close(4403, 'a message did not verify');
    setTimeout(() => this.ws.terminate(), 1_000).unref();
  }
}
