/**
 * Whether the client that sent `Debugger.enable` with `params` is Chrome DevTools' front end,
 * recognised by the `maxScriptsCacheSize` that its DebuggerModel always sends (VS Code's
 * js-debug and `node inspect` send none).
 *
 * It matters for source maps: DevTools loads a map only through the target, and never one
 * whose URL is `file:`, so it is given its maps' URLs under the bridge's remote origin. Other
 * clients read maps from the developer's disk by their `file:` URL (VS Code maps the server's
 * paths to the checkout with `localRoot`/`remoteRoot`, and ignores a map whose URL is outside
 * `resolveSourceMapLocations`): they get the URL as V8 gives it.
 */
export function isDevToolsFrontEnd(params: unknown): boolean {
  return typeof params === 'object' && params !== null && 'maxScriptsCacheSize' in params;
}
