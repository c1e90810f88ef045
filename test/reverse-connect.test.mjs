// Reverse connect's contract, apart from the load balancer and the faults: a dialling process
// opens no port; a base64 knock's `connect` is refused; EPDB_CONNECT (any backend, base64 with a
// loud warning) and its ConfigError; wss:// verified with NODE_EXTRA_CA_CERTS, a wrong
// certificate refused; Ctrl-C on epdb listen resumes what it holds; the CLI's usage; and the
// handshake's proofs themselves.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { allStarted, base64Knock, freePortBelowEphemeralRange, makeSelfSignedCert, startApp, within } from './helpers/index.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';
import { runCli } from './fixtures/cli/cli.mjs';
import { JWT_ENV, knockWith, listedTargets, startListen } from './fixtures/reverse/listen.mjs';

const handshake = await import('../dist/src/shared/reverse/handshake.js');
const { parseDialAddress } = await import('../dist/src/shared/reverse/address.js');

const REPLICA_APP = new URL('./fixtures/reverse/replica-app.cjs', import.meta.url).pathname;
const CONNECTED = /^epdb: listen: GET \/hello on \S+ \(pid \d+\) connected from /;
const BASE64_ENV = { EPDB_BACKEND: 'base64' };

test('a dialling process opens no port: only the app listens while its knocked request waits', async (t) => {
  const listen = await startListen(t);
  const replica = await startApp(t, { app: REPLICA_APP, env: JWT_ENV });
  const response = get(replica.port, '/hello?noport', { 'X-EPDB': await knockWith(JWT_ENV, listen.connect) });
  await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000 });
  await replica.stderr.waitForLine(/^epdb: connected to epdb listen at 127\.0\.0\.1:\d+ \(pid \d+\); waiting for a debugger there$/);
  // The main thread is free while the request waits: ask it what listens (a listening bridge would be a second).
  const { listening } = JSON.parse((await get(replica.port, '/resources')).body);
  assert.equal(listening, 1);
  assert.equal(replica.stderr.matching(/waiting for a debugger on /).length, 0, 'no bridge address is announced');
  const dbg = await attachDebugger(listen.localPort, t);
  await dbg.nextPause(15_000);
  await dbg.client.Debugger.resume();
  assert.equal((await response).status, 200);
  await dbg.close();
});

test('fernet: both ends prove the Fernet key, and a process with another one is refused', async (t) => {
  const fernetEnv = { EPDB_BACKEND: 'fernet', EPDB_KEY: 'TluiKbFqt0Pc3Rg7eHMfS7sWcJ7Y1SRCBXcStRL1Yh8=' };
  const listen = await startListen(t, { env: fernetEnv });
  const replica = await startApp(t, { app: REPLICA_APP, env: fernetEnv });
  const response = get(replica.port, '/hello?fernet', { 'X-EPDB': await knockWith(fernetEnv, listen.connect) }, { timeoutMs: 30_000 });
  await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000 });
  const dbg = await attachDebugger(listen.localPort, t);
  const pause = await dbg.nextPause(15_000);
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?fernet');
  await dbg.client.Debugger.resume();
  assert.equal((await response).status, 200);
  await dbg.close();

  const otherEnv = { ...fernetEnv, EPDB_KEY: 'x7nF1Qk2bH3yW9cE5rT0uI8oP4aS6dF2gH1jK3lZ9c0=' };
  const stranger = await startApp(t, { app: REPLICA_APP, env: otherEnv });
  assert.equal((await get(stranger.port, '/hello?stranger', { 'X-EPDB': await knockWith(otherEnv, listen.connect) })).status, 200);
  await stranger.stderr.waitForLine(/^epdb: refused epdb listen at .* did not prove it holds EPDB_KEY/);
});

