// The walk's pure parts, on their own: which function entries of a script get a breakpoint
// (functions only the script's own code calls are left out; tsc's helpers and __awaiter
// wrappers too), how a source map classifies a bundle's functions, and how many breakpoint
// commands are posted in slices (removals from the end V8 handles faster); what the worker keeps
// of each script's entries from one attach to the next.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './helpers/index.mjs';

const require = createRequire(import.meta.url);
const { functionEntries } = require('../dist/src/worker/walk/function-entries.js');
const { appEntries } = require('../dist/src/worker/walk/app-entries.js');
const { postFromCheaperEnd, postInSlices } = require('../dist/src/worker/walk/sliced-posts.js');
const { ScriptEntries } = require('../dist/src/worker/walk/script-entries.js');

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
 * A stand-in for the worker's MainThreadSession: answers each command (a promise) after
 * `costMs(params.id)` ms, and records the order the commands came in.
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

test('each script\'s entries are found once, kept packed across attaches for the scripts still there, and a failure is tried again', async () => {
  const entries = new ScriptEntries();
  let finds = 0;
  const find = async () => { finds++; return [{ lineNumber: 3, columnNumber: 10, statements: [] }, { lineNumber: 7, columnNumber: 2, statements: [] }]; };
  assert.deepEqual([...await entries.get('41', find)], [3, 10, 7, 2], 'line, column, line, column');
  assert.deepEqual([...await entries.get('41', find)], [3, 10, 7, 2]);
  assert.equal(finds, 1, 'found once');
  assert.equal((await entries.get('42', async () => [])).length, 0);
  // The next attach: V8 reported 41 again, not 42 (its script is gone).
  entries.keepOnly(new Set(['41']));
  assert.equal(entries.size, 1);
  // A script whose source could not be read has no entries now, and is read again next time.
  assert.equal((await entries.get('43', async () => { throw new Error('no such script'); })).length, 0);
  assert.deepEqual([...await entries.get('43', find)], [3, 10, 7, 2]);
});
