// Attacks on the debug bridge (EPDB_BACKEND=jwt/fernet): discovery requests and WebSocket
// upgrades without a knock, with a wrong, foreign-scheme, expired or duplicated one, or with the
// knock in the query string (401); Host values Node's own inspector refuses (DNS rebinding,
// 403) and the ones it allows; malformed HTTP and malformed CDP frames; a flood of bad bridge
// requests (the log stays bounded). All the while the app serves, and no key or token byte
// ever appears in anything the process prints.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePortBelowEphemeralRange as freePort, runPythonJson, startApp } from './helpers/index.mjs';
import fc from 'fast-check';
import {
  anyString, fernetAttack, fernetBytes, fuzzRuns, jwtAttack, mutationOf, paddedBase64url, schemeAndJunk,
} from './fixtures/hostile/fuzz.mjs';
import { referenceVerdict } from './fixtures/hostile/reference.mjs';
import {
  cdp, exchange, linesMatching, openSocket, portIsOpen, rawGet, rawUpgrade, statusOf, within,
} from './fixtures/hostile/bridge.mjs';

const APP = fileURLToPath(new URL('./fixtures/hostile/app.cjs', import.meta.url));
const WAITING = /^epdb: waiting for a debugger on 127\.0\.0\.1:(\d+)$/;