test('the listener\'s title follows the request the process holds', async (t) => {
  const listen = await startListen(t);
  const replica = await startApp(t, { app: REPLICA_APP, env: { ...JWT_ENV, EPDB_WAIT_TIMEOUT: '60' } });
  const knock = { 'X-EPDB': await knockWith(JWT_ENV, listen.connect) };
  /** Reads /json/list until its one target's title matches (the process tells the listener asynchronously). */
  const titleBecomes = async (pattern) => {
    let titles = [];
    for (const deadline = performance.now() + 10_000; performance.now() < deadline;) {
      titles = (await listedTargets(listen.localPort)).map((target) => target.title);
      if (titles.length === 1 && pattern.test(titles[0])) return titles[0];
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`title never matched ${pattern}: ${JSON.stringify(titles)}`);
  };
  const pid = replica.process.pid;
  const first = http.get({ host: '127.0.0.1', port: replica.port, path: '/other?first', headers: knock, agent: false });
  first.on('error', () => {});
  await listen.stderr.waitForLine(/^epdb: listen: GET \/other on \S+ \(pid \d+\) connected from /, { timeoutMs: 15_000 });
  await titleBecomes(new RegExp(`^GET /other on \\S+ \\(pid ${pid}\\)$`));
  // Its client leaves while it waits: the process holds nothing now.
  first.destroy();
  await replica.stderr.waitForLine(/went away while it waited/);
  await titleBecomes(new RegExp(`^\\S+ \\(pid ${pid}\\) .*replica-app\\.cjs$`));
  // Another knock on the same connection: it holds that one, and a debugger attached now gets it.
  const second = get(replica.port, '/hello?second', knock, { timeoutMs: 30_000 });
  await titleBecomes(new RegExp(`^GET /hello on \\S+ \\(pid ${pid}\\)$`));
  assert.equal(listen.stderr.matching(/ connected from /).length, 1, 'one connection all along');
  const dbg = await attachDebugger(listen.localPort, t);
  const pause = await dbg.nextPause(15_000);
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?second');
  await dbg.client.Debugger.resume();
  assert.equal((await second).status, 200);
  await dbg.close();
});

test('a request still held when the debugger detaches dials again, and is debugged in a new session', async (t) => {
  const listen = await startListen(t);
  const replica = await startApp(t, { app: REPLICA_APP, env: { ...JWT_ENV, EPDB_WAIT_TIMEOUT: '60' } });
  const knock = { 'X-EPDB': await knockWith(JWT_ENV, listen.connect) };
  // Two knocked requests held on one connection: the debugger stops one, the other queues behind it.
  const responses = { a: get(replica.port, '/hello?a', knock, { timeoutMs: 30_000 }), b: get(replica.port, '/hello?b', knock, { timeoutMs: 30_000 }) };
  await replica.stderr.waitForLine(/^epdb: knock accepted \(JWT\) GET \/hello$/);
  await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000 });
  await within(new Promise((resolve) => {
    const check = () => { if (replica.stderr.matching(/^epdb: knock accepted/).length === 2) resolve(); else replica.stderr.once('line', check); };
    check();
  }), 10_000, 'both knocks accepted');
  const dbg = await attachDebugger(listen.localPort, t);
  const first = (await dbg.evaluate(await dbg.nextPause(15_000), 'req.url')).slice('/hello?'.length);
  const other = first === 'a' ? 'b' : 'a';
  // The debugger leaves while one is stopped: that one completes, the other dials again.
  const from = listen.stderr.lines.length;
  await dbg.close();
  assert.equal((await responses[first]).status, 200);
  await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000, from });
  const again = await attachDebugger(listen.localPort, t);
  assert.equal(await again.evaluate(await again.nextPause(15_000), 'req.url'), `/hello?${other}`);
  await again.client.Debugger.resume();
  assert.equal((await responses[other]).body, `hello from ${replica.process.pid} /hello?${other}`);
  await again.close();
});

test('one listener at a time: a knock for another one while connected goes on undebugged, saying why', async (t) => {
  const [first, second] = await allStarted([startListen(t), startListen(t)]);
  const replica = await startApp(t, { app: REPLICA_APP, env: { ...JWT_ENV, EPDB_WAIT_TIMEOUT: '60' } });
  const held = get(replica.port, '/hello?first', { 'X-EPDB': await knockWith(JWT_ENV, first.connect) }, { timeoutMs: 30_000 });
  await first.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000 });
  const other = await get(replica.port, '/hello?second', { 'X-EPDB': await knockWith(JWT_ENV, second.connect) }, { timeoutMs: 5_000 });
  assert.equal(other.body, `hello from ${replica.process.pid} /hello?second`);
  await replica.stderr.waitForLine(new RegExp(`^epdb: GET /hello goes on undebugged: it asks for epdb listen at ${second.connect}, but this process's bridge is connected to epdb listen at ${first.connect}$`));
  assert.deepEqual(await listedTargets(second.localPort), []);
  const dbg = await attachDebugger(first.localPort, t);
  const pause = await dbg.nextPause(15_000);
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?first');
  await dbg.client.Debugger.resume();
  assert.equal((await held).status, 200);
  await dbg.close();
});

