import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { within } from './within.mjs';

/**
 * Sends one HTTP/1.1 request over a raw socket (`Connection: close`) and resolves with the
 * exact bytes of the response, as the server wrote them, once it closes the connection.
 *
 * @param {object} options
 * @param {number} options.port
 * @param {string} [options.host] default 127.0.0.1
 * @param {string} [options.method] default GET
 * @param {string} [options.path] default /hello
 * @param {Record<string, string> | [string, string][]} [options.headers] sent after `Host`, in order
 * @param {string | Buffer} [options.body] sent with a `Content-Length`
 * @param {{ ca?: string } | boolean} [options.tls] connect with TLS (certificate not verified unless `ca`)
 * @param {number} [options.timeoutMs] default 10 s
 * @returns {Promise<Buffer>}
 */
export function rawRequest({ port, host = '127.0.0.1', method = 'GET', path = '/hello', headers = {}, body, tls: useTls = false, timeoutMs = 10_000 }) {
  const headerLines = (Array.isArray(headers) ? headers : Object.entries(headers))
    .map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const bodyBytes = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  const lengthLine = body === undefined ? '' : `Content-Length: ${bodyBytes.length}\r\n`;
  const request = Buffer.concat([
    Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n${headerLines}${lengthLine}Connection: close\r\n\r\n`, 'latin1'),
    bodyBytes,
  ]);
  return new Promise((resolve, reject) => {
    const socket = useTls
      ? tls.connect({ port, host, servername: host === '127.0.0.1' ? undefined : host, ...(typeof useTls === 'object' && useTls.ca ? { ca: useTls.ca } : { rejectUnauthorized: false }) })
      : net.connect({ port, host });
    /** @type {Buffer[]} */
    const chunks = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response to ${method} ${path} on port ${port} after ${timeoutMs} ms; got:\n${Buffer.concat(chunks).toString('latin1')}`));
    }, timeoutMs);
    socket.once(useTls ? 'secureConnect' : 'connect', () => socket.write(request));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => { clearTimeout(timer); reject(error); });
    socket.on('end', () => { clearTimeout(timer); socket.end(); resolve(Buffer.concat(chunks)); });
  });
}

/**
 * The response bytes with the `Date:` header line removed (it is the one header that differs
 * between two otherwise identical responses).
 * @param {Buffer} response
 * @returns {Buffer}
 */
export function withoutDateHeader(response) {
  const text = response.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd === -1 ? text : text.slice(0, headEnd);
  const rest = headEnd === -1 ? '' : text.slice(headEnd);
  const kept = head.split('\r\n').filter((line) => !/^date:/i.test(line)).join('\r\n');
  return Buffer.from(kept + rest, 'latin1');
}

/**
 * Splits raw HTTP/1.1 response bytes into status, header lines and body. A chunked body is
 * decoded (`wireBody` keeps it as it was on the wire); the body is read as UTF-8.
 * @param {Buffer} response
 * @returns {{ status: number, statusLine: string, headers: string[], body: string, wireBody: Buffer }}
 */
export function parseRawResponse(response) {
  const headEnd = response.indexOf('\r\n\r\n');
  if (headEnd === -1) throw new Error(`not an HTTP response: ${JSON.stringify(response.toString('latin1', 0, 200))}`);
  const [statusLine = '', ...headers] = response.toString('latin1', 0, headEnd).split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const wireBody = response.subarray(headEnd + 4);
  const chunked = headers.some((line) => /^transfer-encoding:\s*chunked\s*$/i.test(line));
  return { status, statusLine, headers, body: (chunked ? dechunk(wireBody) : wireBody).toString('utf8'), wireBody };
}

/** @param {Buffer} wire a chunked body @returns {Buffer} */
function dechunk(wire) {
  /** @type {Buffer[]} */
  const parts = [];
  let at = 0;
  for (;;) {
    const lineEnd = wire.indexOf('\r\n', at);
    if (lineEnd === -1) throw new Error('truncated chunked body');
    const size = parseInt(wire.toString('latin1', at, lineEnd), 16);
    if (!Number.isFinite(size)) throw new Error('bad chunk size');
    if (size === 0) return Buffer.concat(parts);
    parts.push(wire.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * One HTTP/2 request with `http2.connect`; resolves with the status, the response headers
 * (pseudo-headers and `date` removed) and the body as text. The session is closed after.
 *
 * @param {object} options
 * @param {number} options.port
 * @param {boolean} [options.secure] `https:` (TLS, certificate not verified unless `ca`) or `http:` (h2c); default true
 * @param {string} [options.ca]
 * @param {string} [options.method] default GET
 * @param {string} [options.path] default /hello
 * @param {Record<string, string>} [options.headers]
 * @param {string | Buffer} [options.body]
 * @param {number} [options.timeoutMs] default 10 s
 * @returns {Promise<{ status: number, headers: Record<string, string | string[]>, body: string }>}
 */
export function http2Request({ port, secure = true, ca, method = 'GET', path = '/hello', headers = {}, body, timeoutMs = 10_000 }) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`${secure ? 'https' : 'http'}://127.0.0.1:${port}`, secure ? (ca ? { ca } : { rejectUnauthorized: false }) : {});
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no HTTP/2 response to ${method} ${path} on port ${port} after ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (error) => { clearTimeout(timer); session.destroy(); reject(error); };
    session.on('error', fail);
    const stream = session.request({ ':method': method, ':path': path, ...headers });
    stream.setEncoding('utf8');
    let received = '';
    /** @type {Record<string, string | string[]>} */
    let responseHeaders = {};
    let status = 0;
    stream.on('response', (head) => {
      status = Number(head[':status']);
      responseHeaders = Object.fromEntries(Object.entries(head)
        .filter(([name]) => !name.startsWith(':') && name !== 'date')
        .map(([name, value]) => [name, /** @type {string | string[]} */ (value)]));
    });
    stream.on('data', (chunk) => { received += chunk; });
    stream.on('error', fail);
    stream.on('end', () => {
      clearTimeout(timer);
      session.close();
      resolve({ status, headers: responseHeaders, body: received });
    });
    // A GET stream is already ended by http2 itself (no body); end() again is harmless, end(x) is not.
    if (body === undefined) stream.end();
    else stream.end(body);
  });
}

/**
 * One GET on a fresh connection (or `agent`); resolves with the status and the body as text.
 * @param {number} port @param {string} path @param {Record<string, string>} [headers]
 * @param {{ agent?: http.Agent | false, timeoutMs?: number }} [options]
 * @returns {Promise<{ status: number, body: string }>}
 */
export function get(port, path, headers = {}, { agent = false, timeoutMs = 20_000 } = {}) {
  return within(new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    }).on('error', reject);
  }), timeoutMs, `response to GET ${path} on ${port}`);
}
