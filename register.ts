/**
 * The preload: `node --import epdb/register app.mjs` or `node --require epdb/register app.js`.
 * Reads `EPDB_*` and instruments the process; nothing else.
 */
import { appEnvironment } from './src/main/app-environment.js';
import { onWorkerThread } from './src/shared/thread.js';

// Under pm2's cluster mode the app's EPDB_* arrive packed in pm2_env (see app-environment.ts).
const env = appEnvironment(process.env);

// With EPDB_BACKEND unset, empty or `off` (the first test readConfig makes) the preload loads
// nothing more.
const requested = !['', 'off'].includes((env['EPDB_BACKEND'] ?? '').trim().toLowerCase());

// Worker threads inherit the preload; only the main thread serves the app's requests (and the
// bridge's own worker must never gate itself).
if (requested && !onWorkerThread()) {
  (require('./src/main/install.js') as typeof import('./src/main/install.js')).instrumentFromEnvironment(env);
}
