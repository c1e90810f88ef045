// Figure 10: knock -> paused through `epdb listen` on loopback. The knocked process opens no
// port: its bridge worker starts, dials the listener, proves the key both ways (jwt), and the
// debugger attaches to the listener's local side as soon as the process is listed.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnChild } from '../../test/helpers/child.mjs';
import { freePortBelowEphemeralRange } from '../../test/helpers/ports.mjs';
import { connectDebugger, get, within } from '../lib/debugger.mjs';
import { JWT_SECRET } from '../lib/keys.mjs';
import { REPO_ROOT, benchEnv, startServer } from '../lib/procs.mjs';
import { formatSummary, summarize } from '../lib/stats.mjs';

const TARGET_MS = 500;
const JWT_ENV = { EPDB_BACKEND: 'jwt', EPDB_KEY: JWT_SECRET };

/** @param {{ dials: number, attachedKnocks: number }} options */
export async function reverseConnect({ dials, attachedKnocks }) {
  const localPort = await freePortBelowEphemeralRange();
  const listen = spawnChild(process.execPath, [join(REPO_ROOT, 'dist/src/cli/main.js'), 'listen', '--accept', '127.0.0.1:0', '--port', String(localPort)], { env: benchEnv(JWT_ENV) });
  const server = await startServer(['--import', 'epdb/register', 'bench/servers/app.cjs', 'express'], benchEnv({ ...JWT_ENV, EPDB_WAIT_TIMEOUT: '0' }));
  const knockToListed = [];
  const knockToPaused = [];
  const attachedToPaused = [];
  let debuggerSession;
  try {
    const [, connect] = await listen.stdout.waitForLine(/epdb knock --connect (\S+)\)/, { timeoutMs: 10_000 });
    // Made in-process with epdb's own backend, as `epdb knock --connect` makes it (one knock, reused while valid).
    const { JWTBackend } = createRequire(import.meta.url)(join(REPO_ROOT, 'dist/src/shared/backends/jwt.js'));
    const knock = `JWT ${await new JWTBackend({ secret: JWT_SECRET, maxAgeSeconds: 3600 }).encode({ epdb: { connect } })}`;
    const listed = /^epdb: listen: GET \/hello\/\S+ on \S+ \(pid \d+\) connected from /;

    // Fresh each time: the debugger detaches after each pause, the listener closes the
    // connection, and the next knock starts a bridge worker and dials again.
    for (let i = 0; i < dials; i++) {
      const from = listen.stderr.lines.length;
      const start = performance.now();
      const response = get(server.port, `/hello/dial-${i}`, { 'x-epdb': knock });
      await listen.stderr.waitForLine(listed, { timeoutMs: 15_000, from });
      knockToListed.push(performance.now() - start);
      debuggerSession = await connectDebugger(localPort);
      await debuggerSession.run();
      await debuggerSession.nextPause();
      knockToPaused.push(performance.now() - start);
      await debuggerSession.resume();
      if (await response !== 200) throw new Error('a knocked request was not served after resume');
      const goneFrom = listen.stderr.lines.length;
      await debuggerSession.close();
      debuggerSession = undefined;
      await listen.stderr.waitForLine(/^epdb: listen: .* disconnected$/, { timeoutMs: 10_000, from: goneFrom });
    }

    // Attached through the listener: each knock pauses at once over the dialled connection.
    let response = get(server.port, '/hello/first', { 'x-epdb': knock });
    await listen.stderr.waitForLine(listed, { timeoutMs: 15_000, from: listen.stderr.lines.length });
    debuggerSession = await connectDebugger(localPort);
    await debuggerSession.run();
    await debuggerSession.nextPause();
    await debuggerSession.resume();
    await response;
    for (let i = 0; i < attachedKnocks; i++) {
      const start = performance.now();
      response = get(server.port, `/hello/attached-${i}`, { 'x-epdb': knock });
      await debuggerSession.nextPause();
      attachedToPaused.push(performance.now() - start);
      await debuggerSession.resume();
      if (await within(response, 10_000, 'response after resume') !== 200) throw new Error('not served after resume');
    }
  } finally {
    await debuggerSession?.close().catch(() => {});
    await server.stop();
    await listen.stop();
  }
  const fresh = summarize(knockToPaused);
  const listedSummary = summarize(knockToListed);
  const attached = summarize(attachedToPaused);
  return {
    id: 10,
    title: 'Reverse connect: knock → paused through `epdb listen`',
    method: `\`epdb listen --accept 127.0.0.1:0\` and an Express app (\`bench/servers/app.cjs express\`) under \`--import epdb/register\`, `
      + `both with \`EPDB_BACKEND=jwt\`, on loopback; the app's default \`EPDB_STOP_AT=app\`. Each knock carries \`connect\` (made as `
      + `\`epdb knock --connect\` makes it). "Fresh": from sending the knocked GET to the debugger's \`Debugger.paused\`, where the process `
      + `starts its bridge worker, dials, both ends prove the key, the listener lists it (its stderr line), and chrome-remote-interface `
      + `then attaches to the listener's local side at once (\`Debugger.enable\`, \`Runtime.runIfWaitingForDebugger\`) and is stopped at `
      + `the app's handler; the debugger then detaches, which closes that connection (${dials} knocks). "Attached": the debugger stays `
      + `attached through the listener, each knock stops at once over the same connection (${attachedKnocks} knocks). Each pause is `
      + `resumed and the response checked (200).`,
    table: [
      ['measure', 'ms'],
      ['**knock → `Debugger.paused`, fresh dial (worker, dial, proof, attach, stop at app)**', `**${formatSummary(fresh, 1)}**`],
      ['knock → listed by `epdb listen` (worker started, dialled, key proved both ways)', formatSummary(listedSummary, 1)],
      ['knock → `Debugger.paused`, debugger attached through the listener', formatSummary(attached, 2)],
    ],
    targets: [
      { what: 'knock → paused through epdb listen, fresh dial', target: `< ${TARGET_MS} ms`, measured: `${fresh.median.toFixed(1)} ms (max ${fresh.max.toFixed(1)})`, met: fresh.median < TARGET_MS },
    ],
    raw: { knockToListed, knockToPaused, attachedToPaused },
  };
}
