'use strict';
// The floor under figure 7: the main-thread stop of a bare V8 pause in an Express handler, set by a
// worker thread's inspector session (as epdb's bridge does) and resumed at once, with nothing
// captured. `node bench/children/pause-floor.cjs COUNT` prints the stops in ms as JSON.
const { Worker, isMainThread, parentPort } = require('node:worker_threads');

if (isMainThread) {
  const express = require('express');
  const count = Number(process.argv[2] ?? 30);
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
    const worker = new Worker(__filename);
    await new Promise((resolve) => worker.once('message', resolve));
    const { port } = server.address();
    for (let i = 0; i < count + 5; i++) await fetch(`http://127.0.0.1:${port}/orders/${i}`).then((response) => response.text());
    process.stdout.write(`${JSON.stringify(stops.slice(5))}\n`);
    process.exit(0);
  });
} else {
  const { Session } = require('node:inspector');
  const { readFileSync } = require('node:fs');
  const session = new Session();
  session.connectToMainThread();
  setInterval(() => {}, 60_000); // an inspector session does not keep a worker alive
  const post = (method, params = {}) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  session.on('Debugger.paused', () => {
    void Promise.all([post('Runtime.releaseObjectGroup', { objectGroup: 'backtrace' }), post('Debugger.resume')]);
  });
  const line = readFileSync(__filename, 'utf8').split('\n').findIndex((text) => text.includes('@probe floor'));
  void (async () => {
    await post('Debugger.enable');
    await post('Debugger.setBreakpointByUrl', { url: require('node:url').pathToFileURL(__filename).href, lineNumber: line });
    parentPort.postMessage('armed');
  })();
}
