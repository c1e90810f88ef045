// The probes' pure parts, on their own: the knock's probe options, logpoint messages, redaction,
// the rate limit, the result store, epdb snapshot's command line and EPDB_REDACT, and the main
// thread's capture of live values (plain reads, descriptors only).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { readConfig } from 'epdb';

const require = createRequire(import.meta.url);
const { probeSpecOf, messageParts, parseLocation } = require('../dist/src/shared/probes/spec.js');
const { Redactor, normalizeName } = require('../dist/src/shared/probes/redaction.js');
const { CaptureRateLimit } = require('../dist/src/shared/probes/limits.js');
const { DeferredReports } = require('../dist/src/main/probes/deferred-reports.js');
const { ProbeResults, KEPT_RESULTS, KEPT_FOR_MS } = require('../dist/src/worker/probes/results.js');
const { parseSnapshotArgs } = require('../dist/src/cli/snapshot/args.js');
const { pathEndsWith } = require('../dist/src/worker/probes/source-maps.js');
const { LiveCapture } = require('../dist/src/main/probes/live-capture.js');
const { readSimplePath, NeedsEvaluation } = require('../dist/src/main/probes/simple-path.js');
const { simplePathOf, simplePathsOf } = require('../dist/src/worker/probes/simple-paths.js');
const { formatMessage } = require('../dist/src/shared/probes/log-line.js');

test('probe options: snapshot and log, validated; anything else is not a probe', () => {
  assert.equal(probeSpecOf({}), undefined);
  assert.equal(probeSpecOf({ stop: 'entry' }), undefined);
  const snapshot = probeSpecOf({ snapshot: { at: 'src/orders.ts:17', expr: ['order.total'] } });
  assert.deepEqual(snapshot, { kind: 'snapshot', trigger: 'line', at: 'src/orders.ts:17', location: { file: 'src/orders.ts', line: 17 }, id: null, expressions: ['order.total'], message: null });
  const log = probeSpecOf({ log: { at: 'C:/app/a.js:3', message: 'total is {order.total}', id: 'abcd' } });
  assert.deepEqual([log.kind, log.location, log.message, log.id], ['log', { file: 'C:/app/a.js', line: 3 }, 'total is {order.total}', 'abcd']);
  for (const [options, reason] of [
    [{ snapshot: {}, log: {} }, /not both/],
    [{ snapshot: 'a.js:1' }, /must be an object/],
    [{ snapshot: { at: 'a.js' } }, /not FILE:LINE/],
    [{ snapshot: { at: 'a.js:0' } }, /not FILE:LINE/],
    [{ snapshot: { at: ':3' } }, /not FILE:LINE/],
    [{ snapshot: { at: 'a.js\nepdb: forged:3' } }, /control characters/],
    [{ snapshot: { at: 'a.js:1', expr: [1] } }, /list of non-empty strings/],
    [{ snapshot: { at: 'a.js:1', expr: Array(21).fill('x') } }, /more than 20/],
    [{ snapshot: { at: 'a.js:1', id: 'XYZ' } }, /lowercase hex/],
    [{ log: { at: 'a.js:1' } }, /non-empty string/],
    [{ log: { at: 'a.js:1', message: 'x {' } }, /unclosed or empty/],
    [{ log: { at: 'a.js:1', message: 'x {}' } }, /unclosed or empty/],
  ]) assert.throws(() => probeSpecOf(options), reason, JSON.stringify(options));
  assert.deepEqual(parseLocation('a:b.js:12'), { file: 'a:b.js', line: 12 });
});

test('a logpoint message: text and {expr} holes, {{ and }} for braces', () => {
  assert.deepEqual(messageParts('total is {order.total}!'), [{ text: 'total is ' }, { expr: 'order.total' }, { text: '!' }]);
  assert.deepEqual(messageParts('{{literal}} {a}{ b }'), [{ text: '{literal} ' }, { expr: 'a' }, { expr: 'b' }]);
});

