// The preload's bundles, made by esbuild at build time from the split sources (build.mjs runs
// this after tsc). What `epdb/register` resolves to, and why it is cut where it is:
//
// - dist/preload.js is register.ts alone: with EPDB_BACKEND unset it loads nothing more.
//   dist/preload.mjs is the same as an ES module, for `--import` (Node would import a CommonJS
//   file through its CommonJS translator, whose export lexer alone costs ~2.5 ms).
// - dist/preload-main.js is what the app's main thread runs at start-up, from main/install.ts on.
// - dist/preload-knock.js is what runs only once a knock arrives: the modules install.ts's code
//   requires lazily for a knock (KNOCK_ENTRIES) and everything only they need.
//
// Start-up is module loading, not running (BENCHMARKS.md figure 6): one file instead of ~30 saves
// their resolving, reading and compiling, and every byte that loads at start-up is in V8's young
// generation (the source text, the module's closures), whose 1 MB a small app's own start-up
// nearly fills: past ~80% of it V8 runs a scavenge during start-up and sizes the young
// generation up for good. So the code of a knock loads with the first knock.
//
// Each module runs once per process: the knock bundle takes the start-up modules it imports
// from the start-up bundle (`__startupModules`, their namespaces), never a copy of its own; a
// copy would be a second AsyncLocalStorage, a second log limiter, classes that fail
// `instanceof`. The npm packages that load on a knock stay outside both (and so stay lazy); the
// bridge worker, its own thread, is never bundled: it loads dist/src/worker/ as tsc built it.
import { join, relative, sep } from 'node:path';

/** The modules the start-up code requires lazily, on a knock (see their `require` calls). */
const KNOCK_ENTRIES = [
  'src/main/probes/router.ts',
  'src/main/gate/index.ts',
  'src/main/dial-out.ts',
  'src/shared/knock/verify.ts',
  'src/shared/knock/bridge-only.ts',
];
const STARTUP_MODULES_EXPORT = '__startupModules';
const LOAD_KNOCK_MODULE = 'loadKnockModule';

/**
 * Writes dist/preload.js, preload.mjs, preload-main.js and preload-knock.js (with their maps).
 * @param {string} root the repository
 * @param {string} dist its dist/
 */
