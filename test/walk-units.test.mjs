// The walk's pure parts, on their own: which function entries of a script get a breakpoint
// (functions only the script's own code calls are left out; tsc's helpers and __awaiter
// wrappers too), how a source map classifies a bundle's functions, and how many breakpoint
// commands are posted in slices (removals from the end V8 handles faster), and when a hot
// function's breakpoint goes after a walk (not back to back with its stop).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './helpers/index.mjs';

const require = createRequire(import.meta.url);
const { functionEntries } = require('../dist/src/worker/walk/function-entries.js');
const { appEntries } = require('../dist/src/worker/walk/app-entries.js');
const { postFromCheaperEnd, postInSlices } = require('../dist/src/worker/walk/sliced-posts.js');

/** The 1-based lines of the function entries of `source` that get a breakpoint, in order. */
const entryLines = (source) => functionEntries(source).map(({ lineNumber }) => lineNumber + 1).sort((a, b) => a - b);

test('functions only the script itself calls get no breakpoint; every other function does', () => {
  assert.deepEqual(entryLines([
    'function helper(x) { return x + 1; }', // called by name only: left out
    'const twice = (x) => helper(helper(x));', // used as a value below: kept
    'exports.run = function run(x) { return [x].map((v) => twice(v)); };', // exported, and its arrow handed to map
    '(function setup() { helper(0); })();', // called where it is written: left out
    'class Service { total() { return helper(1); } }', // a method: kept
    'module.exports.twice = twice;',
  ].join('\n')), [2, 3, 3, 5]);
  // Any other use of the name keeps it: handed to a library, exported by shorthand, exported.
  assert.deepEqual(entryLines('function a() { return 1; }\nsetTimeout(a);'), [1]);
  assert.deepEqual(entryLines('function a() { return 1; }\nmodule.exports = { a };'), [1]);
  assert.deepEqual(entryLines('export function a() { return 1; }\na();'), [1]);
  // eval, with and arguments.callee can reach any function: all kept.
  assert.deepEqual(entryLines('function a() { return 1; }\na();\neval("a");'), [1]);
  assert.deepEqual(entryLines('function a() { return 1; }\na();\nfunction b() { return arguments.callee; }\nsetTimeout(b);'), [1, 3]);
});

test('tsc output: its helpers get no breakpoint, an __awaiter wrapper is entered at its generator', () => {
  const compiled = [
    'var __awaiter = (this && this.__awaiter) || function (thisArg, _arguments, P, generator) {',
    '    return new (P || (P = Promise))(function (resolve, reject) { step((generator = generator.apply(thisArg, _arguments || [])).next()); });',
    '};',
    'function handle(req, res) {',
    '    return __awaiter(this, void 0, void 0, function* () {',
    '        const order = yield lookup(req.url);',
    '        res.end(order);',
    '    });',
    '}',
    'function lookup(url) { return Promise.resolve(url); }',
    'require("node:http").createServer(handle);',
  ].join('\n');
  // The generator (line 5), not the wrapper (line 4) nor the helper's functions; lookup is only called.
  assert.deepEqual(entryLines(compiled), [5]);
  const [generator] = functionEntries(compiled);
  assert.deepEqual(generator.statements.map(({ lineNumber }) => lineNumber + 1), [6, 7], 'its first statements, to classify it by');
});

