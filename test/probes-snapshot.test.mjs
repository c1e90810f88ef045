// Snapshots and logpoints against a real Express app (test/fixtures/probes/orders-app.cjs) and a
// TypeScript app compiled with `tsc --sourceMap` here: what a capture holds, what it never does
// (stop other requests, run side effects, call getters, leak secrets), and its bounds.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import CDP from 'chrome-remote-interface';
import { freePortBelowEphemeralRange, get, startApp, within } from './helpers/index.mjs';
import { fetchProbe, lineOf, probeId, probeKnock } from './helpers/probes.mjs';

const APP = fileURLToPath(new URL('./fixtures/probes/orders-app.cjs', import.meta.url));
const TS_SOURCE = fileURLToPath(new URL('./fixtures/probes/ts/', import.meta.url));
const TSC = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
const at = (name) => `probes/orders-app.cjs:${lineOf(APP, name)}`;

/** Starts the orders app under epdb (base64) with its bridge on a known port. */
async function startOrdersApp(t, env = {}) {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), ...env } });
  return { ...app, bridgePort };
}

/**
 * Sends GET `path` with a probe knock and resolves with the response and the probe's settled
 * result. A capture cut short by its 10 ms bound (a loaded machine: CI, the suite's other
 * files) is taken again, a few times at most, so the checks below see a whole one; that the
 * bound cuts is itself checked by the huge-object test.
 */
async function probe(app, path, kind, spec, headers = {}) {
  for (let attempt = 1; ; attempt++) {
    const id = probeId();
    const response = await get(app.port, path, { 'X-EPDB': probeKnock(kind, { ...spec, id }), ...headers });
    await app.stderr.waitForLine(/^epdb: debug bridge listening on \S+ \(pid \d+\) for probes$/, { timeoutMs: 10_000 }); // the bridge is up
    const result = await fetchProbe(app.bridgePort, id);
    assert.equal(result.status, 200, `the bridge has result ${id}: ${JSON.stringify(result.body)}\n${app.stderr.text()}`);
    // A logpoint's message says nothing of what cut it: a cut one (truncated) is taken again too.
    const cut = JSON.stringify(result.body).includes('"notCapturedReason":"timeout"') || (kind === 'log' && result.body.truncated === true);
    if (attempt < 8 && cut) continue;
    // The retries above can spend the process's 10 captures a second: wait for the next second.
    if (attempt < 8 && /rate limit/.test(result.body.reason ?? '')) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    return { response, result: result.body, id };
  }
}

/** Every value of a capture, flattened with its path, for searching. */
function* walk(value, path = '') {
  yield [path, value];
  for (const [name, field] of Object.entries(value?.fields ?? {})) yield* walk(field, `${path}.${name}`);
  for (const [i, element] of (value?.elements ?? []).entries()) yield* walk(element, `${path}[${i}]`);
}

