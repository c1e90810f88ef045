import { AsyncResource } from 'node:async_hooks';
import type { StopAt } from '../../shared/config.js';
import { markKnockedRequest, type GateOutcome, type GateSpanMarker } from '../telemetry.js';
import type { KnockedRequest } from '../knocked-request.js';

/**
 * Where a knocked request is in its life at the gate:
 * - `new`: just knocked;
 * - `waiting`: no debugger is attached; it waits (until `timer` fires, if there is a limit);
 * - `queued`: a debugger is attached, another knocked request is ahead of it;
 * - `arming`: its turn: the bridge is making ready to stop it;
 * - `paused`: at epdb's entry pause (`EPDB_STOP_AT=entry`), inside the debugger;
 * - `walking`: handed to the app, the bridge stops it at its first statement of app code;
 * - `done`: the gate is finished with it (it went on, debugged or not).
 */
export type HeldState =
  | { readonly name: 'new' }
  | { readonly name: 'waiting'; readonly timer: NodeJS.Timeout | undefined }
  | { readonly name: 'queued' }
  | { readonly name: 'arming' }
  | { readonly name: 'paused' }
  | { readonly name: 'walking'; readonly walkId: number; readonly context: number; readonly stopWatching: () => void }
  | { readonly name: 'done' };

type StateName = HeldState['name'];

/** Every transition the gate may make; anything else is a bug, and throws. */
const TRANSITIONS: Readonly<Record<StateName, readonly StateName[]>> = {
  new: ['waiting', 'queued', 'done'],
  waiting: ['queued', 'done'],
  queued: ['arming', 'waiting', 'done'],
  arming: ['paused', 'walking', 'waiting', 'done'],
  paused: ['done'],
  walking: ['done'],
  done: [],
};

/** A knocked request at the gate, with its state and everything that lives as long as it does. */
export class HeldRequest {
  private current: HeldState = { name: 'new' };
  readonly since = performance.now();
  /** The async context of the knock, so the app handles the request in it (OpenTelemetry, ALS). */
  private readonly context = new AsyncResource('epdb.gate', { requireManualDestroy: true });
  private readonly mark: GateSpanMarker;
  private unwatchClient: () => void = () => {};

  constructor(
    readonly request: KnockedRequest,
    /** Where this request's first stop is (`EPDB_STOP_AT`, or the knock's `stop`). */
    readonly stopAt: StopAt,
    marked: boolean,
  ) {
    this.mark = marked ? markKnockedRequest() : () => {};
  }

  get state(): HeldState {
    return this.current;
  }

  /** `GET /orders/42` (with its hop when followed): safe to log. */
  get summary(): string {
    return this.request.title ?? `${this.request.method} ${this.request.path}`;
  }

  /** Whether it counts against `EPDB_MAX_HELD`: it waits, is queued, or is being armed. */
  get isHeld(): boolean {
    const { name } = this.current;
    return name === 'waiting' || name === 'queued' || name === 'arming';
  }

  /** The one place where a held request changes state. */
  moveTo(next: HeldState): void {
    if (!TRANSITIONS[this.current.name].includes(next.name)) {
      throw new Error(`epdb: a knocked request cannot go from ${this.current.name} to ${next.name}`);
    }
    if (this.current.name === 'waiting') clearTimeout(this.current.timer);
    this.current = next;
  }

  /**
   * Hands the request on (`run` emits it to the app, or pauses first), in the knock's async
   * context, and records the outcome on its trace. Called once.
   */
  letGo(outcome: Omit<GateOutcome, 'waitedMs'>, run: () => void): void {
    this.mark({ ...outcome, waitedMs: performance.now() - this.since });
    try {
      this.context.runInAsyncScope(run);
    } finally {
      this.context.emitDestroy();
    }
  }

  /**
   * Whether its client has already gone, before its `'close'` event has come (its socket or, for
   * HTTP/2, its stream is destroyed). Stopping at it would stop the debugger at a request nobody
   * waits for.
   */
  clientLeft(): boolean {
    try {
      return this.request.clientLeft();
    } catch {
      return false;
    }
  }

  /** Whether the server it came in on stopped listening (`server.close()`, a graceful shutdown). */
  serverClosing(): boolean {
    try {
      return this.request.server()?.listening === false;
    } catch {
      return false;
    }
  }

  /** Calls `listener` once if the client leaves, until {@link stopWatchingClient}. */
  watchClient(listener: () => void): void {
    const { closeEmitter } = this.request;
    this.stopWatchingClient();
    closeEmitter.once('close', listener);
    this.unwatchClient = () => closeEmitter.removeListener('close', listener);
  }

  /** Ends {@link watchClient}. */
  stopWatchingClient(): void {
    this.unwatchClient();
    this.unwatchClient = () => {};
  }

  /**
   * Calls `listener` once when the exchange is over (its entry point says what that means):
   * `answered` once it is answered, `client-gone` when the client left first. Returns what
   * removes it.
   */
  onResponseEnd(listener: (how: 'answered' | 'client-gone') => void): () => void {
    return this.request.onEnd(listener);
  }
}
