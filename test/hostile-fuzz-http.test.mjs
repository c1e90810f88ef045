// End to end: an app under the preload with a free EPDB_PORT receives a stream of fuzzed
// knocks over HTTP. Every response equals the one without a header, the bridge port stays
// closed, no `waiting for a debugger` line appears, the log stays bounded and never shows a key
// or a token. Then one valid knock does open the bridge (so the test can tell).
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { freePortBelowEphemeralRange as freePort, portIsOpen, runPythonJson, startApp } from './helpers/index.mjs';
import { referenceVerdict } from './fixtures/hostile/reference.mjs';
import {
  anyString, fernetAttack, fuzzRuns, jwtAttack, MAX_AGE_SECONDS, mutationOf, schemeAndJunk,
} from './fixtures/hostile/fuzz.mjs';

const keys = await runPythonJson(`
import json, uuid, base64
import jwt
from cryptography.fernet import Fernet
key = Fernet.generate_key().decode()
secret = uuid.uuid4().hex
msg = json.dumps({'epdb': {}}).encode()
print(json.dumps({
  'fernetKey': key, 'jwtSecret': secret,
  'base64': 'Base64 ' + base64.b64encode(msg).decode(),
  'fernet': 'Fernet ' + Fernet(key).encrypt(msg).decode(),
  'jwt': 'JWT ' + jwt.encode({'epdb': {}}, secret, algorithm='HS256'),
}))
`);
const settings = { fernetKey: keys.fernetKey, jwtSecret: keys.jwtSecret, maxAgeSeconds: MAX_AGE_SECONDS };
const SEED = Number(process.env.EPDB_FUZZ_SEED) || Date.now() % 2 ** 31;
/** Knocks per backend over HTTP (each one is a real request). */
const REQUESTS = Math.min(fuzzRuns(1000), 20_000);

/** Bytes Node's HTTP parser takes in a header value (anything else is a 400 before any listener). */
const legalHeaderValue = (value) => /^[\t\x20-\x7e\x80-\xff]*$/.test(value);

/** Fuzzed header values the reference refuses, for a server with `backend`. */
function refusedKnocks(backend, count) {
  const pool = [keys[backend]];
  const arbitrary = fc.oneof(
    anyString, schemeAndJunk, mutationOf([keys.base64, keys.fernet, keys.jwt]), mutationOf(pool), mutationOf(pool),
    // Valid knocks of the other schemes, as they are and under this backend's scheme word.
    fc.constantFrom(keys.base64, keys.fernet, keys.jwt).chain((knock) => fc.constantFrom(knock, `${backend} ${knock.split(' ')[1]}`)),
    jwtAttack({ secret: keys.jwtSecret, others: ['0123456789abcdef0123456789abcdef'] }),
    fernetAttack(keys.fernetKey),
  ).filter((value) => legalHeaderValue(value) && !referenceVerdict(value, backend, settings).accepted);
  return fc.sample(arbitrary, { numRuns: count, seed: SEED });
}

/** One GET (default /hello) on a keep-alive agent; status, headers (no date/connection) and body. */
function get(port, agent, headers = {}, path = '/hello') {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => {
        const kept = Object.entries(res.headers).filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name));
        resolve({ status: res.statusCode, headers: Object.fromEntries(kept), body });
      });
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no response after 10 s')));
    req.on('error', reject);
  });
}


/** Runs `work` on every item with at most `limit` at a time. */
async function eachLimited(items, limit, work) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  }));
}

