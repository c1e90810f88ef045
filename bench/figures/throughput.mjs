// Figure 2: end-to-end throughput of a server under epdb (no knocks), and under OpenTelemetry's
// http instrumentation, each as a ratio to the same server unpatched, measured side by side.
import { JWT_SECRET } from '../lib/keys.mjs';
import { requestsPerSecond } from '../lib/load.mjs';
import { benchEnv, startServer } from '../lib/procs.mjs';
import { interleave, ratioToUnpatchedRows } from '../lib/stats.mjs';

const TARGET_RATIO = 0.98;
const APP = 'bench/servers/app.cjs';
const OTEL_ENV = { OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };

/** Each variant: how its server process is started. */
const VARIANTS = {
  unpatched: { args: [], env: {} },
  'unpatched (A/A control)': { args: [], env: {} },
  epdb: { args: ['--import', 'epdb/register'], env: { EPDB_BACKEND: 'jwt', EPDB_KEY: JWT_SECRET } },
  'OpenTelemetry http': { args: ['--require', './bench/servers/otel-sdk.cjs'], env: OTEL_ENV },
};

/** @param {{ rounds: number, durationS: number, connections: number }} options */
export async function throughput({ rounds, durationS, connections }) {
  const table = [['server', 'variant', 'req/s (median)', 'ratio to unpatched, same round']];
  const targets = [];
  const notes = [];
  const raw = {};
  for (const kind of ['http', 'express']) {
    const label = kind === 'http' ? 'node:http' : 'Express 5';
    /** @type {Record<string, Awaited<ReturnType<typeof startServer>>>} */
    const servers = {};
    try {
      for (const [name, variant] of Object.entries(VARIANTS)) {
        servers[name] = await startServer([...variant.args, APP, kind], benchEnv(variant.env));
      }
      for (const server of Object.values(servers)) await requestsPerSecond(server.port, { durationS: 1, connections });
      const results = await interleave(Object.keys(VARIANTS), rounds, (name) => requestsPerSecond(servers[name].port, { durationS, connections }));
      raw[kind] = results;
      const spans = JSON.parse(await (await fetch(`http://127.0.0.1:${servers['OpenTelemetry http'].port}/__stats`)).text()).spans;
      if (!(spans > 0)) throw new Error(`the OpenTelemetry variant of ${label} exported no spans: it did not instrument`);
      const { rows, target, control, epdb } = ratioToUnpatchedRows(label, results, { what: `${label} throughput, epdb / unpatched`, targetRatio: TARGET_RATIO });
      table.push(...rows);
      targets.push(target);
      table.push([label, '(OTel spans exported)', String(spans), '']);
      if (Math.abs(1 - control) >= Math.abs(1 - epdb)) {
        notes.push(`${label}: the A/A control, two identical unpatched servers, measured ${control.toFixed(3)} in this run, at least as `
          + `far from 1 as epdb's ${epdb.toFixed(3)}: this run cannot tell epdb's cost from noise (figure 1 puts it at tens of ns a request).`);
      }
    } finally {
      await Promise.all(Object.values(servers).map((server) => server.stop()));
    }
  }
  return {
    id: 2,
    title: 'End-to-end throughput, no knocks',
    method: `autocannon (programmatic API, in the bench process; ${connections} connections, no pipelining, GET /hello/ada) `
      + `against four server processes of the same app started side by side: unpatched, a second unpatched one `
      + `(an A/A control: its ratio shows what noise alone does), \`node --import epdb/register\` with \`EPDB_BACKEND=jwt\`, `
      + `and OpenTelemetry's \`@opentelemetry/instrumentation-http\` 0.208 registered with \`@opentelemetry/sdk-node\` 0.208 `
      + `(\`--require ./bench/servers/otel-sdk.cjs\`; batch span processor, no-op exporter). Each server warmed 1 s, then `
      + `${rounds} rounds of ${durationS} s per server, interleaved and rotated; a ratio is variant / unpatched of the same round.`,
    table,
    targets,
    notes,
    raw,
  };
}
