import type { WebSocket } from 'ws';
import {
  CLOSE_PROTOCOL, CLOSE_UNPROVEN, HANDSHAKE_STEP_MS, HANDSHAKE_VERSION, freshNonce, parseDebuggeeProcess,
  clip, parseHandshakeMessage, proofHolds, proofOf, type DebuggeeProcess,
} from '../../shared/reverse/handshake.js';
import type { HandshakeReader } from '../../shared/reverse/handshake-reader.js';

/** What the listener's side of the handshake needs: the scheme and key it shares with the app. */
export interface ListenerKey {
  /** The backend's scheme (`JWT`, `Fernet`, `Base64`). */
  readonly scheme: string;
  /** The handshake key derived from `EPDB_KEY`; null for base64 (no proof either way). */
  readonly handshakeKey: Uint8Array | null;
}

/** A debuggee that proved the key: what it says about itself, and both nonces (they key the messages). */
export interface AcceptedDebuggee {
  readonly process: DebuggeeProcess;
  readonly nonces: { readonly debuggee: string; readonly listener: string };
}

/** A debuggee that failed the handshake, and the reason to log (the socket is closed already). */
export class RefusedDebuggee extends Error {}

/**
 * The listener's side of the mutual proof (src/shared/reverse/handshake.ts), reading through `reader`:
 * answers the debuggee's hello with a fresh nonce and its own proof, then checks the debuggee's
 * proof in constant time. Resolves with what the debuggee says about itself (anything it sent
 * after its proof stays in `reader`); rejects with a {@link RefusedDebuggee} after closing the
 * socket (4401 for a failed proof).
 */
export async function acceptDebuggee(ws: WebSocket, reader: HandshakeReader, key: ListenerKey): Promise<AcceptedDebuggee> {
  const refuse = (code: number, reason: string): never => {
    ws.close(code, reason.slice(0, 120));
    setTimeout(() => ws.terminate(), 1_000).unref();
    throw new RefusedDebuggee(reason);
  };
  const hello = parseHandshakeMessage(await reader.next(HANDSHAKE_STEP_MS), 'hello');
  if (hello === null) return refuse(CLOSE_PROTOCOL, 'the first message was not an epdb debuggee hello');
  if (hello.version !== HANDSHAKE_VERSION) return refuse(CLOSE_PROTOCOL, `handshake version ${hello.version} is not ${HANDSHAKE_VERSION} (another epdb version?)`);
  if (hello.scheme.toLowerCase() !== key.scheme.toLowerCase()) {
    return refuse(CLOSE_UNPROVEN, `it uses the ${clip(hello.scheme, 20)} backend, this listener ${key.scheme}`);
  }
  const nonce = freshNonce();
  ws.send(JSON.stringify({ type: 'challenge', scheme: key.scheme, nonce, proof: proofOf(key.handshakeKey, 'listener', key.scheme, hello.nonce, nonce) }));
  const proof = parseHandshakeMessage(await reader.next(HANDSHAKE_STEP_MS), 'proof');
  if (proof === null) return refuse(CLOSE_PROTOCOL, 'it did not send a proof');
  if (!proofHolds(key.handshakeKey, proof.proof, 'debuggee', key.scheme, hello.nonce, nonce, proof.process)) {
    return refuse(CLOSE_UNPROVEN, 'it did not prove it holds EPDB_KEY');
  }
  const process = parseDebuggeeProcess(proof.process);
  if (process === null) return refuse(CLOSE_PROTOCOL, 'its process description is malformed');
  ws.send(JSON.stringify({ type: 'welcome' }));
  return { process, nonces: { debuggee: hello.nonce, listener: nonce } };
}
