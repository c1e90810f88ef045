// `epdb connect` with the real debug bridge: an app under the preload, connect started before
// the knock (so it must retry), a knock made by `epdb knock`, and chrome-remote-interface
// attached to the forward with its default discovery (/json/list, /json/protocol).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import CDP from 'chrome-remote-interface';
import WebSocket from 'ws';
import { cleanEnv, freePortBelowEphemeralRange as freePort, get, spawnChild, startApp, within } from './helpers/index.mjs';
import { runCli, startConnect } from './fixtures/cli/cli.mjs';

const APP = fileURLToPath(new URL('./fixtures/cli/echo-app.cjs', import.meta.url));

/** An app under `--import epdb/register` with `backend` and a key from `epdb keygen`. */
async function startKnockableApp(t, backend, extraEnv = {}) {
  const keygen = await runCli(['keygen', backend]);
  assert.equal(keygen.code, 0, keygen.stderr);
  const bridgePort = await freePort();
  const env = { EPDB_BACKEND: backend, EPDB_KEY: keygen.stdout.trim(), EPDB_PORT: String(bridgePort), ...extraEnv };
  const app = await startApp(t, { app: APP, preload: 'import', env });
  return { app, env, bridgePort };
}

for (const backend of ['jwt', 'fernet']) {
  test(`${backend}: connect before the knock, then chrome-remote-interface through the forward pauses the knocked request`, async (t) => {
    const { app, env, bridgePort } = await startKnockableApp(t, backend);
    const localPort = await freePort();
    const connect = startConnect(t, [String(bridgePort), '--port', String(localPort)], { EPDB_BACKEND: env.EPDB_BACKEND, EPDB_KEY: env.EPDB_KEY });
    await connect.stderr.waitForLine(new RegExp(`^epdb: waiting for the bridge on 127\\.0\\.0\\.1:${bridgePort} \\(send a knock to the app\\)`), { timeoutMs: 10_000 });

    const knock = await runCli(['knock'], { env: { EPDB_BACKEND: env.EPDB_BACKEND, EPDB_KEY: env.EPDB_KEY } });
    assert.equal(knock.code, 0, knock.stderr);
    const knocked = get(app.port, `/orders/42?via=${backend}`, { 'X-EPDB': knock.stdout.trim() });
    await app.stderr.waitForLine(new RegExp(`^epdb: waiting for a debugger on 127\\.0\\.0\\.1:${bridgePort}$`), { timeoutMs: 10_000 });
    await connect.stderr.waitForLine(new RegExp(`^epdb: the bridge on 127\\.0\\.0\\.1:${bridgePort} is up$`), { timeoutMs: 10_000 });

    // Unknocked requests are served meanwhile.
    assert.deepEqual(await get(app.port, '/plain', {}), { status: 200, body: 'echo /plain' });

    const client = await within(CDP({ host: '127.0.0.1', port: localPort }), 10_000, 'CDP attach through the forward');
    t.after(() => client.close().catch(() => {}));
    const paused = within(new Promise((resolve) => client.once('Debugger.paused', resolve)), 10_000, 'Debugger.paused');
    await client.Debugger.enable();
    await client.Runtime.runIfWaitingForDebugger();
    const { callFrames } = await paused;
    const { result } = await client.Debugger.evaluateOnCallFrame({ callFrameId: callFrames[0].callFrameId, expression: 'req.url' });
    assert.equal(result.value, `/orders/42?via=${backend}`);
    await connect.stderr.waitForLine(new RegExp(`^epdb: a debugger attached through 127\\.0\\.0\\.1:${localPort}$`), { timeoutMs: 5_000 });

    // The bridge takes one debugger: a second one is turned away, and connect says why.
    const [target] = await CDP.List({ host: '127.0.0.1', port: localPort });
    assert.equal(target.webSocketDebuggerUrl, `ws://127.0.0.1:${localPort}/${target.id}`);
    const second = new WebSocket(target.webSocketDebuggerUrl);
    second.on('error', () => {});
    const [, refusal] = await within(new Promise((resolve) => second.once('unexpected-response', (...args) => resolve(args))), 5_000, 'second debugger refused');
    second.terminate();
    assert.equal(refusal.statusCode, 409);
    await connect.stderr.waitForLine(/^epdb: the bridge turned a debugger away: 409 Conflict \(A debugger is already attached\)$/, { timeoutMs: 5_000 });

    await client.Debugger.resume();
    assert.deepEqual(await knocked, { status: 200, body: `echo /orders/42?via=${backend}` });
    await client.close();
    await app.stderr.waitForLine(/^epdb: debugger detached$/, { timeoutMs: 5_000 });
    await connect.stderr.waitForLine(new RegExp(`^epdb: the debugger on 127\\.0\\.0\\.1:${localPort} detached$`), { timeoutMs: 5_000 });

    // The knock never shows in either log, nor the key.
    for (const log of [app.stderr.text(), connect.stderr.text(), connect.stdout.text()]) {
      assert.ok(!log.includes(knock.stdout.trim().split(' ')[1]), 'no knock in the logs');
      assert.ok(!log.includes(env.EPDB_KEY), 'no key in the logs');
    }
    assert.deepEqual(app.stderr.matching(/refused/), [], 'the bridge accepted every forwarded request');
  });
}

