import type { AcceptedKnock } from './accepted-knock.js';

/**
 * The knock options of a knock meant for a debug bridge only: `{"epdb": {"bridge": true}}`.
 * `epdb connect FIRST-LAST` probes every port of its range with such a knock, and a range may
 * hold the app's own port: there the knock must not hold a request for a debugger (once a
 * second, up to EPDB_MAX_HELD of them), so the app serves it as if it had no header. A bridge
 * accepts it like any valid knock. It can only make a request go undebugged, never the reverse.
 */
export const BRIDGE_ONLY_OPTIONS: Readonly<Record<string, unknown>> = Object.freeze({ bridge: true });

/** Whether an accepted knock is meant for a bridge only (see {@link BRIDGE_ONLY_OPTIONS}). */
export function isBridgeOnly(knock: AcceptedKnock): boolean {
  return knock.options['bridge'] === true;
}
