// VS Code's debugger as people run it: a client that attaches exactly as js-debug does with its
// defaults (autoAttachChildProcesses: NodeWorker.enable, then its evaluate that appends
// `--require <its bootloader>` to NODE_OPTIONS) cannot break the `node` children the app spawns,
// before, while and after it is attached, through the bridge, attached first through
// `epdb connect`, and through `epdb listen`; a
// variant the refusal does not recognise is put back. The stop reads as epdb's breakpoint.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { base64Knock, freePortBelowEphemeralRange, startApp } from './helpers/index.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';
import { attachAsJsDebug } from './fixtures/session/js-debug-client.mjs';
import { JWT_ENV, knockWith, listedTargets, startListen } from './fixtures/reverse/listen.mjs';
import { startConnect } from './fixtures/cli/cli.mjs';

const SPAWN_APP = fileURLToPath(new URL('./fixtures/session/spawn-app.cjs', import.meta.url));
const REFUSED = /^epdb: refused a debugger's Runtime\.evaluate that would change NODE_OPTIONS or VSCODE_INSPECTOR_OPTIONS/;
const PUT_BACK = /^epdb: a debugger changed NODE_OPTIONS of this process .*put back as it was when the debugger attached$/;

/** Asserts that a `node` child the app spawns now starts. */
async function childStarts(app, when) {
  assert.deepEqual(await get(app.port, '/spawn'), { status: 200, body: 'child ok' }, `a child spawned ${when} starts`);
}

/**
 * The whole scenario, once the app is up: `knock` makes the knocked request, `targetUrl()`
 * finds the target's WebSocket once it is there.
 */
async function jsDebugScenario(t, app, { knock, targetUrl, attachFirst = false }) {
  await childStarts(app, 'before any debugger');
  // Attached first, as VS Code is when started before the knock: everything it sends waits.
  const early = attachFirst ? await attachAsJsDebug(await targetUrl(), t) : null;
  const knocked = get(app.port, '/hello?vscode', { 'X-EPDB': await knock() }, { timeoutMs: 30_000 });
  const client = early ?? await attachAsJsDebug(await targetUrl(), t);

  const refusal = await client.environment;
  assert.equal(refusal.error?.code, -32000, `js-debug's injection gets an error answer: ${JSON.stringify(refusal)}`);
  assert.match(refusal.error.message, /may not change NODE_OPTIONS/);
  await app.stderr.waitForLine(REFUSED, { timeoutMs: 10_000 });
  // The session goes on: the rest of the attach is answered, the knocked request stops.
  for (const reply of await client.attached) assert.ok(reply.result !== undefined, JSON.stringify(reply));
  const telemetry = await client.telemetry;
  assert.equal(telemetry.result?.result?.value?.processId, app.process.pid, JSON.stringify(telemetry));
  const pause = await client.next('Debugger.paused');
  // The walk's stop reads as epdb's breakpoint, not as a `debugger;` statement.
  assert.equal(pause.reason, 'other');
  assert.deepEqual(pause.hitBreakpoints, ['epdb:first-statement']);
  assert.deepEqual(pause.data, { epdb: { stop: 'app', request: 'GET /hello' } });
  assert.ok((await client.send('Debugger.resume')).result);
  assert.equal((await knocked).status, 200);
  await childStarts(app, 'while attached');

  // A breakpoint of the client's own stops as such: only the walk's stop is relabelled.
  const envLine = readFileSync(SPAWN_APP, 'utf8').split('\n').findIndex((line) => line.includes("req.url === '/env'")) + 1;
  const { result: { breakpointId } } = await client.send('Debugger.setBreakpointByUrl', { urlRegex: 'spawn-app\\.cjs$', lineNumber: envLine });
  const envAnswer = get(app.port, '/env');
  const own = await client.next('Debugger.paused');
  assert.deepEqual([own.hitBreakpoints, own.data], [[breakpointId], undefined]);
  await client.send('Debugger.removeBreakpoint', { breakpointId });
  await client.send('Debugger.resume');
  assert.equal((await envAnswer).status, 200);

  // A variant the refusal does not know goes through, and is put back at once.
  const variant = await client.send('Runtime.evaluate', { expression: 'Object.assign(process.env, { NODE_OPTIONS: "--require /nowhere/bootloader.js" }), 1', returnByValue: true });
  assert.equal(variant.result?.result?.value, 1);
  await app.stderr.waitForLine(PUT_BACK, { timeoutMs: 10_000 });
  assert.deepEqual(JSON.parse((await get(app.port, '/env')).body), { NODE_OPTIONS: null, VSCODE_INSPECTOR_OPTIONS: null });
  await childStarts(app, 'after a variant was put back');

  await client.close();
  await childStarts(app, 'after the debugger detached');
  assert.deepEqual(JSON.parse((await get(app.port, '/env')).body), { NODE_OPTIONS: null, VSCODE_INSPECTOR_OPTIONS: null });
}

