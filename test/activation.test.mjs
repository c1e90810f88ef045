// Activation: `--import` and `--require epdb/register`, directly and through NODE_OPTIONS, for
// ESM and CommonJS apps; EPDB_BACKEND unset/empty/off patches nothing; the preload does nothing
// in a worker thread of the app; loading the register twice patches once; the preload loads no
// HTTP module itself, and wraps node:http when the app loads it (a require, or an ES import).
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { base64Knock, cleanEnv, freePortBelowEphemeralRange, parseRawResponse, rawRequest, REPO_ROOT, runToCompletion, startApp } from './helpers/index.mjs';

const WAIT_MS = 15_000;
const KNOCK = base64Knock();
const BAD_KNOCK = base64Knock('{"nope": {}}');
const ACCEPTED = /^epdb: knock accepted \(Base64\) GET \/hello$/;
/** EPDB_WAIT_TIMEOUT where a test tells held requests from unheld ones by how long they take. */
const HELD_SECONDS = 3;

/** EPDB_* for a base64 child whose knocked requests go on after 0.3 s without a debugger. */
async function base64Env(extra = {}) {
  return { EPDB_BACKEND: 'base64', EPDB_PORT: String(await freePortBelowEphemeralRange()), EPDB_WAIT_TIMEOUT: '0.3', ...extra };
}

/** GET `path` with a knock; asserts it is served (after the gate, if any): 200 for /hello, the fixtures' 404 for others. */
async function knock(app, value = KNOCK, path = '/hello', port = app.port) {
  const response = parseRawResponse(await rawRequest({ port, path, headers: { 'X-EPDB': value }, timeoutMs: WAIT_MS }));
  assert.equal(response.status, path === '/hello' ? 200 : 404, `${path}: ${response.body}`);
  return response;
}

/** Stops the child and waits until its stderr is closed, so every line it wrote is in. */
async function stopAndCollect(app) {
  const ended = new Promise((resolve) => (app.process.stderr.readableEnded ? resolve() : app.stderr.once('end', resolve)));
  await app.stop();
  await ended;
  return app.stderr.lines;
}

test('the preload loads through --import, --require and NODE_OPTIONS, for ESM and CommonJS apps', { concurrency: true, timeout: 60_000 }, async (t) => {
  const cases = [];
  for (const app of ['esm-http.mjs', 'http.cjs']) {
    for (const preload of ['import', 'require', 'import-options', 'require-options']) cases.push({ app, preload });
  }
  await Promise.all(cases.map(({ app: appFile, preload }) => t.test(`${appFile} with ${preload.replace('-options', ' through NODE_OPTIONS')}`, async (t) => {
    const app = await startApp(t, { app: appFile, preload, env: await base64Env() });
    const from = app.stderr.lines.length;
    const response = await knock(app);
    assert.match(response.body, /GET \/hello/);
    await app.stderr.waitForLine(ACCEPTED, { from, timeoutMs: WAIT_MS });
  })));
  await t.test('EPDB_BACKEND in any case (BASE64)', async (t) => {
    const app = await startApp(t, { app: 'http.cjs', preload: 'require', env: await base64Env({ EPDB_BACKEND: 'BASE64' }) });
    await knock(app);
    await app.stderr.waitForLine(ACCEPTED, { timeoutMs: WAIT_MS });
  });
});

