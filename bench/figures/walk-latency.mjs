// Figure 8: knock -> the first stop the debugger sees, with a debugger attached, for
// EPDB_STOP_AT=app (the walk to the app's handler) and =entry (epdb's own pause), on plain
// node:http and Express. Also what the walk did: the walk sets breakpoints instead of stepping,
// so it takes no steps; the figure counts the pauses the client saw per knock (must be 1).
import { performance } from 'node:perf_hooks';
import { generateLargeApp } from '../../test/fixtures/large-app/generate.mjs';
import { BASE64_KNOCK, connectDebugger, freePort, get, within } from '../lib/debugger.mjs';
import { benchEnv, startServer } from '../lib/procs.mjs';
import { formatSummary, quantile, summarize } from '../lib/stats.mjs';
import { measureWalkScale } from '../lib/walk-scale.mjs';

const TARGET_MS = 50;

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
export async function walkLatency({ knocks, scaleKnocks = Math.max(3, Math.round(knocks / 4)) }) {
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
  // At production scale: generated apps (test/fixtures/large-app), app beside entry.
  const scale = [['app', 'stop', 'knock → first stop, ms (median, p95)', 'worst event-loop delay, ms (median, p95)', 'first knock: attach → stop, ms', 'first knock: worst event-loop delay, ms', 'in handler']];
  for (const files of [20, 200, 1000]) {
    const app = generateLargeApp({ files });
    try {
      for (const stopAt of ['app', 'entry']) {
        const { first, stopMs, eldMs, inHandler } = await measureWalkScale(app, stopAt, scaleKnocks);
        raw[`large-${app.functions}-${stopAt}`] = { first, stopMs, eldMs };
        const cell = (values) => `${quantile(values, 0.5).toFixed(1)}, ${quantile(values, 0.95).toFixed(1)}`;
        const bold = (text) => (stopAt === 'app' ? `**${text}**` : text);
        scale.push([`${files} files, ${app.functions.toLocaleString('en')} functions`, `EPDB_STOP_AT=${stopAt}`, bold(cell(stopMs)), bold(cell(eldMs)), first.stopMs.toFixed(0), first.eldMs.toFixed(1), stopAt === 'app' ? `${inHandler}/${stopMs.length}` : '']);
        if (stopAt === 'entry') {
          const walked = raw[`large-${app.functions}-app`];
          const limitMs = app.functions >= 50_000 ? 250 : Math.max(50, 3 * quantile(stopMs, 0.5));
          targets.push({ what: `knock → first stop at ${app.functions.toLocaleString('en')} functions`, target: `< ${limitMs.toFixed(0)} ms median`, measured: `${quantile(walked.stopMs, 0.5).toFixed(1)} ms`, met: quantile(walked.stopMs, 0.5) < limitMs });
          const eldLimit = Math.max(20, 2 * quantile(eldMs, 0.5));
          targets.push({ what: `worst event-loop delay per knock at ${app.functions.toLocaleString('en')} functions`, target: `< ${eldLimit.toFixed(0)} ms median (20 ms or 2x entry)`, measured: `${quantile(walked.eldMs, 0.5).toFixed(1)} ms`, met: quantile(walked.eldMs, 0.5) < eldLimit });
        }
      }
    } finally {
      app.remove();
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
    extraTables: [scale],
    targets,
    raw,
    notes: [
      'The second table: generated apps (`test/fixtures/large-app/generate.mjs`: modules of exported functions, private helpers, classes, callbacks; half of them run at start-up; the handler in a file of its own) under `--import epdb/register`, a debugger attached after a first knock; each knock\'s stop awaited and resumed, then the app\'s own `perf_hooks.monitorEventLoopDelay` (1 ms resolution) read: the worst delay any other request could have seen around that knock, the pause itself included. "First knock" is the knock made before the debugger: from its attach to the stop, and the worst delay meanwhile (attaching included).',
      'The walk sets one conditional breakpoint per function of the app\'s own code (~45 µs of main-thread time each in V8). They are set once per attached debugger, in slices of a few milliseconds each followed by as long a gap (the first knock waits for them), and kept between knocks; functions that other requests run (their condition reports the pass) lose theirs between walks, since a condition costs every call 50-300 µs, and get it back for the next walk. When the debugger leaves they are removed in slices, each taken from whichever end of V8\'s list V8 has lately handled faster (Debugger.disable removing 50,000 in one go stopped the app for 18 s; now 8-15 s of slices in the background). What V8 still charges: every pause and step of the process costs ~0.3 µs per function with a breakpoint (~4 ms at 10,000, ~15 ms at 50,000), and a function\'s breakpoint removal scans V8\'s list of them (up to ~7-10 ms at 50,000 when out of order).',
    ],
  };
}
