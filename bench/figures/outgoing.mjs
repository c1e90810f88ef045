// Figure 12: what epdb costs an app's outgoing requests (node:http, fetch) when none is followed:
// requests per second a client process sends under epdb, as a ratio to the same client unpatched.
import { JWT_SECRET } from '../lib/keys.mjs';
import { benchEnv, runNodeTimed, startServer } from '../lib/procs.mjs';
import { interleave, ratioToUnpatchedRows } from '../lib/stats.mjs';

const TARGET_RATIO = 0.98;
const CLIENT = 'bench/children/outgoing-loop.mjs';

/** Each variant: how its client process is started. */
const VARIANTS = {
  unpatched: { args: [], env: {} },
  'unpatched (A/A control)': { args: [], env: {} },
  epdb: { args: ['--import', 'epdb/register'], env: { EPDB_BACKEND: 'jwt', EPDB_KEY: JWT_SECRET, EPDB_FOLLOW: '127.0.0.1, *.svc.cluster.local' } },
};

/** @param {{ rounds: number, durationMs: number, concurrency: number }} options */
export async function outgoing({ rounds, durationMs, concurrency }) {
  const table = [['client', 'variant', 'requests/s (median)', 'ratio to unpatched, same round']];
  const targets = [];
  const notes = [];
  const raw = {};
  const server = await startServer(['bench/servers/app.cjs', 'http'], benchEnv());
  try {
    for (const via of ['http', 'fetch']) {
      const label = via === 'http' ? 'node:http request' : 'fetch';
      const results = await interleave(Object.keys(VARIANTS), rounds, async (name) => {
        const variant = VARIANTS[name];
        const { stdout } = runNodeTimed([...variant.args, CLIENT, String(server.port), via, String(durationMs), String(concurrency)], benchEnv(variant.env));
        const { requests, seconds } = JSON.parse(stdout.trim().split('\n').at(-1));
        return requests / seconds;
      });
      raw[via] = results;
      const { rows, target, control, epdb } = ratioToUnpatchedRows(label, results, { what: `${label} requests sent per second, epdb / unpatched`, targetRatio: TARGET_RATIO });
      table.push(...rows);
      targets.push(target);
      if (Math.abs(1 - control) >= Math.abs(1 - epdb)) {
        notes.push(`${label}: the A/A control measured ${control.toFixed(3)} in this run, at least as far from 1 as epdb's ${epdb.toFixed(3)}: `
          + 'this run cannot tell epdb\'s cost from noise.');
      }
    }
  } finally {
    await server.stop();
  }
  return {
    id: 12,
    title: 'Outgoing requests, none followed',
    method: `a client process keeps ${concurrency} GET /hello/ada in flight to an unpatched node:http server (node:http with a keep-alive `
      + `agent, or fetch) for ${durationMs} ms after a warm-up as long, and counts the requests it completed. Three clients, run one after `
      + `the other: unpatched, a second unpatched one (an A/A control), and \`node --import epdb/register\` with \`EPDB_BACKEND=jwt\` and `
      + `\`EPDB_FOLLOW\` set (epdb's outgoing hooks on: the follow context checked, knock headers looked for). ${rounds} rounds, `
      + 'interleaved and rotated; a ratio is variant / unpatched of the same round.',
    table,
    targets,
    notes,
    raw,
  };
}
