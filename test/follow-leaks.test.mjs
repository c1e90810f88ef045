// Follow's leak cases, each refused: an app that copies incoming headers onto its outgoing
// requests (node:http request with header objects, raw arrays or appendHeader, http.get, a
// by-name import of request, https, fetch, gRPC metadata) never passes the knock on, followed or
// not; a followed request's next hop gets a fresh knock made for it alone (jwt and fernet), and
// none once the request has answered; a hop knock replayed, used on another method or path, past
// its hop limit or its 60 s, or under base64, is refused with a reason; a bad EPDB_FOLLOW leaves
// the app unpatched. The services mostly run epdb in code with an onKnock that lets knocked
// requests go on at once (no debugger).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePortBelowEphemeralRange, makeSelfSignedCert, startApp, within } from './helpers/index.mjs';
import { get } from './fixtures/session/debugger.mjs';
import { JWT_ENV } from './fixtures/reverse/listen.mjs';
import { runCli } from './fixtures/cli/cli.mjs';
import { startRecorder } from './fixtures/follow/recorder.mjs';

const SERVICE = new URL('./fixtures/follow/service.mjs', import.meta.url).pathname;
const { JWTBackend } = await import('../dist/src/shared/backends/jwt.js');
const jwt = new JWTBackend({ secret: JWT_ENV.EPDB_KEY, maxAgeSeconds: 3600 });

/** An X-EPDB value made by the real `epdb knock` with `args`. @param {string[]} args @param {Record<string, string>} [env] */
async function knock(args, env = JWT_ENV) {
  const { code, stdout, stderr } = await runCli(['knock', ...args], { env });
  assert.equal(code, 0, stderr);
  return stdout.trim();
}

/** The `epdb` options a JWT knock value carries (verified). @param {string} value */
async function optionsOf(value) {
  return /** @type {any} */ (await jwt.decode(value.replace(/^JWT\s+/, ''))).epdb;
}

/** A hop knock made here as a process of the chain would make it, with `options` over the defaults. */
function hopKnock(options) {
  const now = Math.floor(Date.now() / 1000);
  return `JWT ${jwt.encodeNow({ epdb: { follow: true, hop: 2, origin: 'GET /orders/42 on checkout', from: 'checkout', bind: 'GET /echo', nonce: `n-${Math.random().toString(36).slice(2)}-0123456789`, expires: now + 60, ...options } }, 60)}`;
}

/**
 * A proxy under epdb (in code) that sends each request on to the recorder five times with the
 * incoming headers copied: http.request, http.get, fetch, appendHeader and a raw header array.
 */
async function startProxy(t, recorderPort, env = {}) {
  return startApp(t, { app: SERVICE, preload: 'none', env: {
    ...JWT_ENV, FIXTURE_API: '1', EPDB_SERVICE: 'proxy', ...env,
    FIXTURE_CALLS: JSON.stringify([
      { url: `http://127.0.0.1:${recorderPort}/echo`, via: 'http', copyHeaders: true },
      { url: `http://127.0.0.1:${recorderPort}/echo-get?q=1`, via: 'get', copyHeaders: true },
      { url: `http://127.0.0.1:${recorderPort}/echo-fetch`, via: 'fetch', copyHeaders: true },
      { url: `http://127.0.0.1:${recorderPort}/echo-append`, via: 'append', copyHeaders: true },
      { url: `http://127.0.0.1:${recorderPort}/echo-raw`, via: 'raw', copyHeaders: true },
    ]),
  } });
}

test('a header-copying proxy (http.request with header objects, raw arrays or appendHeader, http.get, fetch) never passes the incoming knock on: refused, plain or followed to a host outside EPDB_FOLLOW', async (t) => {
  const recorder = await startRecorder(t);
  const proxy = await startProxy(t, recorder.port);
  const sent = [
    ['a refused knock', 'JWT not.a.token'],
    ['a valid knock', await knock([])],
    ['a valid followed knock', await knock(['--follow'])],
  ];
  for (const [what, value] of sent) {
    const from = recorder.seen.length;
    const { status, body } = await get(proxy.port, '/anything', { 'X-EPDB': value, 'X-Other': 'kept' });
    assert.equal(status, 200, what);
    assert.equal(body, 'proxy<recorder,recorder,recorder,recorder,recorder>', what);
    const seen = recorder.seen.slice(from);
    assert.deepEqual(seen.map((request) => request.path), ['/echo', '/echo-get?q=1', '/echo-fetch', '/echo-append', '/echo-raw'], what);
    for (const request of seen) {
      assert.equal(request.headers['x-epdb'], undefined, `${what}: ${request.path} carried a knock`);
      assert.equal(request.headers['x-other'], 'kept', `${what}: the app's other headers go through`);
    }
  }
  await proxy.stderr.waitForLine(/^epdb: took an X-EPDB header off /, { timeoutMs: 5_000 });
});

