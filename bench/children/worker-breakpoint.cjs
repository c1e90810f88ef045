'use strict';
// What V8 itself charges under figure 7, with a breakpoint set by a worker thread's inspector
// session (as epdb's bridge does) and nothing of epdb's capture:
//   node bench/children/worker-breakpoint.cjs pause-floor COUNT
//     the main-thread stop of a bare pause on an Express handler's line, resumed at once on
//     `Debugger.paused`: prints the COUNT stops in ms as JSON
//   node bench/children/worker-breakpoint.cjs pause-floor-in-context COUNT
//     the same, with the request running in an AsyncLocalStorage context, as a knocked one does
//   node bench/children/worker-breakpoint.cjs condition-floor COUNT
//     the main-thread stop of a run of that line through a breakpoint with the condition `false`,
//     set just before the request and removed after it, one request every 150 ms (as a probe's
//     knocks come): what any conditional breakpoint costs there, in ms as JSON
//   node bench/children/worker-breakpoint.cjs condition-cost CALLS
//     the cost of one run of a line with a conditional breakpoint whose condition is false (`false`,
//     and epdb's own), CALLS runs each in 9 rotating rounds: prints `{ <variant>: median
//     microseconds a run }` as JSON
const { readFileSync } = require('node:fs');
const { pathToFileURL } = require('node:url');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

/** The 0-based line of this file that carries `@probe NAME`. */
function markedLine(name) {
  return readFileSync(__filename, 'utf8').split('\n').findIndex((text) => text.includes(`@probe ${name}`));
}

/** Starts the worker with a breakpoint on line `marker` (with `condition`), once it is set. */
async function breakpointWorker(marker, condition, onDemand = false) {
  const worker = new Worker(__filename, { workerData: { line: markedLine(marker), condition, onDemand } });
  await new Promise((resolve) => worker.once('message', resolve));
  return worker;
}

function expressLine(onListening, inContext = false) {
  const express = require('express');
  const app = express();
  const stops = [];
  if (inContext) {
    // As epdb runs a knocked request: inside an AsyncLocalStorage context (promise hooks on).
    const storage = new (require('node:async_hooks').AsyncLocalStorage)();
    app.use((req, res, next) => storage.run(1, next));
  }
  app.get('/orders/:id', (req, res) => {
    const order = { id: Number(req.params.id), items: [{ sku: 'tea', qty: 2, price: 4.5 }] };
    const before = performance.now();
    const probed = order.id; // @probe floor
    stops.push(performance.now() - before);
    res.json({ probed });
  });
  const server = app.listen(0, '127.0.0.1', () => void onListening(server.address().port, stops));
}

function pauseFloor(count, inContext = false) {
  expressLine(async (port, stops) => {
    await breakpointWorker('floor', '');
    for (let i = 0; i < count + 5; i++) await fetch(`http://127.0.0.1:${port}/orders/${i}`).then((response) => response.text());
    process.stdout.write(`${JSON.stringify(stops.slice(5))}\n`);
    process.exit(0);
  }, inContext);
}

function conditionFloor(count) {
  expressLine(async (port, stops) => {
    const worker = await breakpointWorker('floor', 'false', true);
    const tell = (what) => new Promise((resolve) => { worker.once('message', resolve); worker.postMessage(what); });
    for (let i = 0; i < count + 5; i++) {
      await tell('set');
      await fetch(`http://127.0.0.1:${port}/orders/${i}`).then((response) => response.text());
      await tell('remove');
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    process.stdout.write(`${JSON.stringify(stops.slice(5))}\n`);
    process.exit(0);
  });
}

async function conditionCost(calls) {
  // epdb's condition calls its probe-hit check: with one probe running for another request
  // (context -1, which the code here never runs in), it is false, as for every unknocked request.
  const hits = require('../../dist/src/main/probes/probe-hits.js');
  const { probeHitCondition } = require('../../dist/src/shared/probes/capture-protocol.js');
  hits.watchProbe({ id: 'bench', contextId: -1, spec: {}, redactor: null, location: 1, paths: null, state: 'armed', report() {} });
  // One line per variant, each with its breakpoint, measured in rotating rounds (medians): a
  // loaded machine moves every variant alike.
  const hot = [
    (i) => { const next = i + 1; // @probe condition-0
      return next; },
    (i) => { const next = i + 1; // @probe condition-1
      return next; },
    (i) => { const next = i + 1; // @probe condition-2
      return next; },
    (i) => { const next = i + 1; // @probe condition-3
      return next; },
  ];
  const variants = [
    ['no breakpoint', null],
    ['condition false', 'false'],
    ["epdb's condition", probeHitCondition(1, null)],
    ["epdb's condition with a logpoint's reader", probeHitCondition(1, ['order', 'total'])],
  ];
  const worker = new Worker(__filename, {
    workerData: { breakpoints: variants.flatMap(([, condition], i) => (condition === null ? [] : [{ line: markedLine(`condition-${i}`), condition }])) },
  });
  await new Promise((resolve) => worker.once('message', resolve));
  const rounds = 9;
  const perRound = Math.max(1, Math.round(calls / rounds));
  const microsPerRun = (fn) => {
    const started = performance.now();
    let sum = 0;
    for (let i = 0; i < perRound; i++) sum += fn(i);
    if (sum < 0) throw new Error('unreachable');
    return ((performance.now() - started) / perRound) * 1000;
  };
  for (const fn of hot) microsPerRun(fn);
  const samples = variants.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + round) % variants.length;
      samples[i].push(microsPerRun(hot[i]));
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  process.stdout.write(`${JSON.stringify(Object.fromEntries(variants.map(([variant], i) => [variant, median(samples[i])])))}\n`);
  await worker.terminate();
  process.exit(0);
}

if (isMainThread) {
  const [mode, count] = process.argv.slice(2);
  if (mode === 'pause-floor') pauseFloor(Number(count ?? 30));
  else if (mode === 'pause-floor-in-context') pauseFloor(Number(count ?? 30), true);
  else if (mode === 'condition-floor') conditionFloor(Number(count ?? 30));
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
  const setBreakpoint = () => post('Debugger.setBreakpointByUrl', { url: pathToFileURL(__filename).href, lineNumber: workerData.line, condition: workerData.condition });
  let breakpointId = null;
  // On demand: set before each request and removed after it, as a probe's breakpoint is.
  parentPort.on('message', async (what) => {
    if (what === 'set') breakpointId = (await setBreakpoint()).breakpointId;
    else await post('Debugger.removeBreakpoint', { breakpointId });
    parentPort.postMessage(what);
  });
  void (async () => {
    await post('Debugger.enable');
    for (const { line, condition } of workerData.breakpoints ?? []) await post('Debugger.setBreakpointByUrl', { url: pathToFileURL(__filename).href, lineNumber: line, condition });
    if (!workerData.onDemand && workerData.breakpoints === undefined) await setBreakpoint();
    parentPort.postMessage('armed');
  })();
}
