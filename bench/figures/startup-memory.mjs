// Figure 6: what the preload costs at start-up and at rest, and what it leaves unloaded until
// a knock arrives.
import { JWT_SECRET, FERNET_KEY } from '../lib/keys.mjs';
import { requestsPerSecond } from '../lib/load.mjs';
import { BASE64_KNOCK, freePort, get } from '../lib/debugger.mjs';
import { benchEnv, procStatus, runNodeTimed, startServer } from '../lib/procs.mjs';
import { formatSummary, interleave, median, pairedDifferences, quantile, summarize } from '../lib/stats.mjs';

const TARGET_MS = 20;
const TARGET_MB = 3;
const PRINT_MAX_RSS = 'process.stdout.write(String(process.resourceUsage().maxRSS))';

const JWT = { EPDB_BACKEND: 'jwt', EPDB_KEY: JWT_SECRET };
const FERNET = { EPDB_BACKEND: 'fernet', EPDB_KEY: FERNET_KEY };
/** Start-up variants: [name, node flags, env]. */
const STARTS = {
  'node -e 0': [[], {}],
  '--require empty.cjs': [['--require', './bench/fixtures/empty.cjs'], {}],
  '--import empty.mjs': [['--import', './bench/fixtures/empty.mjs'], {}],
  // What the CommonJS hook for http/https/http2 costs on its own: epdb loads it at start-up while
  // the app has not loaded them yet (the usual case), so the jwt rows below include it.
  '--require require-in-the-middle (alone)': [['--require', 'require-in-the-middle'], {}],
  '--require epdb/register, unset': [['--require', 'epdb/register'], {}],
  '--require epdb/register, jwt': [['--require', 'epdb/register'], JWT],
  '--import epdb/register, unset': [['--import', 'epdb/register'], {}],
  '--import epdb/register, jwt': [['--import', 'epdb/register'], JWT],
  '--import epdb/register, fernet': [['--import', 'epdb/register'], FERNET],
  '--import epdb/register, base64': [['--import', 'epdb/register'], { EPDB_BACKEND: 'base64' }],
};

/**
 * What the `--require require-in-the-middle (alone)` row and the start-up peak RSS of the jwt rows
 * mean since epdb hooks CommonJS loads of https/http2 with require-in-the-middle (issue 13); how
 * the file-backed pages were found is in the note's last sentence.
 */
const REQUIRE_HOOK_NOTE = 'require-in-the-middle: epdb loads it at `instrument()` only while the app has not loaded `http`, `https` or `http2` yet '
  + '(the usual case for a preload), to wrap their prototypes on the `require` that loads them; the row `--require '
  + 'require-in-the-middle (alone)` is its own cost over an empty `--require`, loaded from node_modules with the 7 '
  + 'modules it pulls in. In epdb\'s preload it is bundled (with shimmer and the rest of the main thread\'s start-up code: '
  + '`dist/preload.js` and `dist/preload-main.js`, made by esbuild at build time; what runs only on a knock is a third '
  + 'file, `dist/preload-knock.js`, loaded with the first knock), which is what took '
  + 'the jwt start-up from +48.7 ms and +7.8 MB (30 files loaded one by one) to the rows above. What is left: '
  + 'compiling the ~70 KB start-up bundle, and the built-ins it needs '
  + '(`node:net` with the streams it pulls in; the step table), which an HTTP app loads anyway (since '
  + 'December 2026 the preload no longer loads `node:worker_threads` to tell a worker thread, nor `node:http`, which '
  + 'it wraps when the app loads it, as it does https and http2: ~2.5 ms, and ~90 KB of V8\'s 1 MB young generation that '
  + 'had tipped `--import` start-up into a ~3 ms scavenge; and `--import` gets an '
  + 'ES-module build of it, `dist/preload.mjs`: importing the CommonJS file ran Node\'s CommonJS export lexer, ~2.5 ms); '
  + 'and Node\'s own resolving of `epdb/register` through package.json `exports` (the `unset` rows); V8\'s code cache would take the compile off, but Node 20 has no compile cache of its '
  + 'own (`module.enableCompileCache()` is Node 22.1+) and a cache epdb wrote to a shared directory from a '
  + 'production process would be code anyone able to write there could swap.';

