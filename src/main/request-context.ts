import { AsyncLocalStorage } from 'node:async_hooks';
import { WALK_CONDITION_HOOK, WalkShared } from '../shared/walk-protocol.js';

/**
 * Which knocked request the running code works for, followed across async continuations.
 *
 * The walk to the app's code and the probes arm breakpoints that other requests pass too; a
 * breakpoint's condition asks {@link CONDITION_HOOK} whether the code that reached it runs for
 * the knocked request (its async context), so nothing ever stops for another request.
 *
 * The storage is enabled only while some request is tracked: AsyncLocalStorage makes every new
 * async resource of the process pay for propagation, which unknocked requests must not pay
 * while no one debugs.
 */
const storage = new AsyncLocalStorage<number>();
/** Requests whose code is being looked for now (by the walk or a probe). */
const tracked = new Set<number>();
let nextId = 1;

/** Where a breakpoint condition finds the check; a symbol, so no app global can clash with it. */
export const CONDITION_HOOK = Symbol.for('epdb.inRequest');
type GlobalWithHook = typeof globalThis & { [CONDITION_HOOK]?: (id: number) => boolean };

/** A number naming one knocked request in breakpoint conditions and bridge messages. */
export type RequestContextId = number;

/** Opens a new request context and tracks it until {@link untrack}; returns its id. */
export function openRequestContext(): RequestContextId {
  const id = nextId++;
  tracked.add(id);
  (globalThis as GlobalWithHook)[CONDITION_HOOK] ??= isInRequestContext;
  return id;
}

/** Runs `fn` (which hands the request to the app) in request context `id`. */
export function runInRequestContext(id: RequestContextId, fn: () => void): void {
  storage.run(id, fn);
}

/** Whether the code running now works for request `id` while it is tracked. */
export function isInRequestContext(id: RequestContextId): boolean {
  return tracked.has(id) && storage.getStore() === id;
}

/** Stops tracking `id`; the storage is disabled once no request is tracked. */
export function untrack(id: RequestContextId): void {
  tracked.delete(id);
  if (tracked.size === 0) storage.disable();
}

/**
 * Memory shared with the bridge worker for the walk to the app's code ({@link WalkShared}): the
 * walk's breakpoints stay set between knocks with one condition for every request, so the id of
 * the request the walk looks for lives here (the worker writes it, and clears it the instant the
 * walk stopped, while the main thread is still paused); and each breakpoint another request
 * passes is reported here, so the worker can take it away (a condition costs hundreds of
 * microseconds a call, which the app's hot functions must not pay between knocks).
 */
let walkShared: Int32Array | null = null;

/** The walk's shared memory, made on first use (for the bridge's worker data). */
export function walkSharedBuffer(): SharedArrayBuffer {
  if (walkShared === null) {
    walkShared = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (WalkShared.RING + WalkShared.RING_SIZE)));
    (globalThis as GlobalWithWalkHook)[WALK_CONDITION_HOOK] ??= walkCondition;
  }
  return walkShared.buffer as SharedArrayBuffer;
}

type GlobalWithWalkHook = typeof globalThis & { [WALK_CONDITION_HOOK]?: (index: number) => boolean };

function walkCondition(index: number): boolean {
  const shared = walkShared;
  if (shared === null) return false;
  const id = Atomics.load(shared, WalkShared.WALKED);
  if (id !== 0 && tracked.has(id) && storage.getStore() === id) return true;
  const pass = Atomics.add(shared, WalkShared.PASSES, 1);
  Atomics.store(shared, WalkShared.RING + (pass % WalkShared.RING_SIZE), index);
  return false;
}

/**
 * The breakpoint condition that holds only in request `id`'s context. It never throws, even
 * before the hook is installed, so a breakpoint set with it cannot stop anything by mistake.
 */
export function conditionFor(id: RequestContextId): string {
  return `(globalThis[Symbol.for('epdb.inRequest')]?.(${Number(id)}) === true)`;
}
