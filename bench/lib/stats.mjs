// Small statistics for noisy machines: medians and spreads, never means.

/** @param {number[]} values @param {number} q in [0, 1] @returns {number} */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** @param {number[]} values */
export const median = (values) => quantile(values, 0.5);

/**
 * Median, quartiles and extremes of a sample.
 * @param {number[]} values
 * @returns {{ n: number, median: number, p25: number, p75: number, min: number, max: number }}
 */
export function summarize(values) {
  return {
    n: values.length,
    median: median(values),
    p25: quantile(values, 0.25),
    p75: quantile(values, 0.75),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/**
 * `1.23 (IQR 1.20–1.25, range 1.10–1.30, n=8)`.
 * @param {ReturnType<typeof summarize>} s @param {number} digits @param {string} [unit]
 */
export function formatSummary(s, digits, unit = '') {
  const f = (x) => `${x.toFixed(digits)}${unit}`;
  return `${f(s.median)} (IQR ${f(s.p25)}–${f(s.p75)}, range ${f(s.min)}–${f(s.max)}, n=${s.n})`;
}

/**
 * Runs `rounds` rounds of every variant, interleaved (A B C, then B C A, ...: each variant takes
 * each position equally often, so a drifting machine load falls on all of them alike).
 * @template T
 * @param {string[]} variants
 * @param {number} rounds
 * @param {(variant: string, round: number) => Promise<T>} measure
 * @returns {Promise<Record<string, T[]>>} the measurements of each variant, in round order
 */
export async function interleave(variants, rounds, measure) {
  /** @type {Record<string, T[]>} */
  const results = Object.fromEntries(variants.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    const shift = round % variants.length;
    const order = [...variants.slice(shift), ...variants.slice(0, shift)];
    for (const variant of order) results[variant].push(await measure(variant, round));
  }
  return results;
}

/**
 * Ratios b[i] / a[i] of measurements taken in the same round, side by side.
 * @param {number[]} a @param {number[]} b
 */
export function pairedRatios(a, b) {
  return a.map((x, i) => b[i] / x);
}

/** @param {number[]} a @param {number[]} b */
export function pairedDifferences(a, b) {
  return a.map((x, i) => b[i] - x);
}

/**
 * The rows of a throughput-like table against an `unpatched` variant measured in the same
 * rounds: each variant's median and its paired ratio to unpatched (epdb's in bold), epdb's
 * target row, and how far the A/A control (`unpatched (A/A control)`) strayed from 1, to tell
 * epdb's cost from noise.
 *
 * @param {string} label the first column of each row
 * @param {Record<string, number[]>} results per variant, one value a round
 * @param {{ what: string, targetRatio: number }} target epdb's target: at least `targetRatio`
 * @returns {{ rows: string[][], target: object, control: number, epdb: number }}
 */
export function ratioToUnpatchedRows(label, results, { what, targetRatio }) {
  const rows = [];
  let target = null;
  for (const name of Object.keys(results)) {
    const value = summarize(results[name]);
    const ratio = name === 'unpatched' ? null : summarize(pairedRatios(results.unpatched, results[name]));
    const bold = name === 'epdb' ? '**' : '';
    rows.push([label, name, value.median.toFixed(0), ratio === null ? '1 (reference)' : `${bold}${formatSummary(ratio, 3)}${bold}`]);
    if (name === 'epdb') target = { what, target: `≥ ${targetRatio}`, measured: ratio.median.toFixed(3), met: ratio.median >= targetRatio };
  }
  const control = summarize(pairedRatios(results.unpatched, results['unpatched (A/A control)'])).median;
  const epdb = summarize(pairedRatios(results.unpatched, results.epdb)).median;
  return { rows, target, control, epdb };
}
