import { isInRequestContext, type RequestContextId } from '../context/request-context.js';

/**
 * The requests that have a probe armed now, and the one breakpoint condition every probe
 * location shares: "the code runs for one of them".
 *
 * A location's breakpoint keeps this condition while probes come and go there, so it is never
 * removed and set again for another probe's sake (which would leave a gap in which a request
 * being probed passes the line unseen). Which probe a pause is for is then decided in the
 * bridge worker with each probe's own condition.
 */
const probed = new Set<RequestContextId>();

/** Where the shared condition finds its check; a symbol, so no app global can clash with it. */
const PROBED_HOOK = Symbol.for('epdb.inProbedRequest');
type GlobalWithHook = typeof globalThis & { [PROBED_HOOK]?: () => boolean };

/**
 * The breakpoint condition of every probe location: true only in the async context of a
 * request with a probe armed. It never throws, even where the hook is not installed.
 */
export const PROBED_REQUEST_CONDITION = "(globalThis[Symbol.for('epdb.inProbedRequest')]?.() === true)";

/** Whether the code running now works for a request being probed (few at once: a short loop). */
function inProbedRequest(): boolean {
  for (const id of probed) if (isInRequestContext(id)) return true;
  return false;
}

/** Marks request context `id` as probed until {@link unmarkProbed}. */
export function markProbed(id: RequestContextId): void {
  (globalThis as GlobalWithHook)[PROBED_HOOK] ??= inProbedRequest;
  probed.add(id);
}

/** `id`'s probe is over. */
export function unmarkProbed(id: RequestContextId): void {
  probed.delete(id);
}
