import type { BackendRecipe } from './backends/backend.js';
import type { DialAddress } from './reverse/address.js';
import type { DebuggeeProcess } from './reverse/handshake.js';

/** How a bridge that dials out reaches its `epdb listen` (instead of listening). */
export interface DialSettings {
  readonly address: DialAddress;
  /** The backend's scheme (`JWT`, `Fernet`, `Base64`): both ends must use the same. */
  readonly scheme: string;
  /** The key both ends prove they hold (derived from `EPDB_KEY`); null for base64, which proves nothing. */
  readonly handshakeKey: Uint8Array | null;
  /** What the listener shows about this process once it has proved the key. */
  readonly process: DebuggeeProcess;
  /** Dialled for a probe knock: no request waits for a debugger, results are pushed there. */
  readonly forProbes?: boolean;
}
import type { PortRange } from './port-range.js';
import type { ArmedLocation, ProbeOutcome } from './probes/capture-protocol.js';
import type { ProbeArm } from './probes/spec.js';

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
  /** Dial this `epdb listen` and open no port; null: listen on `host:port`. */
  readonly dial: DialSettings | null;
  /** Which process this is, for `/json/list` and the worker's log lines (src/process-identity.ts). */
  readonly pid: number;
  readonly clusterWorkerId: number | undefined;
  /** `EPDB_MAX_PAUSE` in ms: the longest continuous stop before the debugger is detached; 0: none. */
  readonly maxPauseMs: number;
  /** The walk's memory shared with the main thread (`WalkShared` in src/main/request-context.ts). */
  readonly walkShared: SharedArrayBuffer;
  /** Whether knocks stop at the app's code unless they say otherwise (`EPDB_STOP_AT=app`): the walk's breakpoints are then set as soon as a debugger attaches. */
  readonly walkAhead: boolean;
}

/**
 * How a walk to the app's code ended: at the app's first statement (`stopped`), with the
 * request answered or its client gone before any app code ran, out of budget, with the
 * debugger gone, or not armed at all (`failed`).
 */
export type WalkOutcome = 'stopped' | 'answered' | 'client-gone' | 'budget' | 'detached' | 'failed';

/**
 * Main thread -> worker.
 * - `arm`: enable the bridge's own Debugger session so the next `debugger;` pauses even when the
 *   client ignore-lists epdb's file; answered by `armed`.
 * - `pause-done`: the gate's pause function returned (disarm if no `Debugger.paused` came).
 * - `held`: the request the target holds now (`GET /orders/42`, waiting or paused), or `null`
 *   when it holds none; shown in the target's `/json/list` title.
 * - `walk`: set the breakpoints that stop request `context` at its first statement of app code
 *   (`EPDB_STOP_AT=app`); answered by `walk-armed`, then `walk-done`.
 * - `walk-end`: that request ended before any stop.
 * - `probe-arm`: set a probe's breakpoint for one request (src/worker/probes); answered by `probe-armed`.
 * - `probe-report`: a probe settled on the main thread, in its breakpoint's condition (a
 *   logpoint formatted there, the rate limit spent): settle its result.
 * - `probe-end`: that request has ended: disarm the probe, settle its result.
 */
export type ToBridge =
  | { readonly type: 'arm'; readonly id: number }
  | { readonly type: 'pause-done'; readonly id: number }
  | { readonly type: 'held'; readonly summary: string | null }
  | { readonly type: 'walk'; readonly id: number; readonly context: number; readonly summary: string }
  | { readonly type: 'walk-end'; readonly id: number; readonly outcome: 'answered' | 'client-gone' }
  | { readonly type: 'probe-arm'; readonly probe: ProbeArm }
  | { readonly type: 'probe-report'; readonly id: string; readonly outcome: ProbeOutcome }
  | { readonly type: 'probe-end'; readonly id: string };

/**
 * Worker -> main thread.
 * - `listening` / `listen-failed`: the outcome of binding the bridge's port.
 * - `attached`: a client enabled the Debugger domain and sent `Runtime.runIfWaitingForDebugger`.
 * - `detached`: that client went away.
 * - `armed`: answer to `arm`; `ok: false` when no debugger is attached any more.
 * - `ended`: a dialled connection could not be made or is over; `reason` is the log line. The
 *   bridge serves no more (held requests go on undebugged; the next knock starts a new one),
 *   unless `again`: the session ended as it should (its debugger detached), and requests that
 *   still wait may dial again.
 * - `walk-armed`: answer to `walk`; `walk-done`: how that walk ended.
 * - `probe-armed`: answer to `probe-arm`; `error` says why it could not be armed, else null
 *   and `armed` says where (the location's number in its condition, a logpoint's plain reads).
 */
export type FromBridge =
  | { readonly type: 'listening'; readonly host: string; readonly port: number }
  | { readonly type: 'listen-failed'; readonly reason: string }
  | { readonly type: 'attached' }
  | { readonly type: 'detached' }
  | { readonly type: 'armed'; readonly id: number; readonly ok: boolean }
  | { readonly type: 'ended'; readonly reason: string; readonly again: boolean }
  | { readonly type: 'walk-armed'; readonly id: number; readonly ok: boolean }
  | { readonly type: 'walk-done'; readonly id: number; readonly outcome: WalkOutcome }
  | { readonly type: 'probe-armed'; readonly id: string; readonly error: string | null; readonly armed?: ArmedLocation | null };
