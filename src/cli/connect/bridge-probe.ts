import { request } from 'node:http';
import { authorityOf, type Address } from './bridge-address.js';

/** What one look at the bridge found. */
export type ProbeResult =
  | { readonly kind: 'up'; readonly body: string }
  /** The bridge answered 401: it does not accept our knock. */
  | { readonly kind: 'unauthorized' }
  /** Something answered, but not as an epdb bridge does. */
  | { readonly kind: 'not-a-bridge'; readonly detail: string }
  /** Nothing usable answered yet (refused, reset, unreachable, timed out): worth retrying. */
  | { readonly kind: 'unreachable'; readonly detail: string; readonly code: string };

/** Errors that mean "not listening (yet)" rather than "something else is listening". */
const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE']);

/** The most of a bridge's answer a probe reads: a discovery answer is a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Asks the bridge at `target` for `path` (default `/json/version`), carrying `knock` (or no
 * `X-EPDB` header when `null`), and classifies the outcome. Never rejects.
 */
export function probeBridge(target: Address, knock: string | null, timeoutMs: number, path = '/json/version'): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { host: authorityOf(target), accept: 'application/json' };
    if (knock !== null) headers['x-epdb'] = knock;
    const probe = request({ host: target.host, port: target.port, path, headers, agent: false });
    const timer = setTimeout(() => probe.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
    probe.on('socket', (socket) => socket.once('connect', () => {
      // With nothing listening on a port in the ephemeral range, the kernel can pick that very
      // port as our source and connect the socket to itself: that is "nobody there", not an answer.
      if (socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress) {
        probe.destroy(Object.assign(new Error('connected to itself'), { code: 'ECONNREFUSED' }));
      }
    }));
    probe.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const settle = (result: ProbeResult): void => {
        clearTimeout(timer);
        probe.destroy();
        resolve(result);
      };
      if (status !== 200) {
        response.resume();
        if (status === 401) settle({ kind: 'unauthorized' });
        else settle({ kind: 'not-a-bridge', detail: `it answered ${status} ${response.statusMessage ?? ''} to GET ${path}`.trimEnd() });
        return;
      }
      const chunks: Buffer[] = [];
      let length = 0;
      response.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > MAX_BODY_BYTES) settle({ kind: 'not-a-bridge', detail: `its answer to GET ${path} is too long` });
        else chunks.push(chunk);
      });
      response.on('end', () => settle({ kind: 'up', body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', () => settle({ kind: 'unreachable', detail: describeSocketError('ECONNRESET'), code: 'ECONNRESET' }));
    });
    probe.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = error.code ?? '';
      if (RETRYABLE.has(code)) resolve({ kind: 'unreachable', detail: describeSocketError(code), code });
      else if (code === 'ENOTFOUND') resolve({ kind: 'not-a-bridge', detail: 'unknown host' });
      else if (code.startsWith('HPE_')) resolve({ kind: 'not-a-bridge', detail: 'it does not speak HTTP' });
      else resolve({ kind: 'not-a-bridge', detail: error.message });
    });
    probe.end();
  });
}

/** A few words for a socket error code, for the one-line messages. */
export function describeSocketError(code: string): string {
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ECONNRESET': case 'EPIPE': return 'the connection was closed without an answer';
    case 'ETIMEDOUT': return 'no answer (timed out)';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'host unreachable';
    case 'EAI_AGAIN': return 'host name lookup failed';
    default: return code;
  }
}