const made = await runPythonJson(`
import json, time, uuid
import jwt
from cryptography.fernet import Fernet
key, other = Fernet.generate_key().decode(), Fernet.generate_key().decode()
secret, other_secret = uuid.uuid4().hex, uuid.uuid4().hex
msg = json.dumps({'epdb': {}}).encode()
now = int(time.time())
print(json.dumps({
  'fernetKey': key, 'jwtSecret': secret,
  'fernet': {'good': 'Fernet ' + Fernet(key).encrypt(msg).decode(),
             'wrong': 'Fernet ' + Fernet(other).encrypt(msg).decode(),
             'expired': 'Fernet ' + Fernet(key).encrypt_at_time(msg, now - 7200).decode()},
  'jwt': {'good': 'JWT ' + jwt.encode({'epdb': {}, 'iat': now, 'exp': now + 600}, secret, algorithm='HS256'),
          'wrong': 'JWT ' + jwt.encode({'epdb': {}}, other_secret, algorithm='HS256'),
          'expired': 'JWT ' + jwt.encode({'epdb': {}, 'iat': now - 900, 'exp': now - 300}, secret, algorithm='HS256')},
}))
`);

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** Knocks that must never open the bridge of `backend`, each with what it tries. */
function badKnocks(backend) {
  const good = made[backend].good;
  const payload = good.split(' ')[1];
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ epdb: {} })}`;
  return [
    ['a wrong key', made[backend].wrong],
    ['an expired knock', made[backend].expired],
    ['the payload under another scheme', `${backend === 'jwt' ? 'Fernet' : 'JWT'} ${payload}`],
    ['a Base64 knock', 'Base64 eyJlcGRiIjoge319'],
    ['alg none', `JWT ${unsigned}.`],
    ['the payload alone', payload],
    // A character inside the token: all six of its bits count (the last one before padding
    // carries bits every decoder ignores, and changing those leaves the same signed bytes).
    ['the knock with a character changed', changeCharacter(good, good.indexOf(' ') + 21)],
    ['an expired knock made in Node', backend === 'jwt'
      ? `JWT ${(() => { const i = `${b64url({ alg: 'HS256' })}.${b64url({ epdb: {}, exp: now - 120 })}`; return `${i}.${createHmac('sha256', made.jwtSecret).update(i).digest('base64url')}`; })()}`
      : `Fernet ${paddedBase64url(fernetBytes({ key: Buffer.from(made.fernetKey, 'base64url'), timestamp: now - 4000, plaintext: Buffer.from('{"epdb": {}}') }))}`],
  ];
}

/** `text` with the character at `index` replaced by another of the base64url alphabet. */
function changeCharacter(text, index) {
  return text.slice(0, index) + (text[index] === 'A' ? 'g' : 'A') + text.slice(index + 1);
}

/** Host values Node's inspector refuses: names (DNS rebinding) and IPv4 spellings that are not dotted-quad. */
const FOREIGN_HOSTS = [
  'evil.example', 'evil.example:9000', 'localhost.evil.example', 'localhost.evil.example:9000', 'localhost6',
  'localhost6:9000', 'localhost.', 'localhostx', 'xlocalhost', '0177.0.0.1', '0177.0.0.1:9000', '0x7f.1', '0x7f000001',
  '0x7f.0.0.1', '127.1', '127.0.1', '2130706433', '127.0.0.1.evil', '127.0.0.1.evil.example:9000', '127.0.0.01',
  '127.0.0.256', '1.2.3.4.5', '[::1', '[::1]x', '[::1]:9000x', '[evil.example]', '[127.0.0.1]', 'localhost:9000:9000',
  'localhost:x', '::1', ' evil.example', 'local\u00e9host',
];
/** Host values it allows. */
const LOCAL_HOSTS = ['localhost', 'localhost:9000', 'LOCALHOST:9000', '127.0.0.1', '127.0.0.1:9000', '[::1]:9000', '[::1]', '10.1.2.3:9000', '[::ffff:127.0.0.1]:9000'];
const DISCOVERY = ['/json', '/json/list', '/json/version', '/json/protocol'];

for (const backend of /** @type {const} */ (['jwt', 'fernet'])) {
  test(`${backend}: nobody gets through the bridge without the key, a foreign Host never, and nothing leaks`, async (t) => {
    const key = backend === 'jwt' ? made.jwtSecret : made.fernetKey;
    const good = made[backend].good;
    const bridgePort = await freePort();
    const app = await startApp(t, { app: APP, env: { EPDB_BACKEND: backend, EPDB_KEY: key, EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' } });
    const held = fetchText(app.port, '/held', { 'X-EPDB': good }, 60_000);
    await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
    const { id } = JSON.parse(await fetchText(bridgePort, '/json/list', { 'X-EPDB': good }))[0];
    const tally = { requests: 0 };
    const expectStatus = async (what, status, path, headers, upgrade = false) => {
      tally.requests++;
      const got = upgrade ? await rawUpgrade(bridgePort, path, headers) : (await rawGet(bridgePort, path, headers)).status;
      assert.equal(got, status, `${what}: ${upgrade ? 'upgrade' : 'GET'} ${path} with ${JSON.stringify(headers)}`);
    };

    // No knock, and every bad knock: 401 on every endpoint and on the upgrade.
    for (const path of [...DISCOVERY, `/${id}`]) {
      const upgrade = path === `/${id}`;
      await expectStatus('no knock', 401, path, [['Host', '127.0.0.1']], upgrade);
      await expectStatus('empty knock', 401, path, [['Host', '127.0.0.1'], ['X-EPDB', '']], upgrade);
      for (const [what, knock] of badKnocks(backend)) {
        await expectStatus(what, 401, path, [['Host', '127.0.0.1'], ['X-EPDB', knock]], upgrade);
        await expectStatus(`${what} (HTTP-X-EPDB)`, 401, path, [['Host', '127.0.0.1'], ['HTTP-X-EPDB', knock]], upgrade);
      }
      await expectStatus('a good knock next to a bad one', 401, path, [['Host', '127.0.0.1'], ['X-EPDB', good], ['X-EPDB', made[backend].wrong]], upgrade);
      await expectStatus('the good knock twice', 401, path, [['Host', '127.0.0.1'], ['X-EPDB', good], ['HTTP-X-EPDB', good]], upgrade);
      await expectStatus('the knock in the query string', 401, `${path}?X-EPDB=${encodeURIComponent(good)}`, [['Host', '127.0.0.1']], upgrade);
      await expectStatus('the knock as a cookie', 401, path, [['Host', '127.0.0.1'], ['Cookie', `X-EPDB=${good}`]], upgrade);
      await expectStatus('the knock as Authorization', 401, path, [['Host', '127.0.0.1'], ['Authorization', good]], upgrade);
    }
    // DNS rebinding: a good knock from a page on a foreign name is still refused.
    for (const host of FOREIGN_HOSTS) {
      await expectStatus(`Host ${JSON.stringify(host)}`, 403, '/json/list', [['Host', host], ['X-EPDB', good]]);
      await expectStatus(`Host ${JSON.stringify(host)}`, 403, `/${id}`, [['Host', host], ['X-EPDB', good]], true);
    }
    for (const host of LOCAL_HOSTS) await expectStatus(`Host ${host}`, 200, '/json/version', [['Host', host], ['X-EPDB', good]]);
    await expectStatus('HTTP/1.1 without Host (Node refuses it)', 400, '/json/version', [['X-EPDB', good]]);
    assert.equal(statusOf(await exchange(bridgePort, `GET /json/version HTTP/1.0\r\nX-EPDB: ${good}\r\n\r\n`)), 200);
    assert.equal(app.stderr.matching(/^epdb: debugger attached$/).length, 0, 'something attached');

    // Malformed HTTP does not take the bridge down.
    // Each gets the answer Node's own parser gives it (a reset, status 0 here, is no answer).
    const garbage = [
      ['GARBAGE\r\n\r\n', 400],
      ['GET / HTTP/9.9\r\n\r\n', 400],
      [`GET /json HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      ['\u0000\u0001\u0002\r\n\r\n', 400],
      [`GET /${'a'.repeat(70_000)} HTTP/1.1\r\n\r\n`, 431],
    ];
    for (const [request, expected] of garbage) {
      tally.requests++;
      const status = statusOf(await exchange(bridgePort, Buffer.from(request, 'latin1')));
      assert.equal(status, expected, `${JSON.stringify(request.slice(0, 30))} answered ${status}`);
    }
    // A half-sent request left hanging does not block others.
    const { connect } = await import('node:net');
    const slow = connect({ host: '127.0.0.1', port: bridgePort });
    slow.on('error', () => {});
    slow.write('GET /json/version HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    t.after(() => slow.destroy());

    // A flood of bad bridge requests: every one refused, the log bounded.
    const flood = Array.from({ length: 300 }, (_, i) => rawGet(bridgePort, i % 2 ? '/json/list' : `/${id}`, [['Host', '127.0.0.1'], ['X-EPDB', badKnocks(backend)[i % 8][1]]]));
    for (const response of await Promise.all(flood)) assert.equal(response.status, 401);
    tally.requests += flood.length;
    const bridgeLines = app.stderr.matching(/^epdb: debug bridge refused /);
    assert.ok(bridgeLines.length >= 1 && bridgeLines.length <= 10, `${bridgeLines.length} bridge refusal lines`);

    // The app went on serving meanwhile, and the knocked request still waits.
    assert.equal(await fetchText(app.port, '/during'), 'during /during');
    // The good knock attaches; malformed CDP frames are answered with errors, nothing breaks.
    const { ws } = await openSocket(`ws://127.0.0.1:${bridgePort}/${id}`, { 'X-EPDB': good });
    t.after(() => ws.terminate());
    assert.equal((await openSocket(`ws://127.0.0.1:${bridgePort}/${id}`, { 'X-EPDB': good })).status, 409, 'a second debugger');
    const client = cdp(ws);
    for (const frame of ['not json', '{}', '{"id": "1", "method": "Runtime.evaluate"}', '{"id": 1}', '[]', 'null', Buffer.from([0xff, 0xfe, 0x00]), '{"id": 7, "method": "No.such"}', `{"id": 8, "method": "Runtime.evaluate", "params": "x"}`]) {
      client.send(frame);
    }
    await client.repliesArrived(9);
    assert.ok(client.replies.every((reply) => reply.error !== undefined), JSON.stringify(client.replies));
    const pause = await client.startDebugging();
    const { result } = await client.call('Debugger.evaluateOnCallFrame', { callFrameId: pause.callFrames[0].callFrameId, expression: 'req.url', returnByValue: true });
    assert.equal(result.value, '/held');
    await client.call('Debugger.resume');
    assert.equal(await held, 'held /held');
    ws.terminate();
    await linesMatching(app.stderr, /^epdb: debugger detached$/, 1);
    assert.equal(await fetchText(app.port, '/after'), 'after /after');
    assert.equal(await portIsOpen(bridgePort), true);

    // Nothing the process printed holds the key or any knock's token bytes.
    const output = `${app.stdout.text()}\n${app.stderr.text()}`;
    assert.ok(!output.includes(key), 'the key was printed');
    for (const [what, knock] of [['good', good], ...badKnocks(backend)]) {
      const token = knock.split(' ')[1] ?? knock;
      for (const part of token.split('.')) {
        if (part.length >= 12) assert.ok(!output.includes(part), `bytes of the ${what} knock were printed`);
      }
    }
    t.diagnostic(`${tally.requests} hostile bridge requests refused or answered, ${FOREIGN_HOSTS.length} foreign Host values`);
  });
}

