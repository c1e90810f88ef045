import type { ThrownException } from './thrown-exception.js';
import type { ProbeKind } from '../../shared/probes/spec.js';
import type { EvaluatedExpression, FrameState, StackFrame } from './snapshot.js';

/** Where a probe stands: armed and waiting for its line, or settled one way or the other. */
export type ProbeState = 'armed' | 'taken' | 'not-taken';

/** A probe's result, as `GET /epdb/probes/ID` serves it. */
export interface ProbeResult {
  readonly id: string;
  readonly kind: ProbeKind;
  /** `FILE:LINE` as the knock gave it. */
  readonly at: string;
  /** `GET /orders/42`. */
  readonly request: string;
  readonly armedAt: string;
  state: ProbeState;
  taken: boolean;
  /** Why it was not taken: not reached, not armed (no such file), rate limit. */
  reason?: string;
  /** Where the breakpoint was set: the generated script, 1-based line; `source` for a mapped file. */
  location?: { readonly file: string; readonly line: number; readonly source?: string };
  settledAt?: string;
  /**
   * Main-thread time stopped for the capture, in ms: from the condition letting the pause
   * happen to the resume, or the condition's own time for a logpoint formatted in it.
   */
  stoppedMs?: number;
  /** Where it was captured: in the breakpoint's condition (no pause), or on a pause. */
  capturedIn?: 'condition' | 'pause';
  /** Size of the capture's JSON. */
  bytes?: number;
  truncated?: boolean;
  stack?: readonly StackFrame[];
  frames?: readonly FrameState[];
  expressions?: readonly EvaluatedExpression[];
  /** A logpoint's formatted message. */
  message?: string;
  /** An on-throw snapshot's exception (its throw site is `location` and the top of `stack`). */
  exception?: ThrownException;
}

/** How many results the bridge keeps. */
export const KEPT_RESULTS = 100;
/** How long the bridge keeps a settled result. */
export const KEPT_FOR_MS = 10 * 60_000;

/** Called once for each result as it settles: the hook for pushing results (e.g. to `epdb listen`). */
export type ResultListener = (result: Readonly<ProbeResult>) => void;

/**
 * The last {@link KEPT_RESULTS} probe results for {@link KEPT_FOR_MS}, with waiters for the
 * ones still armed and listeners told of each settled result.
 */
export class ProbeResults {
  private readonly byId = new Map<string, { result: ProbeResult; since: number }>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly listeners = new Set<ResultListener>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds the result of a probe being armed. */
  add(result: ProbeResult): void {
    this.prune();
    this.byId.delete(result.id);
    this.byId.set(result.id, { result, since: this.now() });
    while (this.byId.size > KEPT_RESULTS) this.byId.delete(this.byId.keys().next().value as string);
  }

  get(id: string): ProbeResult | undefined {
    this.prune();
    return this.byId.get(id)?.result;
  }

  /** Every kept result, newest first. */
  list(): ProbeResult[] {
    this.prune();
    return [...this.byId.values()].map((entry) => entry.result).reverse();
  }

  /** Marks `result` settled (taken or not): wakes its waiters and tells the listeners. */
  settle(result: ProbeResult): void {
    result.settledAt = new Date(this.now()).toISOString();
    for (const wake of this.waiters.get(result.id) ?? []) wake();
    this.waiters.delete(result.id);
    for (const listener of this.listeners) {
      try {
        listener(result);
      } catch {
        // A listener's failure must not lose the result for the others.
      }
    }
  }

  /** Resolves once result `id` is settled, or after `ms` (whichever first). */
  waitForSettled(id: string, ms: number): Promise<void> {
    const result = this.get(id);
    if (result === undefined || result.state !== 'armed' || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, waiters);
      const wake = (): void => {
        clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      waiters.add(wake);
    });
  }

  /**
   * Calls `listener` with each result as it settles, until the returned function is called.
   * This is where another transport (the reverse connect to `epdb listen`) takes results from.
   */
  onPublished(listener: ResultListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private prune(): void {
    const oldest = this.now() - KEPT_FOR_MS;
    for (const [id, entry] of this.byId) {
      if (entry.since >= oldest) break;
      if (entry.result.state !== 'armed') this.byId.delete(id);
    }
  }
}