test('a base64 knock carrying connect is refused with a reason and served as without a knock', async (t) => {
  const listen = await startListen(t, { env: BASE64_ENV });
  const replica = await startApp(t, { app: REPLICA_APP, env: { ...BASE64_ENV, EPDB_WAIT_TIMEOUT: '30' } });
  const knock = base64Knock(JSON.stringify({ epdb: { connect: listen.connect } }));
  assert.deepEqual(await get(replica.port, '/hello?b64', { 'X-EPDB': knock }, { timeoutMs: 5_000 }),
    { status: 200, body: `hello from ${replica.process.pid} /hello?b64` });
  await replica.stderr.waitForLine(/^epdb: knock refused on GET \/hello: "connect" is honoured only with fernet or jwt: a Base64 knock proves nothing/);
  assert.equal(replica.stderr.matching(/knock accepted|epdb listen at/).length, 0);
  assert.deepEqual(await listedTargets(listen.localPort), []);
  // epdb knock says so before the app has to.
  const made = await runCli(['knock', '--connect', listen.connect], { env: BASE64_ENV });
  assert.equal(made.code, 1);
  assert.match(made.stderr, /^epdb: knock --connect: a Base64 knock proves nothing, so the app refuses its "connect"/);
});

test('EPDB_CONNECT dials for every knock, with any backend; under base64 it says loudly that nothing is proved', async (t) => {
  const listen = await startListen(t, { env: BASE64_ENV });
  await listen.stderr.waitForLine(/^epdb: listen: warning: base64 proves nothing either way/);
  const replica = await startApp(t, { app: REPLICA_APP, env: { ...BASE64_ENV, EPDB_CONNECT: `ws://${listen.connect}` } });
  const response = get(replica.port, '/hello?env', { 'X-EPDB': base64Knock() });
  await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000 });
  await replica.stderr.waitForLine(/^epdb: warning: dialling epdb listen at 127\.0\.0\.1:\d+ with base64, which proves nothing either way: whoever answers there gets a debugger over this process/);
  const dbg = await attachDebugger(listen.localPort, t);
  const pause = await dbg.nextPause(15_000);
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?env');
  await dbg.client.Debugger.resume();
  assert.equal((await response).body, `hello from ${replica.process.pid} /hello?env`);
  await dbg.close();
});

test('a malformed EPDB_CONNECT names the variable and leaves the app running unpatched', async (t) => {
  const replica = await startApp(t, { app: REPLICA_APP, env: { ...JWT_ENV, EPDB_CONNECT: 'http://listener' } });
  await replica.stderr.waitForLine(/^epdb: EPDB_CONNECT: "http:\/\/listener" is not \[ws:\/\/\|wss:\/\/\]HOST:PORT; epdb is off$/);
  const knock = await knockWith(JWT_ENV);
  assert.equal((await get(replica.port, '/hello?off', { 'X-EPDB': knock }, { timeoutMs: 5_000 })).status, 200);
  assert.equal(replica.stderr.matching(/knock/).length, 0, 'nothing checks knocks');
  for (const [text, ok] of [['10.0.0.5:9230', true], ['wss://listen.example:443', true], ['[::1]:9230', true], ['ws://h:0', false], ['h', false], ['ws://h:70000', false], ['a b:1', false]]) {
    assert.equal(typeof parseDialAddress(text) === 'object', ok, text);
  }
  assert.equal(parseDialAddress('wss://listen.example:443').url, 'wss://listen.example:443/epdb/v1/debuggee');
  // In code, instrument()'s `connect` is checked the same way, before anything is patched.
  const { instrument, isInstrumented, JWTBackend, ConfigError } = await import('epdb');
  assert.throws(() => instrument({ backend: new JWTBackend({ secret: JWT_ENV.EPDB_KEY, maxAgeSeconds: 60 }), connect: 'http://listener' }),
    (error) => error instanceof ConfigError && error.variable === 'connect');
  assert.equal(isInstrumented(), false);
});

