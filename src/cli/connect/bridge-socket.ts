import WebSocket from 'ws';
import { WAITING_TARGET_ID } from '../hub/early-attach.js';
import { TargetRefusal, type TargetConnection } from '../hub/target.js';
import { webSocketConnection } from '../hub/websocket-connection.js';
import { describeSocketError } from './bridge-probe.js';

/** The part of a bridge's `/json/list` entry `epdb connect` reads (`epdb` is the bridge's own key). */
export interface BridgeEntry {
  readonly id?: unknown;
  readonly title?: unknown;
  readonly url?: unknown;
  readonly epdb?: { readonly pid?: unknown; readonly worker?: unknown; readonly heldSince?: unknown };
}

/** The one target of a bridge's `/json/list` answer, or `null` when it is not one. */
export function bridgeEntry(body: string): (BridgeEntry & { readonly id: string }) | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const first: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
  if (typeof first !== 'object' || first === null) return null;
  const entry = first as BridgeEntry;
  // The id becomes a path on the hub: only what a bridge makes (a UUID) is taken. Another epdb
  // connect's or listen's stand-in on a port of the range is not a bridge.
  if (entry.id === WAITING_TARGET_ID) return null;
  return typeof entry.id === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(entry.id) ? { ...entry, id: entry.id } : null;
}

/**
 * Dials the WebSocket of target `id` of the bridge at `authority` (an IP address and port: its
 * `Host`) for one debugger, with `knock` (a fresh `X-EPDB` value, or null for base64).
 *
 * @throws {TargetRefusal} with the bridge's status when it turns the debugger away.
 */
export function dialBridgeTarget(authority: string, id: string, knock: string | null): Promise<TargetConnection> {
  const headers: Record<string, string> = knock === null ? {} : { 'x-epdb': knock };
  const socket = new WebSocket(`ws://${authority}/${id}`, { headers, perMessageDeflate: false, handshakeTimeout: 5000 });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(webSocketConnection(socket)));
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const reason = Buffer.concat(chunks).toString('utf8').split('\n', 1)[0]?.slice(0, 200) ?? '';
        reject(new TargetRefusal(response.statusCode ?? 502, reason !== '' ? reason : `the bridge on ${authority} answered ${response.statusCode}`));
        socket.terminate();
      });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      reject(new TargetRefusal(502, `the bridge on ${authority} did not answer (${describeSocketError(error.code ?? error.message)})`));
    });
  });
}
