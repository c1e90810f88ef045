import { AsyncLocalStorage } from 'node:async_hooks';

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
 * The request the walk to the app's code looks for now (0: none), shared with the bridge worker,
 * which writes it: the walk's breakpoints stay set between knocks with one condition for every
 * request, and the worker turns them off the instant they stopped, while the main thread is
 * still paused (so a step or resume cannot hit the next one).
 */
let walkSlot: Int32Array | null = null;

/** The shared memory of the walked request's id, made on first use (for the bridge's worker data). */
export function walkSlotBuffer(): SharedArrayBuffer {
  walkSlot ??= new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  (globalThis as GlobalWithWalkHook)[WALK_CONDITION_HOOK] ??= isInWalkedRequest;
  return walkSlot.buffer as SharedArrayBuffer;
}

/** Where the walk's breakpoint condition finds its check (see {@link WALK_CONDITION}). */
export const WALK_CONDITION_HOOK = Symbol.for('epdb.inWalk');
type GlobalWithWalkHook = typeof globalThis & { [WALK_CONDITION_HOOK]?: () => boolean };

/** Whether the code running now works for the request the bridge's walk looks for. */
export function isInWalkedRequest(): boolean {
  if (walkSlot === null) return false;
  const id = Atomics.load(walkSlot, 0);
  return id !== 0 && tracked.has(id) && storage.getStore() === id;
}

/**
 * The condition of every breakpoint of the walk: true only in the walked request's context. It
 * never throws, even before the hook is installed.
 */
export const WALK_CONDITION = `(globalThis[Symbol.for('epdb.inWalk')]?.() === true)`;

/**
 * The breakpoint condition that holds only in request `id`'s context. It never throws, even
 * before the hook is installed, so a breakpoint set with it cannot stop anything by mistake.
 */
export function conditionFor(id: RequestContextId): string {
  return `(globalThis[Symbol.for('epdb.inRequest')]?.(${Number(id)}) === true)`;
}
