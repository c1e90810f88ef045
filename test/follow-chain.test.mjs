// Follow one request across services, end to end: services under epdb (A -> B over node:http,
// B -> C over fetch, C -> D a gRPC server over @grpc/grpc-js), jwt, one `epdb knock --follow
// --connect` on A pauses A, B, C and D in turn through one `epdb listen`, titled with their hops; a fourth host outside EPDB_FOLLOW
// gets no knock; without `follow` only A is debugged. Every wait has a timeout; every child is
// stopped by t.after.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanEnv, spawnChild, startApp, within } from './helpers/index.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';
import { runCli } from './fixtures/cli/cli.mjs';
import { JWT_ENV, listedTargets, startListen } from './fixtures/reverse/listen.mjs';
import { startRecorder } from './fixtures/follow/recorder.mjs';

const SERVICE = new URL('./fixtures/follow/service.mjs', import.meta.url).pathname;

/**
 * Starts A (checkout) -> B (billing, over node:http) -> C (inventory, over fetch) -> D (greeter,
 * a gRPC server, over @grpc/grpc-js); A also calls `recorder` over fetch, which is not in A's
 * EPDB_FOLLOW.
 * @param {{ after: (fn: () => any) => void }} t @param {number} recorderPort
 */
async function startChain(t, recorderPort) {
  const env = { ...JWT_ENV, EPDB_WAIT_TIMEOUT: '60' };
  const d = await startApp(t, { app: 'grpc.cjs', env: { ...env, EPDB_SERVICE: 'greeter' } });
  const c = await startApp(t, { app: SERVICE, env: {
    ...env, EPDB_SERVICE: 'inventory', EPDB_FOLLOW: `127.0.0.1:${d.port}`,
    FIXTURE_CALLS: JSON.stringify([{ url: `grpc://127.0.0.1:${d.port}`, via: 'grpc' }]),
  } });
  const b = await startApp(t, { app: SERVICE, env: {
    ...env, EPDB_SERVICE: 'billing', EPDB_FOLLOW: `127.0.0.1:${c.port}`,
    FIXTURE_CALLS: JSON.stringify([{ url: `http://127.0.0.1:${c.port}/stock/42?n=1`, via: 'fetch' }]),
  } });
  const a = await startApp(t, { app: SERVICE, env: {
    ...env, EPDB_SERVICE: 'checkout', EPDB_FOLLOW: `localhost, 127.0.0.1:${b.port}`,
    FIXTURE_CALLS: JSON.stringify([
      { url: `http://127.0.0.1:${b.port}/bill/42?n=1`, via: 'http' },
      { url: `http://127.0.0.1:${recorderPort}/audit/42`, via: 'fetch' },
    ]),
  } });
  return { a, b, c, d };
}

/** An X-EPDB value made by the real `epdb knock` with `args`. @param {string[]} args */
async function knock(args) {
  const { code, stdout, stderr } = await runCli(['knock', ...args], { env: JWT_ENV });
  assert.equal(code, 0, stderr);
  return stdout.trim();
}

/**
 * The listener's target whose title matches `pattern`, once it is listed (polled: the process
 * dials in and tells its held request asynchronously).
 * @param {number} localPort @param {RegExp} pattern
 */
