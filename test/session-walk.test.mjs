// The walk to the app's own code (EPDB_STOP_AT=app) under faults: a request answered without
// any app code, a client that detaches or sends its own commands during the walk, a request
// whose client leaves during the walk, a handler that throws, two knocked requests at once.
// Each ends with the request completed, no stop in another request, and the next knock
// stopping in the handler. The walk is made to last by holding back a POST body that
// express.json() (not app code) must read before the app's handler runs.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { base64Knock, freePortBelowEphemeralRange, startApp, within } from './helpers/index.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';

const WALK_APP = fileURLToPath(new URL('./fixtures/session/walk-app.cjs', import.meta.url));
const APP_URL = pathToFileURL(WALK_APP).href;
const KNOCK = base64Knock();
const WAITING = /^epdb: waiting for a debugger on /;

async function startWalkApp(t) {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: WALK_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort) } });
  return { app, bridgePort };
}

/** Attaches once a first knocked request waits, and lets that one go; every pause is recorded. */
async function attachAfterFirstKnock(t, app, bridgePort) {
  const first = get(app.port, '/hello?first', { 'X-EPDB': KNOCK });
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  const dbg = await attachDebugger(bridgePort, t);
  const pauses = [];
  const consoleLines = [];
  dbg.client.on('Debugger.paused', (pause) => pauses.push(pause));
  dbg.client.on('Runtime.consoleAPICalled', ({ args }) => consoleLines.push(args.map((arg) => arg.value).join(' ')));
  await dbg.client.Runtime.enable();
  const pause = await dbg.nextPause();
  assert.equal(dbg.topUrl(pause), APP_URL);
  await dbg.client.Debugger.resume();
  assert.deepEqual(await first, { status: 200, body: 'hello /hello?first' });
  return { dbg, pauses, consoleLines };
}

/** A knocked POST /json whose body is held back until `send()`. */
function postWithHeldBody(port) {
  const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/json', agent: false, headers: { 'X-EPDB': KNOCK, 'content-type': 'application/json', 'content-length': '7' } });
  req.flushHeaders();
  const response = new Promise((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
  });
  return { req, response: within(response, 20_000, 'the POST /json response'), send: () => req.end('{"n":7}') };
}

/**
 * Waits for the walk of the knocked POST to be armed: the bridge's target says its held request
 * runs towards the app's code (`epdb.walking`), the breakpoints set.
 */
