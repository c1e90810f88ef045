import { Session } from 'node:inspector';
import { conditionFor } from '../../context/request-context.js';
import type { ClientHold } from '../client-hold.js';
import type { WalkOutcome } from '../messages.js';
import { postAsync } from '../session-post.js';
import { disableWhilePaused } from '../session-release.js';
import { isAppScript } from './app-code.js';
import { functionEntries, type FunctionEntry } from './function-entries.js';
import type { PauseLocation, StopLabel } from './stop-label.js';

/** How long the walk may look for the app's code before it gives up and lets the request go. */
export const WALK_BUDGET_MS = 10_000;

/** One knocked request whose first statement of app code the bridge looks for. */
export interface WalkRequest {
  readonly id: number;
  /** The request's context id (src/context/request-context.ts): breakpoints hold only in it. */
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
  readonly breakpoints: Set<string>;
  readonly budget: NodeJS.Timeout;
  /** Whether this walk holds the client's messages now. */
  holding: boolean;
}

/**
 * Walks a knocked request to the first statement of the app's own code that runs for it
 * (`EPDB_STOP_AT=app`), without stepping: on a session of its own, a breakpoint at the start of
 * every function of every app script, each with a condition that holds only in that request's
 * async context (so code running for other requests never stops, and the walk follows the
 * request across `await`s and callbacks). The first one hit is the stop the client sees: the
 * client gets that one `Debugger.paused` (every enabled session is told of every pause), once
 * this session has disabled itself, which also removes the breakpoints.
 */
export class Walker {
  private session: Session | null = null;
  private walk: ActiveWalk | null = null;
  /** scriptId -> url of every script V8 reported to this session. */
  private readonly scripts = new Map<string, string>();
  /** scriptId -> its function entries, parsed once per script. */
  private readonly entries = new Map<string, Promise<readonly FunctionEntry[]>>();

  constructor(private readonly hold: ClientHold, private readonly events: WalkerEvents, private readonly label: StopLabel) {}

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
      breakpoints: new Set(),
      budget: setTimeout(() => this.onBudgetSpent(walk), WALK_BUDGET_MS),
      holding: false,
    };
    this.walk = walk;
    this.startHolding(walk);
    this.setBreakpoints(walk).then(
      () => {
        if (this.walk !== walk) return done(false);
        walk.phase = 'armed';
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

  /** The client went away: the walk has no one to stop for. */
  clientGone(): void {
    if (this.walk !== null) this.finish('detached');
  }

  private async setBreakpoints(walk: ActiveWalk): Promise<void> {
    const session = this.connected();
    // Enabling reports every script again (Debugger.scriptParsed) before it answers.
    await postAsync(session, 'Debugger.enable');
    const condition = conditionFor(walk.request.context);
    const appScripts = [...this.scripts].filter(([, url]) => isAppScript(url)).map(([scriptId]) => scriptId);
    await Promise.all(appScripts.map(async (scriptId) => {
      for (const { lineNumber, columnNumber } of await this.entriesOf(session, scriptId)) {
        if (this.walk !== walk) return;
        // Not awaited one by one: the inspector takes them in order, in one go.
        void postAsync<{ breakpointId: string }>(session, 'Debugger.setBreakpoint', { location: { scriptId, lineNumber, columnNumber }, condition })
          .then(({ breakpointId }) => walk.breakpoints.add(breakpointId), () => {});
      }
    }));
    // A round trip behind every setBreakpoint: once it answers, they all have.
    await postAsync(session, 'Runtime.evaluate', { expression: '0', silent: true });
  }

  private entriesOf(session: Session, scriptId: string): Promise<readonly FunctionEntry[]> {
    let entries = this.entries.get(scriptId);
    if (entries === undefined) {
      entries = postAsync<{ scriptSource: string }>(session, 'Debugger.getScriptSource', { scriptId })
        .then(({ scriptSource }) => functionEntries(scriptSource), () => []);
      this.entries.set(scriptId, entries);
    }
    return entries;
  }

  private connected(): Session {
    if (this.session !== null) return this.session;
    const session = new Session();
    session.connectToMainThread();
    session.on('Debugger.scriptParsed', ({ params }) => this.scripts.set(params.scriptId, params.url));
    session.on('Debugger.paused', ({ params }) => this.onPaused(params.hitBreakpoints ?? [], params.callFrames[0]?.location));
    session.on('Debugger.resumed', () => this.onResumed());
    this.session = session;
    return session;
  }

  private onPaused(hitBreakpoints: readonly string[], top: PauseLocation | undefined): void {
    const walk = this.walk;
    if (walk === null || walk.phase === 'arming') return;
    if (hitBreakpoints.some((id) => walk.breakpoints.has(id))) {
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

  /** Ends the walk: disable the session (which removes its breakpoints), let the client see. */
  private finish(outcome: WalkOutcome): void {
    const walk = this.walk;
    if (walk === null) return;
    this.walk = null;
    clearTimeout(walk.budget);
    const release = (): void => this.stopHolding(walk);
    if (this.session !== null) disableWhilePaused(this.session, release);
    else release();
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