test('a bundle with a source map: only functions whose original source is the app\'s own get a breakpoint', async () => {
  const { build } = await import('esbuild');
  const dir = `${REPO_ROOT}test/fixtures/bundle`;
  // An app module and a dependency under node_modules, bundled with an inline map.
  const { outputFiles } = await build({
    stdin: { contents: 'const dep = require("./node_modules/dep/index.js");\nexports.handler = function handler(req) {\n  return dep.wrap(req);\n};\n', resolveDir: dir, sourcefile: 'app.js' },
    bundle: true, platform: 'node', format: 'cjs', sourcemap: 'inline', write: false, outfile: `${dir}/out.js`,
    plugins: [{
      name: 'fake-dependency',
      setup(pluginBuild) {
        pluginBuild.onResolve({ filter: /node_modules\/dep/ }, () => ({ path: `${dir}/node_modules/dep/index.js` }));
        pluginBuild.onLoad({ filter: /node_modules\/dep/ }, () => ({ contents: 'exports.wrap = function wrap(x) {\n  return [x].map((v) => v);\n};\n', loader: 'js' }));
      },
    }],
  });
  const source = outputFiles[0].text;
  const sourceMapURL = /\/\/# sourceMappingURL=(\S+)/.exec(source)[1];
  const all = functionEntries(source);
  const app = await appEntries(pathToFileURL(`${dir}/out.js`).href, sourceMapURL, source);
  assert.ok(all.length >= 4, `the bundle has the app's, the dependency's and esbuild's functions (${all.length})`);
  assert.equal(app.length, 1, 'only the app\'s handler');
  const handlerLine = source.split('\n').findIndex((line) => line.includes('function handler(req)')) + 1;
  assert.equal(app[0].lineNumber + 1, handlerLine);
  // Without a map, the whole bundle is the app's, as any file outside node_modules.
  assert.equal((await appEntries(pathToFileURL(`${dir}/out.js`).href, '', source)).length, all.length);
});

/**
 * A stand-in for the worker's MainThreadSession: answers each command after `costMs(params.id)`
 * ms, and records the order the commands came in.
 */
function fakeSession(costMs) {
  const posted = [];
  return {
    posted,
    post(method, params) {
      posted.push(params.id);
      return new Promise((resolve) => setTimeout(() => resolve({}), costMs(params.id)));
    },
  };
}

test('many commands go in slices; removals are taken from the end that V8 handles faster', async () => {
  const commands = Array.from({ length: 200 }, (_, id) => ({ method: 'Debugger.removeBreakpoint', params: { id } }));
  // The oldest (first) 50 are slow to remove, as on Node 20: the newest end is taken. 15 ms
  // against an immediate answer: a contrast a loaded machine's timers do not blur (4 ms did once).
  const slowOld = fakeSession((id) => (id < 50 ? 15 : 0));
  assert.equal(await postFromCheaperEnd(slowOld, commands, { sliceMs: 4, maxSlice: 16, cancelled: () => false }), 200);
  assert.deepEqual([...slowOld.posted].sort((a, b) => a - b), commands.map((_, id) => id), 'each posted once');
  const afterSamples = slowOld.posted.slice(2, 60);
  assert.ok(afterSamples.filter((id) => id >= 50).length >= 50, `the newest first once measured: ${afterSamples.join(' ')}`);
  // The newest are slow, as on Node 22: the oldest end is taken.
  const slowNew = fakeSession((id) => (id >= 150 ? 15 : 0));
  await postFromCheaperEnd(slowNew, commands, { sliceMs: 4, maxSlice: 16, cancelled: () => false });
  assert.ok(slowNew.posted.slice(2, 60).filter((id) => id < 150).length >= 50, `the oldest first: ${slowNew.posted.slice(0, 60).join(' ')}`);
  // Cancelled: stops at the next slice.
  let slices = 0;
  const stopped = fakeSession(() => 0);
  const posted = await postInSlices(stopped, commands, { sliceMs: 4, cancelled: () => ++slices > 3 });
  assert.ok(posted > 0 && posted < 200 && stopped.posted.length === posted);
});

