// Figure 5: do other requests notice that one knocked request waits at the gate?
import { BASE64_KNOCK, connectDebugger, freePort, get } from '../lib/debugger.mjs';
import { requestsPerSecond } from '../lib/load.mjs';
import { benchEnv, startServer } from '../lib/procs.mjs';
import { formatSummary, interleave, pairedRatios, summarize } from '../lib/stats.mjs';

const TARGET_RATIO = 0.95;

/** @param {{ rounds: number, durationS: number, connections: number }} options */
export async function othersWhileWaiting({ rounds, durationS, connections }) {
  const bridgePort = await freePort();
  const server = await startServer(['--import', 'epdb/register', 'bench/servers/app.cjs', 'http'],
    benchEnv({ EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' }));
  let waitingServed = 0;
  try {
    /** Sends a knock and resolves once it waits at the gate (the response comes later). */
    const knockAndWait = async (path) => {
      const from = server.stderr.lines.length;
      const response = get(server.port, path, { 'x-epdb': BASE64_KNOCK });
      await server.waitForStderr(/waiting for a debugger on/, 15_000, from);
      return { response }; // wrapped: an async function returning the promise would wait for it

    };
    /** Lets the waiting request go: attach, let it pause, resume, detach. */
    const release = async ({ response }) => {
      const debuggerSession = await connectDebugger(bridgePort);
      try {
        await debuggerSession.run();
        await debuggerSession.nextPause();
        await debuggerSession.resume();
        if (await response !== 200) throw new Error('the waiting request was not served after release');
        waitingServed++;
      } finally {
        const from = server.stderr.lines.length;
        await debuggerSession.close();
        await server.waitForStderr(/debugger detached/, 10_000, from);
      }
    };
    // Start the bridge first, so both conditions run with it up: they differ only by the
    // waiting request.
    await release(await knockAndWait('/hello/first'));
    waitingServed = 0;
    await requestsPerSecond(server.port, { durationS: 1, connections });

    const results = await interleave(['no request waiting', 'one knocked request waiting'], rounds, async (condition) => {
      if (condition === 'no request waiting') return requestsPerSecond(server.port, { durationS, connections });
      const waiting = await knockAndWait('/hello/knocked');
      const rps = await requestsPerSecond(server.port, { durationS, connections });
      await release(waiting);
      // A debugger was just attached: let the JIT settle again before the next measured round,
      // whichever condition it is, so the attach does not count against either.
      await requestsPerSecond(server.port, { durationS: 1, connections });
      return rps;
    });
    if (waitingServed !== rounds) throw new Error(`${waitingServed} of ${rounds} waiting requests were served`);
    const ratio = summarize(pairedRatios(results['no request waiting'], results['one knocked request waiting']));
    return {
      id: 5,
      title: 'Others while one waits',
      method: `One app process (\`bench/servers/app.cjs http\` under \`--import epdb/register\`, \`EPDB_BACKEND=base64\`, `
        + `\`EPDB_WAIT_TIMEOUT=0\`), its bridge already started by a first knock. ${rounds} rounds, interleaved, of `
        + `${durationS} s of autocannon (${connections} connections, unknocked GET /hello/ada) with no request waiting, and `
        + `with one knocked request waiting at the gate (sent first; autocannon starts once the app logs that it waits; `
        + `after the round a debugger attaches, the request pauses, is resumed and served, the debugger detaches, and 1 s of unmeasured load lets the JIT settle before the next round).`,
      table: [
        ['condition', 'req/s (median)', 'ratio to "no request waiting", same round'],
        ['no request waiting', summarize(results['no request waiting']).median.toFixed(0), '1 (reference)'],
        ['one knocked request waiting', summarize(results['one knocked request waiting']).median.toFixed(0), `**${formatSummary(ratio, 3)}**`],
      ],
      targets: [{ what: 'throughput while one request waits / without', target: `≥ ${TARGET_RATIO}`, measured: ratio.median.toFixed(3), met: ratio.median >= TARGET_RATIO }],
      raw: results,
    };
  } finally {
    await server.stop();
  }
}