test('a followed proxy to a host in EPDB_FOLLOW sends a fresh hop knock, never the one it got', async (t) => {
  const recorder = await startRecorder(t);
  const proxy = await startProxy(t, recorder.port, { EPDB_FOLLOW: `127.0.0.1:${recorder.port}` });
  const incoming = await knock(['--follow', '--connect', '127.0.0.1:9']);
  assert.equal((await get(proxy.port, '/orders/42?x=1', { 'X-EPDB': incoming })).status, 200);
  assert.equal(recorder.seen.length, 5);
  const nonces = new Set();
  for (const request of recorder.seen) {
    const knocks = request.rawHeaders.filter((_, i) => i % 2 === 0 && request.rawHeaders[i].toLowerCase() === 'x-epdb');
    assert.equal(knocks.length, 1, `${request.path}: one knock header`);
    const value = request.headers['x-epdb'];
    assert.notEqual(value, incoming);
    const options = await optionsOf(value);
    assert.equal(options.follow, true);
    assert.equal(options.hop, 2);
    assert.equal(options.origin, 'GET /orders/42 on proxy');
    assert.equal(options.from, 'proxy');
    assert.equal(options.connect, '127.0.0.1:9', 'the first knock\'s listener is kept');
    assert.equal(options.bind, `GET ${request.path.split('?')[0]}`);
    nonces.add(options.nonce);
    const claims = /** @type {any} */ (await jwt.decode(value.replace(/^JWT\s+/, '')));
    assert.ok(claims.exp - claims.iat <= 60, 'a hop knock lives 60 s at most');
    assert.ok(options.expires - claims.iat <= 60);
  }
  assert.equal(nonces.size, 5, 'each hop knock has its own nonce');
});

test('a hop knock is refused replayed, on another request, beyond 8 hops, expired, or without follow', async (t) => {
  const recorder = await startRecorder(t);
  // One call a request: the lines about hops are rate-limited (10 a minute), and this test reads them.
  const service = await startApp(t, { app: SERVICE, preload: 'none', env: {
    ...JWT_ENV, FIXTURE_API: '1', EPDB_SERVICE: 'proxy', EPDB_FOLLOW: `127.0.0.1:${recorder.port}`,
    FIXTURE_CALLS: JSON.stringify([{ url: `http://127.0.0.1:${recorder.port}/echo`, via: 'http', copyHeaders: true }]),
  } });
  const refusedOn = async (path, value, reason, method = 'GET') => {
    const from = service.stderr.lines.length;
    assert.equal((await get(service.port, path, { 'X-EPDB': value })).status, 200, 'served as if it had no header');
    const escaped = path.split('?')[0].replace(/[/]/g, '\\/');
    await service.stderr.waitForLine(new RegExp(`^epdb: knock refused on ${method} ${escaped}: ${reason}`), { timeoutMs: 5_000, from });
  };

  const once = hopKnock({});
  let from = service.stderr.lines.length;
  assert.equal((await get(service.port, '/echo?first', { 'X-EPDB': once })).status, 200);
  await service.stderr.waitForLine(/^epdb: knock accepted \(JWT\) GET \/echo \(followed: GET \/echo \[hop 2: checkout → proxy\], from GET \/orders\/42 on checkout\)$/, { timeoutMs: 5_000, from });
  await refusedOn('/echo', once, 'the hop knock was used before \\(a replay\\)');
  await refusedOn('/other', hopKnock({}), 'the hop knock was made for another request');
  await refusedOn('/echo', hopKnock({ bind: 'POST /echo' }), 'the hop knock was made for another request');
  await refusedOn('/echo', hopKnock({ hop: 9 }), '"hop" must be a whole number from 2 to 8');
  await refusedOn('/echo', hopKnock({ expires: Math.floor(Date.now() / 1000) - 5 }), 'the hop knock expired');
  await refusedOn('/echo', hopKnock({ expires: Math.floor(Date.now() / 1000) + 3600 }), 'a hop knock lives at most 60 s');
  await refusedOn('/echo', hopKnock({ nonce: undefined }), 'a hop knock needs a "nonce"');
  await refusedOn('/echo', hopKnock({ follow: undefined }), '"hop" without "follow"');

  // What a hop knock names never breaks a log line.
  from = service.stderr.lines.length;
  assert.equal((await get(service.port, '/echo', { 'X-EPDB': hopKnock({ origin: 'GET /x\nepdb: forged', from: 'a\rb' }) })).status, 200);
  await service.stderr.waitForLine(/^epdb: knock accepted \(JWT\) GET \/echo \(followed: GET \/echo \[hop 2: a\?b → proxy\], from GET \/x\?epdb: forged\)$/, { timeoutMs: 5_000, from });

  // At hop 8 the request is still followed, but its own requests get no knock for a ninth.
  const before = recorder.seen.length;
  from = service.stderr.lines.length;
  assert.equal((await get(service.port, '/echo', { 'X-EPDB': hopKnock({ hop: 8 }) })).status, 200);
  assert.ok(recorder.seen.slice(before).every((request) => request.headers['x-epdb'] === undefined), 'no ninth hop');
  await service.stderr.waitForLine(/^epdb: GET \/echo \[hop 8: checkout → proxy\]: GET \/echo to 127\.0\.0\.1:\d+ gets no knock \(a request is followed for 8 hops at most\)$/, { timeoutMs: 5_000, from });
});

