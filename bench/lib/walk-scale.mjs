// The walk at production scale (issue 19): knock -> first stop and the worst event-loop delay
// the app itself saw, for a generated app (test/fixtures/large-app/generate.mjs), with a
// debugger attached, EPDB_STOP_AT=app or entry.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { BASE64_KNOCK, connectDebugger, freePort, get, within } from './debugger.mjs';
import { benchEnv, startServer } from './procs.mjs';

/** GET /eld of the generated app: the worst event-loop delay (ms) since the last one. */
function eld(port) {
  return within(new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/eld', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve(JSON.parse(body).maxMs));
    }).on('error', reject);
  }), 30_000, 'GET /eld');
}

/**
 * `knocks` knocked requests through one attached debugger, after a first one that attaches it.
 * @param {{ server: string, handler: string }} app
 * @param {'app' | 'entry'} stopAt
 * @param {number} knocks
 * @param {Record<string, string>} [env]
 * @returns {Promise<{ first: { stopMs: number, eldMs: number }, stopMs: number[], eldMs: number[], inHandler: number, topUrls: string[] }>}
 */
export async function measureWalkScale(app, stopAt, knocks, env = {}) {
  const bridgePort = await freePort();
  const server = await startServer(['--import', 'epdb/register', app.server],
    benchEnv({ EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0', EPDB_STOP_AT: stopAt, ...env }));
  const stopMs = [];
  const eldMs = [];
  const topUrls = [];
  let inHandler = 0;
  let dbg;
  try {
    await eld(server.port);
    let response = get(server.port, '/work/first', { 'x-epdb': BASE64_KNOCK });
    await server.waitForStderr(/waiting for a debugger on/, 30_000);
    dbg = await connectDebugger(bridgePort);
    const attachedAt = performance.now();
    await dbg.run();
    const firstPause = await dbg.nextPause();
    const first = { stopMs: performance.now() - attachedAt, eldMs: 0 };
    topUrls.push(dbg.topUrl(firstPause));
    await dbg.resume();
    await response;
    first.eldMs = await eld(server.port);
    for (let i = 0; i < knocks; i++) {
      const start = performance.now();
      response = get(server.port, `/work/${i}`, { 'x-epdb': BASE64_KNOCK });
      const pause = await dbg.nextPause();
      stopMs.push(performance.now() - start);
      const url = dbg.topUrl(pause);
      topUrls.push(url);
      if (url.endsWith('/handler.cjs')) inHandler++;
      await dbg.resume();
      await response;
      eldMs.push(await eld(server.port));
    }
    return { first, stopMs, eldMs, inHandler, topUrls };
  } finally {
    await dbg?.close().catch(() => {});
    await server.stop();
  }
}
