import type { EPDBBackend } from './backends/backend.js';
import type { KnockHandler } from './types.js';

/** How to instrument, for users who configure epdb in code instead of the environment. */
export interface InstrumentOptions {
  /** Decodes and authenticates knocks: a built-in backend or your own {@link EPDBBackend}. */
  readonly backend: EPDBBackend;
  /** HTTP methods never checked for a knock (any case). Default: `['OPTIONS']`. */
  readonly exemptMethods?: Iterable<string>;
  /** Address the debug bridge binds. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port of the debug bridge. Default `9000`. */
  readonly port?: number;
  /** How long a knocked request waits for a debugger, in ms; 0 waits forever. Default 300 000. */
  readonly waitTimeoutMs?: number;
  /** Extra names whose values snapshots and logpoints replace by `[redacted]` (`EPDB_REDACT`). */
  readonly redact?: Iterable<string>;
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