test('redaction: names compared lowercased without -_.@$, EPDB_REDACT names, the knock by its payload', () => {
  const knock = `JWT ${'e'.repeat(40)}`;
  const redactor = new Redactor(['ssn_last4', 'X-Internal'], knock);
  for (const name of ['password', 'Password', 'PASS_WORD'.replace('_', ''), 'api_key', 'apiKey', 'API-KEY', 'x-epdb', 'HTTP_X_EPDB', 'Authorization', 'set-cookie', 'connect.sid', '$session', 'ssnLast4', 'x_internal']) {
    assert.ok(redactor.isSecretName(name), name);
  }
  for (const name of ['order', 'total', 'passwordHint', 'tokens2', 'user']) assert.ok(!redactor.isSecretName(name), name);
  assert.equal(normalizeName('X-Api.Key@$_'), 'xapikey');
  assert.ok(redactor.isSecretName('Symbol(token)'), 'a symbol key by its description');
  assert.ok(redactor.carriesKnock(knock));
  assert.ok(redactor.carriesKnock(`prefix ${'e'.repeat(40)} suffix`));
  assert.ok(!redactor.carriesKnock('e'.repeat(39)));
  assert.ok(!new Redactor([], 'Base64 short').carriesKnock('short'), 'a payload too short to be unique redacts nothing');
  assert.ok(redactor.isSecretExpression("req.headers['authorization']"));
  assert.ok(redactor.isSecretExpression('user.password.length'));
  assert.ok(!redactor.isSecretExpression('order.total * 2'));
});

test('the rate limit: at most 10 in any second, sliding', () => {
  let now = 0;
  const limit = new CaptureRateLimit(10, () => now);
  const taken = [];
  for (let i = 0; i < 50; i++) {
    now = i * 20;
    if (limit.take()) taken.push(now);
  }
  assert.deepEqual(taken, [0, 20, 40, 60, 80, 100, 120, 140, 160, 180]);
  now = 1000;
  assert.ok(limit.take(), 'the first of the window has left it');
  assert.ok(!limit.take(), 'the second has not');
});

test('results: the last 100, for 10 minutes, waiters woken and listeners told on settling', async () => {
  let now = 0;
  const results = new ProbeResults(() => now);
  const make = (id) => ({ id, kind: 'snapshot', at: 'a.js:1', request: 'GET /', armedAt: '', state: 'armed', taken: false });
  for (let i = 0; i < KEPT_RESULTS + 5; i++) results.add(make(`r${i}`));
  assert.equal(results.list().length, KEPT_RESULTS);
  assert.equal(results.get('r0'), undefined);
  assert.equal(results.list()[0].id, `r${KEPT_RESULTS + 4}`, 'newest first');
  const published = [];
  const stop = results.onPublished((result) => published.push(result.id));
  const waiting = results.waitForSettled('r50', 10_000);
  const settled = results.get('r50');
  settled.state = 'taken';
  results.settle(settled);
  await waiting;
  assert.deepEqual(published, ['r50']);
  stop();
  now = KEPT_FOR_MS + 1;
  results.add(make('late'));
  assert.equal(results.get('r50'), undefined, 'settled results go after 10 minutes');
  assert.ok(results.get('r51'), 'one still armed stays');
});

test('epdb snapshot arguments: repeatable --expr and -H, curl-like -X/-d, usage errors', () => {
  const args = parseSnapshotArgs(['http://127.0.0.1:3000/x', '--at', 'a.js:3', '-e', 'a', '--expr=b', '-H', 'A: 1', '-H', 'B:2', '-d', '{}', '--json', '--bridge', '9100']);
  assert.deepEqual(args.expressions, ['a', 'b']);
  assert.deepEqual(args.headers, [['A', '1'], ['B', '2']]);
  assert.equal(args.method, 'POST');
  assert.equal(args.body, '{}');
  assert.equal(args.json, true);
  assert.deepEqual(args.bridge, { host: '127.0.0.1', port: 9100 });
  assert.equal(parseSnapshotArgs(['http://h/x', '--at', 'a.js:1', '-X', 'put']).method, 'PUT');
  assert.throws(() => parseSnapshotArgs(['http://h/x', '--at', 'a.js:1', '--at', 'b.js:2']), /given twice/);
  assert.throws(() => parseSnapshotArgs(['ftp://h/x', '--at', 'a.js:1']), /not an http: or https: URL/);
  assert.throws(() => parseSnapshotArgs(['http://h/x', '--at', 'a.js:1', '-H', 'no colon']), /not 'Name: value'/);
});

test('path suffixes match at a separator', () => {
  assert.ok(pathEndsWith('/app/routes/orders.js', 'routes/orders.js'));
  assert.ok(pathEndsWith('/app/routes/orders.js', './routes/orders.js'));
  assert.ok(pathEndsWith('/app/routes/orders.js', '/app/routes/orders.js'));
  assert.ok(!pathEndsWith('/app/myroutes/orders.js', 'routes/orders.js'));
});

test('EPDB_REDACT: comma-separated names; a bad one names the variable', () => {
  assert.deepEqual(readConfig({ EPDB_BACKEND: 'base64', EPDB_REDACT: ' ssn , x-internal-id,' }).redact, ['ssn', 'x-internal-id']);
  assert.deepEqual(readConfig({ EPDB_BACKEND: 'base64' }).redact, []);
  assert.throws(() => readConfig({ EPDB_BACKEND: 'base64', EPDB_REDACT: 'has space' }), /EPDB_REDACT/);
});

