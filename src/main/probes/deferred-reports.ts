import type { ProbeOutcome } from '../../shared/probes/capture-protocol.js';

/** Whatever an outcome is told to: a running probe's `report`. */
interface Reporter {
  report(outcome: ProbeOutcome): void;
}

/**
 * Outcomes settled while the app's thread is stopped (in a breakpoint's condition: a logpoint
 * formatted, the rate limit spent; or in a pause's capture call), told to the bridge worker once
 * it runs again: a message posted from inside V8's evaluation of a condition made a logpoint's
 * stop ~0.85 ms instead of ~0.55 (BENCHMARKS.md figure 11). They go on the next tick, before
 * anything the app queues after the line, and {@link DeferredReports.flush} sends them at once
 * when the probe's request ends, so the worker always hears a probe's outcome before its end.
 */
export class DeferredReports {
  private pending: { readonly to: Reporter; readonly outcome: ProbeOutcome }[] = [];

  /** Tells `to` of `outcome` once the condition that settled it has returned. */
  add(to: Reporter, outcome: ProbeOutcome): void {
    if (this.pending.push({ to, outcome }) === 1) process.nextTick(() => this.flush());
  }

  /** Sends every outcome still waiting (a no-op when none is). */
  flush(): void {
    if (this.pending.length === 0) return;
    const due = this.pending;
    this.pending = [];
    for (const { to, outcome } of due) to.report(outcome);
  }
}