/** Which floor each variant is compared to: what the flag alone costs. */
const floorOf = (name) => (name.startsWith('--require') ? '--require empty.cjs' : name.startsWith('--import') ? '--import empty.mjs' : null);

/** @param {{ rounds: number, serverRounds: number }} options */
export async function startupMemory({ rounds, serverRounds }) {
  const names = Object.keys(STARTS);
  // Each round measures every variant twice: wall time of `-e 0`, and peak RSS of a script that
  // prints it (process.resourceUsage().maxRSS, kB) at the end.
  const results = await interleave(names, rounds, async (name) => {
    const [flags, env] = STARTS[name];
    const { wallMs } = runNodeTimed([...flags, '-e', '0'], benchEnv(env));
    const { stdout, stderr } = runNodeTimed([...flags, '-e', PRINT_MAX_RSS], benchEnv(env));
    if (stderr !== '') throw new Error(`${name} wrote to stderr: ${stderr}`);
    return { wallMs, maxRssKb: Number(stdout) };
  });
  const wall = (name) => results[name].map((r) => r.wallMs);
  const rss = (name) => results[name].map((r) => r.maxRssKb / 1024);
  const startTable = [['start-up', 'wall ms (median)', 'peak RSS MB (median)', 'wall added vs its floor, ms', 'wall added, fastest tenth vs fastest tenth, ms', 'peak RSS added vs its floor, MB']];
  const targets = [];
  for (const name of names) {
    const floor = floorOf(name);
    const addedWall = floor && floor !== name ? summarize(pairedDifferences(wall(floor), wall(name))) : null;
    const addedRss = floor && floor !== name ? summarize(pairedDifferences(rss(floor), rss(name))) : null;
    const vsNode = name === 'node -e 0' ? null : summarize(pairedDifferences(wall('node -e 0'), wall(name)));
    startTable.push([
      `\`${name}\``,
      summarize(wall(name)).median.toFixed(1),
      summarize(rss(name)).median.toFixed(1),
      addedWall ? formatSummary(addedWall, 1) : (vsNode ? `(the flag itself: ${formatSummary(vsNode, 1)} over \`node -e 0\`)` : '(reference)'),
      // Noise only ever adds time: the difference of the fastest runs is a second, robust estimate.
      name === 'node -e 0' ? '' : (quantile(wall(name), 0.1) - quantile(wall(floor && floor !== name ? floor : 'node -e 0'), 0.1)).toFixed(1),
      addedRss ? formatSummary(addedRss, 2) : '',
    ]);
    if (addedWall && (name.includes('jwt') || name.includes('unset'))) {
      targets.push({ what: `start-up added by epdb (${name})`, target: `< ${TARGET_MS} ms`, measured: `${addedWall.median.toFixed(1)} ms`, met: addedWall.median < TARGET_MS });
      targets.push({ what: `peak RSS added at start-up (${name})`, target: `< ${TARGET_MB} MB`, measured: `${addedRss.median.toFixed(2)} MB`, met: addedRss.median < TARGET_MB });
    }
  }

  const breakdown = startupBreakdown(5);
  const profile = await startupProfile(5);
  const idle = await idleServers(serverRounds);
  for (const [name, floor] of [['--require epdb/register, jwt', '--require empty.cjs'], ['--import epdb/register, jwt', '--import empty.mjs'], ['Express 5, --require epdb/register, jwt', 'Express 5, --require empty.cjs'], ['--require epdb/register, jwt, young generation pinned', '--require empty.cjs, young generation pinned']]) {
    const added = summarize(pairedDifferences(idle.results[floor].map((r) => r.rssMb), idle.results[name].map((r) => r.rssMb)));
    targets.push({ what: `RSS added in an idle server, 2000 unknocked requests served (${name.startsWith('Express') ? name : `node:http, ${name}`})`, target: `< ${TARGET_MB} MB`, measured: `${added.median.toFixed(2)} MB`, met: added.median < TARGET_MB });
  }
  const probes = [await probeModules('jwt'), await probeModules('fernet'), await probeModules('base64')];
  const heavyBeforeKnock = probes.flatMap((probe) => probe.rows.filter((row) => row.before).map((row) => `${row.name} (${probe.backend})`));
  targets.push({ what: 'heavy modules loaded before a knock', target: 'none', measured: heavyBeforeKnock.length === 0 ? 'none' : heavyBeforeKnock.join(', '), met: heavyBeforeKnock.length === 0 });

  return {
    id: 6,
    title: 'Start-up and memory',
    method: `Start-up: ${rounds} rounds of every variant, interleaved and rotated; wall time of \`node <flags> -e 0\` `
      + `(spawnSync, nothing else running in the bench process), and peak RSS (\`process.resourceUsage().maxRSS\` printed by `
      + `\`-e\` at the end) of a second run. "Added" is the variant minus its flag's floor (an empty \`--require\` or `
      + `\`--import\` module) in the same round: what epdb costs beyond what the flag costs. Idle servers: \`bench/servers/app.cjs http\` `
      + `under \`--expose-gc\`, ${serverRounds} times each, interleaved; after 2000 unknocked requests a full GC, then RSS from `
      + `/proc/<pid>/status and the heap used; each patched server is compared with the empty preload of its own flag; `
      + `"spawn → listening" is the time from spawning the server to its \`listening\` line (a real app's start-up). `
      + `The step-by-step table times each module \`register\` loads, in-process; the \`--cpu-prof\` table compares CPU profiles `
      + `of the preload with those of an empty one (the profiler slows both down). `
      + `Module loading: a server under \`--import ./bench/fixtures/esm-probe.mjs --import epdb/register\` (the probe logs every `
      + `ES module resolved; CommonJS from \`require.cache\`, built-ins from \`process.moduleLoadList\`, threads from /proc), `
      + `after 500 unknocked requests, then again after one valid knock (the positive control: the check sees them load).`,
    table: startTable,
    notes: [idle.note, REQUIRE_HOOK_NOTE],
    extraTables: [breakdown.table, profile.table, idle.table, ...probes.map((probe) => probe.table)],
    targets,
    raw: { results, breakdown: breakdown.raw, profile: profile.raw, idle: idle.results, probes: probes.map((probe) => probe.raw) },
  };
}