test('plain reads: a name and literal property keys, anything else is evaluated by V8 instead', () => {
  assert.deepEqual(simplePathOf('order.items[0].sku'), { root: 'order', keys: [{ key: 'items', optional: false }, { key: 0, optional: false }, { key: 'sku', optional: false }] });
  assert.deepEqual(simplePathOf("req?.headers['x-id']"), { root: 'req', keys: [{ key: 'headers', optional: true }, { key: 'x-id', optional: false }] });
  assert.deepEqual(simplePathOf('this.id'), { root: 'this', keys: [{ key: 'id', optional: false }] });
  for (const expr of ['a.b()', 'a[b]', 'a + 1', 'a.b++', 'a = 1', 'a.b c', '`x`', 'new A()', '(a, b)']) assert.equal(simplePathOf(expr), null, expr);
  assert.equal(simplePathsOf('n {order.id} {order.items.map(i => i)}'), null, 'one hole that is not a plain read: the message is formatted on a pause');
  assert.equal(simplePathsOf('n {order.id} {total}').length, 2);
});

test('a plain read goes by descriptors: data through the prototype chain, never a getter or a proxy', () => {
  let getterCalls = 0;
  class Order { get total() { getterCalls++; return 1; } }
  Order.prototype.kind = 'order';
  const order = Object.assign(new Order(), { items: [{ sku: 'tea' }], text: 'abc' });
  const frame = { order, trap: new Proxy({}, { get() { getterCalls++; return 1; } }) };
  const read = (name) => { if (!(name in frame)) throw new ReferenceError(`${name} is not defined`); return frame[name]; };
  const at = (expr) => readSimplePath(simplePathOf(expr), read);
  assert.equal(at('order.items[0].sku'), 'tea');
  assert.equal(at('order.items.length'), 1);
  assert.equal(at('order.text.length'), 3);
  assert.equal(at('order.kind'), 'order', 'an inherited data property');
  assert.equal(at('order.missing?.deeper'), undefined);
  assert.throws(() => at('order.missing.deeper'), TypeError);
  assert.throws(() => at('nothing.here'), ReferenceError);
  assert.throws(() => at('order.total'), NeedsEvaluation);
  assert.throws(() => at('trap.x'), NeedsEvaluation);
  assert.equal(getterCalls, 0);
});

test('a live capture: limits, class names, redaction, and no code of the value\'s own is run', () => {
  let calls = 0;
  class Cart { constructor() { this.items = [1, 2]; } get count() { calls++; return 2; } toString() { calls++; return 'cart'; } }
  const tagged = { get [Symbol.toStringTag]() { calls++; return 'T'; }, password: 'hunter2', nested: { deeper: { deepest: 1 } } };
  const capture = new LiveCapture(new Redactor([], `Base64 ${'k'.repeat(20)}`), performance.now() + 1000);
  const values = [
    capture.value(new Cart(), null, 1, 3),
    capture.value(tagged, null, 1, 3),
    capture.value(new Proxy({}, { ownKeys() { calls++; return []; } }), null, 1, 3),
    capture.value(new Map([[1, 2]]), null, 1, 3),
    capture.value(new Date(0), null, 1, 3),
    capture.value(new TypeError('boom'), null, 1, 3),
    capture.value(`x ${'k'.repeat(20)} y`, null, 1, 3),
    capture.value([NaN, -0, 10n], null, 1, 3),
  ];
  capture.drain();
  const [cart, object, proxy, map, date, error, knock, numbers] = values;
  assert.equal(cart.className, 'Cart');
  assert.deepEqual(cart.fields.items.className, 'Array');
  assert.equal(cart.fields.count, undefined, 'a prototype accessor is not an own field');
  assert.deepEqual(object.fields['Symbol(Symbol.toStringTag)'], { type: 'accessor', notCapturedReason: 'getter' });
  assert.deepEqual(object.fields.password, { type: 'string', value: '[redacted]', redacted: true });
  assert.equal(object.fields.nested.fields.deeper.notCapturedReason, 'depth');
  assert.deepEqual([proxy.className, proxy.notCapturedReason], ['Proxy', 'proxy']);
  assert.deepEqual([map.className, map.size, map.notCapturedReason], ['Map', 1, 'collectionSize']);
  assert.match(date.description, /1970/);
  assert.equal(error.description, 'TypeError: boom');
  assert.equal(knock.value, '[redacted]');
  assert.deepEqual(numbers.elements.map((e) => e.value), ['NaN', '-0', '10n']);
  assert.equal(calls, 0, 'no getter, toString or proxy trap ran');
  assert.equal(formatMessage('n {a} {b}', [{ value: { type: 'number', value: 1 } }, { error: 'it threw: x' }]), 'n 1 <it threw: x>');
});

