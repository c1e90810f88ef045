/**
 * The preload: `node --import epdb/register app.mjs` or `node --require epdb/register app.js`.
 * Reads `EPDB_*` and instruments the process; nothing else.
 */
import { isMainThread } from 'node:worker_threads';
import { instrumentFromEnvironment } from './src/install.js';

// Worker threads inherit the preload; only the main thread serves the app's requests (and the
// bridge's own worker must never gate itself).
if (isMainThread) instrumentFromEnvironment(process.env);
