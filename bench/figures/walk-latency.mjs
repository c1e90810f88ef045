// Figure 8: knock -> the first stop the debugger sees, with a debugger attached, for
// EPDB_STOP_AT=app (the walk to the app's handler) and =entry (epdb's own pause), on plain
// node:http and Express. Also what the walk did: the walk sets breakpoints instead of stepping,
// so it takes no steps; the figure counts the pauses the client saw per knock (must be 1).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BASE64_KNOCK, connectDebugger, freePort, get, within } from '../lib/debugger.mjs';
import { benchEnv, startServer } from '../lib/procs.mjs';
import { formatSummary, summarize } from '../lib/stats.mjs';

const TARGET_MS = 50;

/**
 * A large app of its own: `files` modules of 25 exported functions, each with an arrow inside
 * (50 function entries a file), all loaded; its handler is in app.cjs. Returns its folder.
 */
function generateLargeApp(files) {
  const dir = mkdtempSync(join(tmpdir(), 'epdb-bench-large-app-'));
  mkdirSync(join(dir, 'lib'));
  for (let file = 0; file < files; file++) {
    let source = '';
    for (let i = 0; i < 25; i++) source += `exports.f${i} = function f${i}(x) { const y = x + ${i}; return [1, 2].map((z) => z * y); };\n`;
    writeFileSync(join(dir, 'lib', `m${file}.js`), source);
  }
  writeFileSync(join(dir, 'app.cjs'), [
    `const modules = []; for (let file = 0; file < ${files}; file++) modules.push(require('./lib/m' + file + '.js'));`,
    "const server = require('node:http').createServer((req, res) => { res.end('hello ' + modules[0].f1(1)); });",
    "server.listen(0, '127.0.0.1', () => process.stdout.write('listening ' + server.address().port + '\\n'));",
    "process.on('SIGTERM', () => process.exit(0));",
  ].join('\n'));
  return dir;
}

/** `knocks` knocked requests through one attached debugger: ms from the knock to the stop. */
async function measure(kind, stopAt, knocks, script = 'bench/servers/app.cjs') {
  const bridgePort = await freePort();
  const server = await startServer(['--import', 'epdb/register', script, kind],
    benchEnv({ EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0', EPDB_STOP_AT: stopAt }));
  const times = [];
  let pausesSeen = 0;
  let inApp = 0;
  let debuggerSession;
  try {
    let response = get(server.port, '/hello/first', { 'x-epdb': BASE64_KNOCK });
    await server.waitForStderr(/waiting for a debugger on/);
    debuggerSession = await connectDebugger(bridgePort);
    debuggerSession.client.on('Debugger.paused', () => { pausesSeen++; });
    await debuggerSession.run();
    await debuggerSession.nextPause();
    await debuggerSession.resume();
    await response;
    pausesSeen = 0;
    for (let i = 0; i < knocks; i++) {
      const start = performance.now();
      response = get(server.port, `/hello/k${i}`, { 'x-epdb': BASE64_KNOCK });
      const pause = await debuggerSession.nextPause();
      times.push(performance.now() - start);
      if (debuggerSession.topUrl(pause).endsWith(script.endsWith('app.cjs') ? script.slice(script.lastIndexOf('/')) : script)) inApp++;
      await debuggerSession.resume();
      if (await within(response, 10_000, 'response after resume') !== 200) throw new Error('not served after resume');
    }
  } finally {
    await debuggerSession?.close().catch(() => {});
    await server.stop();
  }
  return { times, pausesPerKnock: pausesSeen / knocks, inApp };
}

/** @param {{ knocks: number }} options */
export async function walkLatency({ knocks }) {
  const rows = [];
  const targets = [];
  const raw = {};
  for (const kind of ['http', 'express']) {
    for (const stopAt of ['app', 'entry']) {
      const { times, pausesPerKnock, inApp } = await measure(kind, stopAt, knocks);
      const summary = summarize(times);
      const sorted = [...times].sort((a, b) => a - b);
      const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? NaN;
      raw[`${kind}-${stopAt}`] = times;
      rows.push([
        stopAt === 'app' ? `**${kind}, EPDB_STOP_AT=app**` : `${kind}, EPDB_STOP_AT=entry`,
        stopAt === 'app' ? `**${formatSummary(summary, 1)}**` : formatSummary(summary, 1),
        p95.toFixed(1),
        pausesPerKnock.toFixed(2),
        `${inApp}/${knocks}`,
      ]);
      if (stopAt === 'app') {
        targets.push({ what: `knock → first stop at the app's handler (${kind})`, target: `< ${TARGET_MS} ms median`, measured: `${summary.median.toFixed(1)} ms (p95 ${p95.toFixed(1)})`, met: summary.median < TARGET_MS && inApp === knocks });
      }
    }
  }
  // The walk's cost grows with the app's own code: one breakpoint per function entry.
  const largeFiles = 200;
  const largeApp = generateLargeApp(largeFiles);
  try {
    const { times, pausesPerKnock, inApp } = await measure('large', 'app', Math.max(3, Math.round(knocks / 4)), join(largeApp, 'app.cjs'));
    const summary = summarize(times);
    raw.large = times;
    rows.push([`generated app of its own ${largeFiles} files, ${largeFiles * 50} functions, EPDB_STOP_AT=app`, formatSummary(summary, 1), '', pausesPerKnock.toFixed(2), `${inApp}/${times.length}`]);
  } finally {
    rmSync(largeApp, { recursive: true, force: true });
  }
  return {
    id: 8,
    title: 'The walk to the app\'s code',
    method: `\`bench/servers/app.cjs\` (http and Express) under \`--import epdb/register\`, \`EPDB_BACKEND=base64\`; `
      + `chrome-remote-interface attached to the bridge with no ignore list (as \`node inspect\`). From sending a knocked GET `
      + `(new connection) to the client's \`Debugger.paused\`, ${knocks} knocks per row, each resumed and its response checked. `
      + `With \`app\` the bridge sets a conditional breakpoint at every function entry of the app's scripts (the condition `
      + `holds only in the knocked request's async context) and lets the request run: the walk takes no steps; "pauses `
      + `per knock" counts every \`Debugger.paused\` the client saw (the contract: exactly one), "in app" how many first `
      + `stops were in the app's file.`,
    table: [['stop', 'knock → first stop, ms', 'p95 ms', 'pauses per knock', 'in app'], ...rows],
    targets,
    raw,
    notes: ['The walk costs one conditional breakpoint per function of the app\'s own code, set before the request runs and removed at the stop (about 40-50 µs each in V8, most of it making the function\'s debug copy): negligible for the apps above, about half a second for the generated 10,000-function app. Setting them only on functions that code outside the app can call (callbacks, methods, exported functions) would cut that; not done yet.'],
  };
}