test('EPDB_BACKEND unset, empty or off: nothing is patched and nothing is logged', { concurrency: true, timeout: 60_000 }, async (t) => {
  const settings = [
    { name: 'unset', env: {} },
    { name: 'empty', env: { EPDB_BACKEND: '' } },
    { name: 'off', env: { EPDB_BACKEND: 'off' } },
    // Off means off: leftover variables are not even read, so not complained about.
    { name: 'Off, with a bad EPDB_PORT and EPDB_KEY left over', env: { EPDB_BACKEND: 'Off', EPDB_PORT: 'nonsense', EPDB_KEY: 'short' } },
  ];
  const cases = settings.flatMap((setting, i) => [i % 2 ? 'require' : 'import', 'require-options'].map((preload) => ({ ...setting, preload })));
  await Promise.all(cases.map(({ name, env, preload }) => t.test(`${name} (${preload})`, async (t) => {
    const app = await startApp(t, { app: 'patch-probe.cjs', preload, env });
    const probe = JSON.parse(parseRawResponse(await rawRequest({ port: app.port, path: '/probe', timeoutMs: WAIT_MS })).body);
    assert.deepEqual(probe, { http: false, https: false, http2: false, http2Secure: false }, 'no server prototype is patched');
    // Not held: a held knock would wait EPDB_WAIT_TIMEOUT (300 s), and knock()'s own 15 s
    // timeout would fail it (no wall-clock bound of our own: eight apps start at once here).
    const response = await knock(app);
    assert.match(response.body, /GET \/hello/);
    await knock(app, BAD_KNOCK);
    const lines = await stopAndCollect(app);
    assert.deepEqual(lines.filter((line) => line.startsWith('epdb')), [], 'epdb printed nothing');
  })));

  await t.test('control: with EPDB_BACKEND=base64 the same probe sees every prototype patched', async (t) => {
    const app = await startApp(t, { app: 'patch-probe.cjs', preload: 'import', env: await base64Env() });
    const probe = JSON.parse(parseRawResponse(await rawRequest({ port: app.port, path: '/probe', timeoutMs: WAIT_MS })).body);
    assert.deepEqual(probe, { http: true, https: true, http2: true, http2Secure: true });
  });
});

test('the preload does nothing inside a worker thread of the app', { concurrency: true, timeout: 60_000 }, async (t) => {
  await Promise.all(['require', 'import-options'].map((preload) => t.test(preload, async (t) => {
    // A held request waits the whole EPDB_WAIT_TIMEOUT (the main thread's knock below shows it),
    // so a worker's request served in well under it was not held.
    const app = await startApp(t, { app: 'worker-server.cjs', preload, env: await base64Env({ EPDB_WAIT_TIMEOUT: String(HELD_SECONDS) }) });
    const [, workerPort] = await app.stdout.waitForLine(/^worker listening (\d+)$/, { timeoutMs: WAIT_MS });
    const started = performance.now();
    const fromWorker = await knock(app, KNOCK, '/hello', Number(workerPort));
    assert.match(fromWorker.body, /hello from worker thread: GET \/hello/);
    const workerMs = performance.now() - started;
    assert.ok(workerMs < HELD_SECONDS * 1000 / 2, `the worker's request was not held (${workerMs.toFixed(0)} ms)`);
    assert.deepEqual(app.stderr.matching(/^epdb/), [], 'nothing checked the knock in the worker');
    // The main thread of the same process is instrumented: this knock is accepted, and it is
    // the first and only one.
    const mainStarted = performance.now();
    const fromMain = await knock(app);
    assert.match(fromMain.body, /hello from main thread/);
    const mainMs = performance.now() - mainStarted;
    assert.ok(mainMs >= HELD_SECONDS * 1000 * 0.9, `the control: the main thread's knock was held (${mainMs.toFixed(0)} ms)`);
    await app.stderr.waitForLine(ACCEPTED, { timeoutMs: WAIT_MS });
    assert.equal(app.stderr.matching(/^epdb: knock accepted/).length, 1, app.stderr.text());
  })));
});

