import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToCompletion } from './child.mjs';
import { REPO_ROOT } from './paths.mjs';

const PM2 = join(REPO_ROOT, 'node_modules', '.bin', 'pm2');

/**
 * A pm2 of the test's own: a fresh PM2_HOME, so its daemon is not the user's, and a cleanup
 * (registered with `t.after`) that deletes the apps, kills the daemon, and makes sure it is gone:
 * a `pm2 kill` that fails or times out would otherwise leave the daemon and its instances
 * running after the suite.
 * @param {{ after: (fn: () => any) => void }} t
 * @param {(home: string) => Record<string, string>} envFor the daemon's environment, given its PM2_HOME
 * @returns {Promise<{ home: string, env: Record<string, string>, pm2: (...args: string[]) => Promise<{ stdout: string, stderr: string }> }>}
 */
export async function ownPm2(t, envFor) {
  const home = await mkdtemp(join(tmpdir(), 'epdb-pm2-'));
  const env = envFor(home);
  const pm2 = (...args) => runToCompletion(PM2, args, { env, timeoutMs: 30_000 });
  t.after(async () => {
    await pm2('delete', 'all').catch(() => {});
    await pm2('kill').catch(() => {});
    const daemon = Number(await readFile(join(home, 'pm2.pid'), 'utf8').catch(() => ''));
    if (daemon > 0) {
      // SIGKILL to the daemon's process group takes its cluster instances with it.
      for (const target of [-daemon, daemon]) {
        try { process.kill(target, 'SIGKILL'); } catch { /* gone already */ }
      }
    }
    await rm(home, { recursive: true, force: true });
  });
  return { home, env, pm2 };
}
