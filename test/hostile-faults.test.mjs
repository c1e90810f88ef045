// Failure injection on the debugger side, with the real bridge and real debugger clients: the
// debugger process killed while paused, a debugger gone mid-step, the bridge worker terminated
// (waiting, and with a debugger attached), the bridge port taken, SIGTERM while a request waits
// at the gate, the knocked request's client gone while it waits. In each, the process stays up
// (except for SIGTERM), every other request gets its right response, and the next knock works.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { JWTBackend } from 'epdb';
import { cleanEnv, freePortBelowEphemeralRange as freePort, get, REPO_ROOT, spawnChild, startApp } from './helpers/index.mjs';
import { cdp, linesMatching, openSocket, portIsOpen, within } from './fixtures/hostile/bridge.mjs';

const APP = fileURLToPath(new URL('./fixtures/hostile/app.cjs', import.meta.url));
const DEBUGGER = fileURLToPath(new URL('./fixtures/hostile/debugger-process.mjs', import.meta.url));
const CLI = `${REPO_ROOT}dist/src/cli/main.js`;
const KNOCK = 'Base64 eyJlcGRiIjoge319';
const WAITING = /^epdb: waiting for a debugger on 127\.0\.0\.1:\d+ \(pid \d+\)$/;
const DETACHED = /^epdb: debugger detached$/;

/** The app's expected answer to `path` (see test/fixtures/hostile/app.cjs). */
const answer = (path) => ({ status: 200, body: `${path.split(/[/?]/)[1]} ${path}` });

/**
 * Unknocked requests sent four at a time for as long as a fault lasts; `stop()` waits for the
 * ones in flight and returns how many were served. Any error or wrong body fails the test.
 */
