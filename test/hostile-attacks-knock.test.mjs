// Known attacks on the knock, one by one: JWT alg none and algorithm confusion, header tricks
// (kid/jku/jwk/x5u), forged signatures, replay of expired tokens, clock skew at the 60 s edges,
// crit; Fernet bit flips in every field, truncations, bad padding, skew. Each must be refused
// with a KnockError that names no key and no token, and the well-made twin of each is accepted,
// so every refusal is for the reason tested.
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import { test } from 'node:test';
import { Base64Backend, FernetBackend, JWTBackend, KnockError, verifyKnock } from 'epdb';
import { runPythonJson } from './helpers/index.mjs';
import { fernetBytes, paddedBase64url } from './fixtures/hostile/fuzz.mjs';

const MAX_AGE = 3600;
const keys = await runPythonJson(`
import json, uuid
from cryptography.fernet import Fernet
print(json.dumps({'fernetKey': Fernet.generate_key().decode(), 'otherFernetKey': Fernet.generate_key().decode(),
                  'jwtSecret': uuid.uuid4().hex, 'otherJwtSecret': uuid.uuid4().hex}))
`);
const jwt = new JWTBackend({ secret: keys.jwtSecret, maxAgeSeconds: MAX_AGE });
const fernet = new FernetBackend({ key: keys.fernetKey, maxAgeSeconds: MAX_AGE });
const SECRETS = [keys.jwtSecret, keys.fernetKey];

const now = () => Math.floor(Date.now() / 1000);
const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
/** A compact JWS over `header` and `claims`, HMAC-SHA256-signed with `key` whatever `alg` says. */
function hmacJwt(header, claims, key = keys.jwtSecret) {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** Asserts `value` is refused by `backend` with `code`, and that the reason leaks nothing. */
async function assertRefused(value, backend, code, why) {
  const error = await verifyKnock(value, backend).then(
    (knock) => assert.fail(`${why}: accepted ${JSON.stringify(knock)} for ${value}`),
    (e) => e,
  );
  assert.ok(error instanceof KnockError, `${why}: threw ${error}`);
  if (code !== undefined) assert.equal(error.code, code, `${why}: ${error.message}`);
  for (const secret of SECRETS) assert.ok(!error.message.includes(secret), `${why}: a key is in "${error.message}"`);
  const payload = value.split(' ')[1] ?? '';
  for (const part of payload.split('.')) {
    if (part.length >= 12) assert.ok(!error.message.includes(part), `${why}: token bytes are in "${error.message}"`);
  }
}

async function assertAccepted(value, backend, why) {
  const knock = await verifyKnock(value, backend).catch((e) => assert.fail(`${why}: refused (${e.message}): ${value}`));
  assert.equal(typeof knock.options, 'object');
}

test('JWT alg none, in every spelling, with or without a signature, is refused', async () => {
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const unsigned = `${b64url({ alg, typ: 'JWT' })}.${b64url({ epdb: {}, iat: now() })}`;
    await assertRefused(`JWT ${unsigned}.`, jwt, 'ERR_EPDB_KNOCK_ALGORITHM', `alg ${alg}, empty signature`);
    await assertRefused(`JWT ${hmacJwt({ alg, typ: 'JWT' }, { epdb: {} })}`, jwt, 'ERR_EPDB_KNOCK_ALGORITHM', `alg ${alg}, HMAC signature`);
  }
  // Duplicate "alg": JSON takes the last one; none must still lose.
  const duplicate = `${Buffer.from('{"alg":"HS256","alg":"none"}').toString('base64url')}.${b64url({ epdb: {} })}`;
  await assertRefused(`JWT ${duplicate}.`, jwt, 'ERR_EPDB_KNOCK_ALGORITHM', 'duplicate alg, none last');
});

test('algorithm confusion: asymmetric and other HMAC algs signed with the secret as HMAC key are refused', async () => {
  for (const alg of ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256', 'PS512', 'EdDSA', 'HS384', 'HS512', 'hs256', 'HS256 ', 'HS2560']) {
    await assertRefused(`JWT ${hmacJwt({ alg, typ: 'JWT' }, { epdb: {}, iat: now() })}`, jwt, undefined, `alg ${alg}`);
  }
  await assertAccepted(`JWT ${hmacJwt({ alg: 'HS256', typ: 'JWT' }, { epdb: {}, iat: now() })}`, jwt, 'the HS256 twin');
});

