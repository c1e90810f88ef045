'use strict';
// Where a probe's main-thread stop goes, and what a same-thread inspector session changes
// (issue #22), on an Express handler 17 frames deep in an AsyncLocalStorage context, as a
// knocked request runs. Each mode prints one JSON line; times are medians in ms.
//   node bench/children/probe-stop-parts.cjs worker COUNT
//     the bridge's way: a worker session's breakpoint; on the pause the worker calls a capture
//     on the top frame's scopes (Runtime.callFunctionOn), then releases and resumes. Steps: the
//     pause reaching the worker, the call's round trip, the release and resume until the
//     thread runs
//   node bench/children/probe-stop-parts.cjs resume-in-call COUNT
//     the same, but the capture resumes the thread itself through a same-thread session (Debugger
//     domain off), as epdb now does, and the worker sends no resume
//   node bench/children/probe-stop-parts.cjs same-thread COUNT
//     the capture in a same-thread session's own Debugger.paused handler (its post answers
//     synchronously), the worker's session kept out of the pause (setSkipAllPauses) and asked,
//     through shared memory, to resume: a resume from that handler itself is lost (below)
//   node bench/children/probe-stop-parts.cjs same-thread-resume
//     whether a same-thread session's Debugger.resume from its own Debugger.paused handler lets
//     the thread go while a worker session is connected: Node sets "waiting for resume" only
//     after V8 delivered the pause, so it is lost; a watchdog in the worker resumes after 2 s
//   node bench/children/probe-stop-parts.cjs enable [same-first]
//     the main thread's longest stall while a worker session turns its Debugger domain on (V8
//     reports every script), then how long a same-thread session's Debugger.enable takes after
//     it, Express loaded; with same-first, the same-thread session's first, then the worker's
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const inspector = require('node:inspector');
const { readFileSync } = require('node:fs');
const { pathToFileURL } = require('node:url');

const LINE = readFileSync(__filename, 'utf8').split('\n').findIndex((text) => text.endsWith('@probe parts'));
const URL_OF_THIS = pathToFileURL(__filename).href;
const epochNow = () => performance.timeOrigin + performance.now();
/** A capture's shape: every scope object read, one JSON string back. */
const CAPTURE = 'function (...scopes) { let n = 0; for (const s of scopes) n += Object.keys(s).length; return JSON.stringify({ n }); }';
const CAPTURE_RESUMING = 'function (...scopes) { let n = 0; for (const s of scopes) n += Object.keys(s).length; return JSON.stringify({ n, resumed: globalThis.epdbBenchResume() }); }';
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const round = (value) => Math.round(value * 1000) / 1000;

/** A synchronous post on a same-thread session. */
function syncPost(session, method, params = {}) {
  let answer;
  session.post(method, params, (error, result) => {
    if (error) throw error;
    answer = result;
  });
  return answer;
}

