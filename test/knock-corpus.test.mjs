// The corpus of bad knocks: each must be refused with its own reason, never accepted, never
// thrown past verifyKnock as anything but a KnockError. Then the same reasons end to end.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { Base64Backend, FernetBackend, JWTBackend, KnockError, verifyKnock } from 'epdb';
import {
  base64Knock, rawRequest, runPythonJson, startApp, withoutDateHeader,
} from './helpers/index.mjs';

const SECRET = 'c3f1a9e0b7d24e6f8a5b1c2d3e4f5a6b'; // 32 bytes, like uuid4().hex
const OTHER_SECRET = 'ffffffffffffffffffffffffffffffff';
const FERNET_KEY = 'TluiKbFqt0Pc3Rg7eHMfS7sWcJ7Y1SRCBXcStRL1Yh8=';
const OTHER_FERNET_KEY = 'x3MT4b5b7PmrN5cPPPLvOD0JoRKWI9CnrjNYFVWxE8g=';

const base64 = new Base64Backend();
const jwt = new JWTBackend({ secret: SECRET, maxAgeSeconds: 3600 });
const fernet = new FernetBackend({ key: FERNET_KEY, maxAgeSeconds: 3600 });

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
/** A compact JWS signed with HMAC-SHA256 over whatever header it is given. */
function hmacJwt(header, claims, secret = SECRET) {
  const signingInput = `${b64url(header)}.${b64url(claims)}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);

/** Fernet tokens made by Python's cryptography: wrong key, far future, old, and a good one. */
const python = await runPythonJson(`
import json, sys, time
from cryptography.fernet import Fernet
keys = json.load(sys.stdin)
msg = json.dumps({'epdb': {}}).encode()
f = Fernet(keys['key'])
print(json.dumps({
  'good': f.encrypt(msg).decode(),
  'wrong_key': Fernet(keys['other']).encrypt(msg).decode(),
  'future': f.encrypt_at_time(msg, int(time.time()) + 3600).decode(),
  'old': f.encrypt_at_time(msg, int(time.time()) - 7200).decode(),
  'not_json': f.encrypt(b'not json').decode(),
}))
`, { key: FERNET_KEY, other: OTHER_FERNET_KEY });

/** Fernet's own encoding: url-safe base64 with padding. */
function paddedBase64url(bytes) {
  const text = bytes.toString('base64url');
  return text + '='.repeat((4 - (text.length % 4)) % 4);
}
function flipByte(token, index) {
  const bytes = Buffer.from(token, 'base64url');
  bytes[index] ^= 0x01;
  return paddedBase64url(bytes);
}

/** [name, header value, backend, expected code, expected reason] */
const CORPUS = [
  ['empty', '', base64, 'ERR_EPDB_KNOCK_SHAPE', /got 0 tokens/],
  ['blank', '   \t ', base64, 'ERR_EPDB_KNOCK_SHAPE', /got 0 tokens/],
  ['scheme only', 'Base64', base64, 'ERR_EPDB_KNOCK_SHAPE', /got 1 token$/],
  ['three tokens for Base64', `${base64Knock()} extra`, base64, 'ERR_EPDB_KNOCK_SHAPE', /got 3 tokens/],
  ['unknown scheme', 'Bearer abc', base64, 'ERR_EPDB_KNOCK_UNKNOWN_SCHEME', /unknown scheme "Bearer"/],
  ['wrong scheme (JWT to a Base64 server)', `JWT ${hmacJwt({ alg: 'HS256' }, { epdb: {} })}`, base64, 'ERR_EPDB_KNOCK_WRONG_SCHEME', /scheme JWT does not match/],
  ['wrong scheme (Fernet to a JWT server)', `Fernet ${python.good}`, jwt, 'ERR_EPDB_KNOCK_WRONG_SCHEME', /scheme Fernet does not match this server's backend \(JWT\)/],
  ['bad base64', 'Base64 e30=!!', base64, 'ERR_EPDB_KNOCK_UNDECODABLE', /not valid base64/],
  ['unpadded base64', 'Base64 e30', base64, 'ERR_EPDB_KNOCK_UNDECODABLE', /not valid base64/],
  ['base64 of not JSON', `Base64 ${Buffer.from('hello').toString('base64')}`, base64, 'ERR_EPDB_KNOCK_UNDECODABLE', /not decode to JSON/],
  ['base64 of invalid UTF-8', `Base64 ${Buffer.from([0xff, 0xfe]).toString('base64')}`, base64, 'ERR_EPDB_KNOCK_UNDECODABLE', /UTF-8/],
  ['a JSON array', base64Knock('[{"epdb": {}}]'), base64, 'ERR_EPDB_KNOCK_NOT_OBJECT', /not a dictionary/],
  ['JSON null', base64Knock('null'), base64, 'ERR_EPDB_KNOCK_NOT_OBJECT', /not a dictionary/],
  ['no epdb key', base64Knock('{"not_epdb": {}}'), base64, 'ERR_EPDB_KNOCK_NO_EPDB_KEY', /no key named "epdb"/],
  ['epdb is a string', base64Knock('{"epdb": "x"}'), base64, 'ERR_EPDB_KNOCK_EPDB_NOT_OBJECT', /"epdb" in the payload is not a dictionary/],
  ['epdb is a list', base64Knock('{"epdb": []}'), base64, 'ERR_EPDB_KNOCK_EPDB_NOT_OBJECT', /not a dictionary/],
  ['JWT alg none', `JWT ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ epdb: {} })}.`, jwt, 'ERR_EPDB_KNOCK_ALGORITHM', /not HS256/],
  ['JWT RS256 header signed with the secret', `JWT ${hmacJwt({ alg: 'RS256', typ: 'JWT' }, { epdb: {} })}`, jwt, 'ERR_EPDB_KNOCK_ALGORITHM', /not HS256/],
  ['JWT HS512', `JWT ${hmacJwt({ alg: 'HS512' }, { epdb: {} })}`, jwt, 'ERR_EPDB_KNOCK_ALGORITHM', /not HS256/],
  ['JWT expired', `JWT ${hmacJwt({ alg: 'HS256' }, { epdb: {}, exp: now() - 600 })}`, jwt, 'ERR_EPDB_KNOCK_EXPIRED', /expired/],
  ['JWT iat older than the max age', `JWT ${hmacJwt({ alg: 'HS256' }, { epdb: {}, iat: now() - 7200 })}`, jwt, 'ERR_EPDB_KNOCK_EXPIRED', /over EPDB_MAX_AGE \(3600 s\)/],
  ['JWT not yet valid', `JWT ${hmacJwt({ alg: 'HS256' }, { epdb: {}, nbf: now() + 600 })}`, jwt, 'ERR_EPDB_KNOCK_NOT_YET_VALID', /"nbf"/],
  ['JWT issued in the future', `JWT ${hmacJwt({ alg: 'HS256' }, { epdb: {}, iat: now() + 600 })}`, jwt, 'ERR_EPDB_KNOCK_NOT_YET_VALID', /in the future/],
  ['JWT wrong key', `JWT ${hmacJwt({ alg: 'HS256' }, { epdb: {} }, OTHER_SECRET)}`, jwt, 'ERR_EPDB_KNOCK_BAD_SIGNATURE', /does not verify/],
  ['JWT tampered claims', `JWT ${hmacJwt({ alg: 'HS256' }, { epdb: {} }).replace(/^([^.]+)\.[^.]+/, `$1.${b64url({ epdb: { admin: true } })}`)}`, jwt, 'ERR_EPDB_KNOCK_BAD_SIGNATURE', /does not verify/],
  ['JWT with two parts', 'JWT abc.def', jwt, 'ERR_EPDB_KNOCK_UNDECODABLE', /three base64url parts/],
  ['JWT of a non-object', `JWT ${b64url({ alg: 'HS256' })}.${b64url('[1]')}.${createHmac('sha256', SECRET).update(`${b64url({ alg: 'HS256' })}.${b64url('[1]')}`).digest('base64url')}`, jwt, 'ERR_EPDB_KNOCK_UNDECODABLE', /not a valid JWT/],
  ['Fernet wrong key', `Fernet ${python.wrong_key}`, fernet, 'ERR_EPDB_KNOCK_BAD_SIGNATURE', /does not verify/],
  ['Fernet tampered ciphertext byte', `Fernet ${flipByte(python.good, 30)}`, fernet, 'ERR_EPDB_KNOCK_BAD_SIGNATURE', /does not verify/],
  ['Fernet tampered MAC byte', `Fernet ${flipByte(python.good, Buffer.from(python.good, 'base64url').length - 1)}`, fernet, 'ERR_EPDB_KNOCK_BAD_SIGNATURE', /does not verify/],
  ['Fernet from the far future', `Fernet ${python.future}`, fernet, 'ERR_EPDB_KNOCK_NOT_YET_VALID', /in the future/],
  ['Fernet older than the max age', `Fernet ${python.old}`, fernet, 'ERR_EPDB_KNOCK_EXPIRED', /over EPDB_MAX_AGE/],
  ['Fernet of not JSON', `Fernet ${python.not_json}`, fernet, 'ERR_EPDB_KNOCK_UNDECODABLE', /JSON/],
  ['Fernet wrong version byte', `Fernet ${paddedBase64url(Buffer.concat([Buffer.from([0x81]), Buffer.from(python.good, 'base64url').subarray(1)]))}`, fernet, 'ERR_EPDB_KNOCK_UNDECODABLE', /not a Fernet token/],
  ['Fernet truncated', `Fernet ${python.good.slice(0, 40)}`, fernet, 'ERR_EPDB_KNOCK_UNDECODABLE', /not a Fernet token|url-safe base64/],
  ['a 100 KB header', `Base64 ${'A'.repeat(100 * 1024)}`, base64, 'ERR_EPDB_KNOCK_TOO_LARGE', /over the 8192-byte limit/],
  ['just over 8 KiB', `JWT ${'a'.repeat(8192)}`, jwt, 'ERR_EPDB_KNOCK_TOO_LARGE', /8196 bytes/],
  ['non-ASCII bytes', `Base64 ${base64Knock().slice(7)}\u00e9`, base64, 'ERR_EPDB_KNOCK_NOT_ASCII', /not printable ASCII/],
  ['control characters', 'Base64 e30=\u0000', base64, 'ERR_EPDB_KNOCK_NOT_ASCII', /not printable ASCII/],
];

test(`a corpus of ${CORPUS.length} bad knocks is refused, each with its reason`, async (t) => {
  assert.ok(CORPUS.length >= 20);
  for (const [name, header, backend, code, reason] of CORPUS) {
    await t.test(name, async () => {
      const error = await verifyKnock(header, backend).then(
        (accepted) => assert.fail(`accepted: ${JSON.stringify(accepted)}`),
        (e) => e,
      );
      assert.ok(error instanceof KnockError, `not a KnockError: ${error}`);
      assert.equal(error.code, code, error.message);
      assert.match(error.message, reason);
      for (const secret of [SECRET, FERNET_KEY]) assert.ok(!error.message.includes(secret), 'a key leaked into the reason');
    });
  }
});

test('the same knocks, well made, are accepted (so the corpus fails for its reasons)', async () => {
  assert.deepEqual(await verifyKnock(base64Knock(), base64), { scheme: 'Base64', options: {} });
  assert.deepEqual(await verifyKnock(`JWT ${hmacJwt({ alg: 'HS256', typ: 'JWT' }, { epdb: {}, iat: now() })}`, jwt), { scheme: 'JWT', options: {} });
  assert.deepEqual(await verifyKnock(`Fernet ${python.good}`, fernet), { scheme: 'Fernet', options: {} });
  assert.deepEqual(await verifyKnock(`  fErNeT \t ${python.good}  `, fernet), { scheme: 'Fernet', options: {} });
  assert.deepEqual(await verifyKnock(`jwt ${await jwt.encode({ epdb: { x: 1 } })}`, jwt), { scheme: 'JWT', options: { x: 1 } });
});

test('over HTTP, a bad knock is served as if absent and logs its reason on one line', async (t) => {
  const app = await startApp(t, { app: 'http.cjs', env: { EPDB_BACKEND: 'jwt', EPDB_KEY: SECRET } });
  const plain = withoutDateHeader(await rawRequest({ port: app.port }));
  const cases = [
    [{ 'X-EPDB': 'JWT abc.def' }, /^epdb: knock refused on GET \/hello: payload is not a JWT \(three base64url parts\)$/],
    [{ 'HTTP-X-EPDB': `JWT ${hmacJwt({ alg: 'none' }, { epdb: {} })}` }, /^epdb: knock refused on GET \/hello: JWT algorithm is not HS256/],
    [{ 'X-EPDB': `JWT ${'a'.repeat(9000)}` }, /^epdb: knock refused on GET \/hello: header is 9004 bytes, over the 8192-byte limit$/],
    [[['X-EPDB', 'JWT a.b.c'], ['x-epdb', 'JWT a.b.c']], /^epdb: knock refused on GET \/hello: more than one X-EPDB header$/],
    [{ 'X-EPDB': `JWT ${hmacJwt({ alg: 'HS256' }, { epdb: {} }, OTHER_SECRET)}` }, /^epdb: knock refused on GET \/hello: JWT signature does not verify/],
  ];
  for (const [headers, line] of cases) {
    const from = app.stderr.lines.length;
    const response = withoutDateHeader(await rawRequest({ port: app.port, headers }));
    assert.equal(response.toString('latin1'), plain.toString('latin1'));
    await app.stderr.waitForLine(line, { timeoutMs: 5000, from });
  }
  // The query string can hold secrets: only the path is logged.
  const from = app.stderr.lines.length;
  await rawRequest({ port: app.port, path: '/hello?token=hunter2', headers: { 'X-EPDB': 'JWT x' } });
  const [, logged] = await app.stderr.waitForLine(/^epdb: knock refused on GET (\S+):/, { timeoutMs: 5000, from });
  assert.equal(logged, '/hello');
  assert.ok(!app.stderr.text().includes(SECRET));
});

test('a flood of bad knocks logs a bounded number of lines', async (t) => {
  const app = await startApp(t, { app: 'http.cjs', env: { EPDB_BACKEND: 'base64' } });
  for (let i = 0; i < 60; i++) {
    await rawRequest({ port: app.port, headers: { 'X-EPDB': 'Base64 !!' } });
  }
  // The app answered all 60 (rawRequest resolves on each full response); at most 10 reasons logged.
  const refused = app.stderr.matching(/knock refused/);
  assert.ok(refused.length >= 1 && refused.length <= 10, `${refused.length} lines logged`);
});
