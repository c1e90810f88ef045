import { setTimeout as sleep } from 'node:timers/promises';
import type { MainThreadSession } from '../main-thread-session.js';

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
  /** At most this many commands in a slice, whatever the last ones cost (default 256). */
  readonly maxSlice?: number;
}

/** Small: one command may cost 0.03 ms or 10 (a breakpoint removal at 50,000), unknown until measured. */
const FIRST_SLICE = 2;
/** At most this many commands in a slice by default: the cost of the next ones is a guess. */
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
export async function postInSlices<T>(session: MainThreadSession, commands: readonly SlicedCommand<T>[], budget: SliceBudget): Promise<number> {
  let size = FIRST_SLICE;
  let next = 0;
  while (next < commands.length && !budget.cancelled()) {
    const slice = commands.slice(next, next + size);
    next += slice.length;
    const tookMs = await postSlice(session, slice);
    size = nextSliceSize(size, tookMs / slice.length, budget);
    if (next < commands.length) await sleep(Math.max(1, tookMs));
  }
  return next;
}

/**
 * Posts commands given oldest first (breakpoint removals in the order their breakpoints were
 * set) in slices as {@link postInSlices} does, taking each slice from whichever end of the list
 * V8 has lately handled faster. V8 finds a breakpoint to remove by scanning its list of
 * functions with debug info from one end, so one end may cost 0.03 ms a removal and the other
 * 10 ms at 50,000 functions; which one depends on the V8 version (the newest on Node 20, the
 * oldest on 22) and on what else created debug info meanwhile. Every 16th slice tries the other
 * end with a single command, so a change is seen at the cost of one removal.
 *
 * Resolves once all ran or `cancelled()` turned true; returns how many were posted.
 */
export async function postFromCheaperEnd<T>(session: MainThreadSession, oldestFirst: readonly SlicedCommand<T>[], budget: SliceBudget): Promise<number> {
  const cost = { oldest: Number.NaN, newest: Number.NaN };
  let front = 0;
  let back = oldestFirst.length;
  // One at first: a removal from the wrong end costs up to ~10 ms.
  let size = 1;
  for (let slices = 0; front < back && !budget.cancelled(); slices++) {
    let end: 'oldest' | 'newest' = cost.oldest <= cost.newest || Number.isNaN(cost.newest) ? 'oldest' : 'newest';
    let count = size;
    if (Number.isNaN(cost[end === 'oldest' ? 'newest' : 'oldest']) && slices > 0 || slices % 16 === 15) {
      // A sample of the other end: one command, as it may be the slow one.
      end = end === 'oldest' ? 'newest' : 'oldest';
      count = 1;
    }
    count = Math.min(count, back - front);
    const slice = end === 'oldest' ? oldestFirst.slice(front, front + count) : oldestFirst.slice(back - count, back).reverse();
    if (end === 'oldest') front += count;
    else back -= count;
    const tookMs = await postSlice(session, slice);
    cost[end] = tookMs / count;
    size = nextSliceSize(size, Math.min(cost.oldest, Number.isNaN(cost.newest) ? Infinity : cost.newest), budget);
    if (front < back) await sleep(Math.max(1, tookMs));
  }
  return oldestFirst.length - (back - front);
}

/** Posts `slice` at once; resolves with the ms until its last answer. */
async function postSlice<T>(session: MainThreadSession, slice: readonly SlicedCommand<T>[]): Promise<number> {
  const started = performance.now();
  await Promise.all(slice.map(({ method, params, answered, posting }) => {
    posting?.();
    return session.post<T>(method, params).then((result) => answered?.(result), () => {});
  }));
  return performance.now() - started;
}

/** The size of the next slice: aimed at the budget, never growing by more than half at once. */
function nextSliceSize(size: number, perCommandMs: number, budget: SliceBudget): number {
  return Math.max(1, Math.min(budget.maxSlice ?? MAX_SLICE, Math.ceil(size * 1.5), Math.floor(budget.sliceMs / Math.max(perCommandMs, 0.001))));
}
