import { MainThreadSession } from '../main-thread-session.js';
import type { ClientHold } from '../client-hold.js';
import type { WalkOutcome } from '../../shared/thread-messages.js';
import { WalkShared } from '../../shared/walk-protocol.js';
import type { PauseLocation, StopLabel } from './stop-label.js';
import { WalkBreakpoints } from './walk-breakpoints.js';

/** How long the walk may look for the app's code before it gives up and lets the request go. */
export const WALK_BUDGET_MS = 10_000;

/** One knocked request whose first statement of app code the bridge looks for. */
export interface WalkRequest {
  readonly id: number;
  /** The request's context id (src/main/request-context.ts): breakpoints hold only in it. */
  readonly context: number;
  /** `GET /orders/42`, for the debugger's console. */
  readonly summary: string;
}

/** What the walker tells the rest of the worker. */
export interface WalkerEvents {
  /** The walk for `id` is over (the main thread moves on to the next knocked request). */
  done(id: number, outcome: WalkOutcome): void;
  /** A line for the debugger's console (`console.warn` there). */
  warnClient(text: string): void;
}

/**
 * A walk in progress: `arming` while breakpoints are being set, `armed` while the request runs
 * towards them, `client-paused` while the main thread is stopped for the client at something
 * that is not the walk's (its own breakpoint, a `debugger;`, a `Debugger.pause`).
 */
interface ActiveWalk {
  readonly request: WalkRequest;
  phase: 'arming' | 'armed' | 'client-paused';
  /** Runs from the moment the request is handed to the app (setting breakpoints is not its time). */
  budget: NodeJS.Timeout | undefined;
  /** Whether this walk holds the client's messages now. */
  holding: boolean;
}

/**
 * Walks a knocked request to the first statement of the app's own code that runs for it
 * (`EPDB_STOP_AT=app`), without stepping: on a session of its own, a breakpoint at the start of
 * every function of every app script ({@link WalkBreakpoints}), each with a condition that
 * holds only in the walked request's async context (so code running for other requests never
 * stops, and the walk follows the request across `await`s and callbacks). The walked request is
 * named in memory shared with the main thread (`WalkShared.WALKED`): the first breakpoint hit is
 * the stop the client sees (every enabled session is told of every pause), and the walker clears
 * that at once, so nothing of the walk's stops again. Most breakpoints stay set for the next
 * knock while the client stays attached, and all go when it leaves.
 */
export class Walker {
  private readonly session: MainThreadSession;
  private readonly breakpoints: WalkBreakpoints;
  private walk: ActiveWalk | null = null;
  /** Memory shared with the main thread: which request the walk looks for (`WalkShared`). */
  private readonly shared: Int32Array;

  constructor(private readonly hold: ClientHold, walkShared: SharedArrayBuffer, private readonly events: WalkerEvents, private readonly label: StopLabel) {
    this.shared = new Int32Array(walkShared);
    this.session = new MainThreadSession();
    this.breakpoints = new WalkBreakpoints(this.session, this.shared);
    this.session.on<{ hitBreakpoints?: string[]; callFrames: { location?: PauseLocation }[] }>('Debugger.paused', (params) => {
      // V8 gives every enabled session the paused frames' objects (group `backtrace`) and keeps
      // them until that session releases them. This one stays enabled across every pause while a
      // debugger is attached, and reads none: released at once, or each pause keeps its request
      // (and whatever hangs on it) for good.
      this.session.releasePause();
      this.onPaused(params.hitBreakpoints ?? [], params.callFrames[0]?.location);
    });
    this.session.on('Debugger.resumed', () => this.onResumed());
  }

  /** Whether a walk is armed: its request runs towards the breakpoints now. */
  get armed(): boolean {
    return this.walk !== null && this.walk.phase !== 'arming';
  }

  /** Sets the breakpoints for `request`; `done(true)` once the main thread may hand it to the app. */
  arm(request: WalkRequest, done: (ok: boolean) => void): void {
    if (this.walk !== null) this.finish('failed');
    const walk: ActiveWalk = {
      request,
      phase: 'arming',
      budget: undefined,
      holding: false,
    };
    this.walk = walk;
    this.breakpoints.prepareWalk().then(
      () => {
        if (this.walk !== walk) return done(false);
        // From here on a pause may be the walk's: the client sees it only once it is sorted out.
        this.startHolding(walk);
        Atomics.store(this.shared, WalkShared.WALKED, request.context);
        walk.phase = 'armed';
        walk.budget = setTimeout(() => this.onBudgetSpent(walk), WALK_BUDGET_MS);
        done(true);
      },
      () => {
        if (this.walk === walk) this.finish('failed');
        done(false);
      },
    );
  }

  /** The main thread says request `id` ended (answered, or its client left) before any stop. */
  end(id: number, outcome: Extract<WalkOutcome, 'answered' | 'client-gone'>): void {
    const walk = this.walk;
    if (walk === null || walk.request.id !== id) return;
    if (outcome === 'answered') {
      this.events.warnClient(`epdb: ${walk.request.summary} was answered without running any of the app's own code, so there was nothing of it to stop at.`);
    }
    this.finish(outcome);
  }

  /** A client attached: set the breakpoints now, ahead of its first knock. */
  clientAttached(): void {
    this.breakpoints.warm();
  }

  /** The client went away: the walk has no one to stop for, and the breakpoints go. */
  clientGone(): void {
    if (this.walk !== null) this.finish('detached');
    this.breakpoints.release();
  }

  private onPaused(hitBreakpoints: readonly string[], top: PauseLocation | undefined): void {
    const walk = this.walk;
    if (walk === null || walk.phase === 'arming') return;
    if (hitBreakpoints.some((id) => this.breakpoints.owns(id))) {
      // Before the client's copy of this pause is let through (finish releases the hold).
      if (top !== undefined) this.label.mark(top, walk.request.summary);
      this.finish('stopped');
      return;
    }
    // Not the walk's stop: the client's own (a breakpoint, `debugger;`, Debugger.pause). It is
    // theirs to see; the walk goes on once they resume.
    walk.phase = 'client-paused';
    this.stopHolding(walk);
  }

  private onResumed(): void {
    const walk = this.walk;
    if (walk === null || walk.phase !== 'client-paused') return;
    walk.phase = 'armed';
    this.startHolding(walk);
  }

  private onBudgetSpent(walk: ActiveWalk): void {
    if (this.walk !== walk) return;
    this.events.warnClient(`epdb: no code of the app ran for ${walk.request.summary} within ${WALK_BUDGET_MS / 1000} s; the walk to it gave up and the request goes on.`);
    this.finish('budget');
  }

  /**
   * Ends the walk: no breakpoint of the walk holds any more (cleared while the main thread may
   * still be paused at the stop, so the client's next step or resume cannot hit another one),
   * and the client sees what it was held back from seeing.
   */
  private finish(outcome: WalkOutcome): void {
    const walk = this.walk;
    if (walk === null) return;
    this.walk = null;
    Atomics.store(this.shared, WalkShared.WALKED, 0);
    clearTimeout(walk.budget);
    this.breakpoints.walkOver();
    this.stopHolding(walk);
    this.events.done(walk.request.id, outcome);
  }

  private startHolding(walk: ActiveWalk): void {
    if (walk.holding) return;
    walk.holding = true;
    this.hold.hold();
  }

  private stopHolding(walk: ActiveWalk): void {
    if (!walk.holding) return;
    walk.holding = false;
    this.hold.release();
  }
}
