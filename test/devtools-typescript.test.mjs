// TypeScript in a remote DevTools: headless Chromium's own DevTools front end, attached through
// `epdb connect` (jwt) to a tsc-built app (maps beside the scripts, sources not inlined), shows
// the knocked request's stop in the .ts file, as written, though it cannot read the server's
// disk: it loads the map and the source through the inspector connection. One representative
// case: the front end's source-map loading is the same on every route.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { allStarted, get } from './helpers/index.mjs';
import { startChromium } from './helpers/chromium.mjs';
import { openDevTools } from './helpers/devtools-frontend.mjs';
import { buildTypeScriptApp, startKnockedBehindConnect } from './fixtures/remote-sources/app.mjs';

test('Chrome DevTools through `epdb connect` (jwt) on a tsc-built app: the stop shows in server.ts, as written; Resume, response', { timeout: 120_000 }, async (t) => {
  const built = await buildTypeScriptApp(t);
  const tsLines = (await readFile(built.source, 'utf8')).split('\n');
  const firstStatement = tsLines.findIndex((line) => line.includes('const name: string = ')) + 1;
  const [chromium, knocked] = await allStarted([startChromium(t), startKnockedBehindConnect(t, built.script)]);
  const { status, body } = await get(knocked.localPort, '/json/list');
  assert.equal(status, 200, body);
  const [target] = JSON.parse(body);

  const started = Date.now();
  const devtools = await openDevTools(chromium, target.webSocketDebuggerUrl);
  // DevTools first shows the pause in server.js, then in server.ts once its map is loaded.
  const view = await devtools.waitFor((v) => v.paused && v.location === `server.ts:${firstStatement}` && v.openFiles.includes('server.ts')
    && v.executionLine !== '' && v.canResume, `the stop at server.ts:${firstStatement}`, 45_000);
  t.diagnostic(`DevTools showed ${view.location} ${Date.now() - started} ms after it was opened`);
  // The line as the TypeScript has it (types and all), not tsc's output.
  assert.equal(view.executionLine, tsLines[firstStatement - 1].trim());
  assert.match(view.executionLine, /^const name: string = /);
  assert.deepEqual(view.openFiles, ['server.ts']);
  assert.equal(view.url, pathToFileURL(built.script).href, 'the script V8 runs is the compiled one');
  await devtools.waitFor((v) => v.scope.includes('req') && v.scope.includes('res'), 'req and res in Scope', 20_000);

  await devtools.click('Resume script execution');
  await devtools.waitForResumed();
  assert.deepEqual(await knocked.response, { status: 200, body: 'hello ada\n' });
});