describe('snapshots of an Express handler', () => {
  /** @type {Awaited<ReturnType<typeof startOrdersApp>>} */
  let app;
  /** What the app's start registered to clean up, run when the suite ends. */
  const cleanups = [];
  before(async () => {
    app = await startOrdersApp({ after: (fn) => cleanups.push(fn) });
    // A process's first capture also sets up V8's side of it: take it before the checks.
    await probe(app, '/orders/0', 'snapshot', { at: at('order') });
  });
  after(async () => { for (const cleanup of cleanups) await cleanup(); });

  test('a local and an --expr on it; the request is answered as without a knock', async () => {
    const { response, result, id } = await probe(app, '/orders/42', 'snapshot', { at: at('order'), expr: ['order.total * 2', 'order.items.length', 'order.items[0].sku'] });
    assert.equal(response.status, 200);
    assert.equal(JSON.parse(response.body).total, 99.5);
    assert.equal(result.taken, true);
    assert.equal(result.state, 'taken');
    const top = result.frames[0];
    assert.equal(top.locals.order.fields.id.value, 42);
    assert.equal(top.locals.order.fields.total.value, 99.5);
    // order (depth 1) -> items (2) -> items[0] (3): listed, not unfolded.
    assert.equal(top.locals.order.fields.items.size, 2);
    assert.equal(top.locals.order.fields.items.elements[0].className, 'Object');
    assert.equal(top.locals.order.fields.items.elements[0].notCapturedReason, 'depth');
    assert.deepEqual(result.expressions.map((e) => e.value?.value), [199, 2, 'tea']);
    assert.equal(result.stack[0].file, APP);
    assert.equal(result.stack[0].line, lineOf(APP, 'order'));
    assert.ok(result.stack.length <= 20 && result.stack.length > 5, `stack of ${result.stack.length}`);
    assert.ok(result.frames.length <= 5);
    assert.ok(result.bytes <= 64 * 1024);
    const line = await app.stderr.waitForLine(new RegExp(`^epdb: snapshot ${id} taken at ${at('order').replace(/[.]/g, '\\.')} for GET /orders/42 \\(\\d+ frames, [\\d.]+ KB(, truncated)?, stopped [\\d.]+ ms\\)$`), { timeoutMs: 5000 });
    assert.doesNotMatch(line[0], /hunter2|99\.5/, 'the log line carries no values');
    // A settled result is a disarmed probe: no breakpoint left; the probe session's debugger
    // stays on for the next probe (turning it on stops the main thread while V8 lists every script).
    const { body: list } = await fetchProbe(app.bridgePort, '', { path: '/epdb/probes' });
    assert.deepEqual([list.armed, list.breakpoints], [0, 0]);
    assert.equal(list.debuggerEnabled, true);
    assert.equal(list.probes[0].id, id, 'newest first');
  });

  test('a local V8 cannot show (in its temporal dead zone) is marked unavailable; the rest is captured', async () => {
    const { response, result } = await probe(app, '/unborn/7', 'snapshot', { at: at('unborn') });
    assert.equal(response.body, 'unborn 7');
    assert.equal(result.taken, true, JSON.stringify(result));
    const { locals } = result.frames[0];
    assert.equal(locals.n.value, 7);
    // V8 12+ (Node 22 on) refuses to read it (a ReferenceError that once failed every capture);
    // V8 11 (Node 20) shows it as undefined.
    const expected = Number(process.versions.node.split('.')[0]) >= 22 ? { type: 'undefined', notCapturedReason: 'unavailable' } : { type: 'undefined' };
    assert.deepEqual(locals.doubled, expected);
  });

  test('a line the request never reaches: taken false, and the log says so', async () => {
    const { response, result, id } = await probe(app, '/never', 'snapshot', { at: at('never') });
    assert.equal(response.body, 'skipped');
    assert.equal(result.taken, false);
    assert.equal(result.state, 'not-taken');
    assert.match(result.reason, /^not reached/);
    await app.stderr.waitForLine(new RegExp(`^epdb: snapshot ${id} at .* for GET /never not reached`), { timeoutMs: 5000 });
  });

  test('a FILE no script matches is not armed, and the request is served', async () => {
    const { response, result } = await probe(app, '/orders/7', 'snapshot', { at: 'no/such/file.js:3' });
    assert.equal(response.status, 200);
    assert.equal(result.taken, false);
    assert.match(result.reason, /not armed: no loaded script matches "no\/such\/file.js"/);
  });

  test('an expression with a side effect is refused and the app state stays as it was', async () => {
    const { result } = await probe(app, '/orders/1', 'snapshot', { at: at('order'), expr: ['appState.sideEffects++', 'globalThis.leak = 1', 'order.total'] });
    assert.equal(result.taken, true);
    assert.match(result.expressions[0].error, /side effect/);
    assert.match(result.expressions[1].error, /side effect/);
    assert.equal(result.expressions[2].value.value, 99.5);
    const state = JSON.parse((await get(app.port, '/state')).body);
    assert.equal(state.sideEffects, 0);
    const leak = await probe(app, '/orders/1', 'snapshot', { at: at('order'), expr: ['typeof globalThis.leak'] });
    assert.equal(leak.result.expressions[0].value.value, 'undefined');
  });

  test('getters that throw or mutate are never called; huge and cyclic objects are bounded and marked', async () => {
    const { response, result } = await probe(app, '/hostile', 'snapshot', { at: at('hostile'), expr: ['tricky.mutates'] });
    assert.deepEqual(JSON.parse(response.body), { sideEffects: 0, getterCalls: 0 });
    const { tricky, huge, cyclic } = result.frames[0].locals;
    assert.equal(tricky.fields.plain.value, 1);
    assert.deepEqual(tricky.fields.throws, { type: 'accessor', notCapturedReason: 'getter' });
    assert.deepEqual(tricky.fields.mutates, { type: 'accessor', notCapturedReason: 'getter' });
    assert.match(result.expressions[0].error, /side effect/, 'a mutating getter is refused as an expression too');
    assert.equal(JSON.parse((await get(app.port, '/state')).body).getterCalls, 0);
    // A million elements: not listed at all, its size said.
    assert.equal(huge.fields.list.size, 1_000_000);
    assert.equal(huge.fields.list.notCapturedReason, 'collectionSize');
    assert.equal(huge.fields.list.truncated, true);
    assert.equal(huge.fields.text.value.length, 256);
    assert.equal(huge.fields.text.size, 10_000);
    assert.equal(huge.fields.text.truncated, true);
    assert.equal(Object.keys(huge.fields.wide.fields).length, 20);
    assert.equal(huge.fields.wide.size, 1000);
    assert.equal(huge.fields.wide.notCapturedReason, 'fieldCount');
    // self -> self -> self stops at depth 3.
    assert.equal(cyclic.fields.self.fields.self.notCapturedReason, 'depth');
    assert.equal(cyclic.fields.self.fields.self.fields, undefined);
    assert.equal(cyclic.fields.pair.fields.back.notCapturedReason, 'depth');
    assert.ok(result.bytes <= 64 * 1024, `${result.bytes} bytes`);
  });

  test('a password local, an Authorization header and the knock in rawHeaders are [redacted]', async () => {
    const { result } = await probe(app, '/orders/5', 'snapshot', {
      at: at('order'),
      expr: ['req.headers', 'req.headers.authorization', "req.headers['x-epdb']", 'req.rawHeaders'],
    }, { Authorization: 'Bearer s3cr3t-value', Cookie: 'sid=abcdef' });
    const locals = result.frames[0].locals;
    assert.deepEqual(locals.password, { type: 'string', value: '[redacted]', redacted: true });
    assert.equal(locals.customer.fields.apiKey.value, '[redacted]');
    assert.equal(locals.customer.fields.session.value, '[redacted]');
    assert.equal(locals.customer.fields.name.value, 'Ada');
    const [headers, authorization, knock, rawHeaders] = result.expressions;
    assert.equal(headers.value.fields.authorization.value, '[redacted]');
    assert.equal(headers.value.fields.cookie.value, '[redacted]');
    assert.equal(headers.value.fields['x-epdb'].value, '[redacted]');
    assert.equal(authorization.value.value, '[redacted]');
    assert.equal(knock.value.value, '[redacted]');
    const raw = rawHeaders.value.elements.map((e) => e.value);
    assert.equal(raw[raw.indexOf('X-EPDB') + 1], '[redacted]');
    assert.equal(raw[raw.indexOf('Authorization') + 1], '[redacted]');
    const everything = JSON.stringify(result);
    assert.doesNotMatch(everything, /hunter2|s3cr3t-value|sid=abcdef|k-123|sess-9/);
    const knockPayload = probeKnock('snapshot', { at: at('order') }).split(' ')[1].slice(0, 20);
    assert.doesNotMatch(everything, new RegExp(knockPayload.replace(/[+/=]/g, '.')));
    const req = locals.req.fields.rawHeaders.elements.map((e) => e.value);
    assert.equal(req[req.indexOf('Authorization') + 1], '[redacted]');
  });

  test('a logpoint formats its message from its expressions the same way', async () => {
    const { result } = await probe(app, '/orders/9', 'log', { at: at('order'), message: 'order {order.id} total {order.total}, items {order.items.length}; pw {password}; bad {appState.served++}' });
    assert.equal(result.taken, true);
    assert.equal(result.message, 'order 9 total 99.5, items 2; pw [redacted]; bad <not evaluated: it could have a side effect (throwOnSideEffect)>');
    assert.equal(result.frames, undefined, 'a logpoint captures no locals');
  });

  test('a logpoint of plain reads is formatted in its condition: the main thread never pauses for it', async () => {
    const pauses = async () => (await fetchProbe(app.bridgePort, '', { path: '/epdb/probes' })).body.pauses;
    const before = await pauses();
    const { result } = await probe(app, '/orders/11', 'log', {
      at: at('order'), message: 'order {order.id} items {order.items} first {order.items[0].sku} n {order.items.length}; pw {password}; key {customer.apiKey}; none {order.nothing?.deeper}; bad {nosuch.x}',
    });
    assert.equal(result.taken, true, JSON.stringify(result));
    assert.equal(result.message, 'order 11 items [Object, Object] first tea n 2; pw [redacted]; key [redacted]; none undefined; bad <it threw: ReferenceError: nosuch is not defined>');
    assert.equal(await pauses(), before, 'no Debugger.paused reached the probe session');
    assert.equal(result.capturedIn, 'condition');
    // A getter on the way is not called in the condition: that logpoint pauses, and V8's
    // side-effect-free evaluation refuses the mutating getter, which stays uncalled.
    const hostile = await probe(app, '/hostile', 'log', { at: at('hostile'), message: 'plain {tricky.plain} mutates {tricky.mutates}' });
    assert.equal(hostile.result.message, 'plain 1 mutates <not evaluated: it could have a side effect (throwOnSideEffect)>');
    assert.equal(await pauses(), before + 1, 'the logpoint with a getter paused once');
    assert.equal(hostile.result.capturedIn, 'pause');
    assert.equal(JSON.parse((await get(app.port, '/state')).body).getterCalls, 0);
  });

  test('a debugger client attaching turns the lingering probe debugger off', async (t) => {
    // A probe of its own first, so the debugger lingers whatever ran before (or did not).
    await probe(app, '/orders/5', 'snapshot', { at: at('order') });
    const { body: lingering } = await fetchProbe(app.bridgePort, '', { path: '/epdb/probes' });
    assert.equal(lingering.debuggerEnabled, true, 'on after a probe');
    const client = await within(CDP({ host: '127.0.0.1', port: app.bridgePort }), 10_000, 'CDP attach to the bridge');
    t.after(() => client.close().catch(() => {}));
    await client.Debugger.enable();
    await client.Runtime.runIfWaitingForDebugger();
    const off = await within((async () => {
      for (;;) {
        const { body } = await fetchProbe(app.bridgePort, '', { path: '/epdb/probes' });
        if (body.debuggerEnabled === false) return body;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })(), 10_000, 'the probe debugger going off');
    assert.deepEqual([off.armed, off.breakpoints], [0, 0]);
  });
});

describe('a probe on a line every request passes', () => {
  test('1,000 concurrent unknocked requests are all answered right and none is captured', async (t) => {
    const app = await startOrdersApp(t);
    // Start the bridge and warm the route first, so the knocked request's arming overlaps the flood.
    await probe(app, '/count/0', 'snapshot', { at: 'no/such.js:1' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
    t.after(() => agent.destroy());
    const id = probeId();
    const knocked = get(app.port, '/count/424242', { 'X-EPDB': probeKnock('snapshot', { at: at('count'), id }) });
    const others = Array.from({ length: 1000 }, (_, i) => get(app.port, `/count/${i + 1}`, {}, { agent, timeoutMs: 60_000 }));
    const answers = await Promise.all(others);
    answers.forEach((answer, i) => assert.deepEqual(answer, { status: 200, body: `count ${i + 1}` }));
    assert.equal((await knocked).body, 'count 424242');
    const { body: result } = await fetchProbe(app.bridgePort, id);
    assert.equal(result.taken, true);
    assert.equal(result.frames[0].locals.n.value, 424242, 'the capture is the knocked request\'s');
    const { body: all } = await fetchProbe(app.bridgePort, '', { path: '/epdb/probes' });
    assert.equal(all.probes.filter((p) => p.taken).length, 1, 'one capture in all');
    assert.deepEqual([all.armed, all.breakpoints], [0, 0]);
    await app.stderr.waitForLine(new RegExp(`^epdb: snapshot ${id} taken`), { timeoutMs: 5000 });
    assert.equal(app.stderr.matching(/^epdb: snapshot .* taken/).length, 1);
  });
});

describe('several probes on one line at once', () => {
  test('each knocked request gets the capture of its own state, across an await', async (t) => {
    const app = await startOrdersApp(t);
    await probe(app, '/count/0', 'snapshot', { at: 'no/such.js:1' }); // the bridge is up
    const knocks = [101, 102, 103, 104, 105].map((n) => ({ n, id: probeId() }));
    // All armed before any reaches the line (it waits 300 ms first), then they pass it together.
    const responses = await Promise.all(knocks.map(({ n, id }) => get(app.port, `/later/${n}?ms=300`, { 'X-EPDB': probeKnock('snapshot', { at: at('later'), id }) })));
    responses.forEach((response, i) => assert.equal(response.body, `later ${knocks[i].n}`));
    for (const { n, id } of knocks) {
      const { body: result } = await fetchProbe(app.bridgePort, id);
      assert.equal(result.taken, true, JSON.stringify(result));
      assert.equal(result.frames[0].locals.n.value, n, `probe ${id} captured request ${n}`);
    }
    const { body: list } = await fetchProbe(app.bridgePort, '', { path: '/epdb/probes' });
    assert.deepEqual([list.armed, list.breakpoints], [0, 0], 'the last probe took its breakpoint with it');
  });
});

describe('the rate limit', () => {
  test('50 snapshot knocks in a second: at most 10 captures in any second, and every knock has its result', async (t) => {
    const app = await startOrdersApp(t);
    await probe(app, '/count/0', 'snapshot', { at: 'no/such.js:1' }); // the bridge is up
    const ids = Array.from({ length: 50 }, () => probeId());
    const started = Date.now();
    const responses = [];
    for (const [i, id] of ids.entries()) {
      responses.push(get(app.port, `/count/${i}`, { 'X-EPDB': probeKnock('snapshot', { at: at('count'), id }) }));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (i + 1) * 20 - Date.now())));
    }
    (await Promise.all(responses)).forEach((response, i) => assert.equal(response.body, `count ${i}`));
    const results = await Promise.all(ids.map((id) => fetchProbe(app.bridgePort, id).then((r) => r.body)));
    for (const result of results) assert.ok(result.state === 'taken' || /rate limit/.test(result.reason), JSON.stringify(result));
    // When each capture happened on the main thread (its settling in the worker may lag under load).
    const taken = results.filter((r) => r.taken).map((r) => Date.parse(r.takenAt)).sort((a, b) => a - b);
    assert.ok(taken.every(Number.isFinite), 'every capture says when it was taken');
    const limited = results.filter((r) => !r.taken);
    assert.ok(taken.length >= 10, `${taken.length} captures`);
    assert.ok(limited.length >= 50 - 2 * 10 - 10, `${limited.length} refused by the limit`);
    for (let i = 10; i < taken.length; i++) assert.ok(taken[i] - taken[i - 10] >= 1000 - 50, 'no 11 captures within one second');
    for (const { id } of limited) await app.stderr.waitForLine(new RegExp(`^epdb: snapshot ${id} .* not taken: more than 10 captures a second`), { timeoutMs: 5000 });
    assert.equal(app.stderr.matching(/^epdb: snapshot .* not taken: more than 10 captures a second/).length, limited.length, 'each refusal is logged');
  });
});