test('base64: a follow knock is refused with a reason and served as if it had no header; epdb knock --follow says why', async (t) => {
  const recorder = await startRecorder(t);
  const env = { EPDB_BACKEND: 'base64' };
  const service = await startApp(t, { app: SERVICE, preload: 'none', env: { ...env, FIXTURE_API: '1', EPDB_SERVICE: 'open', EPDB_FOLLOW: `127.0.0.1:${recorder.port}`,
    FIXTURE_CALLS: JSON.stringify([{ url: `http://127.0.0.1:${recorder.port}/echo`, via: 'http' }]) } });
  const value = `Base64 ${Buffer.from(JSON.stringify({ epdb: { follow: true } })).toString('base64')}`;
  assert.equal((await get(service.port, '/orders/42', { 'X-EPDB': value })).body, 'open<recorder>');
  await service.stderr.waitForLine(/^epdb: knock refused on GET \/orders\/42: "follow" is honoured only with fernet or jwt/, { timeoutMs: 5_000 });
  assert.equal(recorder.seen[0].headers['x-epdb'], undefined);
  const cli = await runCli(['knock', '--follow'], { env });
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /knock --follow: a Base64 knock proves nothing/);
});

test('a bad EPDB_FOLLOW names the variable and leaves the app unpatched', async (t) => {
  for (const [value, problem] of [['*', /a bare \* would pass knocks to every host/], ['http://billing', /is not host, host:port or \*\.domain/], ['*.com', /needs a domain of at least two labels/]]) {
    const app = await startApp(t, { app: SERVICE, env: { ...JWT_ENV, EPDB_FOLLOW: value } });
    const [line] = await app.stderr.waitForLine(/^epdb: EPDB_FOLLOW: .*; epdb is off$/, { timeoutMs: 5_000 });
    assert.match(line, problem);
    assert.equal((await get(app.port, '/x', { 'X-EPDB': await knock([]) })).body, 'service');
    assert.equal(app.stderr.matching(/^epdb: knock/).length, 0, 'nothing checks knocks');
    await app.stop();
  }
});

test('EPDB_FOLLOW: host, host:port and *.domain match where the request goes, case-insensitively', async () => {
  const { FollowHosts } = await import('../dist/src/shared/follow-hosts.js');
  const hosts = FollowHosts.parse('billing, inventory:8080, *.svc.cluster.local, 127.0.0.1:9000, [::1]:7');
  const cases = [
    ['billing', 1, true], ['BILLING.', 80, true], ['billing.evil', 80, false], ['inventory', 8080, true], ['inventory', 8081, false],
    ['a.svc.cluster.local', 443, true], ['a.b.svc.cluster.local', 1, true], ['svc.cluster.local', 1, false], ['evilsvc.cluster.local', 1, false],
    ['127.0.0.1', 9000, true], ['127.0.0.1', 9001, false], ['::1', 7, true], ['[::1]', 7, true],
  ];
  for (const [host, port, allowed] of cases) assert.equal(hosts.allows(host, port), allowed, `${host}:${port}`);
  assert.equal(FollowHosts.parse(undefined).empty, true, 'unset: nobody');
  assert.equal(FollowHosts.parse(' , ').allows('localhost', 80), false);
  const { NonceLedger } = await import('../dist/src/main/follow/nonce-ledger.js');
  const ledger = new NonceLedger(2);
  assert.equal(ledger.record('a', 10, 0), 'fresh');
  assert.equal(ledger.record('a', 10, 5), 'replayed');
  assert.equal(ledger.record('b', 10, 5), 'fresh');
  assert.equal(ledger.record('c', 10, 5), 'full', 'live nonces are never forgotten to make room');
  assert.equal(ledger.record('c', 30, 11), 'fresh', 'expired ones are');
});

