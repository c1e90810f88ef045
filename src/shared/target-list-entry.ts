/**
 * One entry of a `/json/list` answer, as Node's own inspector writes it (`node --inspect`'s
 * /json/list): DevTools, VS Code and chrome-remote-interface read these fields. Served by the
 * bridge (src/worker/discovery.ts) and by `epdb connect`/`epdb listen`'s target hub
 * (src/cli/hub/discovery.ts), which must look alike.
 */
export interface TargetListEntry {
  readonly description: 'node.js instance';
  readonly devtoolsFrontendUrl: string;
  readonly devtoolsFrontendUrlCompat: string;
  readonly faviconUrl: string;
  readonly id: string;
  readonly title: string;
  readonly type: 'node';
  readonly url: string;
  readonly webSocketDebuggerUrl: string;
}

/**
 * The entry of target `id`, whose WebSocket is at `ws://AUTHORITY/ID` (`authority` as the client
 * wrote it in its Host header, so that the URLs work from where it stands).
 */
export function targetListEntry(target: { readonly id: string; readonly title: string; readonly url: string }, authority: string): TargetListEntry {
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
