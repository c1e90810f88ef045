// pm2's cluster mode (the npm package, 4 instances, its own PM2_HOME): one EPDB_PORT=BASE, each
// instance's bridge on a free port of BASE+1..BASE+100, all served by `epdb connect RANGE`. Every
// instance is debugged; one killed while paused is restarted by pm2, and its successor's bridge
// comes up on the range and pauses at its next knock. The pm2 daemon never starts a bridge.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { cleanEnv, freePortBelowEphemeralRange, REPO_ROOT } from './helpers/index.mjs';
import { ownPm2 } from './helpers/pm2.mjs';
import { fixtureApp } from './helpers/paths.mjs';
import {
  debugEveryHeld, debugSuccessor, followFile, KEY_ENV, Knocker, knockUntilEachHolds, lineCursor, listTargets, pauseIn, portIsFree, startRangeConnect, WAITING_LINE,
} from './fixtures/cluster/harness.mjs';

const APP = fixtureApp('../cluster/app.cjs');
const INSTANCES = 4;

test('pm2 cluster mode, 4 instances: every instance is debugged through epdb connect RANGE; a killed instance\'s successor too', async (t) => {
  const base = await freePortBelowEphemeralRange();
  // The daemon runs under the preload too (NODE_OPTIONS, as a user may set it for everything),
  // with EPDB_PORT=base its own: it must never start a bridge. The instances get it as well,
  // besides node_args (a second preload is a no-op).
  const { home, pm2 } = await ownPm2(t, (pm2Home) => cleanEnv({ PM2_HOME: pm2Home, NODE_OPTIONS: '--require epdb/register', ...KEY_ENV, EPDB_PORT: String(base) }));
  const appPort = await freePortBelowEphemeralRange();
  const localPort = await freePortBelowEphemeralRange();
  const range = { first: base + 1, last: base + 100 };
  const errorLog = followFile(join(home, 'app-error.log'), t);
  const outLog = followFile(join(home, 'app-out.log'), t);
  const ecosystem = join(home, 'ecosystem.config.json');
  await writeFile(ecosystem, JSON.stringify({
    apps: [{
      name: 'epdb-cluster-test', script: APP, cwd: REPO_ROOT, exec_mode: 'cluster', instances: INSTANCES,
      node_args: ['--require', 'epdb/register'], wait_ready: true, merge_logs: true,
      error_file: join(home, 'app-error.log'), out_file: join(home, 'app-out.log'),
      env: { ...KEY_ENV, EPDB_PORT: String(base), EPDB_WAIT_TIMEOUT: '0', APP_PORT: String(appPort) },
    }],
  }));
  await pm2('start', ecosystem);
  const daemonPid = Number((await readFile(join(home, 'pm2.pid'), 'utf8')).trim());
  const daemonEnv = (await readFile(`/proc/${daemonPid}/environ`, 'utf8')).split('\0');
  assert.ok(daemonEnv.includes('NODE_OPTIONS=--require epdb/register') && daemonEnv.includes('EPDB_BACKEND=jwt'), 'the daemon runs under the preload');
  const instancePids = async () => JSON.parse((await pm2('jlist')).stdout).map((app) => app.pid).filter((pid) => pid > 0);
  const first4 = await instancePids();
  assert.equal(first4.length, INSTANCES);
  const connect = await startRangeConnect(t, `${range.first}-${range.last}`, localPort);

  const knocker = new Knocker(appPort);
  const nextWaiting = lineCursor(errorLog, WAITING_LINE);
  const holding = await knockUntilEachHolds(knocker, nextWaiting, first4);
  for (const port of holding.values()) assert.ok(port >= range.first && port <= range.last, `bridge port ${port} in the range`);
  assert.equal(new Set(holding.values()).size, INSTANCES, 'one port per bridge');
  const listed = await listTargets(localPort);
  assert.deepEqual(listed.map((target) => target.pid).sort(), [...first4].sort(), 'one target per instance');
  assert.ok(!listed.some((target) => target.pid === daemonPid) && !errorLog.text().includes(`(pid ${daemonPid}`), 'the pm2 daemon never started a bridge');
  assert.ok(await portIsFree(base), `the daemon (preloaded, EPDB_PORT=${base} its own) bound nothing`);

  // Should a pause not come, say what the instances and the forward printed (seen on CI only).
  const explained = (error) => {
    error.message += `\ninstances' stderr (last 3000 characters):\n${errorLog.text().slice(-3000)}\nepdb connect's stderr:\n${connect.stderr.text().slice(-2000)}`;
    throw error;
  };
  const pausedIn = await debugEveryHeld(t, localPort, knocker).catch(explained);
  assert.deepEqual([...new Set(pausedIn)].sort(), [...first4].sort(), 'paused in each instance');

  // Kill an instance while it is paused: pm2 starts a successor, whose bridge comes up on the range.
  nextWaiting.skip();
  await knocker.send();
  const [, , victimText] = await nextWaiting();
  const victim = Number(victimText);
  const { pid: pausedPid } = await pauseIn(t, localPort, (await listTargets(localPort)).find((target) => target.pid === victim).id);
  assert.equal(pausedPid, victim);
  const nextListening = outLog.lines.length;
  process.kill(victim, 'SIGKILL');
  await connect.stderr.waitForLine(new RegExp(`^epdb: the bridge on 127\\.0\\.0\\.1:\\d+ \\(pid ${victim}, worker \\d+\\) has gone$`), { timeoutMs: 10_000 });
  // A pid none of the first instances had (the file is read as it grows: no line is taken twice).
  const newcomer = new RegExp(`^process (?!(?:${first4.join('|')}) )(\\d+) listening$`);
  const [, successorText] = await outLog.waitForLine(newcomer, { timeoutMs: 15_000, from: nextListening });
  const successor = Number(successorText);
  assert.ok(!first4.includes(successor));

  // Round robin reaches the successor within a few knocks; the others' knocks just wait.
  await debugSuccessor(t, { localPort, knocker, nextWaiting, successor, range, maxKnocks: 3 * INSTANCES });
});