test('an RS256 token made with a real RSA key, and HS256 signed with that public key, are refused', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const input = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url({ epdb: {}, iat: now() })}`;
  const signature = rsaSign('sha256', Buffer.from(input), privateKey).toString('base64url');
  await assertRefused(`JWT ${input}.${signature}`, jwt, 'ERR_EPDB_KNOCK_ALGORITHM', 'RS256 with an RSA key');
  // The classic confusion: the server's "public key" used as the HMAC secret.
  const pem = publicKey.export({ type: 'spki', format: 'pem' });
  await assertRefused(`JWT ${hmacJwt({ alg: 'HS256' }, { epdb: {} }, pem)}`, jwt, 'ERR_EPDB_KNOCK_BAD_SIGNATURE', 'HS256 keyed with a public key');
});

test('kid, jku, jwk and x5u headers are ignored: only the shared secret verifies', async () => {
  const attackerKey = 'attacker-key-0123456789abcdef0123456789';
  const tricks = [
    { kid: '../../../../../../dev/null' },
    { kid: "x' UNION SELECT 'attacker-key" },
    { kid: 'http://evil.example/key' },
    { jku: 'https://evil.example/.well-known/jwks.json' },
    { x5u: 'https://evil.example/cert.pem' },
    { jwk: { kty: 'oct', k: b64url(attackerKey) } },
    { jwk: { kty: 'oct', k: '' } },
    { kid: 'k', jku: 'https://evil.example/jwks.json', jwk: { kty: 'oct', k: b64url(attackerKey) }, x5u: 'https://evil.example/c.pem' },
  ];
  for (const trick of tricks) {
    const header = { alg: 'HS256', typ: 'JWT', ...trick };
    for (const key of [attackerKey, '', '\u0000']) {
      await assertRefused(`JWT ${hmacJwt(header, { epdb: {} }, key)}`, jwt, 'ERR_EPDB_KNOCK_BAD_SIGNATURE', `${JSON.stringify(trick)} signed with ${JSON.stringify(key)}`);
    }
    await assertAccepted(`JWT ${hmacJwt(header, { epdb: {}, iat: now() })}`, jwt, `${JSON.stringify(trick)} signed with the secret`);
  }
});

test('signatures of the right length but wrong bytes are refused', async () => {
  const good = hmacJwt({ alg: 'HS256', typ: 'JWT' }, { epdb: {}, iat: now() });
  const [header, claims, signature] = good.split('.');
  const mac = Buffer.from(signature, 'base64url');
  const wrong = [
    Buffer.alloc(32),
    Buffer.alloc(32, 0xff),
    Buffer.from(mac.map((byte, i) => (i === 31 ? byte ^ 0x01 : byte))),
    Buffer.from(mac.map((byte, i) => (i === 0 ? byte ^ 0x80 : byte))),
    createHmac('sha256', keys.jwtSecret).update(`${header}.${b64url({ epdb: {}, iat: now() - 1 })}`).digest(),
    createHmac('sha256', keys.otherJwtSecret).update(`${header}.${claims}`).digest(),
    createHmac('sha256', keys.jwtSecret.toUpperCase()).update(`${header}.${claims}`).digest(),
  ];
  for (const bytes of wrong) {
    assert.equal(bytes.length, 32);
    await assertRefused(`JWT ${header}.${claims}.${bytes.toString('base64url')}`, jwt, 'ERR_EPDB_KNOCK_BAD_SIGNATURE', 'wrong 32-byte MAC');
  }
  // The claims of a good token swapped for others, keeping its signature.
  await assertRefused(`JWT ${header}.${b64url({ epdb: { other: 1 }, iat: now() })}.${signature}`, jwt, 'ERR_EPDB_KNOCK_BAD_SIGNATURE', 'swapped claims');
  await assertAccepted(`JWT ${good}`, jwt, 'the good token');
});

test('replaying an expired token is refused; a token stays usable only while valid', async () => {
  const expired = `JWT ${hmacJwt({ alg: 'HS256' }, { epdb: {}, iat: now() - 600, exp: now() - 300 })}`;
  for (let i = 0; i < 3; i++) await assertRefused(expired, jwt, 'ERR_EPDB_KNOCK_EXPIRED', 'expired token, replayed');
  const stale = `JWT ${hmacJwt({ alg: 'HS256' }, { epdb: {}, iat: now() - MAX_AGE - 120 })}`;
  await assertRefused(stale, jwt, 'ERR_EPDB_KNOCK_EXPIRED', 'iat past EPDB_MAX_AGE, no exp');
  const shortLived = new JWTBackend({ secret: keys.jwtSecret, maxAgeSeconds: 60 });
  await assertRefused(`JWT ${hmacJwt({ alg: 'HS256' }, { epdb: {}, iat: now() - 200, exp: now() + 3600 })}`, shortLived, 'ERR_EPDB_KNOCK_EXPIRED', 'a far exp does not extend EPDB_MAX_AGE');
});

test('clock skew: iat, nbf and exp just inside the 60 s tolerance are accepted, just outside refused', async () => {
  const t0 = now();
  const inside = [
    { epdb: {}, exp: t0 - 55 }, { epdb: {}, nbf: t0 + 55 }, { epdb: {}, iat: t0 + 55 }, { epdb: {}, iat: t0 - MAX_AGE + 5 },
  ];
  const outside = [
    [{ epdb: {}, exp: t0 - 65 }, 'ERR_EPDB_KNOCK_EXPIRED'],
    [{ epdb: {}, nbf: t0 + 65 }, 'ERR_EPDB_KNOCK_NOT_YET_VALID'],
    [{ epdb: {}, iat: t0 + 65 }, 'ERR_EPDB_KNOCK_NOT_YET_VALID'],
    [{ epdb: {}, iat: t0 - MAX_AGE - 5 }, 'ERR_EPDB_KNOCK_EXPIRED'],
  ];
  for (const claims of inside) await assertAccepted(`JWT ${hmacJwt({ alg: 'HS256' }, claims)}`, jwt, `inside: ${JSON.stringify(claims)}`);
  for (const [claims, code] of outside) await assertRefused(`JWT ${hmacJwt({ alg: 'HS256' }, claims)}`, jwt, code, `outside: ${JSON.stringify(claims)}`);
  for (const claims of [{ epdb: {}, exp: '9999999999' }, { epdb: {}, nbf: null }, { epdb: {}, iat: 'now' }]) {
    await assertRefused(`JWT ${hmacJwt({ alg: 'HS256' }, claims)}`, jwt, undefined, `non-numeric date ${JSON.stringify(claims)}`);
  }
});

test('crit headers naming anything not understood are refused, and b64:false never', async () => {
  for (const header of [
    { alg: 'HS256', crit: ['exp'] }, { alg: 'HS256', crit: ['epdb'], epdb: 1 }, { alg: 'HS256', crit: [] },
    { alg: 'HS256', crit: 'b64', b64: true }, { alg: 'HS256', crit: [''] }, { alg: 'HS256', crit: ['b64'], b64: false },
    { alg: 'HS256', crit: ['b64'] }, { alg: 'HS256', crit: ['b64'], b64: 'true' },
  ]) {
    await assertRefused(`JWT ${hmacJwt(header, { epdb: {} })}`, jwt, undefined, `crit ${JSON.stringify(header)}`);
  }
  // RFC 7797 b64:true is the default spelled out, understood, harmless.
  await assertAccepted(`JWT ${hmacJwt({ alg: 'HS256', crit: ['b64'], b64: true }, { epdb: {}, iat: now() })}`, jwt, 'crit b64:true');
});

test('the payload cannot smuggle "epdb" through the prototype, nor pollute Object.prototype', async () => {
  const base64 = new Base64Backend();
  const proto = Buffer.from('{"__proto__": {"epdb": {}}}').toString('base64');
  await assertRefused(`Base64 ${proto}`, base64, 'ERR_EPDB_KNOCK_NO_EPDB_KEY', 'epdb via __proto__ (base64)');
  await assertRefused(`JWT ${hmacJwt({ alg: 'HS256' }, JSON.parse('{"__proto__": {"epdb": {}}}'))}`, jwt, undefined, 'epdb via __proto__ (jwt)');
  const polluting = Buffer.from('{"epdb": {"__proto__": {"polluted": 1}}, "__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}}').toString('base64');
  await assertAccepted(`Base64 ${polluting}`, base64, 'accepted, and inert');
  assert.equal(/** @type {any} */ ({}).polluted, undefined, 'Object.prototype was polluted');
  // Deep nesting within 8 KiB is data, not a crash.
  const deep = Buffer.from(`{"epdb": {}, "x": ${'['.repeat(3000)}${']'.repeat(3000)}}`).toString('base64');
  await assertAccepted(`Base64 ${deep}`, base64, 'deeply nested JSON');
});

test('Fernet: every single-bit flip in every field of a Python-made token is refused', async () => {
  const { token } = await runPythonJson(`
