// Figure 11: snapshots and logpoints. How long the main thread stops for one capture (measured
// in the app, around the probed line), and what an armed probe costs the requests that pass its
// line without a knock, against the same server with no probe armed and an unpatched one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestsPerSecond } from '../lib/load.mjs';
import { benchEnv, REPO_ROOT, runNodeTimed, startServer } from '../lib/procs.mjs';
import { formatSummary, interleave, pairedRatios, quantile, summarize } from '../lib/stats.mjs';
import { createRequire } from 'node:module';

/** The capture's limits, as the built package has them. */
const { CAPTURE_LIMITS } = createRequire(import.meta.url)('../../dist/src/shared/probes/limits.js');

const APP = 'bench/servers/probe-app.cjs';
/**
 * The targets, each against V8's own floor for the same operation measured in the same run
 * (these machines differ, V8's floors with them): a snapshot's stop at most 1.5x a bare pause
 * from a worker session, a logpoint's at most 1.5x a run of the line through a conditional
 * breakpoint; the first probe of a process stalls the app at most the capture's 10 ms; requests
 * through a line where a probe waits keep 0.9 of their throughput.
 */
const FLOOR_FACTOR = 1.5;
const FIRST_PROBE_STALL_MS = 10;
const ARMED_TARGET_RATIO = 0.9;
const UNARMED_TARGET_RATIO = 0.98;
/** Captures are spaced so that the process's 10 a second never refuses one. */
const CAPTURE_SPACING_MS = 150;

/** A target with why it is missed, when it is (measured: the reason is in the figure's rows). */
function withReason(target, reason) {
  return target.met ? target : { ...target, measured: `${target.measured}; not met: ${reason}` };
}

/** The probed line of the bench server, found by its marker. */
function probedLine() {
  const lines = readFileSync(join(REPO_ROOT, APP), 'utf8').split('\n');
  return `servers/probe-app.cjs:${lines.findIndex((line) => line.includes('@probe bench')) + 1}`;
}

/** A Base64 knock for a probe (the bench server runs with EPDB_BACKEND=base64). */
function knock(kind, spec) {
  return `Base64 ${Buffer.from(JSON.stringify({ epdb: { [kind]: spec } })).toString('base64')}`;
}

async function getJson(port, path, headers = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  return response.json();
}

/**
 * Waits until the bridge has no probe armed and no breakpoint set (a held request's probe is
 * disarmed just after its request ends): a round measured "with no probe armed" must not start
 * while the last round's breakpoint is still on its line. At most 5 s.
 */
async function disarmed(bridgePort) {
  const until = Date.now() + 5000;
  for (;;) {
    const { armed, breakpoints } = await getJson(bridgePort, '/epdb/probes');
    if ((armed === 0 && breakpoints === 0) || Date.now() > until) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Main-thread stops of `count` captures of `kind`, in ms, as the app measured them (on `route`: /orders or /throw). */
async function stops(port, kind, spec, count, route = '/orders') {
  const values = [];
  for (let i = 0; i < count; i++) {
    const started = Date.now();
    const body = await getJson(port, `${route}/${i}`, { 'X-EPDB': knock(kind, spec) });
    values.push(body.stoppedMs);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, CAPTURE_SPACING_MS - (Date.now() - started))));
  }
  return values;
}

/**
 * The main thread's longest stall around arming and disarming one probe that is never reached,
 * `count` times, in a server of its own that watches its event loop (BENCH_GAP=1).
 */
async function armingStalls(count) {
  const at = probedLine();
  const server = await startServer([
    '--import', 'epdb/register', APP,
  ], benchEnv({ EPDB_BACKEND: 'base64', EPDB_PORT: String(29000 + Math.floor(Math.random() * 2000)), BENCH_GAP: '1' }));
  try {
    await getJson(server.port, '/hold/0', { 'X-EPDB': knock('snapshot', { at }) }); // the bridge starts
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The knock after the bridge started turned the probe debugger on (V8 listed every script then).
    const first = (await getJson(server.port, '/gap')).longestGapMs;
    const stalls = [];
    for (let i = 0; i < count; i++) {
      await getJson(server.port, '/gap');
      await getJson(server.port, '/hold/0', { 'X-EPDB': knock('snapshot', { at }) });
      await new Promise((resolve) => setTimeout(resolve, 100)); // the disarming too
      stalls.push((await getJson(server.port, '/gap')).longestGapMs);
    }
    return { first, stalls };
  } finally {
    await server.stop();
  }
}

