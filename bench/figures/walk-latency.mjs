// Figure 8: knock -> the first stop the debugger sees, with a debugger attached, for
// EPDB_STOP_AT=app (the walk to the app's handler) and =entry (epdb's own pause), on plain
// node:http and Express. Also what the walk did: the walk sets breakpoints instead of stepping,
// so it takes no steps; the figure counts the pauses the client saw per knock (must be 1).
import { performance } from 'node:perf_hooks';
import { BASE64_KNOCK, connectDebugger, freePort, get, within } from '../lib/debugger.mjs';
import { benchEnv, startServer } from '../lib/procs.mjs';
import { formatSummary, summarize } from '../lib/stats.mjs';

const TARGET_MS = 50;

/** `knocks` knocked requests through one attached debugger: ms from the knock to the stop. */
async function measure(kind, stopAt, knocks) {
  const bridgePort = await freePort();
  const server = await startServer(['--import', 'epdb/register', 'bench/servers/app.cjs', kind],
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
      if (debuggerSession.topUrl(pause).endsWith('/bench/servers/app.cjs')) inApp++;
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
  };
}