test('js-debug\'s attach through the bridge: its NODE_OPTIONS injection is refused, children start before, during and after', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: SPAWN_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort) } });
  await jsDebugScenario(t, app, {
    knock: async () => base64Knock(),
    targetUrl: async () => {
      await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });
      return JSON.parse((await get(bridgePort, '/json/list')).body)[0].webSocketDebuggerUrl;
    },
  });
});

test('js-debug attached first to epdb connect\'s stand-in, then the knock (jwt): the same', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const localPort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: SPAWN_APP, env: { ...JWT_ENV, EPDB_PORT: String(bridgePort) } });
  const connect = startConnect(t, [String(bridgePort), '--port', String(localPort)], JWT_ENV);
  await connect.stdout.waitForLine(new RegExp(`^\\s+node inspect 127\\.0\\.0\\.1:${localPort}$`), { timeoutMs: 10_000 });
  await jsDebugScenario(t, app, {
    attachFirst: true,
    knock: () => knockWith(JWT_ENV),
    targetUrl: async () => {
      const [target] = JSON.parse((await get(localPort, '/json/list')).body);
      assert.equal(target.id, 'waiting-for-a-knock');
      return target.webSocketDebuggerUrl;
    },
  });
});

test('js-debug\'s attach through epdb listen (reverse connect): the same', async (t) => {
  const listen = await startListen(t);
  const app = await startApp(t, { app: SPAWN_APP, env: JWT_ENV });
  await jsDebugScenario(t, app, {
    knock: () => knockWith(JWT_ENV, listen.connect),
    targetUrl: async () => {
      await listen.stderr.waitForLine(/^epdb: listen: GET \/hello on \S+ \(pid \d+\) connected from /, { timeoutMs: 15_000 });
      const [target] = (await listedTargets(listen.localPort)).filter((entry) => entry.title.startsWith('GET /hello'));
      return target.webSocketDebuggerUrl;
    },
  });
});

test('epdb outside node_modules (npm link): a client with no ignore list never steps into epdb\'s own files', async (t) => {
  // The fixtures resolve `epdb/register` to this repository's dist/, as an `npm link`ed epdb would be.
  const ownDir = pathToFileURL(fileURLToPath(new URL('../dist/', import.meta.url))).href;
  const appUrl = pathToFileURL(SPAWN_APP).href;
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: SPAWN_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort) } });
  const knocked = get(app.port, '/hello?linked', { 'X-EPDB': base64Knock('{"epdb": {"stop": "entry"}}') });
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });
  const dbg = await attachDebugger(bridgePort, t);
  const pause = await dbg.nextPause();
  // The entry pause itself still happens, in epdb.
  assert.ok(dbg.topUrl(pause).startsWith(ownDir), dbg.topUrl(pause));
  const visited = [];
  const { steps } = await dbg.stepIntoUntil((url) => {
    visited.push(url);
    return url === appUrl;
  }, 2_000);
  t.diagnostic(`steps from the entry pause to the handler with no ignore list: ${steps}`);
  assert.deepEqual(visited.filter((url) => url.startsWith(ownDir)), [], 'no step stopped in epdb\'s own files');
  await dbg.client.Debugger.resume();
  assert.equal((await knocked).status, 200);
});
