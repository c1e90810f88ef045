import { targetListEntry, type TargetListEntry } from '../../shared/target-list-entry.js';
import type { HubTarget } from './target.js';

/**
 * The hub's `/json/list` entry for `target`, in `node --inspect`'s shape: its WebSocket is on
 * the hub at `authority` (the `Host` the debugger used, so tunnels advertise themselves).
 */
export function listEntry(target: HubTarget, authority: string): TargetListEntry {
  return targetListEntry(target, authority);
}

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