test('wss://: the listener\'s certificate is verified; trusted through NODE_EXTRA_CA_CERTS it works, else it is refused with a clear line', async (t) => {
  const cert = await makeSelfSignedCert(t);
  const listen = await startListen(t, { args: ['--cert', cert.certPath, '--key', cert.keyPath] });
  assert.match(listen.connect, /^wss:\/\/127\.0\.0\.1:\d+$/);

  const untrusting = await startApp(t, { app: REPLICA_APP, env: JWT_ENV });
  const knock = { 'X-EPDB': await knockWith(JWT_ENV, listen.connect) };
  assert.equal((await get(untrusting.port, '/hello?untrusted', knock, { timeoutMs: 10_000 })).status, 200);
  // What matters is epdb's: the code, the advice and the outcome; Node's own wording of the
  // reason differs between lines (and is only Node's).
  await untrusting.stderr.waitForLine(/^epdb: refused the TLS certificate of epdb listen at 127\.0\.0\.1:\d+: [^;]+ \(DEPTH_ZERO_SELF_SIGNED_CERT\); give its CA in NODE_EXTRA_CA_CERTS if you trust it; the request goes on undebugged$/, { timeoutMs: 10_000 });
  assert.deepEqual(await listedTargets(listen.localPort), []);

  const trusting = await startApp(t, { app: REPLICA_APP, env: { ...JWT_ENV, NODE_EXTRA_CA_CERTS: cert.certPath } });
  const response = get(trusting.port, '/hello?trusted', knock, { timeoutMs: 30_000 });
  await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000 });
  const dbg = await attachDebugger(listen.localPort, t);
  const pause = await dbg.nextPause(15_000);
  assert.equal(await dbg.evaluate(pause, 'process.pid'), trusting.process.pid);
  await dbg.client.Debugger.resume();
  assert.equal((await response).body, `hello from ${trusting.process.pid} /hello?trusted`);
  await dbg.close();
});

test('wss://: a trusted certificate for another name is refused (the name is checked, not only the CA)', async (t) => {
  const cert = await makeSelfSignedCert(t, { names: 'DNS:debug.example.invalid' });
  const listen = await startListen(t, { args: ['--cert', cert.certPath, '--key', cert.keyPath] });
  const replica = await startApp(t, { app: REPLICA_APP, env: { ...JWT_ENV, NODE_EXTRA_CA_CERTS: cert.certPath } });
  const knock = { 'X-EPDB': await knockWith(JWT_ENV, listen.connect) };
  assert.equal((await get(replica.port, '/hello?wrong-name', knock, { timeoutMs: 10_000 })).status, 200);
  await replica.stderr.waitForLine(/^epdb: refused the TLS certificate of epdb listen at 127\.0\.0\.1:\d+: [^;]+ \(ERR_TLS_CERT_ALTNAME_INVALID\); give its CA in NODE_EXTRA_CA_CERTS if you trust it; the request goes on undebugged$/, { timeoutMs: 10_000 });
  assert.deepEqual(await listedTargets(listen.localPort), []);
});

test('Ctrl-C on epdb listen: every process it holds resumes, and it exits 0', async (t) => {
  const listen = await startListen(t);
  const replica = await startApp(t, { app: REPLICA_APP, env: { ...JWT_ENV, EPDB_WAIT_TIMEOUT: '60' } });
  const response = get(replica.port, '/hello?ctrlc', { 'X-EPDB': await knockWith(JWT_ENV, listen.connect) }, { timeoutMs: 30_000 });
  await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000 });
  const dbg = await attachDebugger(listen.localPort, t);
  await dbg.nextPause(15_000);
  listen.process.kill('SIGINT');
  assert.deepEqual(await response, { status: 200, body: `hello from ${replica.process.pid} /hello?ctrlc` });
  assert.deepEqual(await within(listen.exited, 10_000, 'epdb listen to exit'), { code: 0, signal: null });
  assert.equal(listen.stderr.matching(/^epdb: listen: stopped; 1 process released$/).length, 1);
  await replica.stderr.waitForLine(/^epdb: epdb listen at 127\.0\.0\.1:\d+ stopped; the connection is closed$/);
  assert.equal((await get(replica.port, '/hello?after')).status, 200);
});

