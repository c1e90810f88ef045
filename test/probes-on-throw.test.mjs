// Snapshots where the knocked request throws (`{"snapshot": {"on": "throw"}}`, `epdb snapshot
// --on-throw`) against the Express probe fixture: a caught error in a helper (the helper's locals
// at the throw site), an uncaught one in an async handler, other requests' exceptions never
// captured (200 at once, all answered), a request that throws nothing (exit 3), redaction.
import assert from 'node:assert/strict';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { freePortBelowEphemeralRange, get, startApp } from './helpers/index.mjs';
import { fetchProbe, lineOf, probeId, probeKnock } from './helpers/probes.mjs';
import { runCli } from './fixtures/cli/cli.mjs';

const APP = fileURLToPath(new URL('./fixtures/probes/orders-app.cjs', import.meta.url));
const JWT_ENV = { EPDB_BACKEND: 'jwt', EPDB_KEY: 'e'.repeat(64) };

/** The orders app under epdb with its bridge on a known port. */
async function startOrdersApp(t, env = { EPDB_BACKEND: 'base64' }) {
  const bridgePort = await freePortBelowEphemeralRange();
  const appEnv = { ...env, EPDB_PORT: String(bridgePort) };
  const app = await startApp(t, { app: APP, env: appEnv });
  return { ...app, bridgePort, cliEnv: appEnv };
}

/**
 * A process's first capture also sets up V8's side of it (slow enough to meet the 10 ms bound
 * on a loaded machine, which then cuts the values): take one before the checks.
 */
async function warmed(app) {
  await onThrow(app, '/caught/warm-up');
  return app;
}

/**
 * GET `path` with an on-throw knock; resolves with the response and the settled result. A
 * capture whose values the 10 ms bound cut (a loaded machine) is taken again, twice at most, so
 * the checks see whole values; that the bound cuts is probes-snapshot's huge-object test.
 */
async function onThrow(app, path, expr = []) {
  for (let attempt = 1; ; attempt++) {
    const id = probeId();
    const response = await get(app.port, path, { 'X-EPDB': probeKnock('snapshot', { on: 'throw', expr, id }) });
    const { status, body } = await fetchProbe(app.bridgePort, id);
    assert.equal(status, 200, `the bridge has result ${id}: ${JSON.stringify(body)}`);
    if (attempt < 3 && JSON.stringify(body.frames ?? []).includes('"notCapturedReason":"timeout"')) continue;
    return { response, result: body, id };
  }
}

test('a caught error in a helper: the exception, the helper\'s locals and expressions at the throw site, redacted', async (t) => {
  const app = await warmed(await startOrdersApp(t));
  const { response, result, id } = await onThrow(app, '/caught/abc', ['text', 'limit * 2', 'password']);
  assert.deepEqual([response.status, response.body], [200, 'quantity 0'], 'the app caught it and answered as without a knock');
  assert.equal(result.taken, true, JSON.stringify(result));
  assert.deepEqual([result.exception.className, result.exception.message, result.exception.uncaught], ['RangeError', 'bad quantity abc', false]);
  assert.match(result.exception.stack, /^RangeError: bad quantity abc\n {4}at parseQuantity /);
  assert.deepEqual(result.location, { file: APP, line: lineOf(APP, 'parse-throw') });
  assert.equal(result.stack[0].function, 'parseQuantity');
  const helper = result.frames[0].locals;
  assert.equal(helper.text.value, 'abc');
  assert.equal(helper.limit.value, 10);
  assert.deepEqual(helper.password, { type: 'string', value: '[redacted]', redacted: true });
  assert.deepEqual(result.expressions.map((e) => [e.expr, e.value?.value]), [['text', 'abc'], ['limit * 2', 20], ['password', '[redacted]']]);
  assert.doesNotMatch(JSON.stringify(result), /hunter2/);
  // The handler that called it is the next frame, with its own locals.
  assert.equal(result.frames[1].file, APP);
  await app.stderr.waitForLine(new RegExp(`^epdb: snapshot ${id} taken where RangeError was thrown \\(${APP.replace(/[.]/g, '\\.')}:${lineOf(APP, 'parse-throw')}\\) for GET /caught/abc \\(\\d+ frames, [\\d.]+ KB(, truncated)?, stopped [\\d.]+ ms\\)$`));
  // Settled means disarmed: an exception now pauses nothing.
  const { body: before } = await fetchProbe(app.bridgePort, '', { path: '/epdb/probes' });
  assert.deepEqual([before.armed, before.breakpoints], [0, 0]);
  assert.equal((await get(app.port, '/caught/zzz')).body, 'quantity 0');
  const { body: after } = await fetchProbe(app.bridgePort, '', { path: '/epdb/probes' });
  assert.equal(after.pauses, before.pauses, 'no pause on exceptions once the probe settled');
});