for (const backend of /** @type {const} */ (['jwt', 'fernet'])) {
  test(`${backend}: fuzzed knocks never open the bridge (discovery and upgrade), the valid one does`, async (t) => {
    const key = backend === 'jwt' ? made.jwtSecret : made.fernetKey;
    const good = made[backend].good;
    const bridgePort = await freePort();
    const app = await startApp(t, { app: APP, env: { EPDB_BACKEND: backend, EPDB_KEY: key, EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' } });
    const held = fetchText(app.port, '/held', { 'X-EPDB': good }, 60_000);
    await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
    const { id } = JSON.parse(await fetchText(bridgePort, '/json/list', { 'X-EPDB': good }))[0];
    const settings = { fernetKey: made.fernetKey, jwtSecret: made.jwtSecret, maxAgeSeconds: 3600 };
    const arbitrary = fc.oneof(
      anyString, schemeAndJunk, mutationOf([good, made[backend].expired, made[backend].wrong]),
      backend === 'jwt' ? jwtAttack({ secret: made.jwtSecret, others: [] }) : fernetAttack(made.fernetKey),
    ).filter((value) => /^[\x21-\x7e\x80-\xff]([\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?$/.test(value)
      && !referenceVerdict(value, backend, settings).accepted);
    const knocks = fc.sample(arbitrary, { numRuns: Math.min(fuzzRuns(400), 20_000) });
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < knocks.length) {
        const index = next++;
        const knock = knocks[index];
        const status = index % 4 === 0
          ? await rawUpgrade(bridgePort, `/${id}`, [['Host', '127.0.0.1'], ['X-EPDB', knock]])
          : (await rawGet(bridgePort, '/json/list', [['Host', '127.0.0.1'], ['X-EPDB', knock]])).status;
        assert.equal(status, 401, `the bridge answered ${status} to ${JSON.stringify(knock)}`);
      }
    }));
    assert.equal(app.stderr.matching(/^epdb: debugger attached$/).length, 0);
    assert.ok(app.stderr.matching(/^epdb: debug bridge refused /).length <= 10);
    const { ws } = await openSocket(`ws://127.0.0.1:${bridgePort}/${id}`, { 'X-EPDB': good });
    t.after(() => ws.terminate());
    const client = cdp(ws);
    await client.startDebugging();
    await client.call('Debugger.resume');
    assert.equal(await held, 'held /held');
    t.diagnostic(`${knocks.length} fuzzed knocks refused by the bridge`);
  });
}

/**
 * `epdb connect` listens on 127.0.0.1 and adds a valid knock to everything it forwards, rewriting
 * Host to the bridge's. Without a Host check of its own, a web page the developer has open could
 * rebind its name to 127.0.0.1, read /json/list through the forward (same origin after
 * rebinding) and open the WebSocket: full code execution in the production process, the very
 * attack the bridge's Host check stops.
 */

test('jwt: the `epdb connect` forward refuses foreign Host values too (DNS rebinding through the forward)', async (t) => {
  const { REPO_ROOT, cleanEnv, spawnChild } = await import('./helpers/index.mjs');
  const good = made.jwt.good;
  const bridgePort = await freePort();
  const app = await startApp(t, { app: APP, env: { EPDB_BACKEND: 'jwt', EPDB_KEY: made.jwtSecret, EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' } });
  const held = fetchText(app.port, '/held', { 'X-EPDB': good }, 60_000);
  held.catch(() => {});
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  const localPort = await freePort();
  const forward = spawnChild(process.execPath, [`${REPO_ROOT}dist/src/cli/main.js`, 'connect', String(bridgePort), '--port', String(localPort)], {
    env: cleanEnv({ EPDB_BACKEND: 'jwt', EPDB_KEY: made.jwtSecret }), t,
  });
  await forward.stdout.waitForLine(/^epdb connect: forwarding 127\.0\.0\.1:\d+ to the debug bridge/, { timeoutMs: 10_000 });
  // Through the forward, with a local Host, the debugger gets what it needs (no knock of its own).
  assert.equal((await rawGet(localPort, '/json/version', [['Host', `127.0.0.1:${localPort}`]])).status, 200);
  const { id } = JSON.parse(await fetchText(localPort, '/json/list'))[0];
  for (const host of ['evil.example', `evil.example:${localPort}`, `localhost.evil.example:${localPort}`, '0177.0.0.1', '127.1']) {
    assert.equal((await rawGet(localPort, '/json/list', [['Host', host]])).status, 403, `GET /json/list through the forward with Host ${host}`);
    assert.equal(await rawUpgrade(localPort, `/${id}`, [['Host', host], ['Origin', `http://${host}`]]), 403, `upgrade through the forward with Host ${host}`);
  }
  // The developer is told once why their debugger (or a page) was turned away.
  await forward.stderr.waitForLine(/^epdb: connect refused a request whose Host is not localhost or an IP address/, { timeoutMs: 5_000 });
});

test('base64: the open bridge still refuses foreign Host values, and anyone local can attach (why base64 is for trusted networks)', async (t) => {
  const bridgePort = await freePort();
  const app = await startApp(t, { app: APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' } });
  const held = fetchText(app.port, '/held', { 'X-EPDB': 'Base64 eyJlcGRiIjoge319' }, 60_000);
  await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  const { id } = JSON.parse(await fetchText(bridgePort, '/json/list'))[0];
  for (const host of FOREIGN_HOSTS) {
    assert.equal((await rawGet(bridgePort, '/json/list', [['Host', host]])).status, 403, `Host ${host}`);
    assert.equal(await rawUpgrade(bridgePort, `/${id}`, [['Host', host]]), 403, `upgrade with Host ${host}`);
  }
  assert.equal((await rawGet(bridgePort, '/json/list', [['Host', 'localhost']])).status, 200);
  // No knock needed: that is what "authenticates nobody" means.
  const { ws } = await openSocket(`ws://127.0.0.1:${bridgePort}/${id}`);
  t.after(() => ws.terminate());
  const client = cdp(ws);
  await client.startDebugging();
  await client.call('Debugger.resume');
  assert.equal(await held, 'held /held');
});

/** GET with node:http and no agent; resolves with the body, rejects on a non-200. */
async function fetchText(port, path, headers = {}, timeoutMs = 15_000) {
  const http = await import('node:http');
  return within(new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: ${res.statusCode} ${body}`))));
    }).on('error', reject);
  }), timeoutMs, `GET ${path} on ${port}`);
}