test('Node\'s lazy request getters (req.headers...) are read as they would answer, and the request is left as it was', () => {
  const { IncomingMessage } = require('node:http');
  const { Socket } = require('node:net');
  const fresh = () => {
    const req = new IncomingMessage(new Socket());
    req.rawHeaders = ['Host', 'a', 'host', 'b', 'Accept', 'x', 'ACCEPT', 'y', 'Cookie', 'c=1', 'cookie', 'd=2', 'Set-Cookie', 's=1', 'set-cookie', 's=2', 'X-Epdb', 'k'];
    req.rawTrailers = ['X-Sum', '1', 'x-sum', '2'];
    // As Node's parser does: the getters read this many lines.
    for (const symbol of Object.getOwnPropertySymbols(req)) {
      if (symbol.description === 'kHeadersCount') req[symbol] = req.rawHeaders.length;
      if (symbol.description === 'kTrailersCount') req[symbol] = req.rawTrailers.length;
    }
    return req;
  };
  const builtBy = (req) => Object.getOwnPropertySymbols(req).map((s) => [s.description, req[s]]).filter(([name, value]) => /^k(Headers|Trailers)(Distinct)?$/.test(name) && value != null).map(([name]) => name);
  for (const path of ['headers', 'headersDistinct', 'trailers', 'trailersDistinct']) {
    const req = fresh();
    const read = readSimplePath({ root: 'req', keys: [{ key: path, optional: false }] }, () => req);
    assert.deepEqual(builtBy(req), [], `reading req.${path} built nothing`);
    assert.deepEqual({ ...read }, { ...req[path] }, `req.${path} as the getter answers it`);
  }
  // Once the getter has run, its kept object is what is read (a middleware may have changed it).
  const req = fresh();
  req.headers['x-added'] = '1';
  assert.equal(readSimplePath({ root: 'req', keys: [{ key: 'headers', optional: false }, { key: 'x-added', optional: false }] }, () => req), '1');
});

test('on-throw probes: {"snapshot": {"on": "throw"}} and --on-throw; no "at", no logpoint, nothing else for "on"', () => {
  const spec = probeSpecOf({ snapshot: { on: 'throw', expr: ['order'], id: 'abcd' } });
  assert.deepEqual({ ...spec }, { kind: 'snapshot', trigger: 'throw', at: 'throw', location: null, id: 'abcd', expressions: ['order'], message: null });
  assert.equal(probeSpecOf({ snapshot: { at: 'a.js:3' } }).trigger, 'line');
  assert.throws(() => probeSpecOf({ snapshot: { on: 'throw', at: 'a.js:3' } }), /takes no "at"/);
  assert.throws(() => probeSpecOf({ snapshot: { on: 'return' } }), /may only be "throw"/);
  assert.throws(() => probeSpecOf({ log: { on: 'throw', message: 'x' } }), /may only be "throw", for a snapshot/);
  const args = parseSnapshotArgs(['http://127.0.0.1:3000/x', '--on-throw', '--expr', 'order']);
  assert.deepEqual([args.onThrow, args.at, args.expressions], [true, 'throw', ['order']]);
  assert.throws(() => parseSnapshotArgs(['http://127.0.0.1:3000/x', '--on-throw', '--log', 'm']), /does not go with --log/);
  assert.throws(() => parseSnapshotArgs(['http://127.0.0.1:3000/x']), /--at FILE:LINE \(or --on-throw\) is required/);
});

test('outcomes settled in a condition reach the worker after it returns, in order, and all at once when the request ends', async () => {
  const told = [];
  const probe = (name) => ({ report: (outcome) => told.push(`${name}: ${outcome.reason}`) });
  const reports = new DeferredReports();
  reports.add(probe('a'), { taken: false, reason: 'first' });
  reports.add(probe('b'), { taken: false, reason: 'second' });
  assert.deepEqual(told, [], 'nothing is posted from inside the condition');
  await new Promise((resolve) => process.nextTick(resolve));
  assert.deepEqual(told, ['a: first', 'b: second'], 'posted on the next tick, in order');
  // A request that ends in the same tick as its line: its end flushes first, then nothing is left for the tick.
  reports.add(probe('c'), { taken: false, reason: 'third' });
  reports.flush();
  assert.deepEqual(told.slice(2), ['c: third']);
  await new Promise((resolve) => process.nextTick(resolve));
  assert.equal(told.length, 3, 'no outcome is posted twice');
});
