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
 * The breakpoint condition that holds only in request `id`'s context. It never throws, even
 * before the hook is installed, so a breakpoint set with it cannot stop anything by mistake.
 */
export function conditionFor(id: RequestContextId): string {
  return `(globalThis[Symbol.for('epdb.inRequest')]?.(${Number(id)}) === true)`;
}