async function walkUnderWay(bridgePort) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { body } = await get(bridgePort, '/json/list');
    const [target] = JSON.parse(body);
    if (target.epdb.walking === true && target.epdb.held === 'POST /json') return;
    assert.ok(Date.now() < deadline, `the walk was not armed within 10 s: ${body}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits (polling, with a deadline) until the debugger's console has shown a line matching `pattern`. */
async function consoleLineMatching(consoleLines, pattern, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!consoleLines.some((line) => pattern.test(line))) {
    assert.ok(Date.now() < deadline, `no console line matches ${pattern}; it has: ${JSON.stringify(consoleLines)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The next knock still stops in the handler. */
async function nextKnockStops(dbg, app) {
  const response = get(app.port, '/hello?next', { 'X-EPDB': KNOCK });
  const pause = await dbg.nextPause();
  assert.equal(dbg.topUrl(pause), APP_URL);
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?next');
  await dbg.client.Debugger.resume();
  assert.deepEqual(await response, { status: 200, body: 'hello /hello?next' });
}

test('a request answered without any app code: the debugger is told why, the request completes', async (t) => {
  const { app, bridgePort } = await startWalkApp(t);
  const { dbg, pauses, consoleLines } = await attachAfterFirstKnock(t, app, bridgePort);
  assert.deepEqual(await get(app.port, '/static/file.txt', { 'X-EPDB': KNOCK }), { status: 200, body: 'a static file\n' });
  await consoleLineMatching(consoleLines, /GET \/static\/file\.txt was answered without running any of the app's own code/, 5_000);
  assert.equal(pauses.length, 1, 'no stop for the static file');
  await nextKnockStops(dbg, app);
});

test('during the walk: other requests pass the handler without stopping; the client\'s own resume and steps change nothing', async (t) => {
  const { app, bridgePort } = await startWalkApp(t);
  const { dbg, pauses } = await attachAfterFirstKnock(t, app, bridgePort);
  const post = postWithHeldBody(app.port);
  await walkUnderWay(bridgePort);
  // The same handler, for other requests, while the walk's breakpoints are set.
  const others = await Promise.all(Array.from({ length: 50 }, (_, n) => get(app.port, `/hello?other=${n}`)));
  others.forEach((response, n) => assert.deepEqual(response, { status: 200, body: `hello /hello?other=${n}` }));
  for (const method of ['resume', 'stepInto', 'stepOver']) {
    await assert.rejects(dbg.client.Debugger[method](), /paused/i, `Debugger.${method} while nothing is paused`);
  }
  assert.equal(pauses.length, 1, 'nothing stopped during the walk');
  post.send();
  const pause = await dbg.nextPause();
  assert.equal(dbg.topUrl(pause), APP_URL);
  assert.equal(await dbg.evaluate(pause, 'req.body.n'), 7);
  await dbg.client.Debugger.resume();
  assert.deepEqual(await post.response, { status: 200, body: 'json 7' });
  assert.equal(pauses.length, 2, 'one pause for the walk');
  await nextKnockStops(dbg, app);
});

test('the debugger detaches during the walk: the request completes undebugged, the next debugger stops the next knock', async (t) => {
  const { app, bridgePort } = await startWalkApp(t);
  const { dbg } = await attachAfterFirstKnock(t, app, bridgePort);
  const post = postWithHeldBody(app.port);
  await walkUnderWay(bridgePort);
  const from = app.stderr.lines.length;
  await dbg.close();
  await app.stderr.waitForLine(/^epdb: debugger detached$/, { timeoutMs: 5_000, from });
  post.send();
  assert.deepEqual(await post.response, { status: 200, body: 'json 7' });
  const next = get(app.port, '/hello?next', { 'X-EPDB': KNOCK });
  await app.stderr.waitForLine(WAITING, { timeoutMs: 5_000, from });
  const again = await attachDebugger(bridgePort, t);
  const pause = await again.nextPause();
  assert.equal(again.topUrl(pause), APP_URL);
  await again.client.Debugger.resume();
  assert.deepEqual(await next, { status: 200, body: 'hello /hello?next' });
});

test('the request\'s client leaves during the walk: no stop for it, the next knock stops', async (t) => {
  const { app, bridgePort } = await startWalkApp(t);
  const { dbg, pauses } = await attachAfterFirstKnock(t, app, bridgePort);
  const post = postWithHeldBody(app.port);
  post.response.catch(() => {});
  await walkUnderWay(bridgePort);
  post.req.destroy();
  await nextKnockStops(dbg, app);
  assert.equal(pauses.length, 2, 'a stop for the first and the next knock only');
});

test('a handler that throws: the stop is its first statement, then Express answers 500', async (t) => {
  const { app, bridgePort } = await startWalkApp(t);
  const { dbg } = await attachAfterFirstKnock(t, app, bridgePort);
  const response = get(app.port, '/throw?x', { 'X-EPDB': KNOCK });
  const pause = await dbg.nextPause();
  assert.equal(dbg.topUrl(pause), APP_URL);
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/throw?x');
  await dbg.client.Debugger.resume();
  assert.deepEqual(await response, { status: 500, body: 'error thrown for /throw?x' });
  await nextKnockStops(dbg, app);
});

test('two knocked requests at once: each stops in its own handler, one after the other', async (t) => {
  const { app, bridgePort } = await startWalkApp(t);
  const { dbg } = await attachAfterFirstKnock(t, app, bridgePort);
  const responses = [get(app.port, '/hello?a', { 'X-EPDB': KNOCK }), get(app.port, '/hello?b', { 'X-EPDB': KNOCK })];
  const seen = [];
  for (let n = 0; n < 2; n++) {
    const pause = await dbg.nextPause();
    assert.equal(dbg.topUrl(pause), APP_URL);
    seen.push(await dbg.evaluate(pause, 'req.url'));
    await dbg.client.Debugger.resume();
  }
  assert.deepEqual(seen.sort(), ['/hello?a', '/hello?b']);
  assert.deepEqual(await Promise.all(responses), [{ status: 200, body: 'hello /hello?a' }, { status: 200, body: 'hello /hello?b' }]);
  await nextKnockStops(dbg, app);
});

test('no app code within the walk\'s 10 s budget: the debugger is told, the request goes on and completes unstopped', async (t) => {
  const { app, bridgePort } = await startWalkApp(t);
  const { dbg, pauses, consoleLines } = await attachAfterFirstKnock(t, app, bridgePort);
  const post = postWithHeldBody(app.port);
  await walkUnderWay(bridgePort);
  await consoleLineMatching(consoleLines, /^epdb: no code of the app ran for POST \/json within 10 s; the walk to it gave up and the request goes on\.$/, 20_000);
  post.send();
  assert.deepEqual(await post.response, { status: 200, body: 'json 7' });
  assert.equal(pauses.length, 1, 'no stop for the request whose walk gave up');
  await nextKnockStops(dbg, app);
});
