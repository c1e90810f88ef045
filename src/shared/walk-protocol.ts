/**
 * What the walk's two halves agree on: the bridge worker sets the walk's breakpoints with
 * {@link walkConditionFor}, the main thread answers the condition (src/main/request-context.ts),
 * and both read and write the memory they share by the indices of {@link WalkShared}.
 */

/** Where the walk's shared memory keeps what (Int32 indices). */
export const WalkShared = {
  /** The walked request's context id, 0: none. */
  WALKED: 0,
  /** How many passes were reported so far (the ring's write count). */
  PASSES: 1,
  /** The first slot of the ring of breakpoint indices that other requests passed. */
  RING: 2,
  RING_SIZE: 4096,
} as const;

/** Where the walk's breakpoint condition finds its check (see {@link walkConditionFor}). */
export const WALK_CONDITION_HOOK = Symbol.for('epdb.inWalk');

/**
 * The condition of the walk's breakpoint number `index`: true only in the walked request's
 * context; elsewhere false, and the pass is reported. It never throws, even before the hook is
 * installed.
 */
export function walkConditionFor(index: number): string {
  return `(globalThis[Symbol.for('epdb.inWalk')]?.(${Number(index)}) === true)`;
}