async function targetTitled(localPort, pattern) {
  let titles = [];
  for (const deadline = performance.now() + 20_000; performance.now() < deadline;) {
    const targets = await listedTargets(localPort);
    titles = targets.map((target) => target.title);
    const found = targets.find((target) => pattern.test(target.title));
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no target titled ${pattern}: ${JSON.stringify(titles)}`);
}

test('one knock with --follow --connect pauses A, B, C and D in turn through one epdb listen, titled with their hops', async (t) => {
  const recorder = await startRecorder(t);
  const listen = await startListen(t);
  const { a, b, c, d } = await startChain(t, recorder.port);
  const response = get(a.port, '/orders/42?x=1', { 'X-EPDB': await knock(['--follow', '--connect', listen.connect]) }, { timeoutMs: 90_000 });
  response.catch(() => {});

  const hops = [
    { pattern: /^GET \/orders\/42 \[hop 1: checkout\] on /, url: '/orders/42?x=1', app: a },
    { pattern: /^GET \/bill\/42 \[hop 2: checkout → billing\] on /, url: '/bill/42?n=1', app: b },
    { pattern: /^GET \/stock\/42 \[hop 3: billing → inventory\] on /, url: '/stock/42?n=1', app: c },
    { pattern: /^POST \/epdbtest\.Greeter\/SayHello \[hop 4: inventory → greeter\] on /, expression: 'call.request.name', value: 'inventory', app: d },
  ];
  for (const hop of hops) {
    const target = await targetTitled(listen.localPort, hop.pattern);
    assert.match(target.title, new RegExp(`\\(pid ${hop.app.process.pid}\\)$`), 'the hop is the process it names');
    const dbg = await attachDebugger(listen.localPort, t, { target: target.id });
    const pause = await dbg.nextPause(20_000);
    assert.equal(await dbg.evaluate(pause, hop.expression ?? 'req.url'), hop.value ?? hop.url);
    await dbg.client.Debugger.resume();
  }
  const { status, body } = await response;
  assert.equal(status, 200);
  assert.equal(body, 'checkout<billing<inventory<hello from grpc: inventory>>,recorder>');
  // The fourth host, not in A's EPDB_FOLLOW, was called in the followed request but got no knock.
  assert.equal(recorder.seen.length, 1);
  assert.equal(recorder.seen[0].path, '/audit/42');
  assert.equal(recorder.seen[0].headers['x-epdb'], undefined);
  await a.stderr.waitForLine(/^epdb: GET \/orders\/42 \[hop 1: checkout\]: GET \/audit\/42 to 127\.0\.0\.1:\d+ gets no knock \(not in EPDB_FOLLOW\)$/, { timeoutMs: 5_000 });
  // Each later hop said where it came from.
  await b.stderr.waitForLine(/^epdb: knock accepted \(JWT\) GET \/bill\/42 \(followed: GET \/bill\/42 \[hop 2: checkout → billing\], from GET \/orders\/42 on checkout\)$/, { timeoutMs: 5_000 });
  await c.stderr.waitForLine(/^epdb: knock accepted \(JWT\) GET \/stock\/42 \(followed: GET \/stock\/42 \[hop 3: billing → inventory\], from GET \/orders\/42 on checkout\)$/, { timeoutMs: 5_000 });
  await d.stderr.waitForLine(/^epdb: knock accepted \(JWT\) POST \/epdbtest\.Greeter\/SayHello \(followed: .*\[hop 4: inventory → greeter\], from GET \/orders\/42 on checkout\)$/, { timeoutMs: 5_000 });
});

test('the same chain without --follow: only A is knocked and debugged; B, C and D see no knock', async (t) => {
  const recorder = await startRecorder(t);
  const listen = await startListen(t);
  const { a, b, c, d } = await startChain(t, recorder.port);
  const response = get(a.port, '/orders/42', { 'X-EPDB': await knock(['--connect', listen.connect]) }, { timeoutMs: 60_000 });
  response.catch(() => {});
  const target = await targetTitled(listen.localPort, /^GET \/orders\/42 on /);
  const dbg = await attachDebugger(listen.localPort, t, { target: target.id });
  await dbg.nextPause(20_000);
  await dbg.client.Debugger.resume();
  const { status, body } = await within(response, 60_000, 'the chain\'s answer');
  assert.equal(status, 200);
  assert.equal(body, 'checkout<billing<inventory<hello from grpc: inventory>>,recorder>');
  assert.equal(listen.stderr.matching(/ connected from /).length, 1, 'one process dialled in');
  assert.equal(d.stderr.matching(/knock/).length, 0, `D saw no knock: ${d.stderr.text()}`);
  assert.equal(b.stderr.matching(/knock/).length, 0, `B saw no knock: ${b.stderr.text()}`);
  assert.equal(c.stderr.matching(/knock/).length, 0, `C saw no knock: ${c.stderr.text()}`);
  assert.equal(recorder.seen[0].headers['x-epdb'], undefined);
  await dbg.close();
});

test('epdb listen lists the processes of a followed request in hop order, before others', async () => {
  const { listOrder } = await import('../dist/src/cli/hub/discovery.js');
  const target = (id, hop, heldSince) => ({ id, hop, heldSince, title: id, url: '', connect: async () => { throw new Error('unused'); } });
  // Held in reverse order (a later hop may dial in first when an earlier one is slow to reach its listener).
  const order = listOrder([target('idle', null, null), target('hop3', 3, 1), target('hop2', 2, 2), target('plain', null, 3), target('hop1', 1, 4)]);
  assert.deepEqual(order.map((t) => t.id), ['plain', 'hop1', 'hop2', 'hop3', 'idle']);
});

test('node inspect on epdb listen takes the hops one after the other: each is the first target while it waits', async (t) => {
  const listen = await startListen(t);
  const env = { ...JWT_ENV, EPDB_WAIT_TIMEOUT: '60' };
  const b = await startApp(t, { app: SERVICE, env: { ...env, EPDB_SERVICE: 'billing' } });
  const a = await startApp(t, { app: SERVICE, env: {
    ...env, EPDB_SERVICE: 'checkout', EPDB_FOLLOW: `127.0.0.1:${b.port}`,
    FIXTURE_CALLS: JSON.stringify([{ url: `http://127.0.0.1:${b.port}/bill/42`, via: 'http' }]),
  } });
  const response = get(a.port, '/orders/42', { 'X-EPDB': await knock(['--follow', '--connect', listen.connect]) }, { timeoutMs: 60_000 });
  response.catch(() => {});
  for (const [pattern, url] of [[/\[hop 1: checkout\]/, '/orders/42'], [/\[hop 2: checkout → billing\]/, '/bill/42']]) {
    await targetTitled(listen.localPort, pattern);
    const inspect = spawnChild(process.execPath, ['inspect', `127.0.0.1:${listen.localPort}`], { env: cleanEnv(), stdin: 'pipe', t });
    // node inspect has no ignore list: it breaks in in the service's own handler.
    await inspect.stdout.waitForLine(/break in \S*test\/fixtures\/follow\/service\.mjs:\d+$/, { timeoutMs: 20_000 });
    inspect.stdin.write('exec req.url\n');
    await inspect.stdout.waitForLine(new RegExp(`'${url.replace(/\//g, '\\/')}'`), { timeoutMs: 5_000 });
    inspect.stdin.write('cont\n');
    // Leaving closes this process's connection to the listener; its request goes on.
    inspect.stdin.end('.exit\n');
    await within(inspect.exited, 10_000, 'node inspect to exit');
  }
  assert.deepEqual(await response, { status: 200, body: 'checkout<billing>' });
});