test('a hot function\'s breakpoint is removed only after the app ran as long as the walk\'s stop lasted, not back to back with it', async () => {
  // The walk stops, stays paused 60 ms, and is resumed.
  const { session, breakpoints } = await walkPastHotFunction(60);
  assert.equal(session.log.filter(([method]) => method === 'Debugger.setBreakpoint').length, 2, 'both functions covered');
  const resumedAt = session.now();
  const deadline = performance.now() + 5000;
  while (!session.log.some(([method]) => method === 'Debugger.removeBreakpoint') && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  const removal = session.log.find(([method]) => method === 'Debugger.removeBreakpoint');
  assert.ok(removal, 'the hot function\'s breakpoint is removed');
  assert.equal(removal[2].breakpointId, 'bp1', 'only the hot one');
  // As long again as the pause (60 ms; timers may fire a little early): not at once.
  assert.ok(removal[1] - resumedAt >= 50, `removed ${(removal[1] - resumedAt).toFixed(1)} ms after the resume`);
  breakpoints.release();
});

/** A fake main-thread session for WalkBreakpoints: one app script of two functions; `log` holds [method, ms, params] of each command. */
function fakeWalkSession() {
  const listeners = new Map();
  const log = [];
  const started = performance.now();
  let nextBreakpoint = 0;
  const session = {
    on: (event, listener) => listeners.set(event, [...(listeners.get(event) ?? []), listener]),
    async post(method, params) {
      log.push([method, performance.now() - started, params]);
      if (method === 'Debugger.enable') session.emit('Debugger.scriptParsed', { scriptId: '1', url: pathToFileURL(`${REPO_ROOT}/test/fixtures/app.js`).href });
      if (method === 'Debugger.getScriptSource') return { scriptSource: 'exports.a = function a() { return 1; };\nexports.b = function b() { return 2; };\n' };
      if (method === 'Debugger.setBreakpoint') return { breakpointId: `bp${++nextBreakpoint}` };
      return {};
    },
    emit(event, params) { for (const listener of listeners.get(event) ?? []) listener(params); },
    now: () => performance.now() - started,
    log,
  };
  return session;
}

test('a removal delayed past the start of the next walk is left to that walk: none runs while its stop holds the main thread', async () => {
  // Walk 1 stops for 40 ms; its removal waits 40 ms after the resume.
  const { session, breakpoints } = await walkPastHotFunction(40);
  // Walk 2 starts at once and stops; it stays paused 150 ms, past walk 1's delay.
  await breakpoints.prepareWalk();
  session.emit('Debugger.paused', {});
  breakpoints.walkOver();
  await new Promise((resolve) => setTimeout(resolve, 150));
  const duringPause = session.log.filter(([method]) => method === 'Debugger.removeBreakpoint');
  session.emit('Debugger.resumed', {});
  assert.deepEqual(duringPause, [], 'nothing removed while walk 2\'s stop holds the main thread');
  const deadline = performance.now() + 5000;
  while (!session.log.some(([method]) => method === 'Debugger.removeBreakpoint') && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(session.log.some(([method]) => method === 'Debugger.removeBreakpoint'), 'removed after its resume');
  breakpoints.release();
});

/**
 * WalkBreakpoints on a {@link fakeWalkSession}: both functions covered, function 1 made hot (another
 * request passed it), then one walk that stops for `pauseMs` and is resumed.
 */
async function walkPastHotFunction(pauseMs) {
  const { WalkBreakpoints } = require('../dist/src/worker/walk/walk-breakpoints.js');
  const { WalkShared } = require('../dist/src/shared/walk-protocol.js');
  const session = fakeWalkSession();
  const shared = new Int32Array(new SharedArrayBuffer(4 * (WalkShared.RING + WalkShared.RING_SIZE)));
  const breakpoints = new WalkBreakpoints(session, shared);
  await breakpoints.prepareWalk();
  // Another request ran function 1 (its condition reported the pass): it is hot from now on.
  shared[WalkShared.RING] = 1;
  shared[WalkShared.PASSES] = 1;
  await breakpoints.prepareWalk();
  session.emit('Debugger.paused', {});
  breakpoints.walkOver();
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
  session.emit('Debugger.resumed', {});
  return { session, breakpoints };
}