test('epdb knock --follow makes a followed knock; --help says what it does', async () => {
  const options = await optionsOf(await knock(['--follow', '--connect', '127.0.0.1:9230']));
  assert.deepEqual(options, { connect: '127.0.0.1:9230', follow: true });
  const help = await runCli(['knock', '--help'], { env: JWT_ENV });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: epdb knock \[--connect \[ws:\/\/\|wss:\/\/\]HOST:PORT\] \[--follow\]$/m);
  assert.match(help.stdout, /With --follow \(fernet, jwt\), the request is followed downstream/);
  const misuse = await runCli(['knock', '--follow=yes'], { env: JWT_ENV });
  assert.equal(misuse.code, 2);
  assert.match(misuse.stderr, /knock: --follow takes no value/);
});

test('fernet: the hop knock is a Fernet token of the same key, and the next hop accepts it once', async (t) => {
  const { FernetBackend } = await import('../dist/src/shared/backends/fernet.js');
  const key = 'TluiKbFqt0Pc3Rg7eHMfS7sWcJ7Y1SRCBXcStRL1Yh8=';
  const env = { EPDB_BACKEND: 'fernet', EPDB_KEY: key };
  const recorder = await startRecorder(t);
  const proxy = await startApp(t, { app: SERVICE, preload: 'none', env: { ...env, FIXTURE_API: '1', EPDB_SERVICE: 'checkout', EPDB_FOLLOW: `127.0.0.1:${recorder.port}`,
    FIXTURE_CALLS: JSON.stringify([{ url: `http://127.0.0.1:${recorder.port}/bill/42`, via: 'fetch' }]) } });
  assert.equal((await get(proxy.port, '/orders/42', { 'X-EPDB': await knock(['--follow'], env) })).status, 200);
  const hop = recorder.seen[0].headers['x-epdb'];
  assert.match(hop, /^Fernet [A-Za-z0-9_-]+=*$/);
  const options = /** @type {any} */ (new FernetBackend({ key, maxAgeSeconds: 60 }).decode(hop.slice('Fernet '.length))).epdb;
  assert.equal(options.hop, 2);
  assert.equal(options.bind, 'GET /bill/42');
  // The next service (the same fixture, as billing) accepts it on the request it was made for, once.
  const billing = await startApp(t, { app: SERVICE, preload: 'none', env: { ...env, FIXTURE_API: '1', EPDB_SERVICE: 'billing' } });
  assert.equal((await get(billing.port, '/bill/42', { 'X-EPDB': hop })).body, 'billing');
  await billing.stderr.waitForLine(/^epdb: knock accepted \(Fernet\) GET \/bill\/42 \(followed: GET \/bill\/42 \[hop 2: checkout → billing\], from GET \/orders\/42 on checkout\)$/, { timeoutMs: 5_000 });
  assert.equal((await get(billing.port, '/bill/42', { 'X-EPDB': hop })).body, 'billing');
  await billing.stderr.waitForLine(/^epdb: knock refused on GET \/bill\/42: the hop knock was used before \(a replay\)$/, { timeoutMs: 5_000 });
});

