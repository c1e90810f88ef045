import { readFileSync } from 'node:fs';

/**
 * The 1-based line of `file` that carries the marker `@probe NAME`, so probe tests name lines
 * by what they hold rather than by number.
 * @param {string} file @param {string} name @returns {number}
 */
export function lineOf(file, name) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes(`@probe ${name}`));
  if (index === -1) throw new Error(`no "@probe ${name}" marker in ${file}`);
  return index + 1;
}

/**
 * A `Base64` knock asking for a probe: `{"epdb": {"snapshot": {...}}}` or `{"epdb": {"log": {...}}}`.
 * @param {'snapshot' | 'log'} kind @param {Record<string, unknown>} spec @returns {string}
 */
export function probeKnock(kind, spec) {
  return `Base64 ${Buffer.from(JSON.stringify({ epdb: { [kind]: spec } })).toString('base64')}`;
}

/** A fresh random probe id, as `epdb snapshot` makes one. @returns {string} */
export function probeId() {
  return Math.random().toString(16).slice(2, 10).padEnd(8, '0');
}

/**
 * `GET /epdb/probes/ID?wait=S` on the bridge at `bridgePort` (authenticated with `knock`
 * when given); resolves with the status and the parsed body.
 * @param {number} bridgePort @param {string} id
 * @param {{ wait?: number, knock?: string, path?: string }} [options] `path` replaces `/epdb/probes/ID`
 * @returns {Promise<{ status: number, body: any }>}
 */
export async function fetchProbe(bridgePort, id, { wait = 10, knock, path } = {}) {
  const { get } = await import('./http.mjs');
  const response = await get(bridgePort, path ?? `/epdb/probes/${id}?wait=${wait}`, knock ? { 'x-epdb': knock } : {});
  let body;
  try {
    body = JSON.parse(response.body);
  } catch {
    body = response.body;
  }
  return { status: response.status, body };
}
