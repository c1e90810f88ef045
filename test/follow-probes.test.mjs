// Follow with a probe instead of a debugger: a logpoint knock with `follow` is passed on with its
// probe, each hop takes it in its own process without holding the request, and every result,
// pushed to the same `epdb listen` (EPDB_CONNECT), names its hop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startApp } from './helpers/index.mjs';
import { get } from './helpers/http.mjs';
import { lineOf, probeId } from './helpers/probes.mjs';
import { JWT_ENV, startListen } from './fixtures/reverse/listen.mjs';
import { runCli } from './fixtures/cli/cli.mjs';

const SERVICE = new URL('./fixtures/follow/service.mjs', import.meta.url).pathname;
const LINE = lineOf(SERVICE, 'answer');
const { JWTBackend } = await import('../dist/src/shared/backends/jwt.js');
const jwt = new JWTBackend({ secret: JWT_ENV.EPDB_KEY, maxAgeSeconds: 3600 });

test('a followed logpoint is taken at every hop, and epdb listen prints each result with its hop', async (t) => {
  const listen = await startListen(t);
  const env = { ...JWT_ENV, EPDB_CONNECT: `ws://${listen.connect}` };
  const b = await startApp(t, { app: SERVICE, env: { ...env, EPDB_SERVICE: 'billing' } });
  const a = await startApp(t, { app: SERVICE, env: {
    ...env, EPDB_SERVICE: 'checkout', EPDB_FOLLOW: `127.0.0.1:${b.port}`,
    FIXTURE_CALLS: JSON.stringify([{ url: `http://127.0.0.1:${b.port}/bill/42`, via: 'fetch' }]),
  } });
  const id = probeId();
  const knock = `JWT ${await jwt.encode({ epdb: { follow: true, log: { at: `follow/service.mjs:${LINE}`, message: 'answers: {answers.length}', id } } })}`;
  // Nobody attaches: the request is not held anywhere along the chain.
  assert.equal((await get(a.port, '/orders/42', { 'X-EPDB': knock })).body, 'checkout<billing>');
  const line = (hop, pid, count) => new RegExp(`^log ${id} at follow/service\\.mjs:${LINE} for ${hop} on \\S+ \\(pid ${pid}\\): answers: ${count}$`);
  await listen.stdout.waitForLine(line('GET /bill/42 \\[hop 2: checkout → billing\\]', b.process.pid, 0), { timeoutMs: 15_000 });
  await listen.stdout.waitForLine(line('GET /orders/42 \\[hop 1: checkout\\]', a.process.pid, 1), { timeoutMs: 15_000 });
});

test('--follow --on-throw: the hop that throws is captured where it threw, the others end without throwing', async (t) => {
  const listen = await startListen(t);
  const env = { ...JWT_ENV, EPDB_CONNECT: `ws://${listen.connect}` };
  const c = await startApp(t, { app: SERVICE, env: { ...env, EPDB_SERVICE: 'inventory', FIXTURE_THROW: '1' } });
  const b = await startApp(t, { app: SERVICE, env: {
    ...env, EPDB_SERVICE: 'billing', EPDB_FOLLOW: `127.0.0.1:${c.port}`,
    FIXTURE_CALLS: JSON.stringify([{ url: `http://127.0.0.1:${c.port}/stock/tea`, via: 'http' }]),
  } });
  const a = await startApp(t, { app: SERVICE, env: {
    ...env, EPDB_SERVICE: 'checkout', EPDB_FOLLOW: `127.0.0.1:${b.port}`,
    FIXTURE_CALLS: JSON.stringify([{ url: `http://127.0.0.1:${b.port}/bill/42`, via: 'fetch' }]),
  } });
  const id = probeId();
  const knock = `JWT ${await jwt.encode({ epdb: { follow: true, snapshot: { on: 'throw', expr: ['item'], id } } })}`;
  assert.equal((await get(a.port, '/orders/42', { 'X-EPDB': knock })).body, 'checkout<billing<inventory<no-stock>>>');
  const thrownAt = lineOf(SERVICE, 'stock-throw');
  await listen.stdout.waitForLine(new RegExp(`^snapshot ${id} taken at throw for GET /stock/tea \\[hop 3: billing → inventory\\] on \\S+ \\(pid ${c.process.pid}\\)$`), { timeoutMs: 15_000 });
  await listen.stdout.waitForLine(/^thrown: RangeError: tea is out of stock at inventory$/, { timeoutMs: 5_000 });
  await listen.stdout.waitForLine(new RegExp(`^ {2}at checkStock \\(\\S+service\\.mjs:${thrownAt}:\\d+\\)$`), { timeoutMs: 5_000 });
  await listen.stdout.waitForLine(/^ {2}item = "tea"$/, { timeoutMs: 5_000 });
  for (const [hop, pid] of [['GET /bill/42 \\[hop 2: checkout → billing\\]', b.process.pid], ['GET /orders/42 \\[hop 1: checkout\\]', a.process.pid]]) {
    await listen.stdout.waitForLine(new RegExp(`^snapshot ${id} at throw for ${hop} on \\S+ \\(pid ${pid}\\): not taken \\(not reached: the request ended without throwing\\)$`), { timeoutMs: 15_000 });
  }
});

