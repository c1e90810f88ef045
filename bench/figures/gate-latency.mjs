// Figure 4: how fast the gate pauses a knocked request, with a debugger already attached, and
// when a debugger attaches to a request that waits.
import { performance } from 'node:perf_hooks';
import { BASE64_KNOCK, connectDebugger, freePort, get, within } from '../lib/debugger.mjs';
import { benchEnv, startServer } from '../lib/procs.mjs';
import { formatSummary, summarize } from '../lib/stats.mjs';

const TARGET_MS = 50;

/** @param {{ attachedKnocks: number, reattaches: number }} options */
export async function gateLatency({ attachedKnocks, reattaches }) {
  const bridgePort = await freePort();
  const server = await startServer(['--import', 'epdb/register', 'bench/servers/app.cjs', 'http'],
    benchEnv({ EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' }));
  const knockToPaused = [];
  const runToPaused = [];
  let firstKnockToBridge;
  let debuggerSession;
  try {
    // The first knock starts the bridge (a worker thread): how long until it listens.
    let start = performance.now();
    let response = get(server.port, '/hello/first', { 'x-epdb': BASE64_KNOCK });
    await server.waitForStderr(/waiting for a debugger on/);
    firstKnockToBridge = performance.now() - start;

    /** Attaches to a request that waits; returns ms from runIfWaitingForDebugger to the pause. */
    const attachToWaiting = async () => {
      debuggerSession = await connectDebugger(bridgePort);
      const begin = performance.now();
      await debuggerSession.run();
      await debuggerSession.nextPause();
      const elapsed = performance.now() - begin;
      await debuggerSession.resume();
      return elapsed;
    };
    runToPaused.push(await attachToWaiting());
    if (await response !== 200) throw new Error('the first knocked request was not served after resume');

    for (let i = 0; i < reattaches - 1; i++) {
      const detachedFrom = server.stderr.lines.length;
      await debuggerSession.close();
      await server.waitForStderr(/debugger detached/, 10_000, detachedFrom);
      const waitingFrom = server.stderr.lines.length;
      response = get(server.port, `/hello/wait-${i}`, { 'x-epdb': BASE64_KNOCK });
      await server.waitForStderr(/waiting for a debugger on/, 10_000, waitingFrom);
      runToPaused.push(await attachToWaiting());
      if (await response !== 200) throw new Error('a knocked request was not served after resume');
    }

    // Attached: each knock pauses at once.
    for (let i = 0; i < attachedKnocks; i++) {
      start = performance.now();
      response = get(server.port, `/hello/attached-${i}`, { 'x-epdb': BASE64_KNOCK });
      await debuggerSession.nextPause();
      knockToPaused.push(performance.now() - start);
      await debuggerSession.resume();
      if (await within(response, 10_000, 'response after resume') !== 200) throw new Error('not served after resume');
    }
  } finally {
    await debuggerSession?.close().catch(() => {});
    await server.stop();
  }
  const attached = summarize(knockToPaused);
  const waiting = summarize(runToPaused);
  return {
    id: 4,
    title: 'Gate latency',
    method: `An app (\`bench/servers/app.cjs http\`) under \`--import epdb/register\` with \`EPDB_BACKEND=base64\`; `
      + `chrome-remote-interface attached to the bridge as DevTools does (\`Debugger.enable\`, then `
      + `\`Runtime.runIfWaitingForDebugger\`). "Knock → paused": from sending a knocked GET (new connection) to the `
      + `client's \`Debugger.paused\`, with the debugger already attached (${attachedKnocks} knocks). "run → paused": `
      + `a knocked request waits at the gate; a fresh client connects and enables the Debugger; from its `
      + `\`Runtime.runIfWaitingForDebugger\` to \`Debugger.paused\` (${reattaches} attaches, detaching in between). `
      + `Each pause is resumed and the response checked (200).`,
    table: [
      ['measure', 'ms'],
      ['**knock → `Debugger.paused`, debugger attached**', `**${formatSummary(attached, 2)}**`],
      ['**`runIfWaitingForDebugger` → `Debugger.paused`, request waiting**', `**${formatSummary(waiting, 2)}**`],
      ['first knock → bridge listening (starts the worker thread; once per process)', firstKnockToBridge.toFixed(1)],
    ],
    targets: [
      { what: 'knock → paused (attached)', target: `< ${TARGET_MS} ms`, measured: `${attached.median.toFixed(2)} ms (max ${attached.max.toFixed(2)})`, met: attached.median < TARGET_MS },
      { what: 'runIfWaitingForDebugger → paused', target: `< ${TARGET_MS} ms`, measured: `${waiting.median.toFixed(2)} ms (max ${waiting.max.toFixed(2)})`, met: waiting.median < TARGET_MS },
    ],
    raw: { knockToPaused, runToPaused, firstKnockToBridge },
  };
}
