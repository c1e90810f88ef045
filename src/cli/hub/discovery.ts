import type { HubTarget } from './target.js';

/**
 * The targets in the order debuggers see them: those holding a knocked request first (in hop
 * order for a followed request's processes, else the longest held first), then the rest as they came.
 */
export function listOrder(targets: Iterable<HubTarget>): HubTarget[] {
  const all = [...targets];
  const held = all.filter((target) => target.heldSince !== null)
    .sort((a, b) => ((a.hop ?? 0) - (b.hop ?? 0)) || ((a.heldSince as number) - (b.heldSince as number)));
  return [...held, ...all.filter((target) => target.heldSince === null)];
}
