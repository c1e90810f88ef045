import type { IncomingMessage } from 'node:http';
import type { BackendRecipe, EPDBBackend } from '../shared/backends/backend.js';
import { DUPLICATE_KNOCK, knockHeaderOf } from '../shared/knock/header.js';
import { log, RateLimitedLog } from '../shared/log.js';
import { loggablePath } from '../shared/loggable.js';
import { FOREIGN_HOST_REASON, isAllowedHost } from '../shared/host-check.js';

/** Why the bridge turned a request away: the HTTP status and a line safe to send and log. */
export interface Refusal {
  readonly status: 401 | 403;
  readonly reason: string;
}

/** Decides, for every HTTP request and WebSocket upgrade, whether it may use the bridge. */
export interface BridgeGuard {
  /** `null` when the request may go on, else why not. */
  check(req: IncomingMessage): Promise<Refusal | null>;
}

/**
 * The bridge's gatekeeper. Every request must come with an allowed `Host`; with an
 * authenticating backend (`recipe` not null) it must also carry a valid knock in `X-EPDB`,
 * checked by a copy of the backend rebuilt here, in the worker, from its recipe.
 */
export function createBridgeGuard(recipe: BackendRecipe | null): BridgeGuard {
  const refusals = new RateLimitedLog();
  let checker: Promise<(value: string) => Promise<unknown>> | undefined;

  const knockChecker = async (): Promise<(value: string) => Promise<unknown>> => {
    if (recipe === null) throw new Error('no recipe');
    // Loaded lazily: the open (base64) bridge never needs them.
    const [{ loadBackend }, { verifyKnock }] = await Promise.all([
      import('../shared/backends/load.js'),
      import('../shared/knock/verify.js'),
    ]);
    const backend: EPDBBackend = await loadBackend(recipe);
    return (value) => verifyKnock(value, backend);
  };

  const refuse = (req: IncomingMessage, refusal: Refusal): Refusal => {
    refusals.log(`debug bridge refused ${req.method ?? 'GET'} ${loggablePath(req.url)}: ${refusal.reason}`);
    return refusal;
  };

  return {
    async check(req) {
      if (!isAllowedHost(req.headers.host)) {
        return refuse(req, { status: 403, reason: FOREIGN_HOST_REASON });
      }
      if (recipe === null) return null;
      const value = knockHeaderOf(req);
      if (value === undefined) return refuse(req, { status: 401, reason: 'an X-EPDB knock is required' });
      if (value === DUPLICATE_KNOCK) return refuse(req, { status: 401, reason: 'more than one X-EPDB header' });
      try {
        checker ??= knockChecker();
        await (await checker)(value);
        return null;
      } catch (error) {
        if (isKnockError(error)) return refuse(req, { status: 401, reason: `knock refused: ${error.message}` });
        // Not the caller's fault: the backend could not be rebuilt. Say so once per request.
        log(`debug bridge cannot check knocks: ${error instanceof Error ? error.message : String(error)}`);
        checker = undefined;
        return { status: 401, reason: 'knock could not be checked' };
      }
    },
  };
}

function isKnockError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'KnockError';
}
