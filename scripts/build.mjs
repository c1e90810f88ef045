// Builds dist/ for `npm test` and `npm install`: incremental (tsc's build info makes a rebuild
// with nothing changed take a second), but never stale. tsc's incremental build trusts its build
// info: a source deleted since leaves its output behind (a test could still import it), and an
// output deleted by hand is not rebuilt. So: outputs whose source is gone are removed first, and
// a source whose output is missing makes the build a full one.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const buildInfo = join(dist, '.tsbuildinfo');
const OUTPUT_SUFFIXES = ['.js', '.js.map', '.d.ts', '.d.ts.map'];

/** Every file under `dir` (none when it does not exist). */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/** The sources tsconfig.json includes: register.ts and src/**\/*.ts. */
const sources = [join(root, 'register.ts'), ...filesUnder(join(root, 'src')).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))];

let removed = 0;
const BUNDLED = new Set(['preload.js', 'preload.mjs', 'preload-main.js'].flatMap((file) => [join(dist, file), join(dist, `${file}.map`)]));
for (const output of filesUnder(dist)) {
  if (BUNDLED.has(output)) continue;
  const suffix = OUTPUT_SUFFIXES.find((s) => output.endsWith(s));
  if (suffix === undefined) continue;
  const source = join(root, relative(dist, output).slice(0, -suffix.length) + '.ts');
  if (!existsSync(source)) {
    rmSync(output);
    removed++;
  }
}
const missing = sources.filter((source) => !existsSync(join(dist, relative(root, source).replace(/\.ts$/, '.js'))));
if (missing.length > 0) rmSync(buildInfo, { force: true });
if (removed > 0 || missing.length > 0) {
  process.stderr.write(`build: removed ${removed} stale output file(s); ${missing.length} source(s) had no output${missing.length > 0 ? ' (full build)' : ''}\n`);
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json'), '--incremental', '--tsBuildInfoFile', buildInfo], { stdio: 'inherit' });

// The preload's bundles (what `epdb/register` resolves to). Start-up is module loading, not
// running (figure 6 of BENCHMARKS.md): one file instead of ~30 saves their resolving, reading
// and compiling. dist/preload.js is register.ts alone: with EPDB_BACKEND unset it loads nothing
// more. dist/preload-main.js is everything else the app's main thread runs, from install.ts on;
// what loads on the first knock is in it too, but esbuild wraps each module in a function run
// on its first require, so at start-up it is only compiled. The npm packages that load on a
// knock stay outside (and so stay lazy); the bridge worker, its own thread, is never bundled:
// it loads dist/src/worker/ as tsc built it. The sources stay split for people.
const { build } = await import('esbuild');
const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  minifyWhitespace: true,
  external: ['jose', 'ws', 'fernet', 'acorn', '@opentelemetry/api', '@jridgewell/*'],
  alias: { debug: join(root, 'scripts', 'shims', 'debug.cjs') },
  logLevel: 'warning',
};
/** register.ts's require of install.js becomes a require of the second bundle. */
const installFromBundle = {
  name: 'install-from-bundle',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\.\/src\/main\/install\.js$/ }, () => ({ path: './preload-main.js', external: true }));
  },
};
// `--import epdb/register` gets the same preload as an ES module: Node imports a CommonJS file
// through its CommonJS translator, whose export lexer alone costs ~2.5 ms of start-up (figure 6).
// Its `require` (esbuild's, for the main bundle) is made from its own URL.
const ESM_REQUIRE = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
await Promise.all([
  build({ ...BUNDLE_OPTIONS, entryPoints: [join(root, 'register.ts')], outfile: join(dist, 'preload.js'), plugins: [installFromBundle] }),
  build({ ...BUNDLE_OPTIONS, format: 'esm', banner: { js: ESM_REQUIRE }, entryPoints: [join(root, 'register.ts')], outfile: join(dist, 'preload.mjs'), plugins: [installFromBundle] }),
  build({ ...BUNDLE_OPTIONS, entryPoints: [join(root, 'src', 'main', 'install.ts')], outfile: join(dist, 'preload-main.js') }),
]);