describe('TypeScript through its source map', () => {
  test('a .ts file run as it is, compiled on load with an inline map (as tsx does), by its own line', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'epdb-ts-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(TS_SOURCE, join(dir, 'src'), { recursive: true });
    execFileSync(process.execPath, [TSC, '--inlineSourceMap', '--types', 'node', '--outDir', join(dir, 'out'), '--rootDir', join(dir, 'src'), '--module', 'commonjs', '--target', 'es2022', '--strict', join(dir, 'src', 'orders.ts')], { stdio: 'pipe' });
    // What such a loader hands V8: compiled code under a .ts name, with a data: URL map (CommonJS
    // loads an unknown extension as JavaScript).
    mkdirSync(join(dir, 'live'));
    renameSync(join(dir, 'out', 'orders.js'), join(dir, 'live', 'orders.ts'));
    const tsLine = lineOf(join(dir, 'src', 'orders.ts'), 'ts-total');
    const bridgePort = await freePortBelowEphemeralRange();
    const app = { ...await startApp(t, { app: join(dir, 'live', 'orders.ts'), preload: 'require', env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort) } }), bridgePort };
    const { response, result } = await probe(app, '/orders/4', 'snapshot', { at: `orders.ts:${tsLine}`, expr: ['total'] });
    assert.equal(response.body, 'total 30');
    assert.equal(result.taken, true, JSON.stringify(result));
    assert.equal(result.location.file, join(dir, 'live', 'orders.ts'));
    assert.equal(result.location.source, join(dir, 'src', 'orders.ts'));
    assert.notEqual(result.location.line, tsLine);
    assert.equal(result.expressions[0].value.value, 30);
  });

  test('a line of a .ts file, compiled with tsc --sourceMap, is probed by its .ts line', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'epdb-ts-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(TS_SOURCE, join(dir, 'src'), { recursive: true });
    execFileSync(process.execPath, [TSC, '--sourceMap', '--types', 'node', '--outDir', join(dir, 'dist'), '--rootDir', join(dir, 'src'), '--module', 'commonjs', '--target', 'es2022', '--strict', join(dir, 'src', 'orders.ts')], { stdio: 'pipe' });
    const tsLine = lineOf(join(dir, 'src', 'orders.ts'), 'ts-total');
    const bridgePort = await freePortBelowEphemeralRange();
    const app = { ...await startApp(t, { app: join(dir, 'dist', 'orders.js'), env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort) } }), bridgePort };
    const { response, result } = await probe(app, '/orders/3', 'snapshot', { at: `src/orders.ts:${tsLine}`, expr: ['total'] });
    assert.equal(response.body, 'total 30');
    assert.equal(result.taken, true, JSON.stringify(result));
    assert.equal(result.location.source, join(dir, 'src', 'orders.ts'));
    assert.equal(result.location.file, join(dir, 'dist', 'orders.js'));
    assert.notEqual(result.location.line, tsLine, 'the generated line differs (the check would prove nothing otherwise)');
    assert.equal(result.frames[0].locals.total.value, 30);
    assert.equal(result.frames[0].locals.order.fields.id.value, 3);
    assert.equal(result.expressions[0].value.value, 30);
  });
});
