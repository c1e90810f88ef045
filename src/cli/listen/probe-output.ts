import { processLabel } from '../../shared/process-identity.js';
import { snapshotTree, type SnapshotView } from '../snapshot/tree.js';
import type { ReceivedProbeResult } from '../../shared/probes/probe-result.js';
import type { DebuggeeTarget } from './debuggee-target.js';

/**
 * What `epdb listen` prints for a probe result a process pushed: one line saying what, where and
 * for which request and process, then the snapshot's tree (as `epdb snapshot` prints it) or the
 * logpoint's formatted message.
 *
 * @example
 * ```
 * snapshot 3f2a taken at src/orders.ts:17 for GET /orders/42 on web-7 (pid 4242)
 * expressions
 *   order.total = 99.5
 * ...
 * ```
 */
export function pushedProbeText(target: DebuggeeTarget, result: ReceivedProbeResult): string {
  // Printable ASCII, and the arrow of a followed request's hop.
  const text = (value: unknown): string => (typeof value === 'string' ? value.replace(/[^\x20-\x7e\u2192]/g, '?') : '?');
  const where = `${text(result['request'])} on ${target.process.hostname} (${processLabel(target.process.pid, target.process.worker ?? undefined)})`;
  const what = `${text(result['kind'])} ${text(result['id'])}`;
  if (result['taken'] !== true) {
    return `${what} at ${text(result['at'])} for ${where}: not taken (${text(result['reason'] ?? 'not reached')})\n`;
  }
  if (result['kind'] === 'log') return `${what} at ${text(result['at'])} for ${where}: ${text(result['message'])}\n`;
  return `${what} taken at ${text(result['at'])} for ${where}\n${snapshotTree(result as unknown as SnapshotView)}`;
}
