// Property-based fuzzing of the knock path (parseKnock, verifyKnock with each backend) against
// an independent reference (test/fixtures/hostile/reference.mjs): whatever the header value,
// epdb throws nothing but a KnockError, and accepts exactly the knocks the reference accepts.
// Thousands of cases per run; EPDB_FUZZ_RUNS=200000 for long runs (cases per property).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Base64Backend, FernetBackend, JWTBackend, KnockError, MAX_KNOCK_BYTES, parseKnock, verifyKnock } from 'epdb';
import { runPythonJson } from './helpers/index.mjs';
import { referenceVerdict } from './fixtures/hostile/reference.mjs';
import {
  anyString, fernetAttack, fuzzOptions, jwtAttack, latin1String, MAX_AGE_SECONDS, mutationOf, schemeAndJunk,
} from './fixtures/hostile/fuzz.mjs';

/** Keys and valid tokens, made once for the file: the seed's snippets and variants, by Python. */
const python = await runPythonJson(`
import base64, json, sys, time, uuid
import jwt
from cryptography.fernet import Fernet
key = Fernet.generate_key().decode()
other_key = Fernet.generate_key().decode()
secret = uuid.uuid4().hex
other_secret = uuid.uuid4().hex
msg = json.dumps({'epdb': {}}).encode()
now = int(time.time())
f = Fernet(key)
def header(scheme, value):
    return scheme + ' ' + (value.decode() if isinstance(value, bytes) else value)
print(json.dumps({
  'fernetKey': key, 'otherFernetKey': other_key, 'jwtSecret': secret, 'otherJwtSecret': other_secret,
  'base64': [header('Base64', base64.b64encode(msg)),
             header('Base64', base64.b64encode(json.dumps({'epdb': {'x': 1}, 'y': [1, 2]}).encode()))],
  'fernet': [header('Fernet', f.encrypt(msg)),
             header('Fernet', f.encrypt_at_time(msg, now - 600)),
             header('Fernet', f.encrypt(json.dumps({'epdb': {'deep': {'a': [1, None]}}}).encode()))],
  'jwt': [header('JWT', jwt.encode({'epdb': {}}, secret, algorithm='HS256')),
          header('JWT', jwt.encode({'epdb': {}, 'iat': now, 'exp': now + 600}, secret, algorithm='HS256')),
          header('JWT', jwt.encode({'epdb': {'x': 1}, 'nbf': now - 10}, secret, algorithm='HS256', headers={'kid': 'k1'}))],
}))
`);

const settings = { fernetKey: python.fernetKey, jwtSecret: python.jwtSecret, maxAgeSeconds: MAX_AGE_SECONDS };
const backends = {
  base64: new Base64Backend(),
  fernet: new FernetBackend({ key: python.fernetKey, maxAgeSeconds: MAX_AGE_SECONDS }),
  jwt: new JWTBackend({ secret: python.jwtSecret, maxAgeSeconds: MAX_AGE_SECONDS }),
};
/** Node-made valid knocks too, so mutations start from both makers. */
const pools = {
  base64: [...python.base64, `Base64 ${await backends.base64.encode({ epdb: {} })}`],
  fernet: [...python.fernet, `Fernet ${await backends.fernet.encode({ epdb: {} })}`],
  jwt: [...python.jwt, `JWT ${await backends.jwt.encode({ epdb: { z: true } })}`],
};
const SECRETS = [python.fernetKey, python.jwtSecret];

/**
 * The property: `verifyKnock(value)` rejects with a KnockError that leaks no key, or resolves
 * with the options the reference found; it accepts exactly when the reference does.
 * @returns {Promise<'accepted' | 'refused'>} what epdb (and the reference) decided
 */
async function agreesWithReference(value, name) {
  const expected = referenceVerdict(value, name, settings);
  let outcome;
  try {
    outcome = { accepted: true, knock: await verifyKnock(value, backends[name]) };
  } catch (error) {
    if (!(error instanceof KnockError)) throw new Error(`threw a non-KnockError: ${error?.stack ?? error}`);
    assert.match(error.code, /^ERR_EPDB_KNOCK_[A-Z_]+$/);
    for (const secret of SECRETS) assert.ok(!error.message.includes(secret), 'a key leaked into a KnockError message');
    if (value.length > 12) assert.ok(!error.message.includes(value.trim()), 'the header value leaked into a KnockError message');
    outcome = { accepted: false, error };
  }
  if (expected.accepted !== outcome.accepted) {
    assert.fail(`${name} backend ${outcome.accepted ? 'accepted' : `refused (${outcome.error.code}: ${outcome.error.message})`} `
      + `what the reference ${expected.accepted ? 'accepts' : `refuses (${expected.why})`}: ${JSON.stringify(value)}`);
  }
  if (!outcome.accepted) return 'refused';
  assert.deepEqual(outcome.knock, { scheme: backends[name].scheme, options: expected.options });
  return 'accepted';
}

/** {@link agreesWithReference} as a fast-check property: it must answer nothing (a value is a failure to fast-check). */
async function agrees(value, name) {
  await agreesWithReference(value, name);
}

const NAMES = /** @type {const} */ (['base64', 'fernet', 'jwt']);

test('the valid pools are accepted by epdb and by the reference (so the properties can tell)', async () => {
  for (const name of NAMES) {
    for (const value of pools[name]) {
      assert.equal(referenceVerdict(value, name, settings).accepted, true, `reference refuses ${value}`);
      await agreesWithReference(value, name);
    }
  }
});

