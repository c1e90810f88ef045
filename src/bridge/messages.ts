import type { BackendRecipe } from '../backends/backend.js';
import type { PortRange } from '../port-range.js';

/** What the main thread hands the bridge worker when it starts it (its `workerData`). */
export interface BridgeWorkerData {
  readonly host: string;
  /** The bridge binds the first of these ports that is free. */
  readonly ports: PortRange;
  /** How to rebuild the backend that authenticates bridge requests; null: open, like `node --inspect`. */
  readonly bridgeAuth: BackendRecipe | null;
  /** The target's id in `/json/list` and the path of its WebSocket, fixed for the process. */
  readonly targetId: string;
  /** The `title` and `url` that `/json/list` shows, as `node --inspect` would. */
  readonly title: string;
  readonly url: string;
  /** Which process this is, for `/json/list` and the worker's log lines (src/process-identity.ts). */
  readonly pid: number;
  readonly clusterWorkerId: number | undefined;
}

/**
 * Main thread -> worker.
 * - `arm`: enable the bridge's own Debugger session so the next `debugger;` pauses even when the
 *   client ignore-lists epdb's file; answered by `armed`.
 * - `pause-done`: the gate's pause function returned (disarm if no `Debugger.paused` came).
 * - `held`: the request the target holds now (`GET /orders/42`, waiting or paused), or `null`
 *   when it holds none; shown in the target's `/json/list` title.
 */
export type ToBridge =
  | { readonly type: 'arm'; readonly id: number }
  | { readonly type: 'pause-done'; readonly id: number }
  | { readonly type: 'held'; readonly summary: string | null };

/**
 * Worker -> main thread.
 * - `listening` / `listen-failed`: the outcome of binding the bridge's port.
 * - `attached`: a client enabled the Debugger domain and sent `Runtime.runIfWaitingForDebugger`.
 * - `detached`: that client went away.
 * - `armed`: answer to `arm`; `ok: false` when no debugger is attached any more.
 */
export type FromBridge =
  | { readonly type: 'listening'; readonly host: string; readonly port: number }
  | { readonly type: 'listen-failed'; readonly reason: string }
  | { readonly type: 'attached' }
  | { readonly type: 'detached' }
  | { readonly type: 'armed'; readonly id: number; readonly ok: boolean };
