import http2 from 'node:http2';
import { within } from './within.mjs';

/**
 * One gRPC call as raw HTTP/2 (cleartext), for comparing what a server answers byte for byte:
 * the status, the response headers and trailers (without `date`), and the body's bytes.
 *
 * @param {object} options
 * @param {number} options.port
 * @param {string} options.path `/package.Service/Method`
 * @param {Buffer} options.message the request message, protobuf-encoded (it is framed here)
 * @param {Record<string, string>} [options.headers] metadata
 * @param {number} [options.timeoutMs] default 10 s
 * @returns {Promise<{ status: number, headers: Record<string, unknown>, trailers: Record<string, unknown>, body: string }>}
 */
export async function rawGrpcCall({ port, path, message, headers = {}, timeoutMs = 10_000 }) {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    return await within(new Promise((resolve, reject) => {
      session.on('error', reject);
      const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
      let status = 0;
      /** @type {Record<string, unknown>} */
      let responseHeaders = {};
      /** @type {Record<string, unknown>} */
      let trailers = {};
      /** @type {Buffer[]} */
      const body = [];
      stream.on('response', (head) => { status = Number(head[':status']); responseHeaders = withoutDate(head); });
      stream.on('trailers', (tail) => { trailers = withoutDate(tail); });
      stream.on('data', (chunk) => body.push(chunk));
      stream.on('error', reject);
      stream.on('end', () => resolve({ status, headers: responseHeaders, trailers, body: Buffer.concat(body).toString('hex') }));
      const frame = Buffer.alloc(5);
      frame.writeUInt32BE(message.length, 1);
      stream.end(Buffer.concat([frame, message]));
    }), timeoutMs, `gRPC call ${path} on port ${port}`);
  } finally {
    session.destroy();
  }
}

/** @param {Record<string, unknown>} headers */
function withoutDate(headers) {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'date' && name !== ':status'));
}
