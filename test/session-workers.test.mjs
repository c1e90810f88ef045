// A debugger that enables NodeWorker (VS Code and DevTools do) sees the app's own workers but
// never the bridge's: paused, it would freeze the relay the debugger talks through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { base64Knock, freePortBelowEphemeralRange, startApp } from './helpers/index.mjs';
import { attachDebugger, get, within } from './fixtures/session/debugger.mjs';

const HTTP_APP = fileURLToPath(new URL('./fixtures/session/http-app.cjs', import.meta.url));

test('NodeWorker shows the app\'s workers, not the bridge\'s own', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: HTTP_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), FIXTURE_APP_WORKER: '1' } });
  const response = get(app.port, '/hello?workers', { 'X-EPDB': base64Knock() });
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });

  const dbg = await attachDebugger(bridgePort, t);
  const pause = await dbg.nextPause();
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?workers');
  await dbg.client.Debugger.resume();
  assert.deepEqual(await response, { status: 200, body: 'hello /hello?workers' });

  // Workers are announced from the main thread's event loop: enable NodeWorker while it runs.
  const workers = [];
  const appWorkerSeen = within(new Promise((resolve) => {
    dbg.client.on('NodeWorker.attachedToWorker', (event) => {
      workers.push(event);
      if (event.workerInfo.title.includes('app worker')) resolve(event);
    });
  }), 5_000, 'the app worker announced');
  await dbg.client.send('NodeWorker.enable', { waitForDebuggerOnStart: false });
  const appWorker = await appWorkerSeen;
  assert.deepEqual(workers.map((w) => w.workerInfo.title).filter((title) => /epdb/.test(title)), []);
  assert.ok(!workers.some((w) => /\/bridge\/worker\.js$/.test(w.workerInfo.url)));

  // Node numbers the sessions of the two workers 1 and 2: the one not announced is the bridge's,
  // and commands for it are refused. The app's worker answers.
  const hiddenIds = ['1', '2'].filter((id) => id !== appWorker.sessionId);
  assert.equal(hiddenIds.length, 1);
  for (const sessionId of hiddenIds) {
    await assert.rejects(dbg.client.send('NodeWorker.sendMessageToWorker', { sessionId, message: '{"id":1,"method":"Runtime.evaluate","params":{"expression":"1"}}' }));
  }
  const answered = within(new Promise((resolve) => dbg.client.on('NodeWorker.receivedMessageFromWorker', (event) => {
    if (event.sessionId === appWorker.sessionId) resolve(JSON.parse(event.message));
  })), 5_000, 'an answer from the app worker');
  await dbg.client.send('NodeWorker.sendMessageToWorker', { sessionId: appWorker.sessionId, message: '{"id":1,"method":"Runtime.evaluate","params":{"expression":"6*7"}}' });
  assert.equal((await answered).result.result.value, 42);

  await dbg.close();
});
