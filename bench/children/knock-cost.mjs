// Figure 3, one process: how long `verifyKnock` takes to refuse each class of bad knock and to
// accept a valid one, per backend.
//   node knock-cost.mjs warm         every class x backend, steady state; JSON { [backend]: { [class]: µs per batch[] } }
//   node knock-cost.mjs cold <name>  the first valid knock (env BENCH_KNOCK) of a fresh process (JWT: loads
//                                    jose); JSON { backend, ms }
import { Base64Backend, FernetBackend, JWTBackend, verifyKnock } from 'epdb';
import { FERNET_KEY, JWT_SECRET, OTHER_FERNET_KEY, OTHER_JWT_SECRET } from '../lib/keys.mjs';

const MAX_AGE = 3600;
const backends = {
  base64: () => new Base64Backend(),
  fernet: (key = FERNET_KEY) => new FernetBackend({ key, maxAgeSeconds: MAX_AGE }),
  jwt: (secret = JWT_SECRET) => new JWTBackend({ secret, maxAgeSeconds: MAX_AGE }),
};

/** The knocks of each class for one backend: [class, header value, expected outcome]. */
async function knocksFor(name) {
  const backend = backends[name]();
  const valid = `${backend.scheme} ${await backend.encode({ epdb: {} })}`;
  const otherScheme = name === 'jwt' ? `Base64 ${await backends.base64().encode({ epdb: {} })}` : `JWT ${await backends.jwt().encode({ epdb: {} })}`;
  /** @type {[string, string, string][]} */
  const knocks = [
    ['malformed (3 tokens)', `${backend.scheme} abc def`, 'ERR_EPDB_KNOCK_SHAPE'],
    ['malformed payload', `${backend.scheme} %%%not-a-payload%%%`, 'ERR_EPDB_KNOCK_UNDECODABLE'],
    ['wrong scheme', otherScheme, 'ERR_EPDB_KNOCK_WRONG_SCHEME'],
    ['oversized (9 KiB)', `${backend.scheme} ${'A'.repeat(9 * 1024)}`, 'ERR_EPDB_KNOCK_TOO_LARGE'],
  ];
  if (name !== 'base64') {
    const forged = backends[name](name === 'jwt' ? OTHER_JWT_SECRET : OTHER_FERNET_KEY);
    knocks.push(['bad signature (other key)', `${backend.scheme} ${await forged.encode({ epdb: {} })}`, 'ERR_EPDB_KNOCK_BAD_SIGNATURE']);
  }
  knocks.push(['valid', valid, 'accepted']);
  return { backend, knocks };
}

async function outcome(value, backend) {
  try {
    await verifyKnock(value, backend);
    return 'accepted';
  } catch (error) {
    return error.code ?? String(error);
  }
}

/** µs per call of each batch, after a warm-up. */
async function time(value, backend, iterations, batches) {
  for (let i = 0; i < iterations; i++) await verifyKnock(value, backend).catch(() => {});
  const perCall = [];
  for (let batch = 0; batch < batches; batch++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await verifyKnock(value, backend).catch(() => {});
    perCall.push(Number(process.hrtime.bigint() - start) / 1e3 / iterations);
  }
  return perCall;
}

const [mode, which] = process.argv.slice(2);
if (mode === 'cold') {
  // The knock comes made from outside (BENCH_KNOCK): making it here would load jose/fernet
  // before the clock starts.
  const backend = backends[which]();
  const start = process.hrtime.bigint();
  const result = await outcome(process.env.BENCH_KNOCK ?? '', backend);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result !== 'accepted') throw new Error(`cold ${which}: ${result}`);
  process.stdout.write(`${JSON.stringify({ backend: which, ms })}\n`);
} else {
  const iterations = Number(which ?? 500);
  const all = [];
  for (const name of Object.keys(backends)) {
    const { backend, knocks } = await knocksFor(name);
    for (const [klass, value, expected] of knocks) {
      const got = await outcome(value, backend);
      if (got !== expected) throw new Error(`${name} ${klass}: expected ${expected}, got ${got}`);
      const cheap = !klass.startsWith('valid') && !klass.startsWith('bad signature');
      all.push({ name, klass, value, backend, count: cheap ? iterations * 10 : iterations });
    }
  }
  // Warm every path up first, so that the classes timed first do not pay for the JIT's work.
  for (const { value, backend, count } of all) await time(value, backend, count, 0);
  const results = {};
  for (const { name, klass, value, backend, count } of all) {
    (results[name] ??= {})[klass] = await time(value, backend, count, 7);
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}