export async function bundlePreload(root, dist) {
  const { build } = await import('esbuild');
  const options = {
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
  const knockEntries = new Set(KNOCK_ENTRIES.map((file) => join(root, file)));
  const asKey = (file) => relative(root, file).split(sep).join('/');

  // 1. The start-up code alone, to learn which modules it holds.
  const startup = await build({ ...options, write: false, metafile: true, entryPoints: [join(root, 'src', 'main', 'install.ts')], outfile: join(dist, 'preload-main.js'), plugins: [knockCodeOutside(knockEntries, asKey)] });
  const startupModules = new Set(Object.keys(startup.metafile.inputs).map((input) => join(root, input)));

  // 2. The knock bundle, taking every start-up module it imports from the start-up bundle.
  const shared = new Set();
  // Each entry is still required on its own first use (a refused knock loads the verifier, not the gate).
  const knockEntry = [
    `export function ${LOAD_KNOCK_MODULE}(key) {`,
    '  switch (key) {',
    ...KNOCK_ENTRIES.map((file) => `    case ${JSON.stringify(file)}: return require(${JSON.stringify(join(root, file))});`),
    '  }',
    "  throw new Error(`epdb: no knock-time module ${key}`);",
    '}',
  ].join('\n');
  await build({
    ...options,
    stdin: { contents: knockEntry, resolveDir: root, sourcefile: 'knock-entry.ts', loader: 'ts' },
    outfile: join(dist, 'preload-knock.js'),
    plugins: [startupModulesFrom(startupModules, shared, asKey)],
  });

  // 3. The start-up bundle, with the namespaces the knock bundle takes from it.
  const sharedList = [...shared].sort();
  const startupEntry = [
    `export * from ${JSON.stringify(join(root, 'src', 'main', 'install.ts'))};`,
    ...sharedList.map((file, i) => `import * as m${i} from ${JSON.stringify(file)};`),
    `export const ${STARTUP_MODULES_EXPORT} = { ${sharedList.map((file, i) => `${JSON.stringify(asKey(file))}: m${i}`).join(', ')} };`,
  ].join('\n');
  const final = await build({
    ...options,
    metafile: true,
    stdin: { contents: startupEntry, resolveDir: join(root, 'src', 'main'), sourcefile: 'startup-entry.ts', loader: 'ts' },
    outfile: join(dist, 'preload-main.js'),
    plugins: [knockCodeOutside(knockEntries, asKey)],
  });
  const grown = Object.keys(final.metafile.inputs).map((input) => join(root, input)).filter((file) => !startupModules.has(file) && !file.endsWith('startup-entry.ts'));
  if (grown.length > 0) throw new Error(`bundle-preload: the registry pulled knock-time modules into the start-up bundle: ${grown.join(', ')}`);

  // 4. register.ts, as CommonJS and as an ES module, requiring the start-up bundle.
  const installFromBundle = {
    name: 'install-from-bundle',
    setup(esbuild) {
      esbuild.onResolve({ filter: /^\.\/src\/main\/install\.js$/ }, () => ({ path: './preload-main.js', external: true }));
    },
  };
  // The ES module's `require` (esbuild's, for the start-up bundle) is made from its own URL.
  const esmRequire = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
  await Promise.all([
    build({ ...options, entryPoints: [join(root, 'register.ts')], outfile: join(dist, 'preload.js'), plugins: [installFromBundle] }),
    build({ ...options, format: 'esm', banner: { js: esmRequire }, entryPoints: [join(root, 'register.ts')], outfile: join(dist, 'preload.mjs'), plugins: [installFromBundle] }),
  ]);
}

/** In the start-up bundle, a lazy require of a knock entry becomes that module, from the knock bundle. */
function knockCodeOutside(knockEntries, asKey) {
  return {
    name: 'knock-code-outside',
    setup(esbuild) {
      esbuild.onResolve({ filter: /^\.\.?\// }, async (args) => {
        if (args.pluginData?.knockCodeOutside || args.namespace === 'epdb-knock') return undefined;
        const resolved = await esbuild.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { knockCodeOutside: true } });
        if (resolved.errors.length > 0 || !knockEntries.has(resolved.path)) return undefined;
        if (args.kind !== 'require-call') throw new Error(`bundle-preload: ${args.importer} imports ${args.path} statically; knock-time code is required lazily`);
        return { path: asKey(resolved.path), namespace: 'epdb-knock' };
      });
      esbuild.onResolve({ filter: /^\.\/preload-knock\.js$/, namespace: 'epdb-knock' }, () => ({ path: './preload-knock.js', external: true }));
      esbuild.onLoad({ filter: /.*/, namespace: 'epdb-knock' }, (args) => ({
        contents: `module.exports = require('./preload-knock.js').${LOAD_KNOCK_MODULE}(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  };
}

/** In the knock bundle, an import of a start-up module reads its namespace from the start-up bundle. */
function startupModulesFrom(startupModules, shared, asKey) {
  return {
    name: 'startup-modules-from-startup-bundle',
    setup(esbuild) {
      esbuild.onResolve({ filter: /^\.\.?\/|^\// }, async (args) => {
        if (args.pluginData?.startupModulesFrom || args.namespace === 'epdb-startup') return undefined;
        const resolved = await esbuild.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { startupModulesFrom: true } });
        if (resolved.errors.length > 0 || !startupModules.has(resolved.path)) return undefined;
        shared.add(resolved.path);
        return { path: asKey(resolved.path), namespace: 'epdb-startup' };
      });
      esbuild.onResolve({ filter: /^\.\/preload-main\.js$/, namespace: 'epdb-startup' }, () => ({ path: './preload-main.js', external: true }));
      esbuild.onLoad({ filter: /.*/, namespace: 'epdb-startup' }, (args) => ({
        contents: `module.exports = require('./preload-main.js').${STARTUP_MODULES_EXPORT}[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
    },
  };
}
