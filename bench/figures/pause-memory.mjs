// Figure 9: memory over many pauses: heap (after a full GC) and RSS growth per 1,000 knocked
// requests paused and resumed on one attached debugger, for both stops, and per 1,000
// attach -> pause -> resume -> detach cycles. Each request carries ~64 KB of ballast, so frames
// kept alive by the debugger show.
import { BASE64_KNOCK, connectDebugger, freePort, get } from '../lib/debugger.mjs';
import { benchEnv, REPO_ROOT, startServer } from '../lib/procs.mjs';

const SOAK_APP = `${REPO_ROOT}test/fixtures/session/soak-app.cjs`;
const TARGET_MB = 2;

async function memoryOf(port) {
  const { default: http } = await import('node:http');
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/heap', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

async function soak(stopAt, pauses, cycles) {
  const bridgePort = await freePort();
  const server = await startServer(['--expose-gc', '--import', 'epdb/register', SOAK_APP],
    benchEnv({ EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0', EPDB_STOP_AT: stopAt }));
  let debuggerSession;
  const pauseOnce = async (n) => {
    const response = get(server.port, `/soak?n=${n}`, { 'x-epdb': BASE64_KNOCK });
    await debuggerSession.nextPause();
    await debuggerSession.resume();
    if (await response !== 200) throw new Error('not served after resume');
  };
  try {
    const first = get(server.port, '/soak?first', { 'x-epdb': BASE64_KNOCK });
    await server.waitForStderr(/waiting for a debugger on/);
    debuggerSession = await connectDebugger(bridgePort);
    await debuggerSession.run();
    await debuggerSession.nextPause();
    await debuggerSession.resume();
    await first;
    for (let n = 0; n < 50; n++) await pauseOnce(n);
    const before = await memoryOf(server.port);
    for (let n = 0; n < pauses; n++) await pauseOnce(n);
    const afterPauses = await memoryOf(server.port);
    let afterCycles = afterPauses;
    if (cycles > 0) {
      for (let n = 0; n < cycles; n++) {
        const detachedFrom = server.stderr.lines.length;
        await debuggerSession.close();
        await server.waitForStderr(/debugger detached/, 10_000, detachedFrom);
        const response = get(server.port, `/soak?c=${n}`, { 'x-epdb': BASE64_KNOCK });
        debuggerSession = await connectDebugger(bridgePort);
        await debuggerSession.run();
        await debuggerSession.nextPause();
        await debuggerSession.resume();
        await response;
      }
      afterCycles = await memoryOf(server.port);
    }
    return { before, afterPauses, afterCycles };
  } finally {
    await debuggerSession?.close().catch(() => {});
    await server.stop();
  }
}

const perThousand = (bytes, count) => ((bytes / count) * 1000) / 1e6;

/** @param {{ pauses: number, cycles: number }} options */
export async function pauseMemory({ pauses, cycles }) {
  const rows = [];
  const targets = [];
  for (const stopAt of ['app', 'entry']) {
    const { before, afterPauses, afterCycles } = await soak(stopAt, pauses, stopAt === 'app' ? cycles : 0);
    const heap = perThousand(afterPauses.heapUsed - before.heapUsed, pauses);
    const rss = perThousand(afterPauses.rss - before.rss, pauses);
    rows.push([`**${pauses} pauses, EPDB_STOP_AT=${stopAt}**`, `${(before.heapUsed / 1e6).toFixed(1)} → ${(afterPauses.heapUsed / 1e6).toFixed(1)}`, `**${heap.toFixed(2)}**`, `${(before.rss / 1e6).toFixed(0)} → ${(afterPauses.rss / 1e6).toFixed(0)}`, rss.toFixed(1)]);
    targets.push({ what: `heap growth per 1,000 pauses (${stopAt})`, target: `< ${TARGET_MB} MB`, measured: `${heap.toFixed(2)} MB`, met: heap < TARGET_MB });
    if (stopAt === 'app' && cycles > 0) {
      const cycleHeap = perThousand(afterCycles.heapUsed - afterPauses.heapUsed, cycles);
      const cycleRss = perThousand(afterCycles.rss - afterPauses.rss, cycles);
      rows.push([`${cycles} attach → pause → resume → detach cycles`, `${(afterPauses.heapUsed / 1e6).toFixed(1)} → ${(afterCycles.heapUsed / 1e6).toFixed(1)}`, cycleHeap.toFixed(2), `${(afterPauses.rss / 1e6).toFixed(0)} → ${(afterCycles.rss / 1e6).toFixed(0)}`, cycleRss.toFixed(1)]);
      targets.push({ what: 'heap growth per 1,000 attach/detach cycles', target: `< ${TARGET_MB} MB`, measured: `${cycleHeap.toFixed(2)} MB`, met: cycleHeap < TARGET_MB });
    }
  }
  return {
    id: 9,
    title: 'Memory over many pauses',
    method: `\`test/fixtures/session/soak-app.cjs\` (node:http; each request hangs ~64 KB of objects on \`req\`) under `
      + `\`--expose-gc --import epdb/register\`; one chrome-remote-interface client attached; 50 warm-up pauses, then `
      + `${pauses} knocked requests paused and resumed one after the other (and, for \`app\`, ${cycles} attach/detach cycles). `
      + `Heap used after two full GCs and RSS, read by the app itself; growth scaled to 1,000. Before the fix `
      + `(the arming session's \`backtrace\` object group kept for ever) 400 pauses grew this heap by 70 MB (~175 MB per 1,000).`,
    table: [['run', 'heap after GC, MB', 'heap growth per 1,000, MB', 'RSS, MB', 'RSS growth per 1,000, MB'], ...rows],
    targets,
    notes: ['RSS grows for the first few hundred attach/detach cycles and then levels off (a run of 800 cycles here: 71 → 117 MB by cycle 400, 117 MB at 500, 600 and 700) while the heap stays flat: the allocator and the bridge worker\'s own heap settling, not memory held per pause.'],
  };
}
