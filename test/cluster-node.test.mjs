// node:cluster with 4 workers under the preload, one EPDB_PORT=BASE: each worker's bridge takes
// a free port of BASE+1..BASE+100, and `epdb connect BASE+1-BASE+100` serves them all. Every
// worker can be debugged; a worker killed while paused is restarted by the primary and its
// successor's bridge comes up on the range; `node inspect` attaches to the knocked worker; while
// one worker is paused the others go on serving.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanEnv, freePortBelowEphemeralRange, spawnChild, within } from './helpers/index.mjs';
import { fixtureApp } from './helpers/paths.mjs';
import { debugEveryHeld, debugSuccessor, KEY_ENV, Knocker, knockUntilEachHolds, lineCursor, listTargets, pauseIn, portIsFree, servedMeanwhile, startRangeConnect, WAITING_LINE } from './fixtures/cluster/harness.mjs';

const PRIMARY = fixtureApp('../cluster/primary.cjs');
const WORKERS = 4;

test('node:cluster, 4 workers: every worker is debugged through epdb connect RANGE; a killed worker\'s successor too; node inspect gets the knocked one', async (t) => {
  const base = await freePortBelowEphemeralRange();
  const appPort = await freePortBelowEphemeralRange();
  const localPort = await freePortBelowEphemeralRange();
  const range = { first: base + 1, last: base + 100 };
  const primary = spawnChild(process.execPath, ['--require', 'epdb/register', PRIMARY], {
    env: cleanEnv({ ...KEY_ENV, EPDB_PORT: String(base), EPDB_WAIT_TIMEOUT: '0', APP_PORT: String(appPort), CLUSTER_WORKERS: String(WORKERS) }),
    t,
  });
  // A worker paused in the debugger cannot act on its primary's exit: kill every one we saw.
  const workerPids = () => primary.stdout.matching(/^worker \d+ listening$/).map((line) => Number(line.split(' ')[1]));
  t.after(() => {
    for (const pid of workerPids()) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  });
  await primary.stdout.waitForLine(/^listening \d+$/, { timeoutMs: 20_000 });
  const first4 = workerPids();
  assert.equal(first4.length, WORKERS);
  const connect = await startRangeConnect(t, `${range.first}-${range.last}`, localPort);

  // Knock until every worker holds a request: each held knock logs where its bridge waits.
  const knocker = new Knocker(appPort);
  const nextWaiting = lineCursor(primary.stderr, WAITING_LINE);
  const holding = await knockUntilEachHolds(knocker, nextWaiting, first4);
  assert.deepEqual([...holding.keys()].sort(), [...first4].sort(), 'every worker held a knocked request');
  for (const port of holding.values()) assert.ok(port >= range.first && port <= range.last, `bridge port ${port} in the range`);
  assert.equal(new Set(holding.values()).size, WORKERS, 'one port per bridge');
  assert.ok(!primary.stderr.text().includes(`(pid ${primary.process.pid}`), 'the primary never started a bridge');
  assert.ok(await portIsFree(base), `the primary (preloaded too, with EPDB_PORT=${base} its own) bound nothing`);

  const listed = await listTargets(localPort);
  assert.deepEqual(listed.map((target) => target.pid).sort(), [...first4].sort(), 'one target per worker, none for the primary');
  assert.ok(listed.every((target) => target.held !== null && target.worker !== undefined), 'each title names its held request and worker');

  const pausedIn = await debugEveryHeld(t, localPort, knocker);
  assert.deepEqual([...new Set(pausedIn)].sort(), [...first4].sort(), 'paused in each worker');

  // node inspect through the range forward attaches to the worker that got the knock.
  nextWaiting.skip();
  const inspected = await knocker.send();
  const [, , knockedPid] = await nextWaiting();
  const inspect = spawnChild(process.execPath, ['inspect', `127.0.0.1:${localPort}`], { env: cleanEnv(), stdin: 'pipe', t });
  await inspect.stdout.waitForLine(/break in /, { timeoutMs: 15_000 });
  inspect.stdin.write('exec process.pid\n');
  await inspect.stdout.waitForLine(new RegExp(`^(debug> )*${knockedPid}$`), { timeoutMs: 5_000 });
  inspect.stdin.write('cont\n');
  assert.deepEqual(await knocker.responses.get(inspected), { status: 200, body: `hello from ${knockedPid}: GET ${inspected}` });
  inspect.stdin.end('.exit\n');
  await within(inspect.exited, 20_000, 'node inspect to exit');

  // Kill a worker while its request is paused: the primary forks a successor, whose bridge
  // comes up on a free port of the range at its first knock, and pauses there.
  nextWaiting.skip();
  await knocker.send();
  const [, , victimText] = await nextWaiting();
  const victim = Number(victimText);
  const victimTarget = (await listTargets(localPort)).find((target) => target.pid === victim);
  const { pid: pausedPid } = await pauseIn(t, localPort, victimTarget.id);
  assert.equal(pausedPid, victim);
  // The stop freezes this worker only: the others answer what the primary hands them.
  const answeredBy = await servedMeanwhile(appPort, 3 * WORKERS, 2 * (WORKERS - 1));
  assert.ok(!answeredBy.includes(victim), `answered by ${answeredBy}, none by the paused ${victim}`);
  process.kill(victim, 'SIGKILL');
  await primary.stdout.waitForLine(new RegExp(`^worker ${victim} exited$`), { timeoutMs: 10_000 });
  await connect.stderr.waitForLine(new RegExp(`^epdb: the bridge on 127\\.0\\.0\\.1:\\d+ \\(pid ${victim}, worker \\d+\\) has gone$`), { timeoutMs: 10_000 });
  const exitedAt = primary.stdout.lines.indexOf(`worker ${victim} exited`);
  const [, successorText] = await primary.stdout.waitForLine(/^worker (\d+) listening$/, { timeoutMs: 10_000, from: exitedAt + 1 });
  const successor = Number(successorText);
  assert.ok(!first4.includes(successor));
  assert.ok(!(await listTargets(localPort)).some((target) => target.pid === victim), 'the killed worker\'s target is gone');

  // Round robin reaches the successor within a few knocks; the others' knocks just wait.
  await debugSuccessor(t, { localPort, knocker, nextWaiting, successor, range, maxKnocks: 3 * WORKERS });
});
