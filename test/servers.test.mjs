// Every server kind (node:http, https, http2 compat over TLS and cleartext, Express 5,
// Fastify 5, Koa 3, Hapi 21), under both `--import` and `--require epdb/register`:
// - a valid knock reaches the seam (`knock accepted`), is held at the gate, and is then served;
// - a bad knock is served byte for byte like a request without the header, and logged;
// - an exempt method (OPTIONS by default, or EPDB_EXEMPT_METHODS) is never checked.
// Each child is started once and answers several checks; kinds run concurrently.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  base64Knock, freePortBelowEphemeralRange, http2Request, makeSelfSignedCert, parseRawResponse, PRELOADS, rawRequest,
  seedKnocks, startApp, withoutDateHeader,
} from './helpers/index.mjs';

/** @typedef {'http1' | 'https1' | 'h2' | 'h2c'} Protocol */
/** @type {{ kind: string, app: string, protocol: Protocol }[]} */
const KINDS = [
  { kind: 'node:http', app: 'http.cjs', protocol: 'http1' },
  { kind: 'node:https', app: 'https.cjs', protocol: 'https1' },
  { kind: 'node:http2 secure (compat)', app: 'http2-secure.cjs', protocol: 'h2' },
  { kind: 'node:http2 cleartext (compat)', app: 'http2-cleartext.cjs', protocol: 'h2c' },
  { kind: 'express 5', app: 'express.cjs', protocol: 'http1' },
  { kind: 'fastify 5', app: 'fastify.cjs', protocol: 'http1' },
  { kind: 'koa 3', app: 'koa.cjs', protocol: 'http1' },
  { kind: 'hapi 21', app: 'hapi.cjs', protocol: 'http1' },
];

const WAIT_MS = 15_000;
/**
 * The gate holds a knocked request this long when no debugger comes (EPDB_WAIT_TIMEOUT); the
 * other checks run meanwhile, so it costs little. Not shorter: the gate logs `waiting for a
 * debugger on ...` only once the bridge worker listens (about 60 ms idle, over 1.5 s on two
 * busy cores), and not at all when the wait has ended first.
 */
const GATE_WAIT_SECONDS = 3;
const VALID_KNOCK = base64Knock();
/** The apps built on node's own servers, which also answer `POST /echo`. */
const CORE_APPS = ['http.cjs', 'https.cjs', 'http2-secure.cjs', 'http2-cleartext.cjs'];
const ECHO_BODY = 'x'.repeat(100_000) + 'end';
const ECHO_REPLY = new RegExp(` got ${ECHO_BODY.length} bytes: x+end\\n$`);
/** Valid base64 of valid JSON, but not `{"epdb": {...}}`: refused by the shape check. */
const BAD_KNOCK = base64Knock('{"nope": {}}');

/** @type {import('./helpers/tls.mjs').TestCertificate} */
let cert;
before(async () => { cert = await makeSelfSignedCert(); });
after(() => cert?.remove());

/**
 * One request in the kind's protocol. `comparable` is what must be identical between a bad
 * knock and no header: the raw bytes minus `Date` (HTTP/1.1), or status, headers minus
 * `date` and body (HTTP/2).
 * @param {Protocol} protocol
 * @param {number} port
 * @param {{ method?: string, path?: string, headers?: Record<string, string>, body?: string }} request
 */
async function send(protocol, port, { method = 'GET', path = '/hello', headers = {}, body }) {
  if (protocol === 'h2' || protocol === 'h2c') {
    const response = await http2Request({ port, secure: protocol === 'h2', ca: cert.cert, method, path, headers, body, timeoutMs: WAIT_MS });
    return { status: response.status, body: response.body, comparable: response };
  }
  const bytes = await rawRequest({ port, method, path, headers, body, tls: protocol === 'https1' ? { ca: cert.cert } : false, timeoutMs: WAIT_MS });
  const response = parseRawResponse(bytes);
  return { status: response.status, body: response.body, comparable: withoutDateHeader(bytes) };
}

/** @param {string} text */
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Sends a request that is sure to log a refusal, and waits for that line: every line caused
 * by requests answered before it is then in the log (a marker instead of a sleep).
 * @param {Awaited<ReturnType<typeof startApp>>} app
 * @param {Protocol} protocol
 * @param {string} method a method that is not exempt
 */
async function logMarker(app, protocol, method = 'GET') {
  const from = app.stderr.lines.length;
  await send(protocol, app.port, { method, path: '/marker', headers: { 'X-EPDB': BAD_KNOCK } });
  await app.stderr.waitForLine(new RegExp(`^epdb: knock refused on ${method} /marker: `), { from, timeoutMs: WAIT_MS });
}

/** The knock lines (accepted or refused) printed since line `from`, markers left out. */
function knockLinesSince(app, from) {
  return app.stderr.lines.slice(from).filter((line) => /^epdb: knock (accepted|refused)/.test(line) && !line.includes(' /marker'));
}

