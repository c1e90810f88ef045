// Reverse connect through a real load balancer: Debian's haproxy, round-robin over 3 replicas of
// an Express app (EPDB_BACKEND=jwt, no bridge port). Each knock carries `connect`: whichever
// replica gets it dials `epdb listen`, a real debugger (chrome-remote-interface, and
// `node inspect` once) pauses in that replica, resumes, and the answer comes back through haproxy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanEnv, spawnChild, startApp } from './helpers/index.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';
import { startHaproxy } from './fixtures/reverse/haproxy.mjs';
import { JWT_ENV, knockWith, listedTargets, startListen } from './fixtures/reverse/listen.mjs';

const REPLICA_APP = new URL('./fixtures/reverse/replica-app.cjs', import.meta.url).pathname;
const CONNECTED = /^epdb: listen: GET \/hello on \S+ \(pid (\d+)\) connected from 127\.0\.0\.1:\d+$/;
const DISCONNECTED = /^epdb: listen: \S+ \(pid (\d+)\) disconnected$/;

test('knocks through haproxy over 3 replicas: each time the replica that got it dials epdb listen and is debugged', async (t) => {
  const listen = await startListen(t);
  const replicas = await Promise.all([0, 1, 2].map(() => startApp(t, { app: REPLICA_APP, env: { ...JWT_ENV, EPDB_WAIT_TIMEOUT: '60' } })));
  const replicaPids = new Set(replicas.map((replica) => replica.process.pid));
  const balancer = await startHaproxy(t, replicas.map((replica) => replica.port));
  const knock = { 'X-EPDB': await knockWith(JWT_ENV, listen.connect) };

  const debugged = [];
  for (let n = 1; n <= 3; n++) {
    const from = listen.stderr.lines.length;
    const response = get(balancer.port, `/hello?n=${n}`, knock, { timeoutMs: 30_000 });
    const [, dialledPid] = await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000, from });
    const [target, ...others] = await listedTargets(listen.localPort);
    assert.equal(others.length, 0, 'only the replica holding the request is a target');
    assert.match(target.title, new RegExp(`^GET /hello on \\S+ \\(pid ${dialledPid}\\)$`));

    const dbg = await attachDebugger(listen.localPort, t);
    const pause = await dbg.nextPause(15_000);
    // The pause is in the replica that dialled, holding this very request.
    const pausedPid = await dbg.evaluate(pause, 'process.pid');
    assert.equal(pausedPid, Number(dialledPid));
    assert.equal(await dbg.evaluate(pause, 'req.url'), `/hello?n=${n}`);
    await dbg.client.Debugger.resume();
    const { status, body } = await response;
    assert.equal(status, 200);
    assert.equal(body, `hello from ${pausedPid} /hello?n=${n}`, 'the answer came back through haproxy from the paused replica');
    await dbg.close();
    await listen.stderr.waitForLine(DISCONNECTED, { timeoutMs: 10_000, from });
    debugged.push(pausedPid);
  }
  t.diagnostic(`debugged replicas, in order: ${debugged.join(', ')}`);
  assert.deepEqual(new Set(debugged), replicaPids, 'round robin: every replica was debugged once');

  // `node inspect` once: it takes the first target of /json/list, the replica holding the request.
  const from = listen.stderr.lines.length;
  const response = get(balancer.port, '/hello?inspect', knock, { timeoutMs: 30_000 });
  const [, dialledPid] = await listen.stderr.waitForLine(CONNECTED, { timeoutMs: 15_000, from });
  const inspect = spawnChild(process.execPath, ['inspect', `127.0.0.1:${listen.localPort}`], { env: cleanEnv(), stdin: 'pipe', t });
  await inspect.stdout.waitForLine(/break in /, { timeoutMs: 15_000 });
  inspect.stdin.write('exec process.pid\n');
  await inspect.stdout.waitForLine(new RegExp(`^(debug> )*${dialledPid}$`), { timeoutMs: 5_000 });
  inspect.stdin.write('cont\n');
  assert.deepEqual(await response, { status: 200, body: `hello from ${dialledPid} /hello?inspect` });
  inspect.stdin.end('.exit\n');
  await listen.stderr.waitForLine(DISCONNECTED, { timeoutMs: 10_000, from });
  assert.ok(replicaPids.has(Number(dialledPid)));
});
