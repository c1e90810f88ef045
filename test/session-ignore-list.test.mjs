// epdb installed under node_modules, with a debugger that ignore-lists `/node_modules/` as
// DevTools does by default: the first stop is the app's own Express 5 handler (EPDB_STOP_AT=app,
// the default); a knock asking for {"stop": "entry"} still pauses at epdb's own pause (in the
// preload's bundle), whose
// file is on the ignore list, and stepping in reaches the handler in a few dozen steps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { base64Knock, cleanEnv, freePortBelowEphemeralRange, spawnChild } from './helpers/index.mjs';
import { attachDebugger, get, installEpdbCopy } from './fixtures/session/debugger.mjs';

const EXPRESS_APP = fileURLToPath(new URL('./fixtures/session/express-app.cjs', import.meta.url));
const APP_URL = pathToFileURL(EXPRESS_APP).href;
const KNOCK = { 'X-EPDB': base64Knock() };
/** "A few dozen steps at most" (DESIGN.md). */
const MAX_STEPS_WITH_IGNORE_LIST = 80;

const ENTRY_KNOCK = { 'X-EPDB': base64Knock('{"epdb": {"stop": "entry"}}') };

test('with /node_modules/ ignore-listed, the first stop is the Express handler; an entry knock pauses in epdb and stepping reaches the handler', async (t) => {
  const { dir, packageDir } = await installEpdbCopy(t);
  const bridgePort = await freePortBelowEphemeralRange();
  const app = spawnChild(process.execPath, ['--import', 'epdb/register', EXPRESS_APP], {
    cwd: dir,
    env: cleanEnv({ EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort) }),
    t,
  });
  const [, port] = await app.stdout.waitForLine(/^listening (\d+)$/, { timeoutMs: 15_000 });

  const atApp = get(Number(port), '/hello?app', KNOCK);
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });
  const dbg = await attachDebugger(bridgePort, t, { ignoreNodeModules: true });
  let pause = await dbg.nextPause();
  assert.equal(dbg.topUrl(pause), APP_URL);
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?app');
  await dbg.client.Debugger.resume();
  assert.deepEqual(await atApp, { status: 200, body: 'hello /hello?app' });

  const first = get(Number(port), '/hello?ignored', ENTRY_KNOCK);
  pause = await dbg.nextPause();
  // The installed copy pauses, although its own file is on the client's ignore list.
  assert.equal(dbg.topUrl(pause), pathToFileURL(`${packageDir}/dist/preload-knock.js`).href);
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?ignored');
  assert.equal(await dbg.evaluate(pause, 'typeof res'), 'object');

  const { steps, pause: inApp } = await dbg.stepIntoUntil((url) => url === APP_URL, 1_000);
  t.diagnostic(`steps from the pause to the Express handler with /node_modules/ ignore-listed: ${steps}`);
  assert.equal(await dbg.evaluate(inApp, 'req.url'), '/hello?ignored');
  await dbg.client.Debugger.resume();
  assert.deepEqual(await first, { status: 200, body: 'hello /hello?ignored' });
  assert.ok(steps <= MAX_STEPS_WITH_IGNORE_LIST, `${steps} steps to reach the app's handler`);

  // The same once more without the ignore list, for comparison (and: it pauses again).
  await dbg.client.Debugger.setBlackboxPatterns({ patterns: [] });
  const second = get(Number(port), '/hello?unignored', ENTRY_KNOCK);
  pause = await dbg.nextPause();
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?unignored');
  const { steps: stepsWithout } = await dbg.stepIntoUntil((url) => url === APP_URL, 3_000);
  t.diagnostic(`steps from the pause to the Express handler without an ignore list: ${stepsWithout}`);
  await dbg.client.Debugger.resume();
  assert.deepEqual(await second, { status: 200, body: 'hello /hello?unignored' });
  assert.ok(stepsWithout > steps);
});
