import type { EPDBBackend } from './backends/backend.js';
import type { PortRange } from './port-range.js';
import type { KnockHandler } from './types.js';

/** How to instrument, for users who configure epdb in code instead of the environment. */
export interface InstrumentOptions {
  /** Decodes and authenticates knocks: a built-in backend or your own {@link EPDBBackend}. */
  readonly backend: EPDBBackend;
  /** HTTP methods never checked for a knock (any case). Default: `['OPTIONS']`. */
  readonly exemptMethods?: Iterable<string>;
  /** Address the debug bridge binds. Default `127.0.0.1`. */
  readonly host?: string;
  /**
   * Port, or range of ports, the debug bridge binds: the first free one of the range. Default
   * `9000`. Taken as given: the cluster-worker widening of a single port is `EPDB_PORT`'s.
   */
  readonly port?: number | PortRange;
  /** How long a knocked request waits for a debugger, in ms; 0 waits forever. Default 300 000. */
  readonly waitTimeoutMs?: number;
  /**
   * What to do with each valid knock instead of holding it for a debugger (the debug gate).
   * It must call `proceed()` exactly once.
   */
  readonly onKnock?: KnockHandler;
}

/** A running instrumentation. */
export interface Instrumentation {
  /** Unwraps every server prototype and stops the debug bridge. Idempotent. */
  disable(): Promise<void>;
}
