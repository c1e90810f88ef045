import type { ProbeResult } from '../../shared/probes/probe-result.js';

export type { ProbeResult, ProbeState } from '../../shared/probes/probe-result.js';

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
