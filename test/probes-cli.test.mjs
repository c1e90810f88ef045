// `epdb snapshot` end to end against the Express probe fixture (jwt and fernet: the CLI makes the
// knock and authenticates to the bridge), its outputs and exit statuses; and the bridge's
// /epdb/probes refused without the key.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createBackend, readConfig } from 'epdb';
import { freePortBelowEphemeralRange, get, startApp } from './helpers/index.mjs';
import { lineOf } from './helpers/probes.mjs';
import { runCli } from './fixtures/cli/cli.mjs';

const APP = fileURLToPath(new URL('./fixtures/probes/orders-app.cjs', import.meta.url));
const at = (name) => `probes/orders-app.cjs:${lineOf(APP, name)}`;
const JWT_ENV = { EPDB_BACKEND: 'jwt', EPDB_KEY: 'b'.repeat(64) };
const FERNET_ENV = { EPDB_BACKEND: 'fernet', EPDB_KEY: `${Buffer.alloc(32, 9).toString('base64url')}=` };

/** The orders app under `env` with its bridge on a known port, and the env the CLI needs for it. */
async function startOrdersApp(t, env) {
  const bridgePort = await freePortBelowEphemeralRange();
  const appEnv = { ...env, EPDB_PORT: String(bridgePort) };
  const app = await startApp(t, { app: APP, env: appEnv });
  return { ...app, bridgePort, cliEnv: appEnv, url: (path) => `http://127.0.0.1:${app.port}${path}` };
}

/** A knock header value made with `env`'s backend. */
async function knockFor(env, value = { epdb: {} }) {
  const backend = createBackend(readConfig(env));
  return `${backend.scheme} ${await backend.encode(value)}`;
}

test('epdb snapshot: the status line, a readable tree, --json, --log, and its exit statuses', async (t) => {
  const app = await startOrdersApp(t, JWT_ENV);
  // A process's first capture also sets up V8's side of it (slow enough to meet the 10 ms
  // bound on a loaded machine): take one before the checks.
  assert.equal((await runCli(['snapshot', app.url('/orders/1'), '--at', at('order')], { env: app.cliEnv })).code, 0);

  // Taken again (a few times at most) when the 10 ms bound cut it on a loaded machine.
  let taken;
  for (let attempt = 0; attempt < 4 && (taken === undefined || taken.stdout.includes('(timeout)')); attempt++) {
    taken = await runCli(['snapshot', app.url('/orders/42'), '--at', at('order'), '--expr', 'order.total', '-H', 'Authorization: Bearer top-secret'], { env: app.cliEnv });
  }
  assert.equal(taken.code, 0, taken.stderr);
  const lines = taken.stdout.split('\n');
  assert.equal(lines[0], 'HTTP/1.1 200 OK');
  assert.equal(lines[1], 'expressions');
  assert.equal(lines[2], '  order.total = 99.5');
  assert.match(taken.stdout, new RegExp(`^frame 0: \\(anonymous\\) \\(${APP.replace(/[.]/g, '\\.')}:${lineOf(APP, 'order')}\\)$`, 'm'));
  assert.match(taken.stdout, /^ {2}order: Object \{3\}\n {4}id: 42\n {4}total: 99\.5\n {4}items: Array\(2\)$/m);
  assert.match(taken.stdout, /^ {2}password: \[redacted\]$/m);
  assert.match(taken.stdout, /^stack\n {2}\(anonymous\) {2}\S+orders-app\.cjs:\d+:\d+$/m);
  assert.doesNotMatch(taken.stdout, /hunter2|top-secret/);
  await app.stderr.waitForLine(/^epdb: snapshot [0-9a-f]{16} taken at probes\/orders-app\.cjs:\d+ for GET \/orders\/42 \(\d+ frames, [\d.]+ KB(, truncated)?, stopped [\d.]+ ms\)$/, { timeoutMs: 5000 });

  const json = await runCli(['snapshot', app.url('/orders/43'), '--at', at('order'), '--json'], { env: app.cliEnv });
  assert.equal(json.code, 0, json.stderr);
  assert.equal(json.stderr, 'HTTP/1.1 200 OK\n');
  const result = JSON.parse(json.stdout);
  assert.equal(result.taken, true);
  assert.equal(result.request, 'GET /orders/43');
  assert.equal(result.frames[0].locals.order.fields.id.value, 43);

  const logged = await runCli(['snapshot', app.url('/orders/44'), '--at', at('order'), '--log', 'order {order.id} costs {order.total}'], { env: app.cliEnv });
  assert.equal(logged.code, 0, logged.stderr);
  assert.equal(logged.stdout, 'HTTP/1.1 200 OK\norder 44 costs 99.5\n');

  const missed = await runCli(['snapshot', app.url('/never'), '--at', at('never')], { env: app.cliEnv });
  assert.equal(missed.code, 3, missed.stderr);
  assert.equal(missed.stdout, 'HTTP/1.1 200 OK\n');
  assert.match(missed.stderr, /^epdb: snapshot at probes\/orders-app\.cjs:\d+ not reached: the request ended without running the line\n$/);

  // -X: a DELETE never runs the GET handler; the status line is the app's 404.
  const deleted = await runCli(['snapshot', app.url('/orders/45'), '--at', at('order'), '-X', 'DELETE'], { env: app.cliEnv });
  assert.equal(deleted.code, 3, deleted.stderr);
  assert.equal(deleted.stdout, 'HTTP/1.1 404 Not Found\n');

  // Anything else is 1: here a line no loaded script has.
  const unknown = await runCli(['snapshot', app.url('/orders/46'), '--at', 'no/such/file.js:3'], { env: app.cliEnv });
  assert.equal(unknown.code, 1, unknown.stderr);
  assert.match(unknown.stderr, /^epdb: snapshot at no\/such\/file\.js:3 not armed: no loaded script matches "no\/such\/file\.js"/);

  // A bridge elsewhere: 1, saying where it looked.
  const wrongBridge = await runCli(['snapshot', app.url('/orders/47'), '--at', at('order'), '--bridge', '1'], { env: app.cliEnv });
  assert.equal(wrongBridge.code, 1);
  assert.match(wrongBridge.stderr, /cannot reach the debug bridge at 127\.0\.0\.1:1/);
});

