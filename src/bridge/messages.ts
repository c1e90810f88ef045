import type { BackendRecipe } from '../backends/backend.js';
import type { DialAddress } from '../reverse/address.js';
import type { DebuggeeProcess } from '../reverse/handshake.js';

/** How a bridge that dials out reaches its `epdb listen` (instead of listening). */
export interface DialSettings {
  readonly address: DialAddress;
  /** The backend's scheme (`JWT`, `Fernet`, `Base64`): both ends must use the same. */
  readonly scheme: string;
  /** The key both ends prove they hold (derived from `EPDB_KEY`); null for base64, which proves nothing. */
  readonly handshakeKey: Uint8Array | null;
  /** What the listener shows about this process once it has proved the key. */
  readonly process: DebuggeeProcess;
}

/** What the main thread hands the bridge worker when it starts it (its `workerData`). */
export interface BridgeWorkerData {
  readonly host: string;
  readonly port: number;
  /** How to rebuild the backend that authenticates bridge requests; null: open, like `node --inspect`. */
  readonly bridgeAuth: BackendRecipe | null;
  /** The target's id in `/json/list` and the path of its WebSocket, fixed for the process. */
  readonly targetId: string;
  /** The `title` and `url` that `/json/list` shows, as `node --inspect` would. */
  readonly title: string;
  readonly url: string;
  /** Dial this `epdb listen` and open no port; null: listen on `host:port`. */
  readonly dial: DialSettings | null;
}

/**
 * Main thread -> worker.
 * - `arm`: enable the bridge's own Debugger session so the next `debugger;` pauses even when the
 *   client ignore-lists epdb's file; answered by `armed`.
 * - `pause-done`: the gate's pause function returned (disarm if no `Debugger.paused` came).
 */
export type ToBridge =
  | { readonly type: 'arm'; readonly id: number }
  | { readonly type: 'pause-done'; readonly id: number };

/**
 * Worker -> main thread.
 * - `listening` / `listen-failed`: the outcome of binding the bridge's port.
 * - `attached`: a client enabled the Debugger domain and sent `Runtime.runIfWaitingForDebugger`.
 * - `detached`: that client went away.
 * - `armed`: answer to `arm`; `ok: false` when no debugger is attached any more.
 * - `ended`: a dialled connection could not be made or is over; `reason` is the log line. The
 *   bridge serves no more (held requests go on undebugged; the next knock starts a new one).
 */
export type FromBridge =
  | { readonly type: 'listening'; readonly host: string; readonly port: number }
  | { readonly type: 'listen-failed'; readonly reason: string }
  | { readonly type: 'attached' }
  | { readonly type: 'detached' }
  | { readonly type: 'armed'; readonly id: number; readonly ok: boolean }
  | { readonly type: 'ended'; readonly reason: string };
