import type { HubTarget } from './target.js';

/**
 * The hub's `/json/list` entry for `target`, in `node --inspect`'s shape: its WebSocket is on
 * the hub at `authority` (the `Host` the debugger used, so tunnels advertise themselves).
 */
export function listEntry(target: HubTarget, authority: string): Record<string, string> {
  const ws = `${authority}/${target.id}`;
  return {
    description: 'node.js instance',
    devtoolsFrontendUrl: `devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=${ws}`,
    devtoolsFrontendUrlCompat: `devtools://devtools/bundled/inspector.html?experiments=true&v8only=true&ws=${ws}`,
    faviconUrl: 'https://nodejs.org/static/images/favicons/favicon.ico',
    id: target.id,
    title: target.title,
    type: 'node',
    url: target.url,
    webSocketDebuggerUrl: `ws://${ws}`,
  };
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
