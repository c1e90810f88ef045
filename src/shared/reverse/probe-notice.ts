import type { ProbeResult, ReceivedProbeResult } from '../probes/probe-result.js';

/**
 * A probe's result, pushed by a dialled-in process to `epdb listen` as it settles (the listening
 * bridge serves the same results at `GET /epdb/probes`). Told apart from CDP, like the held
 * notice, by its first bytes.
 */
const PREFIX = '{"epdb":"probe"';

/** The notice carrying `result` (a ProbeResult, as `/epdb/probes/ID` serves it). */
export function probeNotice(result: Readonly<ProbeResult>): string {
  return `${PREFIX},"result":${JSON.stringify(result)}}`;
}

/** The result a notice carries, or `undefined` when `text` is not a probe notice. */
export function parseProbeNotice(text: string): ReceivedProbeResult | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  try {
    const { result } = JSON.parse(text) as { result?: unknown };
    return typeof result === 'object' && result !== null && !Array.isArray(result) ? result as ReceivedProbeResult : undefined;
  } catch {
    return undefined;
  }
}