test('gRPC (@grpc/grpc-js): a followed call carries the hop knock as x-epdb metadata; copied metadata never passes the knock on', async (t) => {
  const GREETER = new URL('./fixtures/follow/greeter-server.cjs', import.meta.url).pathname;
  const greeter = await startApp(t, { app: GREETER, preload: 'none', env: { ...JWT_ENV, EPDB_SERVICE: 'greeter' } });
  const gateway = await startApp(t, { app: SERVICE, preload: 'none', env: {
    ...JWT_ENV, FIXTURE_API: '1', EPDB_SERVICE: 'gateway', EPDB_FOLLOW: `127.0.0.1:${greeter.port}`,
    FIXTURE_CALLS: JSON.stringify([{ url: `grpc://127.0.0.1:${greeter.port}`, via: 'grpc', copyHeaders: true }]),
  } });
  // Not followed: the knock copied into the metadata is taken off.
  assert.equal((await get(gateway.port, '/plain', { 'X-EPDB': await knock([]) })).body, 'gateway<hello gateway; knock: none>');
  assert.equal(greeter.stderr.matching(/^epdb: knock/).length, 0);
  // Followed: one knock, epdb's, made for this call, which the greeter accepts as hop 2.
  assert.equal((await get(gateway.port, '/orders/42', { 'X-EPDB': await knock(['--follow']) })).body, 'gateway<hello gateway; knock: 1>');
  await greeter.stderr.waitForLine(/^epdb: knock accepted \(JWT\) POST \/epdbtest\.Greeter\/SayHello \(followed: POST \/epdbtest\.Greeter\/SayHello \[hop 2: gateway → greeter\], from GET \/orders\/42 on gateway\)$/, { timeoutMs: 5_000 });
});

test('node:https and a by-name import of node:http\'s request are hooked too: stripped, or given the hop knock', async (t) => {
  const cert = await makeSelfSignedCert(t);
  const [plain, secure] = [await startRecorder(t), await startRecorder(t, cert)];
  const calls = JSON.stringify([
    { url: `http://127.0.0.1:${plain.port}/named`, via: 'named', copyHeaders: true },
    { url: `https://127.0.0.1:${secure.port}/secure`, via: 'https', copyHeaders: true },
  ]);
  for (const preload of ['import', 'none']) {
    // Under the preload (where the followed knock waits half a second for a debugger, then goes
    // on undebugged, still followed), and with epdb started in code after the app imported its modules.
    const api = preload === 'none' ? { FIXTURE_API: '1' } : { EPDB_WAIT_TIMEOUT: '0.5', EPDB_PORT: String(await freePortBelowEphemeralRange()) };
    const proxy = await startApp(t, { app: SERVICE, preload, env: { ...JWT_ENV, ...api, EPDB_SERVICE: 'proxy', FIXTURE_CA: cert.certPath, FIXTURE_CALLS: calls, EPDB_FOLLOW: `127.0.0.1:${secure.port}` } });
    const from = [plain.seen.length, secure.seen.length];
    assert.equal((await get(proxy.port, '/plain', { 'X-EPDB': 'JWT not.a.token' })).body, 'proxy<recorder,recorder>');
    assert.equal(plain.seen[from[0]].headers['x-epdb'], undefined, `${preload}: named request stripped`);
    assert.equal(secure.seen[from[1]].headers['x-epdb'], undefined, `${preload}: https stripped`);
    assert.equal((await get(proxy.port, '/followed', { 'X-EPDB': await knock(['--follow']) })).body, 'proxy<recorder,recorder>');
    assert.equal(plain.seen[from[0] + 1].headers['x-epdb'], undefined, `${preload}: not in EPDB_FOLLOW`);
    const options = await optionsOf(secure.seen[from[1] + 1].headers['x-epdb']);
    assert.deepEqual([options.hop, options.bind], [2, 'GET /secure'], `${preload}: https carries the hop knock`);
    await proxy.stop();
  }
});

test('a followed request that has answered is followed no more: what its context sends later gets no knock', async (t) => {
  const recorder = await startRecorder(t);
  const service = await startApp(t, { app: SERVICE, preload: 'none', env: {
    ...JWT_ENV, FIXTURE_API: '1', EPDB_SERVICE: 'proxy', EPDB_FOLLOW: `127.0.0.1:${recorder.port}`,
    FIXTURE_CALLS: JSON.stringify([{ url: `http://127.0.0.1:${recorder.port}/during`, via: 'http' }]),
    FIXTURE_LATE: `http://127.0.0.1:${recorder.port}/after`,
  } });
  assert.equal((await get(service.port, '/orders/42', { 'X-EPDB': await knock(['--follow']) })).body, 'proxy<recorder>');
  await within(new Promise((resolve) => {
    const check = () => (recorder.seen.some((request) => request.path === '/after') ? resolve() : setTimeout(check, 20));
    check();
  }), 10_000, 'the late call');
  const [during, after] = ['/during', '/after'].map((path) => recorder.seen.find((request) => request.path === path));
  assert.equal((await optionsOf(during.headers['x-epdb'])).hop, 2, 'followed while it ran');
  assert.equal(after.headers['x-epdb'], undefined, 'not after it answered');
});