import json, sys
from cryptography.fernet import Fernet
print(json.dumps({'token': Fernet(json.load(sys.stdin)['key']).encrypt(json.dumps({'epdb': {}}).encode()).decode()}))
`, { key: keys.fernetKey });
  await assertAccepted(`Fernet ${token}`, fernet, 'the unflipped token');
  const bytes = Buffer.from(token, 'base64url');
  const fields = { version: [0, 1], timestamp: [1, 9], iv: [9, 25], ciphertext: [25, bytes.length - 32], hmac: [bytes.length - 32, bytes.length] };
  let flips = 0;
  for (const [field, [start, end]] of Object.entries(fields)) {
    for (let i = start; i < end; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Buffer.from(bytes);
        flipped[i] ^= 1 << bit;
        await assertRefused(`Fernet ${paddedBase64url(flipped)}`, fernet, undefined, `${field} byte ${i} bit ${bit}`);
        flips++;
      }
    }
  }
  assert.equal(flips, bytes.length * 8);
  // Every truncation, and the token with bytes appended.
  for (let length = 0; length < token.length; length++) await assertRefused(`Fernet ${token.slice(0, length) || 'x'}`, fernet, undefined, `truncated to ${length}`);
  await assertRefused(`Fernet ${paddedBase64url(Buffer.concat([bytes, Buffer.alloc(16)]))}`, fernet, undefined, 'one block appended');
});

test('Fernet: invalid PKCS#7 padding is refused even under a valid HMAC, as Python refuses it', async () => {
  const key = Buffer.from(keys.fernetKey, 'base64url');
  const message = Buffer.from('{"epdb": {}}'); // 12 bytes: 4 bytes of padding
  const paddings = [[0, 0, 0, 4], [9, 9, 9, 4], [4, 4, 3, 4], [1, 1, 1, 1].map((_, i) => (i === 3 ? 2 : 7))];
  const tokens = paddings.map((padding) => paddedBase64url(fernetBytes({ key, timestamp: now(), plaintext: Buffer.concat([message, Buffer.from(padding)]), pad: false })));
  const python = await runPythonJson(`
