// The bridge's life: not started before the first knock, never keeps the app alive when idle,
// and the gate's close() lets held requests go and frees the port.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import net from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { base64Knock, freePortBelowEphemeralRange, portIsOpen, REPO_ROOT, startApp } from './helpers/index.mjs';
import { attachDebugger, get, within } from './fixtures/session/debugger.mjs';

const ONE_SHOT_APP = fileURLToPath(new URL('./fixtures/session/one-shot-app.cjs', import.meta.url));
const KNOCK = { 'X-EPDB': base64Knock() };


/**
 * A knocked `'request'` as the instrumentation hands it to the gate (KnockedRequest in
 * src/main/knocked-request.ts), built by hand: its response is a bare emitter whose 'close' is the client leaving.
 */
function knockedRequest(path, proceed) {
  const res = new EventEmitter();
  return {
    kind: 'request', req: { url: path }, res, knock: { scheme: 'Base64', options: {} }, method: 'GET', path, proceed,
    closeEmitter: res, clientLeft: () => false, server: () => undefined, onEnd: () => () => {},
  };
}

test('the app exits on its own after a knocked request timed out: an idle bridge holds nothing', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: ONE_SHOT_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0.3' } });
  assert.equal(await portIsOpen(bridgePort), false, 'the bridge listens before any knock');
  assert.deepEqual(await get(app.port, '/hello?once', KNOCK), { status: 200, body: 'once /hello?once' });
  assert.deepEqual(await within(app.exited, 10_000, 'the app to exit'), { code: 0, signal: null });
});

test('the app exits on its own after a debugged request, the debugger still attached', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: ONE_SHOT_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort) } });
  const response = get(app.port, '/hello?debugged', KNOCK);
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });
  const dbg = await attachDebugger(bridgePort, t);
  await dbg.nextPause();
  // The app may exit before the bridge answers the resume: its answer is not waited for.
  dbg.client.Debugger.resume().catch(() => {});
  assert.deepEqual(await response, { status: 200, body: 'once /hello?debugged' });
  assert.deepEqual(await within(app.exited, 10_000, 'the app to exit'), { code: 0, signal: null });
});

test('close() lets a held request go on undebugged and frees the bridge port', async (t) => {
  const require = createRequire(import.meta.url);
  const { createDebugGate } = require(`${REPO_ROOT}dist/src/main/gate/index.js`);
  const port = await freePortBelowEphemeralRange();
  const gate = createDebugGate({ host: '127.0.0.1', port: { first: port, last: port }, waitTimeoutMs: 0, bridgeAuth: null });
  t.after(() => gate.close());

  // The gate logs through process.stderr on the main thread: watch it for the bridge's line.
  const write = process.stderr.write;
  const lines = [];
  let onLine = () => {};
  process.stderr.write = function (chunk, ...rest) {
    lines.push(String(chunk));
    onLine();
    return write.call(this, chunk, ...rest);
  };
  t.after(() => { process.stderr.write = write; });
  const logged = (pattern) => within(new Promise((resolve) => {
    onLine = () => { if (lines.some((line) => pattern.test(line))) resolve(); };
    onLine();
  }), 10_000, `a log line like ${pattern}`);

  let proceeded = 0;
  const request = (path) => knockedRequest(path, () => { proceeded++; });
  gate.handler(request('/held'));
  await logged(new RegExp(`^epdb: waiting for a debugger on 127\\.0\\.0\\.1:${port} \\(pid \\d+\\)\\n$`));
  assert.equal(await portIsOpen(port), true);
  assert.equal(proceeded, 0);

  await gate.close();
  assert.equal(proceeded, 1);
  assert.equal(await portIsOpen(port), false);
  gate.handler(request('/after-close'));
  assert.equal(proceeded, 2, 'a knock after close() goes on at once');
});

test('a bridge worker that dies is one log line, held requests go on, and the next knock starts a new one', async (t) => {
  const require = createRequire(import.meta.url);
  // Record the bridge's worker as it is made, to kill it from outside.
  const workerThreads = require('node:worker_threads');
  const OriginalWorker = workerThreads.Worker;
  const started = [];
  workerThreads.Worker = class RecordedWorker extends OriginalWorker {
    constructor(...args) { super(...args); started.push(this); }
  };
  t.after(() => { workerThreads.Worker = OriginalWorker; });
  const { createDebugGate } = require(`${REPO_ROOT}dist/src/main/gate/index.js`);
  const port = await freePortBelowEphemeralRange();
  const gate = createDebugGate({ host: '127.0.0.1', port: { first: port, last: port }, waitTimeoutMs: 0, bridgeAuth: null });
  t.after(() => gate.close());

  const write = process.stderr.write;
  const lines = [];
  let onLine = () => {};
  process.stderr.write = function (chunk, ...rest) {
    lines.push(String(chunk));
    onLine();
    return write.call(this, chunk, ...rest);
  };
  t.after(() => { process.stderr.write = write; });
  const logged = (pattern, count = 1) => within(new Promise((resolve) => {
    onLine = () => { if (lines.filter((line) => pattern.test(line)).length >= count) resolve(); };
    onLine();
  }), 10_000, `a log line like ${pattern}`);

  let proceeded = 0;
  const request = (path) => knockedRequest(path, () => { proceeded++; });
  gate.handler(request('/first'));
  await logged(/^epdb: waiting for a debugger on /);
  assert.equal(started.length, 1);
  await started[0].terminate();
  await logged(/^epdb: debug bridge stopped \(exit code \d+\); held requests go on undebugged\n$/);
  assert.equal(proceeded, 1);
  assert.equal(await portIsOpen(port), false);

  gate.handler(request('/second'));
  await logged(/^epdb: waiting for a debugger on /, 2);
  assert.equal(started.length, 2);
  assert.equal(await portIsOpen(port), true);
  assert.equal(proceeded, 1);
});

const HTTP_APP = fileURLToPath(new URL('./fixtures/session/http-app.cjs', import.meta.url));

test('a held request whose client went away is let go; the next knock is the one that pauses', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: HTTP_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' } });
  for (const i of [1, 2]) {
    const from = app.stderr.lines.length;
    const socket = net.connect({ host: '127.0.0.1', port: app.port });
    socket.on('error', () => {});
    socket.write(`GET /abandoned?${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-EPDB: ${KNOCK['X-EPDB']}\r\n\r\n`);
    await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000, from });
    socket.destroy();
    await app.stderr.waitForLine(/^epdb: the client of GET \/abandoned went away while it waited; going on$/, { timeoutMs: 5_000, from });
  }
  const response = get(app.port, '/hello?wanted', KNOCK);
  const dbg = await attachDebugger(bridgePort, t);
  const pause = await dbg.nextPause();
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?wanted');
  await dbg.client.Debugger.resume();
  assert.deepEqual(await response, { status: 200, body: 'hello /hello?wanted' });
  await dbg.close();
});

test('a graceful shutdown lets a held request go, and the app exits promptly', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: HTTP_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' } });
  const held = get(app.port, '/hello?held', KNOCK);
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });
  const startedAt = performance.now();
  app.process.kill('SIGTERM');
  assert.deepEqual(await held, { status: 200, body: 'hello /hello?held' });
  assert.deepEqual(await within(app.exited, 5_000, 'the app to exit'), { code: 0, signal: null });
  t.diagnostic(`exited ${Math.round(performance.now() - startedAt)} ms after SIGTERM`);
  assert.equal(app.stderr.matching(/^epdb: the server is closing; GET \/hello goes on undebugged$/).length, 1);
});
