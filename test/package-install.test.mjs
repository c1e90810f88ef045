// The package as users get it: `npm pack` (what npm publish would upload), installed into a clean
// project (npm's cache, filled by the repo's own `npm ci`, serves the dependencies), then the app
// started with `--import epdb/register`, a knock made by `npx epdb knock`, and a debugger attached
// to the bridge that knock opened. This is the preload's bundle (dist/preload.js) at work outside
// the repo, and the bridge worker it starts from the installed files.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cleanEnv, freePortBelowEphemeralRange, runToCompletion, spawnChild } from './helpers/index.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';

const APP = `const http = require('node:http');
const server = http.createServer((req, res) => {
  const greeting = 'hello ' + req.url;
  res.end(greeting);
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`;

test('npm pack → npm install in a clean project → --import epdb/register and npx epdb work, and a debugger stops in the app', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'epdb-package-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const env = cleanEnv({ npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' });

  // --ignore-scripts: `npm test` built dist/ already; `prepare` would rebuild it under a running suite.
  const { stdout: packed } = await runToCompletion('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { env, timeoutMs: 60_000 });
  const [{ filename, files }] = JSON.parse(packed);
  const paths = files.map((file) => file.path);
  assert.ok(['dist/preload.js', 'dist/preload.mjs', 'dist/preload-main.js', 'dist/preload-knock.js'].every((bundle) => paths.includes(bundle)), 'the preload bundles are in the package');
  assert.ok(paths.includes('dist/src/worker/worker.js'), 'the bridge worker is in the package');
  assert.deepEqual(paths.filter((path) => /^(test|bench|scripts|docs|examples)\//.test(path)), [], 'no tests, benchmarks or build scripts in the package');

  const project = join(dir, 'app');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'clean-app', version: '1.0.0', private: true }));
  await writeFile(join(project, 'server.js'), APP);
  await runToCompletion('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, filename)], { cwd: project, env, timeoutMs: 120_000 });
  const installed = join(project, 'node_modules', 'epdb');
  t.diagnostic(`installed package: ${(await sizeOf(installed) / 1024).toFixed(0)} KB`);

  const bridgePort = await freePortBelowEphemeralRange();
  const appEnv = { ...env, EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort) };
  const app = spawnChild(process.execPath, ['--import', 'epdb/register', 'server.js'], { cwd: project, env: appEnv, t });
  const [, port] = await app.stdout.waitForLine(/^listening (\d+)$/, { timeoutMs: 15_000 });

  const { stdout: knock } = await runToCompletion('npx', ['--no', 'epdb', 'knock'], { cwd: project, env: appEnv, timeoutMs: 30_000 });
  assert.match(knock.trim(), /^Base64 /);
  const answered = get(Number(port), '/from-the-package', { 'X-EPDB': knock.trim() });
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });
  const dbg = await attachDebugger(bridgePort, t);
  const pause = await dbg.nextPause();
  assert.equal(dbg.topUrl(pause), `file://${join(project, 'server.js')}`, 'the first stop is the app\'s own handler');
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/from-the-package');
  await dbg.client.Debugger.resume();
  assert.deepEqual(await answered, { status: 200, body: 'hello /from-the-package' });
});

/** Bytes under `dir`, symbolic links not followed. */
async function sizeOf(dir) {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath ?? entry.path, entry.name))).size;
  }
  return total;
}

