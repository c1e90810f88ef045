'use strict';
// Figure 6, one process: where the preload's start-up time goes, module by module, in the
// order `register` loads them with EPDB_BACKEND=jwt (each step includes what it pulls in that
// earlier steps did not). Prints JSON { [step]: ms }.
const { performance } = require('node:perf_hooks');
const path = require('node:path');

const dist = path.join(__dirname, '..', '..', 'dist');
const steps = [
  ['node:worker_threads (isMainThread)', () => require('node:worker_threads')],
  ['config reader (+ node:net)', () => require(path.join(dist, 'src/shared/config.js'))],
  ['log', () => require(path.join(dist, 'src/shared/log.js'))],
  ['node:http (an HTTP app loads it anyway)', () => require('node:http')],
  ['shimmer', () => require('shimmer')],
  ['knock parsing and verification', () => require(path.join(dist, 'src/shared/knock/verify.js'))],
  ['knock header scan', () => require(path.join(dist, 'src/shared/knock/header.js'))],
  ['instrumentation (rest)', () => require(path.join(dist, 'src/main/instrument/index.js'))],
  ['JWT backend', () => require(path.join(dist, 'src/shared/backends/jwt.js'))],
  ['install', () => require(path.join(dist, 'src/main/install.js'))],
  ['require-in-the-middle (https/http2 not loaded yet)', () => require('require-in-the-middle')],
  ['instrumentFromEnvironment() (read env, make backend, wrap, hook require)', () => require(path.join(dist, 'src/main/install.js'))
    .instrumentFromEnvironment({ EPDB_BACKEND: 'jwt', EPDB_KEY: 'epdb-bench-only-secret-0123456789abcdef' })],
];
const result = {};
for (const [name, step] of steps) {
  const start = performance.now();
  step();
  result[name] = performance.now() - start;
}
process.stdout.write(`${JSON.stringify(result)}\n`);
