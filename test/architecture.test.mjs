// The shape ARCHITECTURE.md promises, kept by the suite: src/ is laid out by where code runs
// (main/ the app's main thread, worker/ the bridge's worker thread, cli/ the CLI, shared/ what
// more than one of them uses), no import crosses between main/ and worker/, shared/ depends on
// nothing but itself, and the import graph has no cycle. Type-only imports count: a type that
// crosses the line is a sign the concept lives in the wrong place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every relative import, export-from, require() and import() of a TypeScript source. */
const IMPORT = /(?:(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?|(?:import|require)\(\s*)['"](\.[^'"]+)['"]/g;

/** The import graph of register.ts and src/: file → the files it imports (repo-relative). */
function importGraph() {
  const files = ['register.ts', ...readdirSync(`${REPO_ROOT}src`, { recursive: true })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => posix.join('src', file.split('\\').join('/')))];
  const graph = new Map();
  for (const file of files) {
    const source = readFileSync(`${REPO_ROOT}${file}`, 'utf8');
    const imports = [...source.matchAll(IMPORT)].map(([, spec]) => posix.normalize(posix.join(posix.dirname(file), spec.replace(/\.js$/, '.ts'))));
    graph.set(file, imports);
  }
  return graph;
}

/** Where a file runs: its first folder under src/ (register.ts and src/index.ts are the app's main thread). */
function placeOf(file) {
  if (file === 'register.ts' || file === 'src/index.ts') return 'main';
  return file.split('/')[1];
}

/** Strongly connected components with more than one file (or a file importing itself): the cycles. */
function cyclesOf(graph) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  const visit = (file) => {
    index.set(file, counter);
    low.set(file, counter);
    counter++;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file), low.get(next)));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file), index.get(next)));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

const graph = importGraph();

test('every import names a source that exists (the graph below is complete)', () => {
  const missing = [...graph].flatMap(([file, imports]) => imports.filter((target) => !graph.has(target)).map((target) => `${file} → ${target}`));
  assert.deepEqual(missing, []);
});

test('src/ holds only main/, worker/, cli/, shared/ and the package entry index.ts', () => {
  const places = new Set([...graph.keys()].filter((file) => file !== 'register.ts').map(placeOf));
  assert.deepEqual([...places].sort(), ['cli', 'main', 'shared', 'worker']);
});

test('no import crosses between the main thread and the worker; shared/ needs only shared/; the CLI never loads the worker', () => {
  const forbidden = { main: ['worker', 'cli'], worker: ['main', 'cli'], shared: ['main', 'worker', 'cli'], cli: ['worker'] };
  const crossings = [];
  for (const [file, imports] of graph) {
    for (const target of imports) {
      if (forbidden[placeOf(file)].includes(placeOf(target))) crossings.push(`${file} → ${target}`);
    }
  }
  assert.deepEqual(crossings, []);
});

test('the import graph has no cycle (type-only imports included)', () => {
  assert.deepEqual(cyclesOf(graph), []);
});

test('the cycle finder finds a cycle (so the test above can fail)', () => {
  const sample = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
  assert.deepEqual(cyclesOf(sample), [['a', 'b', 'c']]);
});

test('the preload\'s two main-thread bundles share no module: the knock bundle takes the start-up bundle\'s (one copy of each module\'s state)', () => {
  // npm test builds first; the source maps list what each bundle holds (virtual modules are namespaced: `epdb-startup:`, `epdb-knock:`).
  const sourcesOf = (bundle) => JSON.parse(readFileSync(`${REPO_ROOT}dist/${bundle}.map`, 'utf8')).sources.filter((source) => !/^[a-z-]+:/.test(source));
  const startup = sourcesOf('preload-main.js');
  const knock = sourcesOf('preload-knock.js');
  assert.ok(startup.includes('../src/main/instrument/knock-check.ts') && knock.includes('../src/main/gate/index.ts'), 'each bundle holds what it should (the check can see them)');
  assert.deepEqual(knock.filter((source) => startup.includes(source)), []);
});
