import type { ProbeResult } from './results.js';

/**
 * The one log line of a settled probe: what, where, for which request, how big, how long the
 * main thread stopped; never a captured value (those go only to whoever asks with the key).
 */
export function settledLine(result: Readonly<ProbeResult>): string {
  if (!result.taken) return `${result.kind} ${result.id} at ${result.at} for ${result.request} ${result.reason ?? 'not taken'}`;
  const detail = result.kind === 'snapshot'
    ? `${result.stack?.length ?? 0} frames, ${((result.bytes ?? 0) / 1024).toFixed(1)} KB`
    : `${((result.bytes ?? 0) / 1024).toFixed(1)} KB`;
  const where = result.exception !== undefined && result.location !== undefined
    ? `where ${result.exception.className} was thrown (${result.location.file}:${result.location.line})`
    : `at ${result.at}`;
  return `${result.kind} ${result.id} taken ${where} for ${result.request} (${detail}${result.truncated === true ? ', truncated' : ''}, stopped ${(result.stoppedMs ?? 0).toFixed(1)} ms)`;
}
