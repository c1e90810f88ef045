// Reverse connect under pm2's cluster mode (2 instances sharing one port through node:cluster,
// its own PM2_HOME): no instance opens a bridge port; the instance that gets a knock carrying
// `connect` dials `epdb listen` and is debugged there, whichever it is.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { cleanEnv, freePortBelowEphemeralRange, REPO_ROOT } from './helpers/index.mjs';
import { ownPm2 } from './helpers/pm2.mjs';
import { fixtureApp } from './helpers/paths.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';
import { KEY_ENV } from './fixtures/cluster/harness.mjs';
import { knockWith, startListen } from './fixtures/reverse/listen.mjs';

const APP = fixtureApp('../cluster/app.cjs');
const CONNECTED = /^epdb: listen: GET \/hello on \S+ \(pid (\d+), worker \d+\) connected from /;

test('pm2 cluster mode, 2 instances: the instance that got the knock dials epdb listen and is debugged, each in turn', async (t) => {
  const { home, pm2 } = await ownPm2(t, (pm2Home) => cleanEnv({ PM2_HOME: pm2Home }));
  const listen = await startListen(t, { env: KEY_ENV });
  const appPort = await freePortBelowEphemeralRange();
  const ecosystem = join(home, 'ecosystem.config.json');
  await writeFile(ecosystem, JSON.stringify({
    apps: [{
      name: 'epdb-reverse-test', script: APP, cwd: REPO_ROOT, exec_mode: 'cluster', instances: 2,
      node_args: ['--require', 'epdb/register'], wait_ready: true, merge_logs: true,
      error_file: join(home, 'app-error.log'), out_file: join(home, 'app-out.log'),
      env: { ...KEY_ENV, EPDB_WAIT_TIMEOUT: '30', APP_PORT: String(appPort) },
    }],
  }));
  await pm2('start', ecosystem);
  const instances = JSON.parse((await pm2('jlist')).stdout).map((app) => app.pid).filter((pid) => pid > 0);
  assert.equal(instances.length, 2);
  const knock = { 'X-EPDB': await knockWith(KEY_ENV, listen.connect) };

  const debugged = new Set();
  for (let n = 1; n <= 6 && debugged.size < 2; n++) {
    const from = listen.stderr.lines.length;
    const response = get(appPort, `/hello?n=${n}`, knock, { timeoutMs: 30_000 });
    const [, dialled] = await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000, from });
    const dbg = await attachDebugger(listen.localPort, t);
    const pause = await dbg.nextPause(15_000);
    const pid = await dbg.evaluate(pause, 'process.pid');
    assert.equal(pid, Number(dialled));
    assert.ok(instances.includes(pid), `paused in instance ${pid} of ${instances}`);
    await dbg.client.Debugger.resume();
    assert.deepEqual(await response, { status: 200, body: `hello from ${pid}: GET /hello?n=${n}` });
    await dbg.close();
    await listen.stderr.waitForLine(new RegExp(`^epdb: listen: \\S+ \\(pid ${pid}, worker \\d+\\) disconnected$`), { timeoutMs: 10_000, from });
    debugged.add(pid);
  }
  assert.deepEqual([...debugged].sort(), [...instances].sort(), 'both instances debugged');
});