for (const backend of /** @type {const} */ (['base64', 'jwt', 'fernet'])) {
  test(`${backend}: ${REQUESTS} fuzzed knocks over HTTP are served as if absent and never start the bridge`, async (t) => {
    const bridgePort = await freePort();
    const app = await startApp(t, {
      app: 'http.cjs',
      env: {
        EPDB_BACKEND: backend,
        EPDB_KEY: backend === 'fernet' ? keys.fernetKey : backend === 'jwt' ? keys.jwtSecret : undefined,
        EPDB_PORT: String(bridgePort),
        EPDB_WAIT_TIMEOUT: '1',
      },
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    t.after(() => agent.destroy());
    const plain = await get(app.port, agent);
    assert.equal(plain.status, 200);

    const knocks = refusedKnocks(backend, REQUESTS);
    t.diagnostic(`seed ${SEED} (EPDB_FUZZ_SEED to replay), ${knocks.length} knocks`);
    const names = ['X-EPDB', 'x-epdb', 'HTTP-X-EPDB', 'http-x-epdb'];
    let differing = 0;
    await eachLimited(knocks, 8, async (knock, index) => {
      const response = await get(app.port, agent, { [names[index % names.length]]: knock });
      if (JSON.stringify(response) !== JSON.stringify(plain)) {
        differing++;
        assert.deepEqual(response, plain, `the response to knock ${JSON.stringify(knock)} differs`);
      }
    });
    assert.equal(differing, 0);

    assert.equal(await portIsOpen(bridgePort), false, 'the bridge port opened after refused knocks');
    assert.deepEqual(app.stderr.matching(/waiting for a debugger|knock accepted|debug bridge/), []);
    const refusedLines = app.stderr.matching(/knock refused/);
    assert.ok(refusedLines.length >= 1 && refusedLines.length <= 10, `${refusedLines.length} refusal lines for ${knocks.length} bad knocks`);
    assert.ok(app.stderr.lines.length <= 12, `stderr grew to ${app.stderr.lines.length} lines`);
    for (const line of app.stderr.lines) assert.match(line, /^epdb: [\x20-\x7e]*$/, 'a log line that is not one printable line');
    const output = app.stderr.text() + app.stdout.text();
    for (const secret of [keys.fernetKey, keys.jwtSecret]) assert.ok(!output.includes(secret), 'a key was printed');
    for (const knock of knocks) {
      const payload = knock.trim().split(/[ \t]+/)[1] ?? '';
      if (payload.length >= 16) assert.ok(!output.includes(payload), `a knock's payload was printed: ${payload}`);
    }
    assert.equal(app.process.exitCode, null, 'the app exited');

    // The control: the same app, one valid knock, and the bridge does open.
    const from = app.stderr.lines.length;
    const knocked = get(app.port, false, { 'X-EPDB': keys[backend] });
    await app.stderr.waitForLine(/^epdb: waiting for a debugger on 127\.0\.0\.1:(\d+) \(pid \d+\)$/, { timeoutMs: 10_000, from });
    assert.equal(await portIsOpen(bridgePort), true, 'a valid knock did not open the bridge');
    assert.deepEqual(await knocked, plain, 'the knocked request, after its wait, differs');
  });
}

/** One HTTP/2 request on `session`: status, headers (no date, no pseudo-headers) and body. */
function h2get(session, headers = {}) {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'GET', ':path': '/hello', ...headers });
    stream.setEncoding('utf8');
    let body = '';
    let head = {};
    stream.on('response', (received) => {
      head = Object.fromEntries(Object.entries(received).filter(([name]) => name !== 'date'));
    });
    stream.on('data', (chunk) => { body += chunk; });
    stream.on('end', () => resolve({ head, body }));
    stream.on('error', reject);
    stream.on('close', () => reject(new Error('the HTTP/2 stream closed before its end')));
    stream.setTimeout(10_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    stream.end();
  });
}

test(`jwt over HTTP/2 (h2c): ${Math.round(REQUESTS / 2)} fuzzed knocks on one multiplexed session are served as if absent`, async (t) => {
  const bridgePort = await freePort();
  const app = await startApp(t, {
    app: 'http2-cleartext.cjs',
    env: { EPDB_BACKEND: 'jwt', EPDB_KEY: keys.jwtSecret, EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '1' },
  });
  const session = http2.connect(`http://127.0.0.1:${app.port}`);
  t.after(() => session.destroy());
  session.on('error', () => {});
  const plain = await h2get(session);
  assert.equal(plain.head[':status'], 200);
  // HTTP/2 carries header values as bytes too, but refuses leading or trailing white space.
  const knocks = refusedKnocks('jwt', Math.round(REQUESTS / 2)).filter((knock) => knock.trim() === knock);
  await eachLimited(knocks, 16, async (knock, index) => {
    const response = await h2get(session, { [index % 2 ? 'x-epdb' : 'http-x-epdb']: knock });
    assert.deepEqual(response, plain, `the HTTP/2 response to knock ${JSON.stringify(knock)} differs`);
  });
  assert.equal(await portIsOpen(bridgePort), false, 'the bridge port opened after refused knocks');
  assert.deepEqual(app.stderr.matching(/waiting for a debugger|knock accepted|debug bridge/), []);
  assert.ok(app.stderr.matching(/knock refused/).length <= 10);
  assert.ok(!app.stderr.text().includes(keys.jwtSecret));
  // The control: a valid knock on the same session does start the bridge.
  const from = app.stderr.lines.length;
  const knocked = h2get(session, { 'x-epdb': keys.jwt });
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000, from });
  assert.deepEqual(await knocked, plain);
});

