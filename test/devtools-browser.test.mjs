// Real Chrome DevTools on a knocked request, as the README promises: headless Chromium serves
// its own DevTools front end, opened as a page on the Express example (examples/express) run
// under the preload, once on the bridge itself (base64, no authentication) and once through
// `epdb connect` (jwt, the authenticated forward). The test reads the Sources panel as a person
// would, presses Step over and Resume in its toolbar, and checks the knocked request's response.
// One representative case per route: this file starts a browser per test.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { allStarted, base64Knock, cleanEnv, freePortBelowEphemeralRange, get, REPO_ROOT, spawnChild } from './helpers/index.mjs';
import { startChromium } from './helpers/chromium.mjs';
import { openDevTools } from './helpers/devtools-frontend.mjs';
import { runCli, startConnect } from './fixtures/cli/cli.mjs';

const HANDLER_FILE = 'examples/express/server.mjs';
const HANDLER_URL = pathToFileURL(join(REPO_ROOT, HANDLER_FILE)).href;
const JWT_ENV = { EPDB_BACKEND: 'jwt', EPDB_KEY: 'd'.repeat(64) };
const SCREEN = { width: 1400, height: 900 };
/** Where the bridge-route test saves its screenshot (`npm run screenshot` sets it to docs/). */
const SCREENSHOT_PATH = process.env.EPDB_DEVTOOLS_SCREENSHOT;

/**
 * Starts the Express example under the preload (`npm run example:express`'s command) with
 * `env`, and knocks `GET /hello/ada` with `knock`; resolves once the request waits for a
 * debugger, with the pending response.
 */
async function startKnockedExample(t, env, knock) {
  const [port, bridgePort] = [await freePortBelowEphemeralRange(), await freePortBelowEphemeralRange()];
  const app = spawnChild(process.execPath, ['--import', 'epdb/register', HANDLER_FILE], { env: cleanEnv({ ...env, PORT: String(port), EPDB_PORT: String(bridgePort) }), t });
  await app.stdout.waitForLine(new RegExp(`^listening on http://127\\.0\\.0\\.1:${port}$`), { timeoutMs: 20_000 });
  let answered = false;
  const response = get(port, '/hello/ada', { 'X-EPDB': knock }, { timeoutMs: 90_000 }).finally(() => { answered = true; });
  response.catch(() => {}); // awaited by the test; a failure before that must not crash the runner
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on 127\.0\.0\.1:\d+ \(pid \d+\)$/, { timeoutMs: 20_000 });
  return { app, bridgePort, response, answered: () => answered };
}

/** The single debug target a discovery endpoint (the bridge or the forward) lists. */
async function onlyTarget(port) {
  const { status, body } = await get(port, '/json/list');
  assert.equal(status, 200, body);
  const targets = JSON.parse(body);
  assert.equal(targets.length, 1, body);
  return targets[0];
}

/**
 * The part both routes share, from DevTools opened on `target` to the response: the pause in
 * the handler shown in Sources with `req`/`res` in Scope, Step over to the next line (the
 * request still held), Resume, the response.
 */
async function debugInDevTools(t, chromium, target, example, { screenshot }) {
  const started = Date.now();
  const devtools = await openDevTools(chromium, target.webSocketDebuggerUrl, SCREEN);
  let pause = await devtools.waitForPause({ timeoutMs: 45_000 });
  t.diagnostic(`DevTools showed the first pause ${Date.now() - started} ms after it was opened: ${pause.frame} at ${pause.location} (${pause.url})`);
  // EPDB_STOP_AT=app (the default): the first pause DevTools shows is the handler's first
  // statement, no stepping: its file open there and no other (DevTools opens a tab for each
  // file it was shown paused in), req and res in Local.
  assert.equal(pause.url, HANDLER_URL);
  assert.equal(pause.location, 'server.mjs:8');
  assert.deepEqual(pause.openFiles, ['server.mjs']);
  assert.match(pause.executionLine, /^const greeting = `hello \$\{req\.params\.name\}, from Express`;$/);
  pause = await devtools.waitFor((v) => v.scope.includes('req') && v.scope.includes('res'), 'req and res in Scope', 20_000);
  if (screenshot) await devtools.screenshot(screenshot);

  await devtools.click('Step over next function call');
  pause = await devtools.waitForPause({ after: pause.pauseId });
  assert.equal(pause.location, 'server.mjs:9');
  assert.match(pause.executionLine, /^res\.type\('text\/plain'\)\.send\(/);
  assert.equal(example.answered(), false, 'the response went out while DevTools showed the request paused');

  await devtools.click('Resume script execution');
  await devtools.waitForResumed();
  assert.deepEqual(await example.response, { status: 200, body: 'hello ada, from Express\n' });
  t.diagnostic(`opened, stepped, resumed and answered in ${Date.now() - started} ms`);
}

test('Chrome DevTools on the bridge (base64): paused in the Express handler, Step over, Resume, response', { timeout: 120_000 }, async (t) => {
  const [chromium, example] = await allStarted([startChromium(t), startKnockedExample(t, { EPDB_BACKEND: 'base64' }, base64Knock())]);
  const target = await onlyTarget(example.bridgePort);
  assert.equal(target.webSocketDebuggerUrl, `ws://127.0.0.1:${example.bridgePort}/${target.id}`);

  const dir = await mkdtemp(join(tmpdir(), 'epdb-devtools-shot-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const screenshot = SCREENSHOT_PATH ? resolve(REPO_ROOT, SCREENSHOT_PATH) : join(dir, 'devtools-paused.png');
  await debugInDevTools(t, chromium, target, example, { screenshot });

  // The screenshot is a PNG of the whole DevTools page.
  const png = await readFile(screenshot);
  assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'not a PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [SCREEN.width, SCREEN.height]);
  t.diagnostic(`screenshot: ${screenshot}`);
});

test('Chrome DevTools through `epdb connect` (jwt): paused in the Express handler, Step over, Resume, response', { timeout: 120_000 }, async (t) => {
  const knock = await runCli(['knock'], { env: JWT_ENV });
  assert.equal(knock.code, 0, knock.stderr);
  const [chromium, example, localPort] = await allStarted([startChromium(t), startKnockedExample(t, JWT_ENV, knock.stdout.trim()), freePortBelowEphemeralRange()]);
  const connect = startConnect(t, [String(example.bridgePort), '--port', String(localPort)], JWT_ENV);
  await connect.stdout.waitForLine(/^epdb connect: forwarding 127\.0\.0\.1:\d+ to the debug bridge/, { timeoutMs: 20_000 });
  // The forward advertises itself: DevTools talks to it, never to the bridge.
  const target = await onlyTarget(localPort);
  assert.equal(target.webSocketDebuggerUrl, `ws://127.0.0.1:${localPort}/${target.id}`);

  await debugInDevTools(t, chromium, target, example, { screenshot: null });
});
