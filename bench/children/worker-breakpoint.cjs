'use strict';
// What V8 itself charges under figure 7, with a breakpoint set by a worker thread's inspector
// session (as epdb's bridge does) and nothing of epdb's capture:
//   node bench/children/worker-breakpoint.cjs pause-floor COUNT
//     the main-thread stop of a bare pause on an Express handler's line, resumed at once on
//     `Debugger.paused`: prints the COUNT stops in ms as JSON
//   node bench/children/worker-breakpoint.cjs condition-cost CALLS
//     the cost of one run of a line with a conditional breakpoint whose condition is false (`false`,
//     and epdb's own), CALLS runs each: prints `{ <variant>: microseconds a run }` as JSON
const { readFileSync } = require('node:fs');
const { pathToFileURL } = require('node:url');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

/** The 0-based line of this file that carries `@probe NAME`. */
function markedLine(name) {
  return readFileSync(__filename, 'utf8').split('\n').findIndex((text) => text.includes(`@probe ${name}`));
}

/** Starts the worker with a breakpoint on line `marker` (with `condition`), once it is set. */
async function breakpointWorker(marker, condition) {
  const worker = new Worker(__filename, { workerData: { line: markedLine(marker), condition } });
  await new Promise((resolve) => worker.once('message', resolve));
  return worker;
}

function pauseFloor(count) {
  const express = require('express');
  const app = express();
  const stops = [];
  app.get('/orders/:id', (req, res) => {
    const order = { id: Number(req.params.id), items: [{ sku: 'tea', qty: 2, price: 4.5 }] };
    const before = performance.now();
    const probed = order.id; // @probe floor
    stops.push(performance.now() - before);
    res.json({ probed });
  });
  const server = app.listen(0, '127.0.0.1', async () => {
    await breakpointWorker('floor', '');
    const { port } = server.address();
    for (let i = 0; i < count + 5; i++) await fetch(`http://127.0.0.1:${port}/orders/${i}`).then((response) => response.text());
    process.stdout.write(`${JSON.stringify(stops.slice(5))}\n`);
    process.exit(0);
  });
}

async function conditionCost(calls) {
  // epdb's condition calls its request-context check; nothing is tracked here, so it is false.
  const probed = require('../../dist/src/probes/probed-requests.js');
  probed.markProbed(-1);
  function hot(i) {
    const next = i + 1; // @probe condition
    return next;
  }
  const microsPerRun = () => {
    const started = performance.now();
    let sum = 0;
    for (let i = 0; i < calls; i++) sum += hot(i);
    if (sum < 0) throw new Error('unreachable');
    return ((performance.now() - started) / calls) * 1000;
  };
  const results = { 'no breakpoint': microsPerRun() };
  for (const [variant, condition] of [['condition false', 'false'], ["epdb's condition", probed.PROBED_REQUEST_CONDITION]]) {
    const worker = await breakpointWorker('condition', condition);
    microsPerRun();
    results[variant] = microsPerRun();
    await worker.terminate();
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
  process.exit(0);
}

if (isMainThread) {
  const [mode, count] = process.argv.slice(2);
  if (mode === 'pause-floor') pauseFloor(Number(count ?? 30));
  else if (mode === 'condition-cost') void conditionCost(Number(count ?? 5000));
  else throw new Error(`unknown mode ${mode}`);
} else {
  const { Session } = require('node:inspector');
  const session = new Session();
  session.connectToMainThread();
  setInterval(() => {}, 60_000); // an inspector session does not keep a worker alive
  const post = (method, params = {}) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  session.on('Debugger.paused', () => {
    void Promise.all([post('Runtime.releaseObjectGroup', { objectGroup: 'backtrace' }), post('Debugger.resume')]);
  });
  void (async () => {
    await post('Debugger.enable');
    await post('Debugger.setBreakpointByUrl', { url: pathToFileURL(__filename).href, lineNumber: workerData.line, condition: workerData.condition });
    parentPort.postMessage('armed');
  })();
}