function mainThread(mode, count) {
  if (mode === 'enable') return enableStalls(process.argv[3] === 'same-first');
  const express = require('express');
  const storage = new (require('node:async_hooks').AsyncLocalStorage)();
  const app = express();
  app.use((req, res, next) => storage.run(1, next));
  const spans = [];
  let armed = false;
  globalThis.epdbBenchArmed = () => armed;
  app.get('/orders/:id', (req, res) => {
    const order = { id: Number(req.params.id), items: [{ sku: 'tea', qty: 2, price: 4.5 }] };
    const before = epochNow();
    const probed = order.id; // @probe parts
    spans.push([before, epochNow()]);
    res.json({ probed });
  });
  const server = app.listen(0, '127.0.0.1', async () => {
    const { port } = server.address();
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(__filename, { workerData: { mode, signal: signal.buffer } });
    const ask = () => new Promise((resolve) => { worker.once('message', resolve); worker.postMessage('steps'); });
    await new Promise((resolve) => worker.once('message', resolve));
    const mainSteps = [];
    if (mode === 'resume-in-call') {
      const resumer = new inspector.Session();
      resumer.connect();
      globalThis.epdbBenchResume = () => {
        let resumed = false;
        resumer.post('Debugger.resume', {}, (error) => { resumed = error === null; });
        return resumed;
      };
    }
    if (mode === 'same-thread' || mode === 'same-thread-resume') {
      const session = new inspector.Session();
      session.connect();
      session.on('Debugger.paused', ({ params }) => {
        const handled = epochNow();
        const scopes = params.callFrames[0].scopeChain.filter((s) => s.object.objectId !== undefined).map((s) => ({ objectId: s.object.objectId }));
        syncPost(session, 'Runtime.callFunctionOn', { functionDeclaration: CAPTURE, objectId: scopes[0].objectId, arguments: scopes, returnByValue: true, silent: true, objectGroup: 'parts' });
        const captured = epochNow();
        syncPost(session, 'Runtime.releaseObjectGroup', { objectGroup: 'backtrace' });
        syncPost(session, 'Runtime.releaseObjectGroup', { objectGroup: 'parts' });
        if (mode === 'same-thread-resume') {
          syncPost(session, 'Debugger.resume');
        } else {
          Atomics.add(signal, 0, 1);
          Atomics.notify(signal, 0);
        }
        mainSteps.push({ handled, captured, released: epochNow() });
      });
      syncPost(session, 'Debugger.enable');
    }
    const workerSteps = [];
    for (let i = 0; i < count + 5; i++) {
      armed = true;
      await fetch(`http://127.0.0.1:${port}/orders/${i}`).then((response) => response.text());
      armed = false;
      workerSteps.push(await ask());
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const stops = spans.slice(5);
    const out = { mode, node: process.version, stop: median(stops.map(([a, b]) => b - a)) };
    if (mode === 'same-thread-resume') {
      out.resumedByItsOwnHandler = workerSteps.every((step) => step.watchdog !== true);
    } else if (mode === 'same-thread') {
      const steps = mainSteps.slice(5);
      out.pauseToHandler = median(steps.map((s, i) => s.handled - stops[i][0]));
      out.captureCall = median(steps.map((s) => s.captured - s.handled));
      out.signalledToRunning = median(steps.map((s, i) => stops[i][1] - s.released));
    } else {
      const steps = workerSteps.slice(5);
      out.pauseToWorker = median(steps.map((s, i) => s.paused - stops[i][0]));
      out.captureCallRoundTrip = median(steps.map((s) => s.called - s.paused));
      out.afterCallToRunning = median(steps.map((s, i) => stops[i][1] - s.called));
    }
    process.stdout.write(`${JSON.stringify(out, (key, value) => (typeof value === 'number' ? round(value) : value))}\n`);
    process.exit(0);
  });
}

async function enableStalls(sameFirst) {
  const express = require('express');
  express();
  express.Router();
  let longest = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last - 1);
    last = now;
  }, 1);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
  const worker = new Worker(__filename, { workerData: { mode: 'enable' } });
  await new Promise((resolve) => worker.once('message', resolve));
  const workerEnable = async () => {
    await settle();
    longest = 0;
    const scripts = await new Promise((resolve) => { worker.once('message', resolve); worker.postMessage('enable'); });
    return { scripts, stall: longest };
  };
  const sameThreadEnable = async () => {
    await settle();
    const session = new inspector.Session();
    session.connect();
    const started = performance.now();
    syncPost(session, 'Debugger.enable');
    return performance.now() - started;
  };
  // `same-first`: the same-thread session turns the debugger on first, the worker's second.
  const out = { mode: 'enable', node: process.version };
  if (sameFirst) {
    out.sameThreadEnableFirst = round(await sameThreadEnable());
    const { scripts, stall } = await workerEnable();
    Object.assign(out, { scripts, workerEnableStallAfter: round(stall) });
  } else {
    const { scripts, stall } = await workerEnable();
    Object.assign(out, { scripts, workerEnableStallFirst: round(stall), sameThreadEnableAfter: round(await sameThreadEnable()) });
  }
  clearInterval(timer);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

function workerThread() {
  const session = new inspector.Session();
  session.connectToMainThread();
  setInterval(() => {}, 60_000); // a session does not keep a worker alive
  const post = (method, params = {}) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  const { mode } = workerData;
  if (mode === 'enable') {
    let scripts = 0;
    session.on('Debugger.scriptParsed', () => scripts++);
    parentPort.on('message', async () => {
      await post('Debugger.enable');
      parentPort.postMessage(scripts);
    });
    parentPort.postMessage('ready');
    return;
  }
  let steps = {};
  parentPort.on('message', () => parentPort.postMessage(steps));
  session.on('Debugger.paused', async ({ params }) => {
    if (mode !== 'worker' && mode !== 'resume-in-call') return;
    const paused = epochNow();
    const scopes = params.callFrames[0].scopeChain.filter((s) => s.object.objectId !== undefined).map((s) => ({ objectId: s.object.objectId }));
    await post('Runtime.callFunctionOn', { functionDeclaration: mode === 'worker' ? CAPTURE : CAPTURE_RESUMING, objectId: scopes[0].objectId, arguments: scopes, returnByValue: true, silent: true, objectGroup: 'parts' });
    const called = epochNow();
    const releases = [post('Runtime.releaseObjectGroup', { objectGroup: 'backtrace' }), post('Runtime.releaseObjectGroup', { objectGroup: 'parts' })];
    await Promise.all(mode === 'worker' ? [...releases, post('Debugger.resume')] : releases);
    steps = { paused, called };
  });
  void (async () => {
    await post('Debugger.enable');
    await post('Debugger.setBreakpointByUrl', { url: URL_OF_THIS, lineNumber: LINE, condition: 'globalThis.epdbBenchArmed()' });
    if (mode === 'same-thread' || mode === 'same-thread-resume') await post('Debugger.setSkipAllPauses', { skip: true });
    parentPort.postMessage('armed');
    if (mode === 'same-thread') {
      // Resumes each time the main thread's handler says its capture is done.
      const signal = new Int32Array(workerData.signal);
      let seen = 0;
      for (;;) {
        const waited = Atomics.waitAsync(signal, 0, seen);
        if (waited.async) await waited.value;
        seen = Atomics.load(signal, 0);
        await post('Debugger.resume').catch(() => {});
      }
    }
    if (mode === 'same-thread-resume') {
      // The watchdog: V8 takes this resume only if the thread is still stopped.
      setInterval(() => {
        post('Debugger.resume').then(() => { steps = { watchdog: true }; }, () => {});
      }, 2000);
    }
  })();
}

if (isMainThread) mainThread(process.argv[2] ?? 'worker', Number(process.argv[3]) || 40);
else workerThread();
