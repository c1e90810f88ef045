import net from 'node:net';
import { within } from './within.mjs';

/** RFC 6455's sample key: any fixed key makes the handshake's answer the same bytes every time. */
const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/**
 * One WebSocket handshake over a raw socket, for comparing what a server answers byte for byte:
 * the response head exactly as written, then (after sending `message`, if given, as one masked
 * text frame) the payload of the first `frames` frames the server sends.
 *
 * @param {object} options
 * @param {number} options.port
 * @param {string} [options.path] default /
 * @param {Record<string, string>} [options.headers] sent after the handshake's own
 * @param {string} [options.message] a text message to send once the handshake is answered
 * @param {number} [options.frames] frames to read after the head, default 1
 * @param {number} [options.timeoutMs] default 10 s
 * @returns {Promise<{ head: string, payloads: string[] }>}
 */
export async function rawWebSocketHandshake({ port, path = '/', headers = {}, message, frames = 1, timeoutMs = 10_000 }) {
  const socket = net.connect({ port, host: '127.0.0.1' });
  try {
    return await within(new Promise((resolve, reject) => {
      const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      socket.once('connect', () => socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
        + `Sec-WebSocket-Key: ${SAMPLE_KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      ));
      let received = Buffer.alloc(0);
      /** @type {string | undefined} */
      let head;
      /** @type {string[]} */
      const payloads = [];
      socket.on('data', (chunk) => {
        received = Buffer.concat([received, chunk]);
        if (head === undefined) {
          const end = received.indexOf('\r\n\r\n');
          if (end === -1) return;
          head = received.subarray(0, end + 4).toString('latin1');
          received = received.subarray(end + 4);
          if (!head.startsWith('HTTP/1.1 101 ')) return resolve({ head, payloads });
          if (message !== undefined) socket.write(maskedTextFrame(message));
        }
        for (let frame = nextFrame(received); frame !== undefined; frame = nextFrame(received)) {
          payloads.push(frame.payload.toString('utf8'));
          received = received.subarray(frame.length);
          if (payloads.length === frames) return resolve({ head, payloads });
        }
      });
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`the server closed the connection; head: ${head}, frames: ${JSON.stringify(payloads)}`)));
    }), timeoutMs, `a WebSocket handshake on port ${port}`);
  } finally {
    socket.destroy();
  }
}

/** @param {string} text */
function maskedTextFrame(text) {
  const payload = Buffer.from(text, 'utf8');
  if (payload.length > 125) throw new Error('rawWebSocketHandshake sends short messages only');
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0)));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** The first complete unmasked frame in `bytes` (payloads under 64 KB), or undefined. */
function nextFrame(bytes) {
  if (bytes.length < 2) return undefined;
  let length = bytes[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = bytes.readUInt16BE(2);
    offset = 4;
  }
  if (bytes.length < offset + length) return undefined;
  return { payload: bytes.subarray(offset, offset + length), length: offset + length };
}