function background(port) {
  let running = true;
  let served = 0;
  let n = 0;
  const errors = [];
  const lanes = Array.from({ length: 4 }, async () => {
    while (running) {
      const path = `/bg?n=${n++}`;
      try {
        const response = await get(port, path, {}, { timeoutMs: 30_000 });
        if (JSON.stringify(response) === JSON.stringify(answer(path))) served++;
        else errors.push(`${path}: ${JSON.stringify(response)}`);
      } catch (error) {
        errors.push(`${path}: ${error.message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(lanes);
      assert.deepEqual(errors, [], 'background requests failed');
      assert.ok(served > 0, 'no background request was served');
      return served;
    },
  };
}

/** Starts the fixture app under the preload (base64: the bridge is open to a local debugger). */
async function startGatedApp(t, env = {}) {
  const bridgePort = await freePort();
  const app = await startApp(t, { app: APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0', ...env } });
  return { app, bridgePort };
}

/** The WebSocket address of the bridge's one target (`knock`: for an authenticating bridge). */
async function targetUrl(bridgePort, knock = KNOCK) {
  const { body } = await get(bridgePort, '/json/list', { 'X-EPDB': knock });
  return JSON.parse(body)[0].webSocketDebuggerUrl;
}

/** Attaches an in-process CDP client as DevTools does; returns it with its socket. */
async function attach(bridgePort, t, knock = KNOCK) {
  const { ws, status } = await openSocket(await targetUrl(bridgePort, knock), { 'X-EPDB': knock });
  assert.ok(ws, `the bridge refused the debugger (${status})`);
  t.after(() => ws.terminate());
  const client = cdp(ws);
  await client.call('Debugger.enable');
  await client.call('Debugger.setBlackboxPatterns', { patterns: ['/node_modules/'] });
  await client.call('Runtime.runIfWaitingForDebugger');
  return { ws, client };
}

/**
 * The proof that the gate recovered: a new knock waits, a new debugger attaches, the pause
 * shows this very request, resuming completes it, and the debugger detaches cleanly.
 */
async function nextKnockWorks(t, app, bridgePort, path = '/next', knock = KNOCK) {
  const from = app.stderr.lines.length;
  const knocked = get(app.port, path, { 'X-EPDB': knock });
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000, from });
  const detachedBefore = app.stderr.matching(DETACHED).length;
  const { ws, client } = await attach(bridgePort, t, knock);
  const pause = await client.event('Debugger.paused');
  const { result } = await client.call('Debugger.evaluateOnCallFrame', { callFrameId: pause.callFrames[0].callFrameId, expression: 'req.url', returnByValue: true });
  assert.equal(result.value, path, 'the first pause after the fault is not the new knock');
  await client.call('Debugger.resume');
  assert.deepEqual(await knocked, answer(path));
  ws.terminate();
  await linesMatching(app.stderr, DETACHED, detachedBefore + 1);
  assert.deepEqual(await get(app.port, '/alive'), answer('/alive'));
}

/**
 * Resolves when `log` has a line matching `regex` at index `from` or later; no timer of its own
 * (race it against something that has one), `cancel()` stops listening.
 */
function lineAppears(log, regex, from) {
  let cancel = () => {};
  const promise = new Promise((resolve) => {
    const check = () => {
      if (log.lines.slice(from).some((line) => regex.test(line))) {
        log.off('line', check);
        resolve();
      }
    };
    cancel = () => log.off('line', check);
    log.on('line', check);
    check();
  });
  return { promise, cancel };
}

/** Spawns the debugger process of test/fixtures/hostile/debugger-process.mjs. */
function debuggerProcess(t, bridgePort, mode) {
  return spawnChild(process.execPath, [DEBUGGER, String(bridgePort), mode], { env: cleanEnv(), t });
}

test('the debugger process is killed while paused: the request completes, the next knock works', async (t) => {
  const { app, bridgePort } = await startGatedApp(t);
  const bg = background(app.port);
  const knocked = get(app.port, '/killed?paused', { 'X-EPDB': KNOCK });
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  const debuggerChild = debuggerProcess(t, bridgePort, 'hold');
  await debuggerChild.stdout.waitForLine(/^paused 1$/, { timeoutMs: 10_000 });
  debuggerChild.process.kill('SIGKILL');
  assert.deepEqual(await knocked, answer('/killed?paused'));
  await linesMatching(app.stderr, DETACHED, 1);
  await bg.stop();
  await nextKnockWorks(t, app, bridgePort);
});

test('the debugger is killed with several knocked requests queued: none is lost, the next debugger gets the rest', async (t) => {
  const { app, bridgePort } = await startGatedApp(t);
  const bg = background(app.port);
  const paths = ['/queued?1', '/queued?2', '/queued?3'];
  const knocked = [];
  for (const path of paths) {
    const from = app.stderr.lines.length;
    knocked.push(get(app.port, path, { 'X-EPDB': KNOCK }, { timeoutMs: 30_000 }));
    await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000, from });
  }
  const debuggerChild = debuggerProcess(t, bridgePort, 'hold');
  await debuggerChild.stdout.waitForLine(/^paused 1$/, { timeoutMs: 10_000 });
  debuggerChild.process.kill('SIGKILL');
  await linesMatching(app.stderr, DETACHED, 1);
  // The paused one went on; the queued ones wait for the next debugger, which pauses each.
  const { ws, client } = await attach(bridgePort, t);
  const seen = [];
  while (seen.length < 2) {
    const pause = await client.event('Debugger.paused');
    const { result } = await client.call('Debugger.evaluateOnCallFrame', { callFrameId: pause.callFrames[0].callFrameId, expression: 'req.url', returnByValue: true });
    seen.push(result.value);
    await client.call('Debugger.resume');
  }
  const responses = await Promise.all(knocked);
  assert.deepEqual(responses, paths.map(answer), 'a queued request was lost');
  assert.equal(new Set(seen).size, 2);
  for (const url of seen) assert.ok(paths.includes(url));
  ws.terminate();
  await linesMatching(app.stderr, DETACHED, 2);
  await bg.stop();
  await nextKnockWorks(t, app, bridgePort);
});

test('the debugger disconnects mid-step (process killed, and socket dropped with a step in flight)', async (t) => {
  const { app, bridgePort } = await startGatedApp(t);
  const bg = background(app.port);
  const first = get(app.port, '/stepping?1', { 'X-EPDB': KNOCK });
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  const debuggerChild = debuggerProcess(t, bridgePort, 'step');
  await debuggerChild.stdout.waitForLine(/^stepped 5$/, { timeoutMs: 15_000 });
  debuggerChild.process.kill('SIGKILL');
  assert.deepEqual(await first, answer('/stepping?1'));
  await linesMatching(app.stderr, DETACHED, 1);

  // In process: a stepInto sent, and the socket destroyed before its answer.
  const from = app.stderr.lines.length;
  const second = get(app.port, '/stepping?2', { 'X-EPDB': KNOCK });
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000, from });
  const { ws, client } = await attach(bridgePort, t);
  await client.event('Debugger.paused');
  client.send(JSON.stringify({ id: 1000, method: 'Debugger.stepInto', params: {} }));
  ws._socket.destroy();
  assert.deepEqual(await second, answer('/stepping?2'));
  await linesMatching(app.stderr, DETACHED, 2);
  await bg.stop();
  await nextKnockWorks(t, app, bridgePort);
});

test('a debugger that misbehaves: Debugger.disable while paused, and one that leaves just after attaching', async (t) => {
  const { app, bridgePort } = await startGatedApp(t);
  const bg = background(app.port);
  const first = get(app.port, '/disabled', { 'X-EPDB': KNOCK });
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  const { ws, client } = await attach(bridgePort, t);
  await client.event('Debugger.paused');
  await client.call('Debugger.disable');
  assert.deepEqual(await first, answer('/disabled'), 'the paused request did not go on after Debugger.disable');
  ws.terminate();
  await linesMatching(app.stderr, DETACHED, 1);

  // Attach, then drop the socket before the pause can happen.
  const from = app.stderr.lines.length;
  const second = get(app.port, '/deserted', { 'X-EPDB': KNOCK });
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000, from });
  const afterWaiting = app.stderr.lines.length;
  const { ws: fleeting } = await openSocket(await targetUrl(bridgePort));
  const fleetingClient = cdp(fleeting);
  await fleetingClient.call('Debugger.enable');
  await fleetingClient.call('Runtime.runIfWaitingForDebugger');
  fleeting.terminate(); // at once: before, during or just after the gate arms the pause
  await linesMatching(app.stderr, DETACHED, 2);
  // It either paused and was resumed by the disconnect, or went back to waiting (a new waiting
  // line): both must end well. The request's own timeout bounds the race.
  const waitingAgain = lineAppears(app.stderr, WAITING, afterWaiting);
  const outcome = await Promise.race([second.then(() => 'served'), waitingAgain.promise.then(() => 'waiting')]);
  waitingAgain.cancel();
  if (outcome === 'waiting') {
    const { ws: rescuer, client: rescue } = await attach(bridgePort, t);
    await rescue.event('Debugger.paused');
    await rescue.call('Debugger.resume');
    rescuer.terminate();
  }
  assert.deepEqual(await second, answer('/deserted'));
  await bg.stop();
  await nextKnockWorks(t, app, bridgePort);
});

test('the bridge worker is terminated while a request waits, and while a debugger is attached', async (t) => {
  const { app, bridgePort } = await startGatedApp(t);
  const bg = background(app.port);
  const waiting = get(app.port, '/orphaned', { 'X-EPDB': KNOCK });
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  assert.deepEqual(await get(app.port, '/kill-bridge'), { status: 200, body: 'terminated 1' });
  assert.deepEqual(await waiting, answer('/orphaned'), 'the waiting request did not go on');
  await app.stderr.waitForLine(/^epdb: debug bridge stopped/, { timeoutMs: 10_000 });
  assert.equal(await portIsOpen(bridgePort), false);
  await nextKnockWorks(t, app, bridgePort, '/next?1');

  // A debugger attached and idle when the worker dies: its socket closes, nothing else.
  const { ws } = await attach(bridgePort, t);
  const closed = within(new Promise((resolve) => ws.once('close', resolve)), 10_000, 'the debugger socket to close');
  assert.deepEqual(await get(app.port, '/kill-bridge'), { status: 200, body: 'terminated 1' });
  await closed;
  await bg.stop();
  await nextKnockWorks(t, app, bridgePort, '/next?2');
});

test('the bridge worker is terminated while the debugger holds a pause (from inside the pause)', async (t) => {
  const { app, bridgePort } = await startGatedApp(t);
  const bg = background(app.port);
  const knocked = get(app.port, '/terminated?paused', { 'X-EPDB': KNOCK });
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  const { ws, client } = await attach(bridgePort, t);
  const pause = await client.event('Debugger.paused');
  const closed = within(new Promise((resolve) => ws.once('close', resolve)), 10_000, 'the debugger socket to close');
  // The main thread is paused; this runs on it, in the paused frame, and stops the bridge's worker.
  client.send(JSON.stringify({ id: 99, method: 'Debugger.evaluateOnCallFrame', params: { callFrameId: pause.callFrames[0].callFrameId, expression: 'void [...globalThis.hostileWorkers].map((w) => w.terminate())' } }));
  await closed;
  assert.deepEqual(await knocked, answer('/terminated?paused'));
  await app.stderr.waitForLine(/^epdb: debug bridge stopped/, { timeoutMs: 10_000 });
  await bg.stop();
  await nextKnockWorks(t, app, bridgePort);
});

test('the bridge port is taken: the knocked request is served undebugged; once it is free the next knock works', async (t) => {
  const squatter = net.createServer((socket) => socket.destroy());
  await new Promise((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  t.after(() => squatter.close());
  const bridgePort = squatter.address().port;
  const app = await startApp(t, { app: APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' } });
  const bg = background(app.port);
  assert.deepEqual(await get(app.port, '/taken', { 'X-EPDB': KNOCK }), answer('/taken'));
  await app.stderr.waitForLine(/cannot start the debug bridge .*already in use/, { timeoutMs: 10_000 });
  await new Promise((resolve) => squatter.close(resolve));
  await bg.stop();
  await nextKnockWorks(t, app, bridgePort);
});

test('jwt: the `epdb connect` forward is killed while the debugger holds a pause through it', async (t) => {
  const secret = randomBytes(32).toString('hex');
  const knock = `JWT ${await new JWTBackend({ secret, maxAgeSeconds: 600 }).encode({ epdb: {} })}`;
  const { app, bridgePort } = await startGatedApp(t, { EPDB_BACKEND: 'jwt', EPDB_KEY: secret });
  const bg = background(app.port);
  const knocked = get(app.port, '/forwarded', { 'X-EPDB': knock });
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  const localPort = await freePort();
  const forward = spawnChild(process.execPath, [CLI, 'connect', String(bridgePort), '--port', String(localPort)], {
    env: cleanEnv({ EPDB_BACKEND: 'jwt', EPDB_KEY: secret }), t,
  });
  // It prints where it forwards once it listens; it adds the knock itself: the debugger sends none.
  await forward.stdout.waitForLine(/^epdb connect: forwarding 127\.0\.0\.1:\d+ to the debug bridge/, { timeoutMs: 10_000 });
  const url = await targetUrl(localPort, '');
  const { ws } = await openSocket(url);
  t.after(() => ws.terminate());
  const client = cdp(ws);
  await client.startDebugging();
  forward.process.kill('SIGKILL');
  assert.deepEqual(await knocked, answer('/forwarded'));
  await linesMatching(app.stderr, DETACHED, 1);
  await bg.stop();
  await nextKnockWorks(t, app, bridgePort, '/next', knock);
  assert.ok(!`${app.stderr.text()}${forward.stderr.text()}${forward.stdout.text()}`.includes(secret), 'the key was printed');
});

test('SIGTERM while a request waits at the gate: in-flight responses finish and the process exits promptly', async (t) => {
  const { app } = await startGatedApp(t);
  const slow = get(app.port, '/slow?ms=600');
  const knocked = get(app.port, '/held', { 'X-EPDB': KNOCK });
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  const started = Date.now();
  app.process.kill('SIGTERM');
  await app.stdout.waitForLine(/^closing$/, { timeoutMs: 5000 });
  assert.deepEqual(await slow, answer('/slow?ms=600'), 'an in-flight response was lost');
  // Promptly: far sooner than the held request's EPDB_WAIT_TIMEOUT (300 s), which would keep
  // the server open if the gate did not let it go.
  const exit = await within(app.exited, 30_000, 'the app to exit after SIGTERM (a held request kept it open?)');
  assert.deepEqual(exit, { code: 0, signal: null });
  t.diagnostic(`exited ${Date.now() - started} ms after SIGTERM`);
  // The knocked request was not left hanging: it went on undebugged as its server closed.
  assert.deepEqual(await knocked, answer('/held'));
});

test('the client of a knocked request disconnects while it waits: the gate lets it go and the next knock is the one paused', async (t) => {
  const { app, bridgePort } = await startGatedApp(t);
  const bg = background(app.port);
  for (let i = 0; i < 3; i++) {
    const socket = net.connect({ host: '127.0.0.1', port: app.port });
    socket.on('error', () => {});
    const from = app.stderr.lines.length;
    socket.write(`GET /abandoned?${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-EPDB: ${KNOCK}\r\n\r\n`);
    await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000, from });
    socket.destroy();
  }
  await bg.stop();
  await nextKnockWorks(t, app, bridgePort);
});

/**
 * A debugger attached while several knocks waited: they queue behind one another's pauses. The
 * client of one still queued leaves during an earlier pause (the process is stopped, so its
 * 'close' comes only after the resume): the debugger must not then stop at the dead request.
 */
test('the client of a knocked request queued behind a pause leaves: the debugger does not stop at the dead request', async (t) => {
  const { app, bridgePort } = await startGatedApp(t);
  const first = get(app.port, '/first', { 'X-EPDB': KNOCK });
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  const socket = net.connect({ host: '127.0.0.1', port: app.port });
  socket.on('error', () => {});
  t.after(() => socket.destroy());
  const from = app.stderr.lines.length;
  socket.write(`GET /queued HTTP/1.1\r\nHost: 127.0.0.1\r\nX-EPDB: ${KNOCK}\r\n\r\n`);
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000, from });
  const { ws, client } = await attach(bridgePort, t);
  const pause = await client.event('Debugger.paused');
  const { result } = await client.call('Debugger.evaluateOnCallFrame', { callFrameId: pause.callFrames[0].callFrameId, expression: 'req.url', returnByValue: true });
  assert.equal(result.value, '/first');
  socket.destroy(); // while /first is paused: the app sees it go only after the resume
  await client.call('Debugger.resume');
  assert.deepEqual(await first, answer('/first'));
  // The next pause must be a live knock, not /queued.
  const next = get(app.port, '/live', { 'X-EPDB': KNOCK });
  const second = await client.event('Debugger.paused');
  const { result: url } = await client.call('Debugger.evaluateOnCallFrame', { callFrameId: second.callFrames[0].callFrameId, expression: 'req.url', returnByValue: true });
  await client.call('Debugger.resume');
  if (url.value !== '/live') {
    const third = await client.event('Debugger.paused');
    await client.call('Debugger.resume');
    void third;
  }
  assert.deepEqual(await next, answer('/live'));
  ws.terminate();
  assert.equal(url.value, '/live', 'the debugger stopped at the abandoned request');
});