/**
 * Sends a valid knock and resolves once it is accepted, with `served()`: the checks for when
 * the gate, with no debugger coming, lets it go after EPDB_WAIT_TIMEOUT and the app serves it.
 * The caller runs its other checks in between: they are served while this request is held.
 */
async function knockAndHold(app, protocol, { scheme, knock, header = 'X-EPDB', bridgePort, method = 'GET', path = '/hello', body, expectBody = /: GET \/hello\n/ }) {
  const from = app.stderr.lines.length;
  const started = performance.now();
  const responded = send(protocol, app.port, { method, path, body, headers: { [header]: knock } })
    .then((response) => ({ response, elapsedMs: performance.now() - started }));
  responded.catch(() => {}); // awaited (and reported) by served()
  await app.stderr.waitForLine(new RegExp(`^epdb: knock accepted \\(${escape(scheme)}\\) ${method} ${escape(path)}$`), { from, timeoutMs: WAIT_MS });
  return {
    async served() {
      const { response, elapsedMs } = await responded;
      assert.equal(response.status, 200, `a knocked request is served once the gate lets it go: ${response.body}`);
      assert.match(response.body, expectBody);
      assert.ok(elapsedMs >= GATE_WAIT_SECONDS * 1000 * 0.9, `the gate held the request (${elapsedMs.toFixed(0)} ms); stderr:\n${app.stderr.text()}`);
      await app.stderr.waitForLine(new RegExp(`^epdb: waiting for a debugger on 127\\.0\\.0\\.1:${bridgePort}\\b`), { from, timeoutMs: WAIT_MS });
      await app.stderr.waitForLine(/^epdb: no debugger after /, { from, timeoutMs: WAIT_MS });
      assert.equal(knockLinesSince(app, from).filter((line) => line.startsWith('epdb: knock accepted')).length, 1, 'one accepted line per knock');
    },
  };
}

/** A bad knock gets exactly the response a request without the header gets, and is logged. */
async function checkBadKnockIsInvisible(app, protocol, { badKnock = BAD_KNOCK, method = 'GET', path = '/hello', body } = {}) {
  const plain = await send(protocol, app.port, { method, path, body });
  const from = app.stderr.lines.length;
  const knocked = await send(protocol, app.port, { method, path, body, headers: { 'X-EPDB': badKnock } });
  assert.deepEqual(knocked.comparable, plain.comparable, 'a refused knock is served as if it had no header');
  await app.stderr.waitForLine(new RegExp(`^epdb: knock refused on ${method} ${escape(path)}: .+`), { from, timeoutMs: WAIT_MS });
  assert.deepEqual(knockLinesSince(app, from).filter((line) => line.startsWith('epdb: knock accepted')), []);
}

/** Requests with an exempt method are not checked at all: no accepted, no refused line. */
async function checkExempt(app, protocol, { method, validKnock, expectedStatus, markerMethod }) {
  const from = app.stderr.lines.length;
  const withValid = await send(protocol, app.port, { method, headers: { 'X-EPDB': validKnock } });
  const withBad = await send(protocol, app.port, { method, headers: { 'X-EPDB': BAD_KNOCK } });
  assert.equal(withValid.status, expectedStatus);
  assert.equal(withBad.status, expectedStatus);
  await logMarker(app, protocol, markerMethod);
  assert.deepEqual(knockLinesSince(app, from), [], `${method} is exempt: its knocks are not even looked at`);
}

/** Knocks from the seed's Python snippets, and their keys (one Python run for the file). */
/** @type {import('./helpers/knocks.mjs').SeedKnocks} */
let seed;
before(async () => { seed = await seedKnocks(); });

/** Base64 on one server kind: knock held and served, bad knock invisible, OPTIONS exempt. */
async function checkKind(t, { app: appFile, protocol }, preload) {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, {
    app: appFile,
    preload,
    env: {
      EPDB_BACKEND: 'base64',
      EPDB_PORT: String(bridgePort),
      EPDB_WAIT_TIMEOUT: String(GATE_WAIT_SECONDS),
      FIXTURE_TLS_CERT: cert.certPath,
      FIXTURE_TLS_KEY: cert.keyPath,
    },
  });
  // The alias header on one HTTP/1.1 and one HTTP/2 kind (their header lookups differ).
  const header = preload === 'import' && ['http.cjs', 'http2-secure.cjs'].includes(appFile) ? 'HTTP-X-EPDB' : 'X-EPDB';
  // The node core apps echo a POST body: it must come through whole after the hold (larger than
  // an HTTP/2 flow-control window, so the client waits on the held request to read it).
  const echo = CORE_APPS.includes(appFile) ? { method: 'POST', path: '/echo', body: ECHO_BODY, expectBody: ECHO_REPLY } : {};
  const held = await knockAndHold(app, protocol, { scheme: 'Base64', knock: VALID_KNOCK, header, bridgePort, ...echo });
  await checkBadKnockIsInvisible(app, protocol);
  if (CORE_APPS.includes(appFile)) await checkBadKnockIsInvisible(app, protocol, { method: 'POST', path: '/echo', body: 'a small body' });
  await checkExempt(app, protocol, { method: 'OPTIONS', validKnock: VALID_KNOCK, expectedStatus: 204, markerMethod: 'GET' });
  await held.served();
}

