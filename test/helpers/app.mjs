import { cleanEnv, spawnChild } from './child.mjs';
import { fixtureApp } from './paths.mjs';

/**
 * How the epdb preload is put in front of the app:
 * - `import` / `require`: `node --import epdb/register app` / `node --require epdb/register app`
 * - `import-options` / `require-options`: the same flag through `NODE_OPTIONS`
 * - `none`: plain `node app` (no epdb at all)
 * @typedef {'import' | 'require' | 'import-options' | 'require-options' | 'none'} Preload
 */

/** The preload modes that load epdb, for tests that loop over all of them. */
export const PRELOADS = /** @type {const} */ (['import', 'require']);

/**
 * The node arguments and NODE_OPTIONS for a preload mode.
 * @param {Preload} preload
 * @returns {{ args: string[], nodeOptions: string | undefined }}
 */
export function preloadArgs(preload) {
  switch (preload) {
    case 'import': return { args: ['--import', 'epdb/register'], nodeOptions: undefined };
    case 'require': return { args: ['--require', 'epdb/register'], nodeOptions: undefined };
    case 'import-options': return { args: [], nodeOptions: '--import epdb/register' };
    case 'require-options': return { args: [], nodeOptions: '--require epdb/register' };
    case 'none': return { args: [], nodeOptions: undefined };
    default: throw new Error(`unknown preload mode ${preload}`);
  }
}

/**
 * A fixture app that is up: it printed `listening <port>` (the fixture protocol).
 * @typedef {import('./child.mjs').Child & { port: number, preload: Preload, app: string }} RunningApp
 */

/**
 * Starts a fixture app from test/fixtures/apps under a preload mode and waits until it
 * prints `listening <port>` on stdout. The child is killed when the test ends.
 *
 * @param {{ after: (fn: () => any) => void }} t the test (for cleanup)
 * @param {object} options
 * @param {string} options.app file name in test/fixtures/apps (or an absolute path)
 * @param {Preload} [options.preload] default `import`
 * @param {Record<string, string | undefined>} [options.env] EPDB_* and FIXTURE_* variables; added to {@link cleanEnv}
 * @param {string[]} [options.nodeArgs] extra node flags, before the preload flags
 * @param {number} [options.timeoutMs] how long to wait for `listening`, default 15 s
 * @returns {Promise<RunningApp>}
 */
export async function startApp(t, { app, preload = 'import', env = {}, nodeArgs = [], timeoutMs = 15_000 }) {
  const { args, nodeOptions } = preloadArgs(preload);
  const script = app.startsWith('/') ? app : fixtureApp(app);
  const childEnv = cleanEnv({ ...env, NODE_OPTIONS: [env.NODE_OPTIONS, nodeOptions].filter(Boolean).join(' ') || undefined });
  const child = spawnChild(process.execPath, [...nodeArgs, ...args, script], { env: childEnv, t });
  const [, port] = await child.stdout.waitForLine(/^listening (\d+)$/, { timeoutMs });
  return { ...child, port: Number(port), preload, app };
}
