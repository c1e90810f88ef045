// Builds dist/ for `npm test` and `npm install`: incremental (tsc's build info makes a rebuild
// with nothing changed take a second), but never stale. tsc's incremental build trusts its build
// info: a source deleted since leaves its output behind (a test could still import it), and an
// output deleted by hand is not rebuilt. So: outputs whose source is gone are removed first, and
// a source whose output is missing makes the build a full one.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundlePreload } from './bundle-preload.mjs';

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
const BUNDLED = new Set(['preload.js', 'preload.mjs', 'preload-main.js', 'preload-knock.js'].flatMap((file) => [join(dist, file), join(dist, `${file}.map`)]));
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

// The preload's bundles (what `epdb/register` resolves to): see bundle-preload.mjs.
await bundlePreload(root, dist);
