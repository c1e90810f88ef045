'use strict';
// Under figure 7's "probe armed" throughput: what V8 charges a line with a conditional breakpoint
// each time code runs it, the condition false. A worker thread's inspector session (as epdb's
// bridge) sets the breakpoint; the main thread calls the function CALLS times and prints JSON
// `{ <variant>: microseconds a call }` for no breakpoint, `false`, and epdb's own condition.
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

if (isMainThread) {
  const calls = Number(process.argv[2] ?? 5000);
  // epdb's condition calls its request-context check; none is tracked here, so it is false.
  require('../../dist/src/probes/probed-requests.js').markProbed(-1);
  const { PROBED_REQUEST_CONDITION } = require('../../dist/src/probes/probed-requests.js');
  function hot(i) {
    const next = i + 1; // @probe condition
    return next;
  }
  const microsPerCall = () => {
    const started = performance.now();
    let sum = 0;
    for (let i = 0; i < calls; i++) sum += hot(i);
    if (sum < 0) throw new Error('unreachable');
    return ((performance.now() - started) / calls) * 1000;
  };
  void (async () => {
    const results = {};
    for (const [variant, condition] of [['no breakpoint', null], ['condition false', 'false'], ["epdb's condition", PROBED_REQUEST_CONDITION]]) {
      const worker = new Worker(__filename, { workerData: { condition } });
      await new Promise((resolve) => worker.once('message', resolve));
      microsPerCall();
      results[variant] = microsPerCall();
      await worker.terminate();
    }
    process.stdout.write(`${JSON.stringify(results)}\n`);
    process.exit(0);
  })();
} else {
  const { Session } = require('node:inspector');
  const { readFileSync } = require('node:fs');
  const { pathToFileURL } = require('node:url');
  const session = new Session();
  session.connectToMainThread();
  setInterval(() => {}, 60_000); // an inspector session does not keep a worker alive
  const post = (method, params = {}) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  const line = readFileSync(__filename, 'utf8').split('\n').findIndex((text) => text.includes('@probe condition'));
  void (async () => {
    await post('Debugger.enable');
    if (workerData.condition !== null) {
      await post('Debugger.setBreakpointByUrl', { url: pathToFileURL(__filename).href, lineNumber: line, condition: workerData.condition });
    }
    parentPort.postMessage('armed');
  })();
}
