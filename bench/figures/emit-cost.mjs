// Figure 1: what the wrap adds to every request without a knock, in-process, in ns.
import { fileURLToPath } from 'node:url';
import { benchEnv, runNodeTimed } from '../lib/procs.mjs';
import { formatSummary, interleave, median, pairedDifferences, summarize } from '../lib/stats.mjs';

const CHILD = fileURLToPath(new URL('../children/emit-loop.cjs', import.meta.url));
const TARGET_NS = 100;

/** @param {{ rounds: number, batch: number, batches: number }} options */
export async function emitCost({ rounds, batch, batches }) {
  const variants = ['unpatched', 'patched', 'disabled'];
  /** @type {Record<string, number[]>} */
  const collectionsPerMillion = Object.fromEntries(variants.map((v) => [v, []]));
  const results = await interleave(variants, rounds, async (variant) => {
    const { stdout } = runNodeTimed([CHILD, variant, String(batch), String(batches)], benchEnv());
    const { nsPerCall, calls, collections } = JSON.parse(stdout);
    collectionsPerMillion[variant].push((collections * 1e6) / calls);
    // One number per process: the median of its batches (a batch hit by another process's
    // burst on this shared machine does not move it).
    return median(nsPerCall);
  });
  const added = summarize(pairedDifferences(results.unpatched, results.patched));
  const leftAfterDisable = summarize(pairedDifferences(results.unpatched, results.disabled));
  const unpatched = summarize(results.unpatched);
  const patched = summarize(results.patched);
  const met = added.median < TARGET_NS;
  return {
    id: 1,
    title: 'Per-request cost of the wrap, in-process',
    method: `\`server.emit('request', req, res)\` on a real \`http.Server\` with a no-op listener and a real \`IncomingMessage\` `
      + `carrying 10 headers (no knock), ${batch.toLocaleString('en')} calls a batch, ${batches} timed batches after 3 warm-up batches, `
      + `one process per measurement (median of its batches); ${rounds} rounds of \`unpatched\` (epdb never loaded), \`patched\` `
      + `(\`instrument({ backend: new Base64Backend() })\`) and \`disabled\` (instrumented then \`disable()\`d), interleaved. `
      + `"Added" is patched − unpatched of the same round. Garbage collections are counted (\`PerformanceObserver\`, \`gc\`) `
      + `during the timed batches: a wrap that allocated per request would show there.`,
    table: [
      ['measure', 'ns per request'],
      ['unpatched emit', formatSummary(unpatched, 1)],
      ['patched emit', formatSummary(patched, 1)],
      ['**added by epdb** (patched − unpatched)', `**${formatSummary(added, 1)}**`],
      ['left after `disable()` (disabled − unpatched)', formatSummary(leftAfterDisable, 1)],
      ...variants.map((variant) => [`garbage collections per million requests, ${variant}`, median(collectionsPerMillion[variant]).toFixed(1)]),
    ],
    targets: [{ what: 'added per unknocked request', target: `< ${TARGET_NS} ns`, measured: `${added.median.toFixed(1)} ns`, met }],
    raw: { nsPerCall: results, collectionsPerMillion },
  };
}
