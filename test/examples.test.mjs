// The README's examples and its first set-up command (`npm run demo`) do what the README says:
// each example app runs under the preload through its npm script, a knock from `epdb knock`
// pauses it, stepping in reaches the example's own handler, and resuming sends the answer.
// The demo prints a knock and an `epdb connect` command that, followed to the letter, work.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { cleanEnv, freePortBelowEphemeralRange, get, REPO_ROOT, spawnChild, within } from './helpers/index.mjs';
import { attachDebugger } from './fixtures/session/debugger.mjs';
import { runCli, startConnect } from './fixtures/cli/cli.mjs';

const SCRIPTS = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts;
const WAITING = /^epdb: waiting for a debugger on 127\.0\.0\.1:\d+$/;

/** The command of an npm script, as node arguments (the tests run node itself, not npm). */
function nodeArgsOf(script) {
  const [command, ...args] = SCRIPTS[script].split(' ');
  assert.equal(command, 'node', `npm run ${script} should run node`);
  return args;
}

/** The file an npm script runs, as the URL a debugger reports for it. */
function scriptUrlOf(script) {
  return pathToFileURL(`${REPO_ROOT}${nodeArgsOf(script).at(-1)}`).href;
}

const EXAMPLES = [
  { script: 'example:http', path: '/', body: 'hello from plain node:http, GET /\n', url: 'req.url' },
  { script: 'example:express', path: '/hello/ada', body: 'hello ada, from Express\n', url: 'req.url' },
  { script: 'example:fastify', path: '/hello/ada', body: 'hello ada, from Fastify\n', url: 'request.url' },
  { script: 'example:koa', path: '/', body: 'hello from Koa, GET /\n', url: 'ctx.url' },
];

for (const { script, path, body, url } of EXAMPLES) {
  test(`npm run ${script}: served as usual; a knock from \`epdb knock\` stops it in the example's handler`, async (t) => {
    const [port, bridgePort] = [await freePortBelowEphemeralRange(), await freePortBelowEphemeralRange()];
    const env = { EPDB_BACKEND: 'base64', PORT: String(port), EPDB_PORT: String(bridgePort) };
    const app = spawnChild(process.execPath, nodeArgsOf(script), { env: cleanEnv(env), t });
    await app.stdout.waitForLine(new RegExp(`^listening on http://127\\.0\\.0\\.1:${port}$`), { timeoutMs: 15_000 });
    assert.deepEqual(await get(port, path), { status: 200, body });

    const knock = await runCli(['knock'], { env: { EPDB_BACKEND: 'base64' } });
    assert.equal(knock.code, 0, knock.stderr);
    const knocked = get(port, path, { 'X-EPDB': knock.stdout.trim() }, { timeoutMs: 60_000 });
    await app.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
    // As DevTools and VS Code attach: /node_modules/ ignore-listed.
    const dbg = await attachDebugger(bridgePort, t, { ignoreNodeModules: true });
    const pause = await dbg.nextPause();
    assert.equal(dbg.topUrl(pause), scriptUrlOf(script));
    assert.equal(await dbg.evaluate(pause, url), path);
    await dbg.client.Debugger.resume();
    assert.deepEqual(await knocked, { status: 200, body });
  });
}

test('npm run demo: its printed knock and `epdb connect` line, followed as printed, pause the request', async (t) => {
  const [port, bridgePort, localPort] = [await freePortBelowEphemeralRange(), await freePortBelowEphemeralRange(), await freePortBelowEphemeralRange()];
  const demo = spawnChild(process.execPath, nodeArgsOf('demo'), { env: cleanEnv({ PORT: String(port), EPDB_PORT: String(bridgePort) }), t });
  await demo.stdout.waitForLine(/^Ctrl-C stops the demo\.$/, { timeoutMs: 15_000 });
  // The demo's server is its child: make sure it goes too, even if the demo is killed.
  const serverPid = Number(readFileSync(`/proc/${demo.process.pid}/task/${demo.process.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
  t.after(() => { try { process.kill(serverPid, 'SIGKILL'); } catch { /* already gone */ } });

  const printed = demo.stdout.text();
  const [, knock] = /^ {2}curl -H "X-EPDB: ([^"]+)" http:\/\/127\.0\.0\.1:\d+\/hello$/m.exec(printed) ?? assert.fail(`no knock in:\n${printed}`);
  const [, backend, key, bridge] = /^ {2}EPDB_BACKEND=(\w+) EPDB_KEY=(\S+) npx epdb connect (\d+) /m.exec(printed) ?? assert.fail(`no connect line in:\n${printed}`);
  assert.equal(backend, 'jwt', 'the demo knocks with JWT unless told otherwise');
  assert.equal(Number(bridge), bridgePort);
  assert.equal((await get(port, '/hello')).status, 200);

  const knocked = get(port, '/hello', { 'X-EPDB': knock }, { timeoutMs: 60_000 });
  await demo.stderr.waitForLine(WAITING, { timeoutMs: 10_000 });
  const connect = startConnect(t, [bridge, '--port', String(localPort)], { EPDB_BACKEND: backend, EPDB_KEY: key });
  await connect.stdout.waitForLine(/^epdb connect: forwarding 127\.0\.0\.1:\d+ to the debug bridge/, { timeoutMs: 10_000 });
  const dbg = await attachDebugger(localPort, t, { ignoreNodeModules: true });
  const pause = await dbg.nextPause();
  assert.equal(dbg.topUrl(pause), pathToFileURL(`${REPO_ROOT}examples/plain-http/server.mjs`).href);
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello');
  await dbg.client.Debugger.resume();
  assert.deepEqual(await knocked, { status: 200, body: 'hello from plain node:http, GET /hello\n' });
  await within(demo.stop(5000), 10_000, 'the demo to stop');
  // It exits on SIGTERM once its server has: no SIGKILL was needed, and nothing is left running.
  assert.equal((await demo.exited).signal, null, 'the demo did not exit on SIGTERM');
  assert.throws(() => process.kill(serverPid, 0), { code: 'ESRCH' }, 'the demo left its server running');
});