test('epdb snapshot --follow --on-throw: one command, every hop\'s result in hop order, the thrower\'s where it threw', async (t) => {
  // No EPDB_CONNECT on the services: the knock names the command itself as where results go.
  const c = await startApp(t, { app: SERVICE, env: { ...JWT_ENV, EPDB_SERVICE: 'inventory', FIXTURE_THROW: '1' } });
  const b = await startApp(t, { app: SERVICE, env: {
    ...JWT_ENV, EPDB_SERVICE: 'billing', EPDB_FOLLOW: `127.0.0.1:${c.port}`,
    FIXTURE_CALLS: JSON.stringify([{ url: `http://127.0.0.1:${c.port}/stock/tea`, via: 'http' }]),
  } });
  const a = await startApp(t, { app: SERVICE, env: {
    ...JWT_ENV, EPDB_SERVICE: 'checkout', EPDB_FOLLOW: `127.0.0.1:${b.port}`,
    FIXTURE_CALLS: JSON.stringify([{ url: `http://127.0.0.1:${b.port}/bill/42`, via: 'fetch' }]),
  } });
  const run = await runCli(['snapshot', `http://127.0.0.1:${a.port}/orders/42`, '--on-throw', '--follow', '--expr', 'item'], { env: JWT_ENV });
  assert.equal(run.code, 0, `${run.stdout}${run.stderr}`);
  const lines = run.stdout.split('\n');
  assert.equal(lines[0], 'HTTP/1.1 200 OK');
  const heads = lines.filter((line) => /^snapshot [0-9a-f]+ /.test(line));
  assert.deepEqual(heads.map((line) => line.replace(/^snapshot [0-9a-f]+ /, '').replace(/ on \S+ \(pid \d+\)/, ' on HOST')), [
    'at throw for GET /orders/42 [hop 1: checkout] on HOST: not taken (not reached: the request ended without throwing)',
    'at throw for GET /bill/42 [hop 2: checkout → billing] on HOST: not taken (not reached: the request ended without throwing)',
    'taken at throw for GET /stock/tea [hop 3: billing → inventory] on HOST',
  ]);
  assert.match(heads[2], new RegExp(`\\(pid ${c.process.pid}\\)$`));
  assert.match(run.stdout, /^thrown: RangeError: tea is out of stock at inventory\n {2}at checkStock \(\S+service\.mjs:\d+:\d+\)\nexpressions\n {2}item = "tea"$/m);
  // Each service dialled the command itself (the knock's connect), none an epdb listen of its own.
  for (const app of [a, b, c]) assert.equal(app.stderr.matching(/^epdb: connected to epdb listen at 127\.0\.0\.1:\d+ \(pid \d+\); probe results go there$/).length, 1);
});

test('epdb snapshot --follow: refused under base64 and --accept without --follow is bad usage', async () => {
  const base64 = await runCli(['snapshot', 'http://127.0.0.1:1/x', '--on-throw', '--follow'], { env: { EPDB_BACKEND: 'base64' } });
  assert.equal(base64.code, 1);
  assert.match(base64.stderr, /snapshot --follow: the Base64 backend cannot be followed/);
  const usage = await runCli(['snapshot', 'http://127.0.0.1:1/x', '--on-throw', '--accept', '0'], { env: JWT_ENV });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--accept .* goes with --follow/);
});
