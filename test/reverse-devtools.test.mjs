// Real Chrome DevTools through `epdb listen`: headless Chromium's own DevTools front end opened
// on the target the listener serves for a dialled-in Express example (jwt). It shows the pause
// in the handler; Resume lets the response out. One browser, one case.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { allStarted, cleanEnv, freePortBelowEphemeralRange, get, REPO_ROOT, spawnChild } from './helpers/index.mjs';
import { startChromium } from './helpers/chromium.mjs';
import { openDevTools } from './helpers/devtools-frontend.mjs';
import { JWT_ENV, knockWith, listedTargets, startListen } from './fixtures/reverse/listen.mjs';

const HANDLER_FILE = 'examples/express/server.mjs';

test('Chrome DevTools through epdb listen: paused in the dialled-in Express handler, Resume, response', { timeout: 120_000 }, async (t) => {
  const [chromium, listen, port] = await allStarted([startChromium(t), startListen(t), freePortBelowEphemeralRange()]);
  const app = spawnChild(process.execPath, ['--import', 'epdb/register', HANDLER_FILE], { env: cleanEnv({ ...JWT_ENV, PORT: String(port) }), t });
  await app.stdout.waitForLine(new RegExp(`^listening on http://127\\.0\\.0\\.1:${port}$`), { timeoutMs: 20_000 });
  const response = get(port, '/hello/ada', { 'X-EPDB': await knockWith(JWT_ENV, listen.connect) }, { timeoutMs: 90_000 });
  response.catch(() => {}); // awaited below; a failure before that must not crash the runner
  await listen.stderr.waitForLine(/^epdb: listen: GET \/hello\/ada on \S+ \(pid \d+\) connected from /, { timeoutMs: 20_000 });
  const [target] = await listedTargets(listen.localPort);
  assert.equal(target.webSocketDebuggerUrl, `ws://127.0.0.1:${listen.localPort}/${target.id}`);

  const devtools = await openDevTools(chromium, target.webSocketDebuggerUrl, { width: 1400, height: 900 });
  const pause = await devtools.waitForPause({ timeoutMs: 45_000 });
  assert.equal(pause.url, pathToFileURL(join(REPO_ROOT, HANDLER_FILE)).href);
  assert.equal(pause.location, 'server.mjs:8');
  await devtools.click('Resume script execution');
  await devtools.waitForResumed();
  assert.deepEqual(await response, { status: 200, body: 'hello ada, from Express\n' });
});