test('refused knocks on fuzzed paths and queries: the response is the no-header one, the log shows the path only', async (t) => {
  const app = await startApp(t, {
    app: 'http.cjs',
    env: { EPDB_BACKEND: 'jwt', EPDB_KEY: keys.jwtSecret, EPDB_PORT: String(await freePort()), EPDB_WAIT_TIMEOUT: '1' },
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  t.after(() => agent.destroy());
  // What Node's parser lets through in a request target: printable ASCII without space.
  const urlChar = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));
  const target = fc.tuple(fc.string({ unit: urlChar, maxLength: 300 }), fc.string({ unit: urlChar, maxLength: 40 }))
    .map(([path, query]) => `/${path.replace(/[?#]/g, '_')}?token=${query.replace(/#/g, '_')}`);
  const cases = fc.sample(fc.tuple(target, fc.constantFrom(...refusedKnocks('jwt', 50))), { numRuns: Math.min(fuzzRuns(150), 5000), seed: SEED });
  for (const [path, knock] of cases) {
    const from = app.stderr.lines.length;
    const plain = await get(app.port, agent, {}, path);
    const knocked = await get(app.port, agent, { 'X-EPDB': knock }, path);
    assert.deepEqual(knocked, plain, `GET ${path}`);
    for (const line of app.stderr.lines.slice(from)) {
      assert.match(line, /^epdb: [\x20-\x7e]*$/);
      assert.ok(!line.includes('?token='), `the query string was logged: ${line}`);
    }
  }
  assert.ok(app.stderr.matching(/knock refused/).length <= 10);
});

test('request bodies reach the app intact behind a refused knock (decided asynchronously) and behind a held one', async (t) => {
  const { createHash, randomBytes } = await import('node:crypto');
  const { fileURLToPath } = await import('node:url');
  const app = await startApp(t, {
    app: fileURLToPath(new URL('./fixtures/hostile/app.cjs', import.meta.url)),
    env: { EPDB_BACKEND: 'jwt', EPDB_KEY: keys.jwtSecret, EPDB_PORT: String(await freePort()), EPDB_WAIT_TIMEOUT: '1' },
  });
  const post = (body, headers) => new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: app.port, method: 'POST', path: '/echo', agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve(text));
    });
    req.setTimeout(20_000, () => req.destroy(new Error('no answer to POST /echo')));
    req.on('error', reject);
    req.end(body);
  });
  const knocks = refusedKnocks('jwt', 20).filter((knock) => knock.startsWith('JWT '));
  for (const size of [0, 1, 65_536, 4 * 1024 * 1024]) {
    const body = randomBytes(size);
    const expected = `echo ${size} ${createHash('sha256').update(body).digest('hex')}`;
    assert.equal(await post(body, { 'X-EPDB': knocks[size % knocks.length] ?? 'JWT a.b.c' }), expected, `${size} bytes behind a refused knock`);
  }
  const body = randomBytes(2 * 1024 * 1024);
  const expected = `echo ${body.length} ${createHash('sha256').update(body).digest('hex')}`;
  assert.equal(await post(body, { 'X-EPDB': keys.jwt }), expected, 'the body of a held request (it waited 1 s)');
  await app.stderr.waitForLine(/^epdb: no debugger after 1 s; going on$/, { timeoutMs: 5000 });
});

test('pipelined requests behind refused knocks get byte-identical responses, in order', async (t) => {
  const { fileURLToPath } = await import('node:url');
  const app = await startApp(t, {
    app: fileURLToPath(new URL('./fixtures/hostile/app.cjs', import.meta.url)),
    env: { EPDB_BACKEND: 'jwt', EPDB_KEY: keys.jwtSecret, EPDB_PORT: String(await freePort()), EPDB_WAIT_TIMEOUT: '1' },
  });
  const pipelined = (knock) => new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: app.port }, () => socket.write(Buffer.from(
      `GET /slow?ms=30 HTTP/1.1\r\nHost: 127.0.0.1\r\n${knock === undefined ? '' : `X-EPDB: ${knock}\r\n`}\r\n`
        + 'GET /second HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
        + `GET /third HTTP/1.1\r\nHost: 127.0.0.1\r\n${knock === undefined ? '' : `HTTP-X-EPDB: ${knock}\r\n`}Connection: close\r\n\r\n`, 'latin1')));
    let out = '';
    socket.setEncoding('latin1');
    socket.setTimeout(10_000, () => socket.destroy(new Error('pipelined responses did not finish')));
    socket.on('data', (chunk) => { out += chunk; });
    socket.on('close', () => resolve(out.replace(/^Date: .*\r\n/gim, '')));
    socket.on('error', reject);
  });
  const plain = await pipelined(undefined);
  assert.match(plain, /slow \/slow\?ms=30[\s\S]*second \/second[\s\S]*third \/third/);
  for (const knock of refusedKnocks('jwt', 30)) {
    assert.equal(await pipelined(knock), plain, `pipelined behind ${JSON.stringify(knock)}`);
  }
});
