// Probes over reverse connect: a process that dials `epdb listen` (EPDB_CONNECT) pushes each
// snapshot and logpoint result to the listener as it settles, and the listener prints it (the
// request, the process, the tree or the formatted message); the request is never held and no
// bridge port is opened.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startApp } from './helpers/index.mjs';
import { get } from './helpers/http.mjs';
import { lineOf, probeId } from './helpers/probes.mjs';
import { JWT_ENV, startListen } from './fixtures/reverse/listen.mjs';

const REPLICA_APP = fileURLToPath(new URL('./fixtures/reverse/replica-app.cjs', import.meta.url));
const LINE = lineOf(REPLICA_APP, 'hello');
const { createBackend, readConfig } = await import(new URL('../dist/src/index.js', import.meta.url).href);
const backend = createBackend(readConfig(JWT_ENV));
const knockFor = async (probe) => `${backend.scheme} ${await backend.encode({ epdb: probe })}`;

test('a dialled-in process pushes its snapshot and logpoint results to epdb listen, which prints them', async (t) => {
  const listen = await startListen(t);
  const replica = await startApp(t, { app: REPLICA_APP, env: { ...JWT_ENV, EPDB_CONNECT: `ws://${listen.connect}` } });
  const pid = replica.process.pid;

  const snapshotId = probeId();
  const knock = await knockFor({ snapshot: { at: `replica-app.cjs:${LINE}`, expr: ['req.url'], id: snapshotId } });
  assert.equal((await get(replica.port, '/hello?probe=1', { 'X-EPDB': knock })).body, `hello from ${pid} /hello?probe=1`);
  await listen.stdout.waitForLine(new RegExp(`^snapshot ${snapshotId} taken at replica-app\\.cjs:${LINE} for GET /hello on \\S+ \\(pid ${pid}\\)$`), { timeoutMs: 15_000 });
  await listen.stdout.waitForLine(/^ {2}req\.url = "\/hello\?probe=1"$/, { timeoutMs: 5_000 });

  const logId = probeId();
  const logKnock = await knockFor({ log: { at: `replica-app.cjs:${LINE}`, message: 'url is {req.url}', id: logId } });
  assert.equal((await get(replica.port, '/hello?probe=2', { 'X-EPDB': logKnock })).body, `hello from ${pid} /hello?probe=2`);
  await listen.stdout.waitForLine(new RegExp(`^log ${logId} at replica-app\\.cjs:${LINE} for GET /hello on \\S+ \\(pid ${pid}\\): url is /hello\\?probe=2$`), { timeoutMs: 15_000 });

  // A line the request never reaches: the listener is told it was not taken.
  const missId = probeId();
  const missKnock = await knockFor({ snapshot: { at: `replica-app.cjs:${LINE}`, id: missId } });
  assert.equal((await get(replica.port, '/resources', { 'X-EPDB': missKnock })).status, 200);
  await listen.stdout.waitForLine(new RegExp(`^snapshot ${missId} at replica-app\\.cjs:${LINE} for GET /resources on \\S+ \\(pid ${pid}\\): not taken \\(not reached`), { timeoutMs: 15_000 });

  // Dialling out opened no listening port besides the app's own.
  const { body } = await get(replica.port, '/resources');
  assert.equal(JSON.parse(body).listening, 1);
});