/** @param {{ captures: number, rounds: number, durationS: number, connections: number }} options */
export async function probes({ captures, rounds, durationS, connections }) {
  const at = probedLine();
  const bridgePort = 9000 + Math.floor(Math.random() * 20000);
  const servers = {};
  try {
    servers.unpatched = await startServer([APP], benchEnv());
    // V8's own bound: the same app with a breakpoint whose condition is `false` on the probed line, no epdb.
    servers.falseBreakpoint = await startServer(['--require', './bench/fixtures/false-breakpoint.cjs', APP], benchEnv());
    servers.epdb = await startServer(['--import', 'epdb/register', APP], benchEnv({ EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort) }));
    const { port } = servers.epdb;
    // Warm: the first knock starts the bridge, the first capture sets up V8's side of it.
    await stops(port, 'snapshot', { at }, 5);
    await stops(port, 'log', { at, message: 'x' }, 5);
    const taken = await stops(port, 'snapshot', { at, expr: ['total', 'order.items.length'] }, captures);
    const logged = await stops(port, 'log', { at, message: 'order {order.id} total {total}' }, captures);
    await stops(port, 'snapshot', { on: 'throw' }, 5, '/throw');
    const thrown = await stops(port, 'snapshot', { on: 'throw', expr: ['order.id'] }, captures, '/throw');
    const kept = (await getJson(bridgePort, '/epdb/probes')).probes;
    const loggedInCondition = kept.filter((result) => result.kind === 'log' && result.capturedIn === 'condition').length;
    const loggedOnPause = kept.filter((result) => result.kind === 'log' && result.capturedIn === 'pause').length;
    const untouched = await stops(servers.unpatched.port, 'snapshot', { at }, 10);
    const floor = JSON.parse(runNodeTimed(['bench/children/worker-breakpoint.cjs', 'pause-floor', String(captures)], benchEnv()).stdout);
    const contextFloor = JSON.parse(runNodeTimed(['bench/children/worker-breakpoint.cjs', 'pause-floor-in-context', String(captures)], benchEnv()).stdout);
    const conditionFloor = JSON.parse(runNodeTimed(['bench/children/worker-breakpoint.cjs', 'condition-floor', String(captures)], benchEnv()).stdout);
    const { first: firstArming, stalls: arming } = await armingStalls(captures / 2);
    const conditionCost = JSON.parse(runNodeTimed(['bench/children/worker-breakpoint.cjs', 'condition-cost', String(captures * 50)], benchEnv()).stdout);
    // Where a capture's stop goes, the bridge's way and a same-thread session's (issue #22).
    const parts = (mode, count) => JSON.parse(runNodeTimed(['bench/children/probe-stop-parts.cjs', mode, String(count)], benchEnv()).stdout);
    const viaWorker = parts('worker', captures);
    const resumingInCall = parts('resume-in-call', captures);
    const sameThread = parts('same-thread', captures);
    const ownHandlerResume = parts('same-thread-resume', 2);
    const enabling = parts('enable', 0);
    const enablingSameFirst = parts('enable', 'same-first');

    for (const server of Object.values(servers)) await requestsPerSecond(server.port, { path: '/orders/1', durationS: 1, connections });
    const variants = ['unpatched', 'unpatched, a breakpoint whose condition is false on the line', 'epdb, no probe armed', 'epdb, probe armed on the line'];
    const results = await interleave(variants, rounds, async (variant) => {
      if (variant === 'unpatched') return requestsPerSecond(servers.unpatched.port, { path: '/orders/1', durationS, connections });
      if (variant.startsWith('unpatched, a breakpoint')) return requestsPerSecond(servers.falseBreakpoint.port, { path: '/orders/1', durationS, connections });
      if (variant === 'epdb, no probe armed') return requestsPerSecond(port, { path: '/orders/1', durationS, connections });
      // A knocked request held open keeps a probe armed on the line every /orders request runs.
      const holdMs = Math.round(durationS * 1000) + 1500;
      const held = getJson(port, `/hold/${holdMs}`, { 'X-EPDB': knock('snapshot', { at }) }).catch(() => null);
      await new Promise((resolve) => setTimeout(resolve, 300)); // armed (it takes milliseconds)
      const rps = await requestsPerSecond(port, { path: '/orders/1', durationS, connections });
      await held;
      await disarmed(bridgePort);
      return rps;
    });
    // Requests that throw, while an on-throw probe waits for another request (V8 pauses at each of
    // their exceptions, and the worker asks whose it is), against the same with none waiting.
    await requestsPerSecond(port, { path: '/throw/1', durationS: 1, connections });
    const throwVariants = ['epdb, no probe', 'epdb, an on-throw probe waiting'];
    const throwing = await interleave(throwVariants, rounds, async (variant) => {
      if (variant === 'epdb, no probe') return requestsPerSecond(port, { path: '/throw/1', durationS, connections });
      const holdMs = Math.round(durationS * 1000) + 1500;
      const held = getJson(port, `/hold/${holdMs}`, { 'X-EPDB': knock('snapshot', { on: 'throw' }) }).catch(() => null);
      await new Promise((resolve) => setTimeout(resolve, 300)); // armed (it takes milliseconds)
      const rps = await requestsPerSecond(port, { path: '/throw/1', durationS, connections });
      await held;
      return rps;
    });
    const throwingRatio = summarize(pairedRatios(throwing['epdb, no probe'], throwing['epdb, an on-throw probe waiting']));
    const onThrow = summarize(thrown);
    const snapshot = summarize(taken);
    const log = summarize(logged);
    const unarmed = summarize(pairedRatios(results.unpatched, results['epdb, no probe armed']));
    const armed = summarize(pairedRatios(results['epdb, no probe armed'], results['epdb, probe armed on the line']));
    // V8's bound on this very line: the same app with a `false` breakpoint there, against unpatched, same rounds.
    const v8Line = summarize(pairedRatios(results.unpatched, results['unpatched, a breakpoint whose condition is false on the line']));
    const p99 = (values) => quantile(values, 0.99);
    // The best throughput ratio V8 leaves: a request's own cost, plus the cheapest conditional breakpoint's run.
    const requestMicros = 1e6 / summarize(results['epdb, no probe armed']).median;
    const floorMicros = conditionCost['condition false'];
    const bestArmedRatio = requestMicros / (requestMicros + floorMicros);
    return {
      id: 11,
      title: 'Snapshots and logpoints',
      method: `An Express 5 handler (\`bench/servers/probe-app.cjs\`: a request with req, res, an order object and two more locals) `
        + `measures the main thread's time across its probed line with \`performance.now()\` before and after it: a probe's pause stops `
        + `the thread on that line, so the difference is the whole stop (V8 building the pause, the capture's round trips from the bridge `
        + `worker, the resume). ${captures} snapshot knocks (\`--expr total --expr order.items.length\`) and ${captures} logpoint knocks `
        + `(\`order {order.id} total {total}\`), one every ${CAPTURE_SPACING_MS} ms (under the 10 a second limit), after 10 warm-up captures. `
        + `Throughput: autocannon on \`GET /orders/1\` (${connections} connections, ${rounds} rounds of ${durationS} s, interleaved) against an `
        + `unpatched server and the epdb one, with no probe armed and with a probe armed on the line all those requests run (a knocked `
        + `\`GET /hold\` request in flight, whose probe is at that line, so each unknocked request evaluates the breakpoint's condition).`,
      table: [
        ['measure', 'median', 'p99', 'spread'],
        ['main-thread stop per snapshot (ms)', snapshot.median.toFixed(2), p99(taken).toFixed(2), formatSummary(snapshot, 2)],
        ['main-thread stop per logpoint (ms)', log.median.toFixed(2), p99(logged).toFixed(2), formatSummary(log, 2)],
        ['main-thread stop per on-throw snapshot (a caught throw in the handler) (ms)', onThrow.median.toFixed(2), p99(thrown).toFixed(2), formatSummary(onThrow, 2)],
        ['logpoints formatted in their condition / on a pause (of the last 100 results)', `${loggedInCondition} / ${loggedOnPause}`, '', ''],
        ['floor: a bare pause from a worker session, resumed at once (ms)', summarize(floor).median.toFixed(2), p99(floor).toFixed(2), formatSummary(summarize(floor), 2)],
        ['floor: the same, the request in an AsyncLocalStorage context (as a knocked one) (ms)', summarize(contextFloor).median.toFixed(2), p99(contextFloor).toFixed(2), formatSummary(summarize(contextFloor), 2)],
        ['floor: a run of the line through a fresh breakpoint whose condition is `false` (ms)', summarize(conditionFloor).median.toFixed(2), p99(conditionFloor).toFixed(2), formatSummary(summarize(conditionFloor), 2)],
        ['main-thread stall of the first probe knock (the probe debugger turned on) (ms)', firstArming.toFixed(1), '', 'n=1'],
        ['main-thread stall while a probe is armed and disarmed, no capture, debugger on (ms)', summarize(arming).median.toFixed(1), p99(arming).toFixed(1), formatSummary(summarize(arming), 1)],
        ['the same line without epdb (ms)', summarize(untouched).median.toFixed(4), p99(untouched).toFixed(4), ''],
        ['throughput, epdb no probe / unpatched', unarmed.median.toFixed(3), '', formatSummary(unarmed, 3)],
        ['throughput, probe armed / no probe', armed.median.toFixed(3), '', formatSummary(armed, 3)],
        ['throughput, no epdb, a breakpoint whose condition is `false` on the line (a worker session\'s) / unpatched: V8\'s bound', v8Line.median.toFixed(3), '', formatSummary(v8Line, 3)],
        ['throughput of requests that each throw, an on-throw probe waiting / none', throwingRatio.median.toFixed(3), '', formatSummary(throwingRatio, 3)],
        ...throwVariants.map((variant) => [`req/s of GET /throw, ${variant}`, summarize(throwing[variant]).median.toFixed(0), '', '']),
        ...variants.map((variant) => [`req/s, ${variant}`, summarize(results[variant]).median.toFixed(0), '', '']),
        ...Object.entries(conditionCost).map(([variant, micros]) => [`a call through an armed line, ${variant} (µs)`, micros.toFixed(2), '', '']),
        ['parts, a worker session\'s capture: stop = the pause reaching the worker + the call\'s round trip + the release and resume until the thread runs (ms)', `${viaWorker.stop} = ${viaWorker.pauseToWorker} + ${viaWorker.captureCallRoundTrip} + ${viaWorker.afterCallToRunning}`, '', `n=${captures}`],
        ['parts, the same, the capture call resuming the thread itself (tried; epdb does not: see below) (ms)', `${resumingInCall.stop} = ${resumingInCall.pauseToWorker} + ${resumingInCall.captureCallRoundTrip} + ${resumingInCall.afterCallToRunning}`, '', `n=${captures}`],
        ['parts, a same-thread session capturing in its own paused handler, the worker resuming on its signal: stop = pause to handler + call + signal to running (ms)', `${sameThread.stop} = ${sameThread.pauseToHandler} + ${sameThread.captureCall} + ${sameThread.signalledToRunning}`, '', `n=${captures}`],
        ['a same-thread session\'s Debugger.resume from its own paused handler, a worker session connected: the stop (ms)', `${ownHandlerResume.stop} (${ownHandlerResume.resumedByItsOwnHandler ? 'resumed' : 'lost: stopped until the worker\'s 2 s watchdog'})`, '', 'n=2'],
        ['Debugger.enable, Express loaded: a worker session\'s first (stall) / a same-thread session\'s after it (ms)', `${enabling.workerEnableStallFirst} / ${enabling.sameThreadEnableAfter}`, '', `${enabling.scripts} scripts`],
        ['Debugger.enable, the other order: a same-thread session\'s first / a worker session\'s after it (stall) (ms)', `${enablingSameFirst.sameThreadEnableFirst} / ${enablingSameFirst.workerEnableStallAfter}`, '', `${enablingSameFirst.scripts} scripts`],
      ],
      targets: [
        withReason({ what: 'main-thread stop per snapshot / a bare pause (medians)', target: `≤ ${FLOOR_FACTOR}x`, measured: `${(snapshot.median / summarize(floor).median).toFixed(2)}x (${snapshot.median.toFixed(2)} / ${summarize(floor).median.toFixed(2)} ms)`, met: snapshot.median <= FLOOR_FACTOR * summarize(floor).median },
          `V8's own minimal capture, the pause, one call with the top frame's scopes and the worker's resume (the first parts row), takes ${viaWorker.stop} ms, ${(Number(viaWorker.stop) / summarize(floor).median).toFixed(2)}x the bare pause: no capture that reads the paused frames through the protocol is within ${FLOOR_FACTOR}x; epdb's, which reads ${CAPTURE_LIMITS.framesWithLocals} frames and the expressions, is ${(snapshot.median / Number(viaWorker.stop)).toFixed(2)}x that minimal one`),
        withReason({ what: 'main-thread stop per logpoint / a conditional breakpoint\'s run (medians)', target: `≤ ${FLOOR_FACTOR}x`, measured: `${(log.median / summarize(conditionFloor).median).toFixed(2)}x (${log.median.toFixed(2)} / ${summarize(conditionFloor).median.toFixed(2)} ms)`, met: log.median <= FLOOR_FACTOR * summarize(conditionFloor).median },
          'V8\'s run of a conditional breakpoint is the floor; the rest is epdb\'s reading and formatting in the condition (its line is posted after the condition returns)'),
        withReason({ what: 'main-thread stall of the first probe of a process', target: `≤ ${FIRST_PROBE_STALL_MS} ms`, measured: `${firstArming.toFixed(1)} ms`, met: firstArming <= FIRST_PROBE_STALL_MS },
          `V8's first Debugger.enable (${enabling.workerEnableStallFirst} ms here) costs as much from a same-thread session (${enablingSameFirst.sameThreadEnableFirst} ms) and has no option to skip or split its report of every script`),
        withReason({ what: 'throughput through the line while a probe waits there, ratio', target: `≥ ${ARMED_TARGET_RATIO}`, measured: armed.median.toFixed(3), met: armed.median >= ARMED_TARGET_RATIO },
          `V8 alone, a breakpoint whose condition is \`false\` on this line and no epdb, keeps ${v8Line.median.toFixed(3)} of the throughput in the same rounds; its cheapest conditional breakpoint in a one-line function (${floorMicros.toFixed(1)} µs a run) bounds it at ${bestArmedRatio.toFixed(2)}; 0.9 needs under ${(requestMicros / 9).toFixed(1)} µs a run`),
        { what: 'throughput with no probe armed, epdb / unpatched', target: `≥ ${UNARMED_TARGET_RATIO}`, measured: unarmed.median.toFixed(3), met: unarmed.median >= UNARMED_TARGET_RATIO },
      ],
      notes: [
        `Where the stop goes. A logpoint whose holes are plain reads (\`order.id\`, \`total\`) is formatted inside its breakpoint's `
        + `condition, on the main thread, by descriptors (no getter or proxy is touched, no app code runs): it never pauses, and its stop is `
        + `V8's cost of a conditional breakpoint plus epdb's reading and formatting (the message is split once, when the probe starts running; `
        + `the line is posted to the worker on the next tick, after the condition has returned: posted from inside it, it made the stop ~0.3 ms longer). That V8 cost is the third floor row: a fresh breakpoint on this `
        + `line with the condition \`false\`, hit once 150 ms after the last (as probe knocks come), stops the thread for that long before `
        + `any of epdb's code runs; the logpoint target is ${FLOOR_FACTOR}x that floor. A snapshot pauses: V8 builds the pause `
        + `event (the first floor row: ~45 µs a stack frame; Express's handler is 17 deep; more with the promise hooks that `
        + `the request's AsyncLocalStorage context turns on, the second row: epdb needs that context to aim at one request), then the bridge worker makes one `
        + `\`Runtime.callFunctionOn\` with every scope object, which reads the frames' locals and the plain-read expressions on the main `
        + `thread and answers one JSON string (other expressions are evaluated side-effect free alongside); then the worker resumes the thread `
        + `(its \`Debugger.resume\` releases the pause's objects too). The snapshot target is `
        + `${FLOOR_FACTOR}x the bare pause of the first floor row. The parts rows (\`bench/children/probe-stop-parts.cjs\`, a capture of the `
        + `top frame's scopes on the same Express line) split the stop: the pause reaching the worker is most of it, and is V8's (the floor is it `
        + `plus a resume); the call's round trip comes next, and most of that is V8's protocol work on the main thread, which a same-thread `
        + `session's synchronous call pays too.`,
        `A capture on the main thread itself (issue #22: a same-thread session, \`session.connect()\`, whose \`Debugger.paused\` handler runs while `
        + `the thread is stopped and whose commands answer synchronously) cannot end its own pause: V8 hands the pause to that handler before `
        + `Node's inspector client enters its pause loop and marks the thread as waiting for a resume, so a \`Debugger.resume\` from the handler `
        + `is lost, and the thread stays stopped for as long as any worker session is connected (the bridge always holds one); the row `
        + `"resume from its own paused handler" measures it (stopped until a watchdog in the worker resumed it). Resumed by the worker on a `
        + `signal instead, that capture still pays V8's pause event (now JSON-parsed on the main thread) and a cross-thread resume, and its `
        + `session's \`Debugger.enable\` would add a second report of every script to the first probe: its parts row is no better than the `
        + `worker's own capture. A \`Debugger.resume\` from a same-thread session does work from inside a worker's call, which runs in that `
        + `pause loop (the second parts row).`,
        `The condition rows explain the throughput with a probe armed: \`bench/children/worker-breakpoint.cjs condition-cost\` calls a one-line function in a `
        + `loop while a worker session holds a breakpoint on its line. V8 charges every run of a line with a conditional breakpoint for `
        + `entering its debugger and evaluating the condition in the frame, even a condition that is just \`false\`. There every free name is `
        + `looked up through the paused frame's scopes, ~25 µs a name: epdb's condition reaches its check from a literal `
        + `(\`({}).constructor['epdb.probeHit']\`, not \`globalThis[Symbol.for(...)]\`), and costs about what \`false\` does. That floor bounds the `
        + `throughput: a request here costs ${requestMicros.toFixed(1)} µs (1 / req/s with no probe armed), and each run of the probed line adds `
        + `at least ${floorMicros.toFixed(1)} µs, so the best ratio V8 allows is ${requestMicros.toFixed(1)} / (${requestMicros.toFixed(1)} + ${floorMicros.toFixed(1)}) `
        + `= ${bestArmedRatio.toFixed(2)}; 0.9 would need a run under ${(requestMicros / 9).toFixed(1)} µs. A request that runs the probed line pays it `
        + `once per run, only while a probe is armed there.`,
        `The worker resumes every capture itself. A resume from the main thread at the end of the capture call (the second parts row; `
        + `0.1-0.5 ms less per snapshot in an A/B run, December 2026) was built, tried and removed: V8 keeps the call frames of every pause in one `
        + `object group per session (\`backtrace\`), which that session's own \`Debugger.resume\` releases before the thread goes on. After another `
        + `session's resume the worker has to release it by hand, and once the thread runs that release can land in the next probed request's `
        + `pause and take its objects: under 50 probe knocks a second a capture failed with "Could not find object with given id" (CI, Node 24). `
        + `The protocol has no group of one pause's own for \`backtrace\`.`,
        `The throughput with a probe armed (${armed.median.toFixed(3)} of epdb with none) is to be read against V8's own bound on the same line, `
        + `measured in the same rounds: the app with no epdb and a worker session's breakpoint whose condition is \`false\` on the probed line keeps `
        + `${v8Line.median.toFixed(3)} of the unpatched app's throughput (\`bench/fixtures/false-breakpoint.cjs\`). That is lower than the one-line `
        + `function's bound above: in an Express handler V8's condition check costs more than in the microbenchmark's loop (it builds the `
        + `frame's scopes to evaluate the condition in), and every request through the line pays it, whatever the condition.`,
        `On-throw: while an on-throw probe waits, the probe session pauses on every exception (V8 has no per-request condition for `
        + `exceptions); the worker resumes one thrown in Node's own code at once, and for any other asks the main thread, in one call, whether `
        + `it was thrown for the probed request (and captures there if so); another request's exception is resumed from inside that call. `
        + `Every exception of every other request pays that pause and call while the probe waits: the throughput row measures it on a route `
        + `whose every request throws.`,
        `Arming: the stall rows are the longest event-loop gap of a server around one knock whose probe is never reached (armed, then `
        + `disarmed when the request ends), read from a 1 ms timer in the app. The first probe knock starts the bridge and turns the probe `
        + `session's debugger on, and V8 reports every loaded script (\`Debugger.scriptParsed\`, ~280 for this Express app) on the main thread. `
        + `The enable rows: the first \`Debugger.enable\` stalls the thread as long from a same-thread session as from a worker's, and a second `
        + `session's enable after it, which reports every script again, costs a fraction of it: most is V8 turning its debugger on, once `
        + `a process. \`Debugger.enable\` has no option to skip or split the report, so the stall can be moved (the debugger turned on `
        + `before the first probe) but not bounded. The debugger then stays on for a minute after the last probe (while no debugger `
        + `client is attached), so the knocks that follow pay only for setting and removing one breakpoint.`,
      ],
      raw: { taken, logged, thrown, throwing, floor, contextFloor, conditionFloor, firstArming, arming, results },
    };
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }
}