/** Where the preload's time goes, step by step, in fresh processes (bench/children/startup-breakdown.cjs). */
function startupBreakdown(processes) {
  /** @type {Record<string, number[]>} */
  const raw = {};
  for (let i = 0; i < processes; i++) {
    const { stdout } = runNodeTimed(['bench/children/startup-breakdown.cjs'], benchEnv());
    for (const [step, ms] of Object.entries(JSON.parse(stdout))) (raw[step] ??= []).push(ms);
  }
  const table = [[`where the preload's time goes (EPDB_BACKEND=jwt; in-process, median of ${processes} processes)`, 'ms']];
  let total = 0;
  for (const [step, values] of Object.entries(raw)) {
    total += median(values);
    table.push([step, median(values).toFixed(2)]);
  }
  table.push(['**total** (node:net included)', `**${total.toFixed(2)}**`]);
  return { table, raw };
}

/**
 * CPU profiles of `node --require epdb/register -e 0` (jwt) and of `node --require empty.cjs -e 0`:
 * self time by part of the process, averaged over `processes` profiles each (sampled every
 * 100 µs), and the difference: where epdb's start-up time goes.
 */
async function startupProfile(processes) {
  const { mkdtemp, readdir, readFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const variants = { epdb: [['--require', 'epdb/register'], JWT], empty: [['--require', './bench/fixtures/empty.cjs'], {}] };
  const dirs = {};
  try {
    for (const name of Object.keys(variants)) dirs[name] = await mkdtemp(join(tmpdir(), `epdb-bench-prof-${name}-`));
    await interleave(Object.keys(variants), processes, async (name) => {
      const [flags, env] = variants[name];
      runNodeTimed(['--cpu-prof', '--cpu-prof-dir', dirs[name], '--cpu-prof-interval', '100', ...flags, '-e', '0'], benchEnv(env));
    });
    /** @type {Record<string, Record<string, number>>} */
    const byPart = {};
    for (const name of Object.keys(variants)) {
      byPart[name] = {};
      const files = await readdir(dirs[name]);
      for (const file of files) {
        const profile = JSON.parse(await readFile(join(dirs[name], file), 'utf8'));
        /** @type {Record<number, number>} */
        const selfUs = {};
        profile.samples.forEach((id, i) => { selfUs[id] = (selfUs[id] ?? 0) + (profile.timeDeltas[i] ?? 0); });
        for (const node of profile.nodes) {
          const part = partOf(node.callFrame);
          byPart[name][part] = (byPart[name][part] ?? 0) + (selfUs[node.id] ?? 0) / 1000 / files.length;
        }
      }
    }
    const parts = [...new Set([...Object.keys(byPart.epdb), ...Object.keys(byPart.empty)])];
    const difference = (part) => (byPart.epdb[part] ?? 0) - (byPart.empty[part] ?? 0);
    const table = [[`\`--cpu-prof\`, self time by part (mean of ${processes} profiles each)`, '`--require epdb/register` (jwt), ms', '`--require empty.cjs`, ms', 'difference, ms']];
    for (const part of parts.sort((a, b) => difference(b) - difference(a)).slice(0, 8)) {
      table.push([part, (byPart.epdb[part] ?? 0).toFixed(2), (byPart.empty[part] ?? 0).toFixed(2), difference(part).toFixed(2)]);
    }
    const total = (name) => Object.values(byPart[name]).reduce((a, b) => a + b, 0);
    table.push(['**all sampled time**', total('epdb').toFixed(2), total('empty').toFixed(2), `**${(total('epdb') - total('empty')).toFixed(2)}**`]);
    return { table, raw: byPart };
  } finally {
    for (const dir of Object.values(dirs)) await rm(dir, { recursive: true, force: true });
  }
}

/** @param {{ url: string, functionName: string }} frame */
function partOf({ url, functionName }) {
  if (url.includes('/dist/')) return "epdb's own code (dist/)";
  if (url.includes('/node_modules/')) return `npm: ${url.split('/node_modules/')[1].split('/')[0]}`;
  if (url.startsWith('node:internal/modules')) return "Node's module loader (resolve, read, compile)";
  if (url.startsWith('node:internal/bootstrap/realm')) return 'loading Node built-ins (compileForInternalLoader)';
  if (url === '') return `(${functionName})`;
  return url.startsWith('node:internal/') ? 'other Node internals' : url;
}

/** Holds V8's young generation at its initial 2 MB (two 1 MB semi-spaces), whatever survives. */
const PIN_YOUNG = '--max-semi-space-size=1';

/** RSS of idle servers: unpatched, with an empty preload, and patched, under each flag. */
async function idleServers(rounds) {
  const variants = {
    unpatched: [[], {}],
    '--require empty.cjs': [['--require', './bench/fixtures/empty.cjs'], {}],
    '--require epdb/register, jwt': [['--require', 'epdb/register'], JWT],
    '--require ./dist/register.js (by path), jwt': [['--require', './dist/register.js'], JWT],
    '--import empty.mjs': [['--import', './bench/fixtures/empty.mjs'], {}],
  // What the CommonJS hook for http/https/http2 costs on its own: epdb loads it at start-up while
  // the app has not loaded them yet (the usual case), so the jwt rows below include it.
  '--require require-in-the-middle (alone)': [['--require', 'require-in-the-middle'], {}],
    '--import epdb/register, jwt': [['--import', 'epdb/register'], JWT],
    // The control for V8's young-generation heuristic (see idleNote): the same size for both.
    '--require empty.cjs, young generation pinned': [[PIN_YOUNG, '--require', './bench/fixtures/empty.cjs'], {}],
    '--require epdb/register, jwt, young generation pinned': [[PIN_YOUNG, '--require', 'epdb/register'], JWT],
    'Express 5, --require empty.cjs': [['--require', './bench/fixtures/empty.cjs'], {}, 'express'],
    'Express 5, --require epdb/register, jwt': [['--require', 'epdb/register'], JWT, 'express'],
  };
  const results = await interleave(Object.keys(variants), rounds, async (name) => {
    const [flags, env, kind = 'http'] = variants[name];
    const server = await startServer(['--expose-gc', ...flags, 'bench/servers/app.cjs', kind], benchEnv(env));
    try {
      await requestsPerSecond(server.port, { durationS: 10, amount: 2000, connections: 4 });
      // /__stats runs a full GC first (--expose-gc), then reports the heap.
      const { memory, heapSpaces } = JSON.parse(await (await fetch(`http://127.0.0.1:${server.port}/__stats`)).text());
      await new Promise((resolve) => setTimeout(resolve, 200));
      const status = await procStatus(server.pid);
      return { rssMb: parseInt(status.VmRSS, 10) / 1024, heapUsedMb: memory.heapUsed / 2 ** 20, threads: Number(status.Threads), startMs: server.startMs, youngMb: heapSpaces.new_space / 2 ** 20 };
    } finally {
      await server.stop();
    }
  });
  const floorOfIdle = (name) => {
    if (name.endsWith('pinned')) return name.includes('register') ? '--require empty.cjs, young generation pinned' : null;
    if (name.startsWith('Express')) return name.includes('register') ? 'Express 5, --require empty.cjs' : null;
    if (!name.includes('register')) return name === 'unpatched' ? null : 'unpatched';
    return name.startsWith('--require') ? '--require empty.cjs' : '--import empty.mjs';
  };
  const table = [['idle server (node:http unless named; 2000 requests served)', 'RSS MB (median)', 'heap used after GC, MB (median)', 'young generation (new space), MB', 'threads', 'RSS added vs its floor, MB', 'heap used added vs its floor, MB', 'spawn → listening, ms (median)', 'added vs its floor, ms']];
  for (const name of Object.keys(variants)) {
    const r = results[name];
    const vs = floorOfIdle(name);
    const floor = vs === null ? r : results[vs];
    table.push([
      name,
      summarize(r.map((x) => x.rssMb)).median.toFixed(1),
      summarize(r.map((x) => x.heapUsedMb)).median.toFixed(2),
      summarize(r.map((x) => x.youngMb)).median.toFixed(1),
      String(summarize(r.map((x) => x.threads)).median),
      vs === null ? '(reference)' : `${formatSummary(summarize(pairedDifferences(floor.map((x) => x.rssMb), r.map((x) => x.rssMb))), 2)} vs ${vs}`,
      vs === null ? '' : formatSummary(summarize(pairedDifferences(floor.map((x) => x.heapUsedMb), r.map((x) => x.heapUsedMb))), 2),
      summarize(r.map((x) => x.startMs)).median.toFixed(1),
      vs === null ? '' : formatSummary(summarize(pairedDifferences(floor.map((x) => x.startMs), r.map((x) => x.startMs))), 1),
    ]);
  }
  const pinned = summarize(pairedDifferences(
    results['--require empty.cjs, young generation pinned'].map((r) => r.rssMb),
    results['--require epdb/register, jwt, young generation pinned'].map((r) => r.rssMb),
  )).median;
  return { results, table, note: idleNote(pinned) };
}

/** What the idle-server table shows; `pinnedMb` is what epdb adds with the young generation pinned. */
const idleNote = (pinnedMb) => 'Most of the idle RSS that epdb adds is V8 sizing its young generation at 4 MB instead of 2 (the "young '
  + 'generation" column), not memory epdb holds: the heap used after a full GC differs by a few hundred KB, and the '
  + 'wrap allocates nothing per request (figure 1). That sizing is V8\'s: after a scavenge it doubles the young '
  + 'generation once the bytes that survived scavenges since its last growth pass the size of one of its two halves (1 MB), and an object '
  + 'copied by one scavenge and promoted by the next counts twice. This small app\'s own start-up nearly fills the '
  + 'young generation, so one scavenge comes during start-up with or without epdb; what epdb\'s start-up leaves '
  + 'alive (the start-up bundle\'s source, its closures, the hooks: ~200 KB) then counts twice and carries the sum '
  + 'past 1 MB (`--trace-gc-nvp`, checked while writing this bench; it is why a smaller start-up bundle matters). '
  + 'The control proves it: with '
  + `the young generation pinned at 2 MB for both (\`${PIN_YOUNG}\`, the "pinned" rows), epdb adds `
  + `${pinnedMb.toFixed(2)} MB. A real app sizes it up by `
  + 'itself: an Express app\'s young generation is at 32 MB with or without epdb, and there the RSS difference is '
  + 'within the noise.';

/** What a patched idle server has loaded, before and after its first valid knock. */
async function probeModules(backend) {
  const { JWTBackend, FernetBackend } = await import('epdb');
  const knock = backend === 'jwt'
    ? `JWT ${await new JWTBackend({ secret: JWT_SECRET, maxAgeSeconds: 3600 }).encode({ epdb: {} })}`
    : backend === 'fernet'
      ? `Fernet ${await new FernetBackend({ key: FERNET_KEY, maxAgeSeconds: 3600 }).encode({ epdb: {} })}`
      : BASE64_KNOCK;
  const env = { base64: { EPDB_BACKEND: 'base64' }, jwt: JWT, fernet: FERNET }[backend];
  const server = await startServer(['--import', './bench/fixtures/esm-probe.mjs', '--import', 'epdb/register', 'bench/servers/app.cjs', 'http'],
    benchEnv({ ...env, EPDB_PORT: String(await freePort()), EPDB_WAIT_TIMEOUT: '0' }));
  const snapshot = async () => {
    const stats = JSON.parse(await (await fetch(`http://127.0.0.1:${server.port}/__stats`)).text());
    const esm = server.stderr.lines.filter((line) => line.startsWith('esm-probe ')).map((line) => line.slice(10));
    return { cjs: stats.commonJs, esm, builtins: stats.builtins, threads: Number((await procStatus(server.pid)).Threads) };
  };
  try {
    await requestsPerSecond(server.port, { durationS: 10, amount: 500, connections: 4 });
    const before = await snapshot();
    const from = server.stderr.lines.length;
    void get(server.port, '/hello/knocked', { 'x-epdb': knock }).catch(() => {});
    await server.waitForStderr(/waiting for a debugger on/, 15_000, from);
    const after = await snapshot();
    const has = (snap, test) => [...snap.cjs, ...snap.esm].some(test);
    const checks = [
      ['jose (ESM)', (p) => p.includes('/node_modules/jose/')],
      ['fernet (verification uses node:crypto; the library only makes knocks)', (p) => p.includes('/node_modules/fernet/')],
      ['crypto-js', (p) => p.includes('/node_modules/crypto-js/')],
      ['ws (main thread; the bridge loads it in its worker)', (p) => p.includes('/node_modules/ws/')],
      ['@opentelemetry/api', (p) => p.includes('/node_modules/@opentelemetry/api/')],
      ['the knock bundle (dist/preload-knock.js: gate, knock verification, probes, dial-out)', (p) => p.endsWith('/dist/preload-knock.js')],
    ];
    const rows = checks.map(([name, test]) => ({ name, before: has(before, test), after: has(after, test) }));
    rows.push({ name: '`inspector` built-in', before: before.builtins.includes('inspector'), after: after.builtins.includes('inspector') });
    const table = [[`\`EPDB_BACKEND=${backend}\`: loaded?`, 'idle, 500 unknocked requests served', 'after one valid knock']];
    for (const row of rows) table.push([row.name, row.before ? '**yes**' : 'no', row.after ? 'yes' : 'no']);
    // A worker started before the knock would be a thread more than the idle table's servers have.
    table.push(['threads (/proc; the probe adds its loader thread)', String(before.threads), `${after.threads} (the bridge worker)`]);
    const epdbFiles = (snap) => snap.cjs.filter((p) => p.includes('/dist/')).length;
    // The preload's start-up bundle (dist/preload-main.js; under --import, dist/preload.mjs is an
    // ES module, not in require.cache), then its knock bundle with the npm packages above.
    table.push(['epdb files loaded (dist/)', String(epdbFiles(before)), String(epdbFiles(after))]);
    return { backend, rows, table, raw: { before, after } };
  } finally {
    await server.stop();
  }
}
