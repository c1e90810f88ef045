import type { Session } from 'node:inspector';
import { setTimeout as sleep } from 'node:timers/promises';
import { postAsync } from '../session-post.js';

/** One inspector command and what to do with its answer. */
export interface SlicedCommand<T> {
  readonly method: string;
  readonly params: object;
  readonly answered?: (result: T) => void;
  /** Called just before it is posted (a command of a cancelled run never is). */
  readonly posting?: () => void;
}

/** How long the main thread may stay busy with one slice, and how long it then runs freely. */
export interface SliceBudget {
  /** Target main-thread time of one slice, ms. */
  readonly sliceMs: number;
  /** Stops early (the work is no longer wanted) when this turns true. */
  readonly cancelled: () => boolean;
}

/** Small: one command may cost 0.03 ms or 10 (a breakpoint removal at 50,000), unknown until measured. */
const FIRST_SLICE = 2;
/** At most this many commands in a slice, whatever the last ones cost: V8's cost per breakpoint
 * removal grows as it goes (0.08 -> 0.44 ms on Node 22), so a big slice could overshoot by far. */
const MAX_SLICE = 256;

/**
 * Posts `commands` to the main thread in slices, so no single stop of its event loop lasts
 * much longer than `sliceMs`: each slice is posted at once (the inspector runs them back to
 * back on the main thread), its last answer awaited, and its size adapted to the time it took.
 * After each slice the main thread gets at least as long again to itself, so other requests
 * keep being served while thousands of breakpoints are set.
 *
 * Commands that fail are skipped (a script may be gone). Resolves once all ran or
 * `cancelled()` turned true; returns how many were posted.
 */
export async function postInSlices<T>(session: Session, commands: readonly SlicedCommand<T>[], budget: SliceBudget): Promise<number> {
  let size = FIRST_SLICE;
  let next = 0;
  while (next < commands.length && !budget.cancelled()) {
    const slice = commands.slice(next, next + size);
    next += slice.length;
    const started = performance.now();
    const answers = slice.map(({ method, params, answered, posting }) => {
      posting?.();
      return postAsync<T>(session, method, params).then((result) => answered?.(result), () => {});
    });
    await Promise.all(answers);
    const tookMs = performance.now() - started;
    // Aim at the target, never growing by more than half at once (the cost per command varies).
    const perCommand = tookMs / slice.length;
    size = Math.max(1, Math.min(MAX_SLICE, Math.ceil(size * 1.5), Math.floor(budget.sliceMs / Math.max(perCommand, 0.001))));
    if (next < commands.length) await sleep(Math.max(1, tookMs));
  }
  return next;
}