test('epdb snapshot: usage errors exit 2, --help shows an example', async () => {
  const env = { ...JWT_ENV, EPDB_PORT: '9' };
  for (const args of [
    ['snapshot', 'http://127.0.0.1:1/x'],
    ['snapshot', 'http://127.0.0.1:1/x', '--at', 'orders.js'],
    ['snapshot', 'http://127.0.0.1:1/x', '--at', 'orders.js:0'],
    ['snapshot', 'not a url', '--at', 'orders.js:3'],
    ['snapshot', 'http://127.0.0.1:1/x', '--at', 'a.js:3', '--log', 'x {y}', '--expr', 'z'],
    ['snapshot', 'http://127.0.0.1:1/x', '--at', 'a.js:3', '--bogus', '1'],
    ['snapshot', 'http://127.0.0.1:1/x', '--at', 'a.js:3', '-H', 'X-EPDB: mine'],
  ]) {
    const run = await runCli(args, { env });
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, /^epdb: snapshot: .*\nRun `epdb snapshot --help` for usage\.\n$/);
  }
  const help = await runCli(['snapshot', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: epdb snapshot URL \(--at FILE:LINE \| --on-throw\)/);
  assert.match(help.stdout, /Example:\n {2}epdb snapshot http:\/\/127\.0\.0\.1:3000\/orders\/42 --at routes\/orders\.js:17 --expr order\.total/);
  assert.match((await runCli(['--help'])).stdout, /^ {2}snapshot {2}send one request and show its locals/m);
});

for (const [name, env] of [['Fernet', FERNET_ENV], ['JWT', JWT_ENV]]) {
  test(`${name}: /epdb/probes is refused without the key, served with it`, async (t) => {
    const app = await startOrdersApp(t, env);
    const run = await runCli(['snapshot', app.url('/orders/7'), '--at', at('order'), '--json'], { env: app.cliEnv });
    assert.equal(run.code, 0, run.stderr);
    const { id } = JSON.parse(run.stdout);
    const otherKey = name === 'Fernet' ? { ...env, EPDB_KEY: `${Buffer.alloc(32, 1).toString('base64url')}=` } : { ...env, EPDB_KEY: 'c'.repeat(64) };
    for (const path of ['/epdb/probes', `/epdb/probes/${id}`]) {
      const none = await get(app.bridgePort, path);
      assert.equal(none.status, 401, `${path} without a knock`);
      assert.doesNotMatch(none.body, /orders/);
      const forged = await get(app.bridgePort, path, { 'x-epdb': await knockFor(otherKey) });
      assert.equal(forged.status, 401, `${path} with another key's knock`);
      const foreignHost = await get(app.bridgePort, path, { 'x-epdb': await knockFor(env), host: 'evil.example:80' });
      assert.equal(foreignHost.status, 403, `${path} with a foreign Host`);
      const allowed = await get(app.bridgePort, path, { 'x-epdb': await knockFor(env) });
      assert.equal(allowed.status, 200, `${path} with the key`);
      assert.match(allowed.body, new RegExp(id));
    }
  });
}

test('epdb snapshot where the preload reaches every node process (NODE_OPTIONS): the tool is not instrumented, its knock goes out', async (t) => {
  const app = await startOrdersApp(t, JWT_ENV);
  const taken = await runCli(['snapshot', app.url('/orders/6'), '--at', at('order')], { env: { ...app.cliEnv, NODE_OPTIONS: '--require epdb/register' } });
  assert.equal(taken.code, 0, taken.stderr);
  assert.doesNotMatch(taken.stderr, /took an X-EPDB header off/);
  assert.match(taken.stdout, /^frame 0: /m);
});
