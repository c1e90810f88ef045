// Requests that are not what node:http makes: apps, proxies and adapters emit `'request'`
// themselves with objects of their own (no rawHeaders, odd types, throwing getters). Under the
// preload every one must reach the app exactly as without it: none may throw out of emit().
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cleanEnv, runToCompletion } from './helpers/index.mjs';
import { fuzzRuns } from './fixtures/hostile/fuzz.mjs';

const SCRIPT = fileURLToPath(new URL('./fixtures/hostile/synthetic-emit.cjs', import.meta.url));
const SEED = Number(process.env.EPDB_FUZZ_SEED) || Date.now() % 2 ** 31;

/** Runs the fixture with and without the preload, the same requests each time. */
async function compare(t, mode) {
  const count = String(Math.min(fuzzRuns(400), 20_000));
  const run = async (args, env) => JSON.parse((await runToCompletion(process.execPath, [...args, SCRIPT, String(SEED), count, mode], { env: cleanEnv(env), timeoutMs: 30_000 })).stdout);
  const [without, withEpdb, withBase64] = await Promise.all([
    run([], {}),
    run(['--require', 'epdb/register'], { EPDB_BACKEND: 'jwt', EPDB_KEY: 'k'.repeat(32), EPDB_WAIT_TIMEOUT: '1' }),
    run(['--import', 'epdb/register'], { EPDB_BACKEND: 'fernet', EPDB_KEY: 'TluiKbFqt0Pc3Rg7eHMfS7sWcJ7Y1SRCBXcStRL1Yh8=', EPDB_WAIT_TIMEOUT: '1' }),
  ]);
  t.diagnostic(`seed ${SEED} (EPDB_FUZZ_SEED to replay): ${without.handled} synthetic requests`);
  assert.deepEqual(without.threw, [], 'the fixture itself should never throw');
  assert.deepEqual(withEpdb, without, 'under the preload (jwt), emit() threw or the app missed requests');
  assert.deepEqual(withBase64, without, 'under the preload (fernet), emit() threw or the app missed requests');
}

test('synthetic request objects (no rawHeaders, odd header types, throwing getters) reach the app as without the preload', (t) => compare(t, 'string-url'));

test('synthetic request objects whose url and method are of any type reach the app as without the preload', (t) => compare(t, 'any-url'));