test('parseKnock: any string is split exactly as the reference splits it, or refused with a KnockError', () => {
  fc.assert(fc.property(fc.oneof(anyString, schemeAndJunk, fc.constantFrom(...Object.values(pools).flat())), (value) => {
    const shapeOk = referenceVerdict(value, 'base64').why; // reference refusals before the scheme check
    const refusedEarly = ['too large', 'not printable ASCII', 'not two tokens'].includes(shapeOk ?? '');
    let parsed;
    try {
      parsed = parseKnock(value);
    } catch (error) {
      if (!(error instanceof KnockError)) throw error;
      assert.ok(refusedEarly, `parseKnock refused ${JSON.stringify(value)} (${error.message}) but the reference does not`);
      return;
    }
    assert.ok(!refusedEarly, `parseKnock accepted ${JSON.stringify(value)}: the reference refuses it (${shapeOk})`);
    const tokens = value.split(/[ \t]+/).filter((token) => token !== '');
    assert.deepEqual(parsed, { scheme: tokens[0], payload: tokens[1] });
  }), fuzzOptions(3000));
});

test('parseKnock: oversized values are refused before anything else, at any size', () => {
  fc.assert(fc.property(fc.integer({ min: MAX_KNOCK_BYTES + 1, max: 64 * 1024 }), latin1String(4), (size, tail) => {
    const value = `JWT ${'a'.repeat(Math.max(0, size - 4 - tail.length))}${tail}`;
    assert.throws(() => parseKnock(value), (e) => e instanceof KnockError && (e.code === 'ERR_EPDB_KNOCK_TOO_LARGE' || value.length <= MAX_KNOCK_BYTES));
  }), fuzzOptions(200));
});

for (const name of NAMES) {
  test(`verifyKnock (${name}): arbitrary strings, latin1 bytes and scheme-shaped junk`, async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(anyString, schemeAndJunk), (value) => agrees(value, name)),
      fuzzOptions(1500));
  });

  test(`verifyKnock (${name}): mutations and truncations of valid Python- and Node-made tokens`, async () => {
    await fc.assert(fc.asyncProperty(mutationOf(pools[name]), (value) => agrees(value, name)),
      fuzzOptions(2500));
  });

  test(`verifyKnock (${name}): valid tokens of the other schemes, under either scheme word`, async () => {
    const others = NAMES.filter((other) => other !== name).flatMap((other) => pools[other]);
    const crossed = fc.tuple(fc.constantFrom(...others), fc.constantFrom('Base64', 'Fernet', 'JWT', name))
      .map(([value, scheme]) => `${scheme} ${value.split(' ')[1]}`);
    await fc.assert(fc.asyncProperty(fc.oneof(fc.constantFrom(...others), crossed), async (value) => {
      await agrees(value, name);
      assert.equal(referenceVerdict(value, name, settings).accepted, false);
    }), fuzzOptions(300));
  });
}

test('verifyKnock (jwt): tokens built from arbitrary headers and claims, signed with any key whatever their alg', async () => {
  const arbitrary = jwtAttack({ secret: python.jwtSecret, others: [python.otherJwtSecret] });
  await fc.assert(fc.asyncProperty(arbitrary, (value) => agrees(value, 'jwt')), fuzzOptions(3000));
});

test('verifyKnock (fernet): tokens built field by field, each field right or wrong, padding valid or not', async () => {
  await fc.assert(fc.asyncProperty(fernetAttack(python.fernetKey), (value) => agrees(value, 'fernet')),
    fuzzOptions(3000));
});

test('no input is slow: adversarial values up to the 8 KiB limit are decided in milliseconds', async (t) => {
  const long = fc.oneof(
    fc.tuple(fc.constantFrom('Base64', 'Fernet', 'JWT'), fc.integer({ min: 4000, max: MAX_KNOCK_BYTES - 8 }), fc.constantFrom('A', 'a.', '.', 'A=', '-_', 'gAAAAA'), fc.constantFrom('', '!', '=', '==', '.', '.a', '\u00e9'))
      .map(([scheme, length, unit, tail]) => `${scheme} ${unit.repeat(Math.ceil(length / unit.length)).slice(0, length)}${tail}`),
    fc.tuple(fc.constantFrom('Base64', 'Fernet', 'JWT'), fc.string({ unit: fc.constantFrom('A', 'b', '.', '=', '-', '_', '+', '/'), minLength: 4000, maxLength: MAX_KNOCK_BYTES - 8 }))
      .map(([scheme, payload]) => `${scheme} ${payload}`),
  );
  let slowestMs = 0;
  await fc.assert(fc.asyncProperty(long, fc.constantFrom(...NAMES), async (value, name) => {
    const started = performance.now();
    await agreesWithReference(value, name);
    slowestMs = Math.max(slowestMs, performance.now() - started);
  }), fuzzOptions(300));
  t.diagnostic(`slowest decision: ${slowestMs.toFixed(2)} ms`);
  assert.ok(slowestMs < 250, `a knock took ${slowestMs} ms to decide`);
});

// Stands alone (it ran the file's counts before, and failed when run by itself): the generators
// the properties above use must produce both verdicts, or those properties prove nothing.
test('the generators make both accepted and refused knocks (the properties are not vacuous)', async (t) => {
  const verdicts = { accepted: 0, refused: 0 };
  for (const name of NAMES) {
    const valuesOrMutations = fc.oneof(fc.constantFrom(...pools[name]), mutationOf(pools[name]), schemeAndJunk);
    await fc.assert(fc.asyncProperty(valuesOrMutations, async (value) => {
      verdicts[await agreesWithReference(value, name)]++;
    }), { numRuns: 300 });
  }
  t.diagnostic(`accepted: ${verdicts.accepted}, refused: ${verdicts.refused}`);
  assert.ok(verdicts.accepted > 50, `only ${verdicts.accepted} of 900 accepted`);
  assert.ok(verdicts.refused > 300, `only ${verdicts.refused} of 900 refused`);
});