test('epdb listen --help has an example; bad usage is refused before anything listens', async () => {
  const help = await runCli(['listen', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: epdb listen \[--port LOCAL\] \[--accept \[HOST:\]PORT\] \[--cert FILE --key FILE\]/);
  assert.match(help.stdout, /Example,.*\n.*epdb listen\n.*epdb knock --connect 10\.0\.0\.5:9230/);
  const tool = await runCli(['--help']);
  assert.match(tool.stdout, /^ {2}listen {2,}/m);
  for (const [args, message] of [
    [['listen', '--cert', 'x.pem'], /--cert and --key go together/],
    [['listen', '--accept', 'host:port'], /listen --accept: "port" is not a port number/],
    [['knock', '--connect', 'nowhere'], /knock --connect: "nowhere" is not \[ws:\/\/\|wss:\/\/\]HOST:PORT/],
  ]) {
    const run = await runCli(args, { env: JWT_ENV });
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.stderr, message);
  }
  const taken = await freePortBelowEphemeralRange();
  const run = await runCli(['listen', '--accept', `127.0.0.1:${taken}`, '--cert', '/nonexistent.pem', '--key', '/nonexistent.pem'], { env: JWT_ENV });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /listen --cert: cannot read \/nonexistent\.pem: ENOENT/);
});

test('the handshake proofs: bound to both nonces, the role, the scheme, the key and the process description', () => {
  const key = handshake.deriveHandshakeKey(Buffer.from(JWT_ENV.EPDB_KEY));
  const otherKey = handshake.deriveHandshakeKey(Buffer.from(`${JWT_ENV.EPDB_KEY}x`));
  const [nd, nl] = [handshake.freshNonce(), handshake.freshNonce()];
  assert.notEqual(nd, nl);
  assert.equal(nd.length, 43);
  const proof = handshake.proofOf(key, 'listener', 'JWT', nd, nl);
  assert.equal(handshake.proofHolds(key, proof, 'listener', 'JWT', nd, nl), true);
  assert.equal(handshake.proofHolds(key, proof, 'listener', 'jwt', nd, nl), true, 'schemes compare case-insensitively');
  for (const [why, holds] of [
    ['another role (a reflected proof)', handshake.proofHolds(key, proof, 'debuggee', 'JWT', nd, nl)],
    ['a fresh debuggee nonce (a replay)', handshake.proofHolds(key, proof, 'listener', 'JWT', handshake.freshNonce(), nl)],
    ['a fresh listener nonce (a replay)', handshake.proofHolds(key, proof, 'listener', 'JWT', nd, handshake.freshNonce())],
    ['the nonces swapped', handshake.proofHolds(key, proof, 'listener', 'JWT', nl, nd)],
    ['another scheme', handshake.proofHolds(key, proof, 'listener', 'Fernet', nd, nl)],
    ['another key', handshake.proofHolds(otherKey, proof, 'listener', 'JWT', nd, nl)],
    ['a truncated proof', handshake.proofHolds(key, proof.slice(0, -1), 'listener', 'JWT', nd, nl)],
    ['an empty proof', handshake.proofHolds(key, '', 'listener', 'JWT', nd, nl)],
  ]) assert.equal(holds, false, why);
  const described = handshake.proofOf(key, 'debuggee', 'JWT', nd, nl, '{"pid":1}');
  assert.equal(handshake.proofHolds(key, described, 'debuggee', 'JWT', nd, nl, '{"pid":2}'), false, 'an altered process description');
  // The key is derived, never the shared secret itself; Fernet's whole key goes in.
  assert.notDeepEqual(Buffer.from(key), Buffer.from(JWT_ENV.EPDB_KEY).subarray(0, 32));
  assert.equal(key.length, 32);
  assert.equal(handshake.proofOf(null, 'listener', 'Base64', nd, nl), '', 'base64 proves nothing');
});