import json, sys
from cryptography.fernet import Fernet, InvalidToken
given = json.load(sys.stdin)
f = Fernet(given['key'])
def verdict(token):
    try:
        f.decrypt(token.encode())
        return 'accepted'
    except InvalidToken:
        return 'refused'
print(json.dumps([verdict(t) for t in given['tokens']] + [verdict(given['good'])]))
`, { key: keys.fernetKey, tokens, good: paddedBase64url(fernetBytes({ key, timestamp: now(), plaintext: message })) });
  assert.deepEqual(python, [...tokens.map(() => 'refused'), 'accepted'], 'Python should refuse the bad paddings and accept the good one');
  for (const token of tokens) await assertRefused(`Fernet ${token}`, fernet, 'ERR_EPDB_KNOCK_UNDECODABLE', 'bad padding');
});

test('Fernet: the timestamp just inside the skew and age limits is accepted, just outside refused; wrong keys refused', async () => {
  const key = Buffer.from(keys.fernetKey, 'base64url');
  const other = Buffer.from(keys.otherFernetKey, 'base64url');
  const make = (fields) => `Fernet ${paddedBase64url(fernetBytes({ key, plaintext: Buffer.from('{"epdb": {}}'), timestamp: now(), ...fields }))}`;
  await assertAccepted(make({ timestamp: now() + 55 }), fernet, '55 s ahead');
  await assertAccepted(make({ timestamp: now() - MAX_AGE + 5 }), fernet, 'just younger than the max age');
  await assertRefused(make({ timestamp: now() + 65 }), fernet, 'ERR_EPDB_KNOCK_NOT_YET_VALID', '65 s ahead');
  await assertRefused(make({ timestamp: now() - MAX_AGE - 5 }), fernet, 'ERR_EPDB_KNOCK_EXPIRED', 'just older than the max age');
  await assertRefused(make({ timestamp: 2 ** 63 }), fernet, 'ERR_EPDB_KNOCK_NOT_YET_VALID', 'timestamp 2^63');
  await assertRefused(make({ signingKey: other.subarray(0, 16) }), fernet, 'ERR_EPDB_KNOCK_BAD_SIGNATURE', 'signed with another key');
  await assertRefused(make({ signingKey: key.subarray(16, 32) }), fernet, 'ERR_EPDB_KNOCK_BAD_SIGNATURE', 'signed with the encryption half');
  await assertRefused(make({ encryptionKey: other.subarray(16, 32) }), fernet, undefined, 'encrypted with another key, signed right');
  for (const version of [0x00, 0x7f, 0x81, 0xff]) await assertRefused(make({ version }), fernet, 'ERR_EPDB_KNOCK_UNDECODABLE', `version ${version}`);
});

test('Base64 proves nothing: a knock anyone can make is accepted (why it is for trusted networks only)', async () => {
  const base64 = new Base64Backend();
  assert.equal(base64.authenticates, false);
  await assertAccepted(`Base64 ${Buffer.from('{"epdb":{}}').toString('base64')}`, base64, 'made without any key');
});

test('only the ignored trailing bits of a token can change: the same signed bytes, nothing else, are accepted', async () => {
  // A 43-character JWS signature holds 258 bits for 256; a Fernet token's last character before
  // "==" holds 2 bits of data and 4 ignored. Changing only ignored bits decodes to the very same
  // bytes (decoders discard them), so such a twin is accepted: malleable text, not a forgery.
  const jwtToken = hmacJwt({ alg: 'HS256' }, { epdb: {}, iat: now() });
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(jwtToken.at(-1));
  for (let value = 0; value < 64; value++) {
    const twin = `JWT ${jwtToken.slice(0, -1)}${alphabet[value]}`;
    if ((value & ~0b11) === (last & ~0b11)) await assertAccepted(twin, jwt, `ignored bits ${value & 0b11}`);
    else await assertRefused(twin, jwt, 'ERR_EPDB_KNOCK_BAD_SIGNATURE', `significant bits changed (${value})`);
  }
  const fernetToken = await fernet.encode({ epdb: {} });
  const padding = fernetToken.length - fernetToken.replace(/=+$/, '').length;
  const at = fernetToken.length - padding - 1;
  const ignoredBits = padding === 2 ? 0b1111 : padding === 1 ? 0b11 : 0;
  const original = alphabet.indexOf(fernetToken[at]);
  for (let value = 0; value < 64; value++) {
    const twin = `Fernet ${fernetToken.slice(0, at)}${alphabet[value]}${fernetToken.slice(at + 1)}`;
    if ((value & ~ignoredBits) === (original & ~ignoredBits)) await assertAccepted(twin, fernet, `ignored bits ${value & ignoredBits}`);
    else await assertRefused(twin, fernet, undefined, `significant bits changed (${value})`);
  }
});

test('a flood of refusals is bounded: 10 lines a window, then one line counting the rest', async () => {
  const { RateLimitedLog } = await import(new URL('../dist/src/shared/log.js', import.meta.url).href);
  let clock = 1_000_000;
  const written = [];
  const limited = new RateLimitedLog(10, 60_000, (line) => written.push(line), () => clock);
  for (let i = 0; i < 100_000; i++) { limited.log(`refusal ${i}`); clock += 0.1; } // 10 s of a flood
  assert.equal(written.length, 10);
  clock += 60_000;
  limited.log('after the window');
  assert.deepEqual(written.slice(10), ['99990 more refused knocks were not logged in the last 60 s', 'after the window']);
});

test('configuration errors name the variable, never the key', async (t) => {
  const { startApp } = await import('./helpers/index.mjs');
  const cases = [
    ['jwt', 'short-jwt-secret-do-not-print'],
    ['fernet', 'a-fernet-key-without-padding-do-not-print-it'],
    ['fernet', 'TluiKbFqt0Pc3Rg7eHMfS7sWcJ7Y1SRCBXc+tRL1Yh8='],
    ['fernet', `${keys.fernetKey}x`],
  ];
  for (const [backend, key] of cases) {
    const app = await startApp(t, { app: 'http.cjs', env: { EPDB_BACKEND: backend, EPDB_KEY: key } });
    const [line] = await app.stderr.waitForLine(/^epdb: EPDB_KEY: .*; epdb is off$/, { timeoutMs: 5000 });
    assert.ok(!line.includes(key) && !line.includes(key.slice(4, -4)), `the key is in: ${line}`);
    await app.stop();
  }
});