test('the register loaded twice patches once', { concurrency: true, timeout: 60_000 }, async (t) => {
  // A second copy of the built package outside the repo (its node_modules linked to the
  // repo's), as when an app bundles its own epdb: the module cache cannot dedupe the two.
  const copy = await mkdtemp(join(tmpdir(), 'epdb-second-copy-'));
  t.after(() => rm(copy, { recursive: true, force: true }));
  await cp(join(REPO_ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
  await cp(join(REPO_ROOT, 'package.json'), join(copy, 'package.json'));
  await symlink(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'));

  const cases = [
    { name: 'NODE_OPTIONS=--require epdb/register plus --import epdb/register', nodeArgs: ['--import', 'epdb/register'] },
    { name: 'NODE_OPTIONS=--require epdb/register plus --import of a second copy', nodeArgs: ['--import', join(copy, 'dist', 'register.js')] },
  ];
  await Promise.all(cases.map(({ name, nodeArgs }) => t.test(name, async (t) => {
    const app = await startApp(t, { app: 'patch-probe.cjs', preload: 'require-options', nodeArgs, env: await base64Env() });
    for (let round = 1; round <= 2; round++) {
      const from = app.stderr.lines.length;
      await knock(app);
      // A refused knock after it: once its line is in, every line of the knock before is too.
      await knock(app, BAD_KNOCK, '/marker');
      await app.stderr.waitForLine(/^epdb: knock refused on GET \/marker: /, { from, timeoutMs: WAIT_MS });
      const lines = app.stderr.lines.slice(from);
      assert.equal(lines.filter((line) => ACCEPTED.test(line)).length, 1, `one accepted line per knock:\n${app.stderr.text()}`);
      assert.equal(lines.filter((line) => /^epdb: no debugger after /.test(line)).length, 1, `one gate per knock:\n${app.stderr.text()}`);
    }
  })));
});

/**
 * Runs `script` under the preload (jwt backend) and returns what it printed as JSON: the HTTP
 * modules Node has loaded, and whether node:http's server `emit` and client `request` are epdb's.
 */
async function httpModulesUnder(preload, script, inputType = 'commonjs') {
  const report = `process.stdout.write(JSON.stringify({ loaded: process.moduleLoadList.filter((name) => /^NativeModule (http|https|http2)$/.test(name)).map((name) => name.slice(13)), ...globalThis.wrapped }))`;
  const env = cleanEnv({ EPDB_BACKEND: 'jwt', EPDB_KEY: 'k'.repeat(64), EPDB_PORT: String(await freePortBelowEphemeralRange()) });
  const { stdout } = await runToCompletion(process.execPath, [preload, 'epdb/register', `--input-type=${inputType}`, '-e', `${script}\n${report}`], { env, timeoutMs: WAIT_MS });
  return JSON.parse(stdout);
}

/** Sets globalThis.wrapped from node:http's exports (`http`) and node:events' EventEmitter. */
const READ_WRAPS = 'globalThis.wrapped = { serverEmit: http.Server.prototype.emit !== EventEmitter.prototype.emit, clientRequest: http.request.name === "epdbRequest" };';

test('the preload loads no HTTP module itself; node:http is wrapped once the app loads it, by a require or an ES import', { concurrency: true, timeout: 60_000 }, async (t) => {
  await Promise.all(['--require', '--import'].map((preload) => t.test(preload, async () => {
    assert.deepEqual(await httpModulesUnder(preload, ''), { loaded: [] }, 'an app without HTTP never loads it');
    // require-in-the-middle wraps it on the require that loads it.
    assert.deepEqual(await httpModulesUnder(preload, `const http = require('node:http'); const { EventEmitter } = require('node:events'); ${READ_WRAPS}`), { loaded: ['http'], serverEmit: true, clientRequest: true });
    // No require hook sees an ES import: the server is wrapped before it listens, and the
    // client's named export is updated (syncBuiltinESMExports). The control reads before.
    const esm = `import http from 'node:http'; import { request } from 'node:http'; import { EventEmitter } from 'node:events';
      const before = { serverEmit: http.Server.prototype.emit !== EventEmitter.prototype.emit, clientRequest: request.name === 'epdbRequest' };
      const server = http.createServer(); await new Promise((listening) => server.listen(0, '127.0.0.1', listening)); server.close();
      ${READ_WRAPS} globalThis.wrapped.namedRequest = request.name === 'epdbRequest'; globalThis.wrapped.before = before;`;
    // (Node 22 and later load http2 themselves for an ES import of node:http.)
    const { loaded, ...wraps } = await httpModulesUnder(preload, esm, 'module');
    assert.ok(loaded.includes('http'), loaded.join());
    assert.deepEqual(wraps, { serverEmit: true, clientRequest: true, namedRequest: true, before: { serverEmit: false, clientRequest: false } });
  })));
});
