/**
 * The `EPDB_*` variables the app runs with. Under pm2's cluster mode they are not in
 * `process.env` yet when the preload runs: pm2 forks each instance with its app's whole
 * environment packed in one `pm2_env` JSON variable, which its `ProcessContainer.js` (the
 * instance's main module) unpacks into `process.env` after the preloads. So, when `pm2_env` is
 * there, its `EPDB_*` values are taken over `process.env`'s, as pm2 itself will apply them.
 * A `pm2_env` that does not parse is ignored.
 */
export function appEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const packed = env['pm2_env'];
  if (packed === undefined) return env;
  let parsed: unknown;
  try {
    parsed = JSON.parse(packed);
  } catch {
    return env;
  }
  if (typeof parsed !== 'object' || parsed === null) return env;
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const [name, value] of Object.entries(parsed)) {
    if (name.startsWith('EPDB_') && typeof value === 'string') merged[name] = value;
  }
  return merged;
}
