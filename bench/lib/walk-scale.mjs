// The walk at production scale (issue 19): knock -> first stop and the worst event-loop delay
// the app itself saw, for a generated app (test/fixtures/large-app/generate.mjs), with a
// debugger attached, EPDB_STOP_AT=app or entry; and, with `memory`, the heap the process holds
// before the debugger attaches, while it stays attached, and after it left.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BASE64_KNOCK, connectDebugger, freePort, get, within } from './debugger.mjs';
import { benchEnv, startServer } from './procs.mjs';

/** The preload that lets the app report its worker threads' heaps (bench/fixtures/worker-heap.cjs). */
const WORKER_HEAP = fileURLToPath(new URL('../fixtures/worker-heap.cjs', import.meta.url));
/** How long the first stop may take: the walk sets every breakpoint first (~20 s at 100,000 functions on a loaded machine). */
const FIRST_STOP_TIMEOUT_MS = 300_000;
/** After the debugger left: how often the app's event-loop utilisation is read, and below what it counts as idle. */
const IDLE_POLL_MS = 500;
const IDLE_UTILIZATION = 0.02;
/** ... for this many reads in a row: the background removal of the walk's breakpoints is over. */
const IDLE_READS = 4;
const IDLE_TIMEOUT_MS = 600_000;

/** GET `path` of the generated app: its JSON answer. */
function getJson(port, path, timeoutMs = 30_000) {
  return within(new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  }), timeoutMs, `GET ${path}`);
}

/** GET /eld of the generated app: the worst event-loop delay (ms) since the last one. */
const eld = async (port) => (await getJson(port, '/eld')).maxMs;

/**
 * GET /memory: the main thread's heap after `gcs` full collections and the RSS, and the bridge
 * worker's heap (a snapshot's objects: V8 collects first), all in MB; the worker's is NaN before
 * one runs.
 */
async function memory(port, gcs = 2) {
  const { heapUsed, rss, workerHeapsUsed = [] } = await getJson(port, `/memory?gcs=${gcs}`, 120_000);
  const workerHeap = workerHeapsUsed.length === 0 ? NaN : workerHeapsUsed.reduce((a, b) => a + b, 0);
  return { heapMB: heapUsed / 1e6, rssMB: rss / 1e6, workerHeapMB: workerHeap / 1e6 };
}

/**
 * Waits until the app's event loop has been idle (busy less than 2% of the time) for 2 s and
 * answers the ms from `since` to the start of that idle time: after a debugger left, the walk's
 * breakpoints are removed in slices on the main thread, in the background; NaN if it never was.
 */
async function untilIdle(port, since) {
  await getJson(port, '/elu');
  const deadline = since + IDLE_TIMEOUT_MS;
  let idleFrom = NaN;
  let idleReads = 0;
  while (performance.now() < deadline) {
    const readFrom = performance.now();
    await sleep(IDLE_POLL_MS);
    const { utilization } = await getJson(port, '/elu');
    if (utilization >= IDLE_UTILIZATION) {
      idleReads = 0;
      continue;
    }
    if (idleReads === 0) idleFrom = readFrom;
    if (++idleReads === IDLE_READS) return Math.max(0, idleFrom - since);
  }
  return NaN;
}

/**
 * `knocks` knocked requests through one attached debugger, after a first one that attaches it.
 * `inHandler` counts the stops in the app's handler (`app.isHandlerStop`: through the bundle's
 * source map for a bundled app). With `memory`, the app runs with --expose-gc and the worker-heap
 * preload, and its memory is read before the first knock, after the last one (the debugger still
 * attached), once the debugger left and the app's event loop went idle again (`after`), and
 * once the app then made V8 run 6 full collections of its own (`settled`, GET /churn): V8
 * compiled the functions that never ran to set their breakpoints, and frees that bytecode once
 * it has not run for a few of those (bytecode flushing), which a forced gc() does not count.
 * @param {{ server: string, isHandlerStop: (url: string, location: { lineNumber: number, columnNumber: number }) => boolean }} app
 * @param {'app' | 'entry'} stopAt
 * @param {number} knocks
 * @param {{ memory?: boolean, env?: Record<string, string> }} [options]
 */
export async function measureWalkScale(app, stopAt, knocks, { memory: withMemory = false, env = {} } = {}) {
  const bridgePort = await freePort();
  const node = withMemory ? ['--expose-gc', '--require', WORKER_HEAP] : [];
  const server = await startServer([...node, '--import', 'epdb/register', app.server],
    benchEnv({ EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0', EPDB_STOP_AT: stopAt, ...env }),
    { listenTimeoutMs: 120_000 });
  const stopMs = [];
  const eldMs = [];
  const topUrls = [];
  let inHandler = 0;
  let dbg;
  try {
    // Before any knock: no bridge worker yet.
    const before = withMemory ? await memory(server.port) : undefined;
    await eld(server.port);
    let response = get(server.port, '/work/first', { 'x-epdb': BASE64_KNOCK });
    await server.waitForStderr(/waiting for a debugger on/, 30_000);
    dbg = await connectDebugger(bridgePort);
    const attachedAt = performance.now();
    await dbg.run();
    const firstPause = await dbg.nextPause(FIRST_STOP_TIMEOUT_MS);
    const first = { stopMs: performance.now() - attachedAt, eldMs: 0 };
    topUrls.push(dbg.topUrl(firstPause));
    await dbg.resume();
    await within(response, FIRST_STOP_TIMEOUT_MS, 'the first response');
    first.eldMs = await eld(server.port);
    for (let i = 0; i < knocks; i++) {
      const start = performance.now();
      response = get(server.port, `/work/${i}`, { 'x-epdb': BASE64_KNOCK });
      const pause = await dbg.nextPause();
      stopMs.push(performance.now() - start);
      const url = dbg.topUrl(pause);
      topUrls.push(url);
      if (app.isHandlerStop(url, pause.callFrames[0].location)) inHandler++;
      await dbg.resume();
      await response;
      eldMs.push(await eld(server.port));
    }
    if (!withMemory) return { first, stopMs, eldMs, inHandler, topUrls };
    const attached = await memory(server.port);
    const detachedFrom = server.stderr.lines.length;
    await dbg.close();
    dbg = undefined;
    await server.waitForStderr(/^epdb: debugger detached$/, 10_000, detachedFrom);
    const removalMs = await untilIdle(server.port, performance.now());
    const after = await memory(server.port);
    await getJson(server.port, '/churn', 120_000);
    const settled = await memory(server.port);
    return { first, stopMs, eldMs, inHandler, topUrls, memory: { before, attached, after, settled, removalMs } };
  } finally {
    await dbg?.close().catch(() => {});
    await server.stop();
  }
}
