import { log, RateLimitedLog } from '../../shared/log.js';
import type { KnockedRequest, KnockHandler } from '../knocked-request.js';
import type { ProbeBridge, ProbeHandler } from './handler.js';
import { probeSpecOf, type ProbeSpec } from '../../shared/probes/spec.js';

/** Where the router sends knocks: the debug gate, and the bridge probes are armed through. */
export interface KnockRoutes {
  /** The debug gate's handler, for knocks that ask for a debugger. */
  debug(): KnockHandler;
  /** The bridge worker, started for `request` if it is not running; null when it cannot be. */
  probeBridge(request: KnockedRequest): ProbeBridge | null;
  /** Extra names probes redact (`EPDB_REDACT`). */
  readonly redact: readonly string[];
}

/**
 * The knock handler in front of the debug gate: a knock asking for a `snapshot` or a `log`
 * goes to the probes (its request is not held), every other knock to the gate. A probe knock
 * that cannot be armed as written is served as if it had no knock, with one line saying why.
 */
export function routeKnocks(routes: KnockRoutes): KnockHandler {
  let probes: ProbeHandler | undefined;
  // Anyone can make base64 knocks: refusals are rate-limited like the knock's own.
  const refusals = new RateLimitedLog(10, 60_000, log, Date.now, 'refused probes');
  return (request) => {
    let spec: ProbeSpec | undefined;
    try {
      spec = probeSpecOf(request.knock.options);
    } catch (error) {
      refusals.log(`probe refused on ${request.method} ${request.path}: ${error instanceof Error ? error.message : String(error)}`);
      request.proceed();
      return;
    }
    if (spec === undefined) {
      routes.debug()(request);
      return;
    }
    // Loaded on the first probe knock, not at start-up: the handler pulls in crypto and the
    // request context (node:crypto alone is ~10 ms of a preload's start-up).
    probes ??= (require('./handler.js') as typeof import('./handler.js')).createProbeHandler((knocked) => routes.probeBridge(knocked), routes.redact);
    probes(request, spec);
  };
}
