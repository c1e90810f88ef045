'use strict';
// Figure 6, one process: where the preload's start-up time goes with EPDB_BACKEND=jwt. The
// preload is one bundled file (dist/preload.js); the built-ins it needs are timed first, each
// on its own (each step includes what it pulls in that earlier steps did not), then the bundle
// itself: parsing it, and running register (read env, make the backend, wrap, hook require).
// Prints JSON { [step]: ms }.
const { performance } = require('node:perf_hooks');
const path = require('node:path');

const dist = path.join(__dirname, '..', '..', 'dist');
process.env.EPDB_BACKEND = 'jwt';
process.env.EPDB_KEY = 'epdb-bench-only-secret-0123456789abcdef';
const steps = [
  ['node:net (the config reader checks EPDB_HOST)', () => require('node:net')],
  ['node:async_hooks', () => require('node:async_hooks')],
  ['the preload bundle: load, and run register', () => require(path.join(dist, 'preload.js'))],
];
const result = {};
for (const [name, step] of steps) {
  const start = performance.now();
  step();
  result[name] = performance.now() - start;
}
process.stdout.write(`${JSON.stringify(result)}\n`);