test('jwt: node inspect 127.0.0.1:LOCAL, as connect tells the user, breaks in at the knocked request', async (t) => {
  const { app, env, bridgePort } = await startKnockableApp(t, 'jwt');
  const localPort = await freePort();
  const connect = startConnect(t, [String(bridgePort), '--port', String(localPort)], { EPDB_BACKEND: 'jwt', EPDB_KEY: env.EPDB_KEY });
  const [, command] = await connect.stdout.waitForLine(/^\s+(node inspect \S+)$/, { timeoutMs: 10_000 });
  assert.equal(command, `node inspect 127.0.0.1:${localPort}`);
  const knock = await runCli(['knock'], { env: { EPDB_BACKEND: 'jwt', EPDB_KEY: env.EPDB_KEY } });
  const knocked = get(app.port, '/inspect?me', { 'X-EPDB': knock.stdout.trim() });
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });

  const inspect = spawnChild(process.execPath, ['inspect', `127.0.0.1:${localPort}`], { env: cleanEnv(), stdin: 'pipe', t });
  await inspect.stdout.waitForLine(/break in \S*test\/fixtures\/cli\/echo-app\.cjs:8$/, { timeoutMs: 15_000 });
  inspect.stdin.write('exec req.url\n');
  await inspect.stdout.waitForLine(/'\/inspect\?me'/, { timeoutMs: 5_000 });
  inspect.stdin.write('cont\n');
  assert.deepEqual(await knocked, { status: 200, body: 'echo /inspect?me' });
  inspect.stdin.end('.exit\n');
  await app.stderr.waitForLine(/^epdb: debugger detached$/, { timeoutMs: 5_000 });
});

test('a wrong key: connect says the bridge refused it (401), exit 1', async (t) => {
  const { app, env, bridgePort } = await startKnockableApp(t, 'jwt', { EPDB_WAIT_TIMEOUT: '10' });
  const wrongKey = (await runCli(['keygen', 'jwt'])).stdout.trim();
  const connect = startConnect(t, [`127.0.0.1:${bridgePort}`, '--port', String(await freePort())], { EPDB_BACKEND: 'jwt', EPDB_KEY: wrongKey });
  await connect.stderr.waitForLine(/^epdb: waiting for the bridge/, { timeoutMs: 10_000 });
  const knock = await runCli(['knock'], { env: { EPDB_BACKEND: 'jwt', EPDB_KEY: env.EPDB_KEY } });
  const knocked = get(app.port, '/held', { 'X-EPDB': knock.stdout.trim() });
  knocked.catch(() => {}); // the app is killed at the end while this request still waits
  const [line] = await connect.stderr.waitForLine(
    new RegExp(`^epdb: the bridge on 127\\.0\\.0\\.1:${bridgePort} refused the knock \\(401\\): EPDB_KEY is wrong`),
    { timeoutMs: 10_000 },
  );
  assert.ok(!line.includes(wrongKey));
  const { code } = await within(connect.exited, 5_000, 'connect exits');
  assert.equal(code, 1);
  await app.stderr.waitForLine(/^epdb: debug bridge refused GET \/json\/version: knock refused/, { timeoutMs: 5_000 });
});