test('an uncaught error in an async handler: captured where it was thrown, after an await; the app\'s 500 goes out', async (t) => {
  const app = await warmed(await startOrdersApp(t));
  const { response, result } = await onThrow(app, '/async-throw/7', ['order.id']);
  assert.equal(response.status, 500);
  assert.equal(result.taken, true, JSON.stringify(result));
  assert.deepEqual([result.exception.className, result.exception.message], ['TypeError', 'order 7 has no items']);
  assert.deepEqual(result.location, { file: APP, line: lineOf(APP, 'async-throw') });
  assert.equal(result.frames[0].locals.order.fields?.id.value, 7, JSON.stringify(result.frames[0].locals.order));
  assert.deepEqual(result.expressions.map((e) => e.value?.value), [7]);
});

test('200 other requests throwing the same error at once: none captured, all answered; the knocked one\'s is', async (t) => {
  const app = await startOrdersApp(t);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  t.after(() => agent.destroy());
  const id = probeId();
  // The knocked request throws after 300 ms; the others throw while its probe is armed.
  const knocked = get(app.port, '/caught/knocked?ms=300', { 'X-EPDB': probeKnock('snapshot', { on: 'throw', id }) });
  await app.stderr.waitForLine(/^epdb: knock accepted \(Base64\) GET \/caught\/knocked/);
  const others = await Promise.all(Array.from({ length: 200 }, (_, i) => get(app.port, `/caught/other${i}`, {}, { agent, timeoutMs: 60_000 })));
  others.forEach((answer) => assert.deepEqual([answer.status, answer.body], [200, 'quantity 0']));
  assert.equal((await knocked).body, 'quantity 0');
  const { body: result } = await fetchProbe(app.bridgePort, id);
  assert.equal(result.taken, true, JSON.stringify(result));
  assert.equal(result.frames[0].locals.text.value, 'knocked', 'the capture is the knocked request\'s');
  const { body: all } = await fetchProbe(app.bridgePort, '', { path: '/epdb/probes' });
  assert.deepEqual(all.probes.map((p) => p.id), [id], 'one result: nothing of the other requests was captured');
  assert.equal(all.probes[0].request, 'GET /caught/knocked');
});

test('epdb snapshot --on-throw: the exception and the tree; a request that throws nothing exits 3', async (t) => {
  const app = await startOrdersApp(t, JWT_ENV);
  const url = (path) => `http://127.0.0.1:${app.port}${path}`;
  const taken = await runCli(['snapshot', url('/caught/x1'), '--on-throw', '--expr', 'text'], { env: app.cliEnv });
  assert.equal(taken.code, 0, taken.stderr);
  const lines = taken.stdout.split('\n');
  assert.deepEqual([lines[0], lines[1], lines[3], lines[4]], ['HTTP/1.1 200 OK', 'thrown: RangeError: bad quantity x1', 'expressions', '  text = "x1"']);
  assert.equal(lines[2]?.replace(/:\d+\)$/, ')'), `  at parseQuantity (${APP}:${lineOf(APP, 'parse-throw')})`);
  const none = await runCli(['snapshot', url('/orders/3'), '--on-throw'], { env: app.cliEnv });
  assert.equal(none.code, 3, `${none.stdout}${none.stderr}`);
  assert.match(none.stderr, /^epdb: snapshot at throw not reached: the request ended without throwing$/m);
  const usage = await runCli(['snapshot', url('/orders/3'), '--on-throw', '--at', 'x.js:1'], { env: app.cliEnv });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--at and --on-throw do not go together/);
  const help = await runCli(['snapshot', '--help'], { env: app.cliEnv });
  assert.match(help.stdout, /--on-throw {12}capture where the request first throws instead/);
});
