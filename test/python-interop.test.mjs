// Python interop, both ways, in process against the `epdb` package:
// - knock headers made by /usr/bin/python3 with the seed's exact snippets are accepted by each
//   backend (verifyKnock); wrong key, tampered byte, expired, not-yet-valid, other algorithms
//   are refused with the right KnockError.code;
// - tokens from the backends' `encode` are accepted by Python's cryptography and PyJWT.
// One Python process for the whole file: it prints its tokens, then reads ours from stdin.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawnChild, SYSTEM_PYTHON } from './helpers/index.mjs';

const {
  Base64Backend, FernetBackend, JWTBackend, KnockError, createBackend, readConfig, verifyKnock,
} = await import('epdb');

const WAIT_MS = 20_000;
const MAX_AGE_SECONDS = 3600;

const PYTHON = String.raw`
import base64, json, sys, time, uuid
import cryptography.fernet
import jwt
from cryptography.fernet import Fernet

def text(v):
    return v.decode() if isinstance(v, bytes) else v

key = Fernet.generate_key().decode()
other_key = Fernet.generate_key().decode()
secret = uuid.uuid4().hex
other_secret = uuid.uuid4().hex
payload = json.dumps({'epdb': {}}).encode()
now = int(time.time())

print(json.dumps({
    'fernetKey': key,
    'jwtSecret': secret,
    # Exactly the seed's snippets.
    'seed': {
        'base64': text(base64.b64encode(json.dumps({'epdb': {}}).encode())),
        'fernet': text(cryptography.fernet.Fernet(key).encrypt(json.dumps({'epdb': {}}).encode())),
        'jwt': text(jwt.encode({'epdb': {}}, secret, algorithm='HS256')),
    },
    'fernet': {
        'withOptions': text(Fernet(key).encrypt(json.dumps({'epdb': {'note': 'hi'}}).encode())),
        'wrongKey': text(Fernet(other_key).encrypt(payload)),
        'expired': text(Fernet(key).encrypt_at_time(payload, now - 2 * 3600)),
        'future': text(Fernet(key).encrypt_at_time(payload, now + 3600)),
        'notEpdb': text(Fernet(key).encrypt(json.dumps({'other': {}}).encode())),
        'epdbNotObject': text(Fernet(key).encrypt(json.dumps({'epdb': []}).encode())),
        'notJson': text(Fernet(key).encrypt(b'not json')),
    },
    'jwt': {
        'fresh': text(jwt.encode({'epdb': {}, 'iat': now, 'exp': now + 600}, secret, algorithm='HS256')),
        'wrongKey': text(jwt.encode({'epdb': {}}, other_secret, algorithm='HS256')),
        'expired': text(jwt.encode({'epdb': {}, 'iat': now - 2 * 3600, 'exp': now - 3600}, secret, algorithm='HS256')),
        'oldIat': text(jwt.encode({'epdb': {}, 'iat': now - 2 * 3600}, secret, algorithm='HS256')),
        'notBefore': text(jwt.encode({'epdb': {}, 'nbf': now + 3600}, secret, algorithm='HS256')),
        'hs512': text(jwt.encode({'epdb': {}}, secret, algorithm='HS512')),
        'none': text(jwt.encode({'epdb': {}}, None, algorithm='none')),
        'notEpdb': text(jwt.encode({'other': {}}, secret, algorithm='HS256')),
    },
}), flush=True)

# Second round: tokens made by epdb's backends, one JSON line on stdin.
ours = json.loads(sys.stdin.readline())

def attempt(fn):
    try:
        return {'ok': True, 'value': fn()}
    except Exception as error:
        return {'ok': False, 'error': type(error).__name__}

print(json.dumps({
    'fernet': attempt(lambda: json.loads(Fernet(key).decrypt(ours['fernet'].encode(), ttl=60))),
    'fernetTimestampAge': now - Fernet(key).extract_timestamp(ours['fernet'].encode()),
    'fernetWrongKey': attempt(lambda: json.loads(Fernet(other_key).decrypt(ours['fernet'].encode(), ttl=60))),
    'jwt': attempt(lambda: jwt.decode(ours['jwt'], secret, algorithms=['HS256'])),
    'jwtHeader': jwt.get_unverified_header(ours['jwt']),
    'jwtWrongKey': attempt(lambda: jwt.decode(ours['jwt'], other_secret, algorithms=['HS256'])),
    'base64': attempt(lambda: json.loads(base64.b64decode(ours['base64'], validate=True))),
}), flush=True)
`;

/** @type {import('./helpers/child.mjs').Child} */
let python;
/** What Python made in its first round. */
let made;
let backends;

