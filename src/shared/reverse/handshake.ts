import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The reverse connect's mutual proof of the key, shared by the debuggee (the bridge worker that
 * dials) and `epdb listen`. Each side sends a fresh 256-bit nonce; each proves it holds the key
 * with an HMAC-SHA256, under a key derived from `EPDB_KEY`, over both nonces, its own role and
 * the scheme. The listener proves first, so a debuggee tells an impostor nothing about itself;
 * the debuggee's proof also covers the process description it sends. A recorded handshake is
 * useless: the other side's nonce is new every time. See SECURITY.md, "Dialling out".
 *
 * Messages, one JSON text frame each, on the WebSocket at {@link DEBUGGEE_PATH}:
 * 1. debuggee -> listener `{"type":"hello","version":1,"scheme":S,"nonce":Nd}`
 * 2. listener -> debuggee `{"type":"challenge","scheme":S,"nonce":Nl,"proof":MAC("listener")}`
 * 3. debuggee -> listener `{"type":"proof","proof":MAC("debuggee", process),"process":P}`
 * 4. listener -> debuggee `{"type":"welcome"}`; from then on the frames are CDP, each with a
 *    MAC (src/shared/reverse/sealed-socket.ts). The first may follow the welcome at once, in the same
 *    read (an early debugger's commands): src/shared/reverse/handshake-reader.ts keeps them.
 * Under base64 both proofs are empty strings and prove nothing.
 */
export const HANDSHAKE_VERSION = 1;

/** How long either side waits for the other's next handshake message. */
export const HANDSHAKE_STEP_MS = 10_000;

/** The WebSocket close code for a side that did not prove the key (and for the answer to it). */
export const CLOSE_UNPROVEN = 4401;
/** The close code `epdb listen` uses when the debugger attached to a debuggee detached. */
export const CLOSE_DEBUGGER_LEFT = 4000;
/** The close code for a handshake message that is not what the protocol expects. */
export const CLOSE_PROTOCOL = 4400;

/** A handshake message is small; anything longer is not one. */
export const MAX_HANDSHAKE_MESSAGE = 16 * 1024;

const NONCE_BYTES = 32;
const SALT = 'epdb reverse-connect v1';

/** The side that computes a proof; each proves under its own role, so no proof can be reflected. */
export type HandshakeRole = 'listener' | 'debuggee';

/** What a debuggee says about itself once the listener has proved the key (the target's title). */
export interface DebuggeeProcess {
  readonly hostname: string;
  readonly pid: number;
  /** Its `node:cluster` worker id (pm2's cluster mode too), or null. */
  readonly worker: number | null;
  /** The held request, `GET /orders/42`, or '' when none (yet). */
  readonly request: string;
  /** The main script, as `node --inspect` titles a target. */
  readonly script: string;
  /** The script's `file:` URL. */
  readonly url: string;
}

/** 1. debuggee -> listener: its scheme and fresh nonce. */
export type HelloMessage = { readonly type: 'hello'; readonly version: number; readonly scheme: string; readonly nonce: string };
/** 2. listener -> debuggee: its fresh nonce and its proof. */
export type ChallengeMessage = { readonly type: 'challenge'; readonly scheme: string; readonly nonce: string; readonly proof: string };
/** 3. debuggee -> listener: its proof, over its process description (JSON text) too. */
export type ProofMessage = { readonly type: 'proof'; readonly proof: string; readonly process: string };
/** 4. listener -> debuggee: accepted; CDP from now on. */
export type WelcomeMessage = { readonly type: 'welcome' };
/** Any message of the handshake. */
export type HandshakeMessage = HelloMessage | ChallengeMessage | ProofMessage | WelcomeMessage;

/**
 * The handshake key, derived from the backend's shared key with HKDF-SHA256, so the bytes that
 * sign knocks never sign anything else.
 *
 * @param sharedKey the JWT secret's UTF-8 bytes, or the 32 bytes of a Fernet key.
 */
export function deriveHandshakeKey(sharedKey: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', sharedKey, SALT, 'handshake', 32));
}

/** A fresh nonce, base64url. */
export function freshNonce(): string {
  return randomBytes(NONCE_BYTES).toString('base64url');
}

/**
 * The proof `role` sends: HMAC-SHA256 over the protocol, role, scheme, both nonces and (for the
 * debuggee) its process description, each length-prefixed so no two inputs read alike.
 * Empty without a key (base64).
 */
export function proofOf(key: Uint8Array | null, role: HandshakeRole, scheme: string, debuggeeNonce: string, listenerNonce: string, process = ''): string {
  if (key === null) return '';
  const mac = createHmac('sha256', key);
  for (const part of [SALT, role, scheme.toLowerCase(), debuggeeNonce, listenerNonce, process]) {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    mac.update(length).update(bytes);
  }
  return mac.digest('base64url');
}

/** Whether `received` is the proof `role` must have sent, compared in constant time. */
export function proofHolds(key: Uint8Array | null, received: string, role: HandshakeRole, scheme: string, debuggeeNonce: string, listenerNonce: string, process = ''): boolean {
  if (key === null) return true;
  const expected = Buffer.from(proofOf(key, role, scheme, debuggeeNonce, listenerNonce, process), 'utf8');
  const actual = Buffer.from(received, 'utf8');
  // Lengths first: timingSafeEqual needs equal lengths, and a proof's length is public anyway.
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Parses one handshake frame, or returns `null` when it is not the message `type` the protocol
 * expects next (with every field a string, the nonce of the right length).
 */
export function parseHandshakeMessage<T extends HandshakeMessage['type']>(data: unknown, type: T): Extract<HandshakeMessage, { type: T }> | null {
  const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : null;
  if (text === null || text.length > MAX_HANDSHAKE_MESSAGE) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || (value as { type?: unknown }).type !== type) return null;
  const record = value as Record<string, unknown>;
  const strings = (...names: string[]): boolean => names.every((name) => typeof record[name] === 'string');
  const nonceOk = (): boolean => /^[A-Za-z0-9_-]{43}$/.test(String(record['nonce']));
  switch (type) {
    case 'hello':
      return typeof record['version'] === 'number' && strings('scheme', 'nonce') && nonceOk() ? (record as never) : null;
    case 'challenge':
      return strings('scheme', 'nonce', 'proof') && nonceOk() ? (record as never) : null;
    case 'proof':
      return strings('proof', 'process') ? (record as never) : null;
    default:
      return record as never;
  }
}

/** The process description a debuggee sent, or `null` when it is not one. */
export function parseDebuggeeProcess(text: string): DebuggeeProcess | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const { hostname, pid, worker, request, script, url } = record;
  if (typeof hostname !== 'string' || typeof pid !== 'number' || !Number.isInteger(pid) || typeof request !== 'string'
    || typeof script !== 'string' || typeof url !== 'string' || (worker !== null && !Number.isInteger(worker))) return null;
  return { hostname: clip(hostname), pid, worker: worker as number | null, request: clip(request), script: clip(script), url: clip(url) };
}

/**
 * Text from the other side, for titles and log lines: printable ASCII only (and the arrow of a
 * followed request's hop, `checkout → billing`), at most `max` characters.
 */
export function clip(text: string, max = 200): string {
  const printable = text.replace(/[^\x20-\x7e\u2192]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}...` : printable;
}