/** Fernet or JWT on Express, with the knock the seed's Python snippet makes. */
async function checkKeyedBackend(t, backend, preload) {
  const { scheme, key, knock } = backend === 'fernet'
    ? { scheme: 'Fernet', key: seed.fernetKey, knock: seed.fernet }
    : { scheme: 'JWT', key: seed.jwtSecret, knock: seed.jwt };
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, {
    app: 'express.cjs',
    preload,
    env: { EPDB_BACKEND: backend, EPDB_KEY: key, EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: String(GATE_WAIT_SECONDS) },
  });
  const held = await knockAndHold(app, 'http1', { scheme, knock, bridgePort });
  // A knock the seed would make for another backend is refused, invisibly.
  await checkBadKnockIsInvisible(app, 'http1', { badKnock: VALID_KNOCK });
  // A knock forged without the key (one signature character changed): same.
  const forged = backend === 'fernet'
    ? seed.fernet.replace(/.{8}(?==*$)/, (tail) => (tail[0] === 'A' ? 'B' : 'A') + tail.slice(1))
    : `${seed.jwt.slice(0, -4)}${seed.jwt.endsWith('AAAA') ? 'BAAA' : 'AAAA'}`;
  await checkBadKnockIsInvisible(app, 'http1', { badKnock: forged });
  await checkExempt(app, 'http1', { method: 'OPTIONS', validKnock: knock, expectedStatus: 204, markerMethod: 'GET' });
  await held.served();
  if (backend === 'jwt') {
    // The seed's JWT has neither exp nor iat: accepted, with a warning that it never expires.
    assert.equal(app.stderr.matching(/never expires/).length, 1, app.stderr.text());
  }
  for (const line of app.stderr.lines) {
    assert.ok(!line.includes(key), 'the key is never logged');
    assert.ok(!line.includes(knock.split(' ')[1]), 'the knock is never logged');
  }
}

// One batch of children per preload, all at once (the gate's wait dominates, not the CPU; more
// at once slows the bridge's start past the wait).
for (const preload of PRELOADS) {
  const keyed = preload === 'import' ? 'fernet' : 'jwt';
  test(`every server kind under --${preload} epdb/register`, { concurrency: true, timeout: 120_000 }, async (t) => {
    await Promise.all([
      ...KINDS.map((kind) => t.test(kind.kind, (t) => checkKind(t, kind, preload))),
      t.test(`${keyed} knock from the seed's Python snippet, on express 5`, (t) => checkKeyedBackend(t, keyed, preload)),
    ]);
  });
}

test('EPDB_EXEMPT_METHODS=GET,OPTIONS: neither method is checked', { concurrency: true, timeout: 120_000 }, async (t) => {
  const cases = [
    { preload: 'import', ...KINDS[0] },
    { preload: 'require', ...KINDS[4] },
    { preload: 'require', ...KINDS[2] },
  ];
  await Promise.all(cases.map(({ kind, preload, app: appFile, protocol }) => t.test(`${kind} under --${preload}`, async (t) => {
    const app = await startApp(t, {
      app: appFile,
      preload,
      env: {
        EPDB_BACKEND: 'base64',
        EPDB_PORT: String(await freePortBelowEphemeralRange()),
        EPDB_WAIT_TIMEOUT: String(GATE_WAIT_SECONDS),
        EPDB_EXEMPT_METHODS: 'GET,OPTIONS',
        FIXTURE_TLS_CERT: cert.certPath,
        FIXTURE_TLS_KEY: cert.keyPath,
      },
    });
    await checkExempt(app, protocol, { method: 'GET', validKnock: VALID_KNOCK, expectedStatus: 200, markerMethod: 'POST' });
    await checkExempt(app, protocol, { method: 'OPTIONS', validKnock: VALID_KNOCK, expectedStatus: 204, markerMethod: 'POST' });
    assert.deepEqual(app.stderr.matching(/^epdb: (knock accepted|waiting for a debugger)/), []);
  })));
});

test('EPDB_EXEMPT_METHODS set but empty: no method is exempt, OPTIONS knocks included', async (t) => {
  const app = await startApp(t, {
    app: KINDS[0].app,
    env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(await freePortBelowEphemeralRange()), EPDB_WAIT_TIMEOUT: '1', EPDB_EXEMPT_METHODS: '' },
  });
  const from = app.stderr.lines.length;
  // Held until EPDB_WAIT_TIMEOUT (no debugger comes), then served: it was looked at and accepted.
  const knocked = await send(KINDS[0].protocol, app.port, { method: 'OPTIONS', headers: { 'X-EPDB': VALID_KNOCK } });
  assert.equal(knocked.status, 204);
  await app.stderr.waitForLine(/^epdb: knock accepted \(Base64\) OPTIONS \//, { from, timeoutMs: 10_000 });
  await app.stderr.waitForLine(/^epdb: no debugger after 1 s; going on$/, { from, timeoutMs: 10_000 });
});