before(async () => {
  python = spawnChild(SYSTEM_PYTHON, ['-c', PYTHON], { stdin: 'pipe' });
  const [line] = await python.stdout.waitForLine(/^\{.*\}$/, { timeoutMs: WAIT_MS });
  made = JSON.parse(line);
  backends = {
    base64: new Base64Backend(),
    fernet: new FernetBackend({ key: made.fernetKey, maxAgeSeconds: MAX_AGE_SECONDS }),
    jwt: new JWTBackend({ secret: made.jwtSecret, maxAgeSeconds: MAX_AGE_SECONDS }),
  };
});
after(() => python?.stop());

/** Asserts that verifyKnock refuses `header` with `code`. */
async function assertRefused(header, backend, code) {
  await assert.rejects(verifyKnock(header, backend), (error) => {
    assert.ok(error instanceof KnockError, `a KnockError, got ${error}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

/** The token with one bit of byte `index` of its decoded bytes flipped (url-safe base64, padded like Fernet's). */
function flipFernetByte(token, index) {
  const bytes = Buffer.from(token, 'base64url');
  bytes[index] ^= 0x01;
  const text = bytes.toString('base64url');
  return text + '='.repeat((4 - (text.length % 4)) % 4);
}

/** A JWT with one bit of its signature's first byte flipped. */
function flipJwtSignature(token) {
  const [header, claims, signature] = token.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  bytes[0] ^= 0x01;
  return `${header}.${claims}.${bytes.toString('base64url')}`;
}

test('the seed\'s Python snippets make knocks every backend accepts', async () => {
  assert.equal(made.seed.base64, 'eyJlcGRiIjoge319', 'base64 of {"epdb": {}} as Python writes it');
  for (const [name, scheme] of [['base64', 'Base64'], ['fernet', 'Fernet'], ['jwt', 'JWT']]) {
    const knock = await verifyKnock(`${scheme} ${made.seed[name]}`, backends[name]);
    assert.equal(knock.scheme, scheme);
    assert.deepEqual(knock.options, {});
  }
  // The scheme word in any case, separated by spaces or a tab.
  assert.equal((await verifyKnock(`fernet  ${made.seed.fernet}`, backends.fernet)).scheme, 'Fernet');
  assert.equal((await verifyKnock(`jwt\t${made.seed.jwt}`, backends.jwt)).scheme, 'JWT');
  assert.equal((await verifyKnock(`BASE64 ${made.seed.base64}`, backends.base64)).scheme, 'Base64');
});

test('keys made as the seed\'s users make them are valid EPDB_KEYs', async () => {
  const fernet = createBackend(readConfig({ EPDB_BACKEND: 'fernet', EPDB_KEY: made.fernetKey }));
  const jwt = createBackend(readConfig({ EPDB_BACKEND: 'JWT', EPDB_KEY: made.jwtSecret }));
  assert.equal((await verifyKnock(`Fernet ${made.seed.fernet}`, fernet)).scheme, 'Fernet');
  assert.equal((await verifyKnock(`JWT ${made.seed.jwt}`, jwt)).scheme, 'JWT');
});

test('Fernet tokens from Python: options carried, and every bad one refused with its code', async () => {
  const fernet = backends.fernet;
  assert.deepEqual((await verifyKnock(`Fernet ${made.fernet.withOptions}`, fernet)).options, { note: 'hi' });
  await assertRefused(`Fernet ${made.fernet.wrongKey}`, fernet, 'ERR_EPDB_KNOCK_BAD_SIGNATURE');
  // One bit anywhere after the timestamp: IV (byte 12), ciphertext (byte 30), HMAC (byte 60).
  for (const index of [12, 30, 60]) {
    await assertRefused(`Fernet ${flipFernetByte(made.seed.fernet, index)}`, fernet, 'ERR_EPDB_KNOCK_BAD_SIGNATURE');
  }
  await assertRefused(`Fernet ${made.fernet.expired}`, fernet, 'ERR_EPDB_KNOCK_EXPIRED');
  await assertRefused(`Fernet ${made.fernet.future}`, fernet, 'ERR_EPDB_KNOCK_NOT_YET_VALID');
  await assertRefused(`Fernet ${made.fernet.notEpdb}`, fernet, 'ERR_EPDB_KNOCK_NO_EPDB_KEY');
  await assertRefused(`Fernet ${made.fernet.epdbNotObject}`, fernet, 'ERR_EPDB_KNOCK_EPDB_NOT_OBJECT');
  await assertRefused(`Fernet ${made.fernet.notJson}`, fernet, 'ERR_EPDB_KNOCK_UNDECODABLE');
  // A Python token for another scheme.
  await assertRefused(`JWT ${made.seed.jwt}`, fernet, 'ERR_EPDB_KNOCK_WRONG_SCHEME');
  // The same token with a shorter EPDB_MAX_AGE: two hours old is too old for one hour, fine for three.
  const lenient = new FernetBackend({ key: made.fernetKey, maxAgeSeconds: 3 * 3600 });
  assert.equal((await verifyKnock(`Fernet ${made.fernet.expired}`, lenient)).scheme, 'Fernet');
});

test('JWTs from PyJWT: fresh ones accepted, every bad one refused with its code', async () => {
  const jwt = backends.jwt;
  assert.equal((await verifyKnock(`JWT ${made.jwt.fresh}`, jwt)).scheme, 'JWT');
  await assertRefused(`JWT ${made.jwt.wrongKey}`, jwt, 'ERR_EPDB_KNOCK_BAD_SIGNATURE');
  await assertRefused(`JWT ${flipJwtSignature(made.seed.jwt)}`, jwt, 'ERR_EPDB_KNOCK_BAD_SIGNATURE');
  // Claims swapped for others without re-signing.
  const [header, , signature] = made.seed.jwt.split('.');
  const otherClaims = Buffer.from(JSON.stringify({ epdb: { note: 'forged' } })).toString('base64url');
  await assertRefused(`JWT ${header}.${otherClaims}.${signature}`, jwt, 'ERR_EPDB_KNOCK_BAD_SIGNATURE');
  await assertRefused(`JWT ${made.jwt.expired}`, jwt, 'ERR_EPDB_KNOCK_EXPIRED');
  await assertRefused(`JWT ${made.jwt.oldIat}`, jwt, 'ERR_EPDB_KNOCK_EXPIRED');
  await assertRefused(`JWT ${made.jwt.notBefore}`, jwt, 'ERR_EPDB_KNOCK_NOT_YET_VALID');
  await assertRefused(`JWT ${made.jwt.hs512}`, jwt, 'ERR_EPDB_KNOCK_ALGORITHM');
  await assertRefused(`JWT ${made.jwt.none}`, jwt, 'ERR_EPDB_KNOCK_ALGORITHM');
  await assertRefused(`JWT ${made.jwt.notEpdb}`, jwt, 'ERR_EPDB_KNOCK_NO_EPDB_KEY');
  await assertRefused(`Fernet ${made.seed.fernet}`, jwt, 'ERR_EPDB_KNOCK_WRONG_SCHEME');
});

test('tokens from the backends\' encode are accepted by Python', async () => {
  const ours = {
    base64: await backends.base64.encode({ epdb: {} }),
    fernet: await backends.fernet.encode({ epdb: {} }),
    jwt: await backends.jwt.encode({ epdb: {} }),
  };
  // And by epdb itself, of course.
  for (const [name, scheme] of [['base64', 'Base64'], ['fernet', 'Fernet'], ['jwt', 'JWT']]) {
    assert.equal((await verifyKnock(`${scheme} ${ours[name]}`, backends[name])).scheme, scheme);
  }
  const from = python.stdout.lines.length;
  python.stdin.write(`${JSON.stringify(ours)}\n`);
  const [line] = await python.stdout.waitForLine(/^\{.*\}$/, { from, timeoutMs: WAIT_MS });
  const verdict = JSON.parse(line);

  assert.deepEqual(verdict.fernet, { ok: true, value: { epdb: {} } }, 'Fernet(key).decrypt(token, ttl=60)');
  assert.ok(Math.abs(verdict.fernetTimestampAge) <= 5, `the Fernet token carries the current time (${verdict.fernetTimestampAge} s off)`);
  assert.deepEqual(verdict.fernetWrongKey, { ok: false, error: 'InvalidToken' }, 'Python really checked the key');

  assert.equal(verdict.jwt.ok, true, `jwt.decode(..., algorithms=['HS256']): ${verdict.jwt.error}`);
  assert.deepEqual(verdict.jwt.value.epdb, {});
  assert.equal(typeof verdict.jwt.value.iat, 'number', 'epdb\'s JWTs carry iat');
  assert.equal(verdict.jwt.value.exp - verdict.jwt.value.iat, MAX_AGE_SECONDS, 'and expire after EPDB_MAX_AGE');
  assert.equal(verdict.jwtHeader.alg, 'HS256');
  assert.deepEqual(verdict.jwtWrongKey, { ok: false, error: 'InvalidSignatureError' }, 'PyJWT really checked the key');

  assert.deepEqual(verdict.base64, { ok: true, value: { epdb: {} } });
});
