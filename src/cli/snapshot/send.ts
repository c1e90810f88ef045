import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CommandError } from '../errors.js';

/** The knocked request `epdb snapshot` sends. */
export interface OutgoingRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string | null;
  readonly knock: string;
}

/** How long the app may take to answer. */
const RESPONSE_TIMEOUT_MS = 60_000;

/**
 * Sends the request with its `X-EPDB` knock and resolves with the response's status line
 * (`HTTP/1.1 200 OK`) once the whole response has arrived.
 *
 * @throws {CommandError} when the app cannot be reached or does not answer.
 */
export function sendKnockedRequest(outgoing: OutgoingRequest): Promise<string> {
  const { url, method, body } = outgoing;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of outgoing.headers) {
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  headers['X-EPDB'] = outgoing.knock;
  if (body !== null) headers['Content-Length'] = String(Buffer.byteLength(body));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers, agent: false, timeout: RESPONSE_TIMEOUT_MS }, (res: IncomingMessage) => {
      const statusLine = `HTTP/${res.httpVersion} ${res.statusCode ?? 0} ${res.statusMessage ?? ''}`.trimEnd();
      res.resume();
      res.on('end', () => resolve(statusLine));
      res.on('error', (error) => reject(new CommandError(`${method} ${url.href}: the response broke off (${error.message})`)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer after ${RESPONSE_TIMEOUT_MS / 1000} s`)));
    req.on('error', (error) => reject(new CommandError(`${method} ${url.href}: ${error.message}`)));
    req.end(body ?? undefined);
  });
}
