import type { EPDBBackend } from '../shared/backends/backend.js';
import type { PortRange } from '../shared/port-range.js';
import type { StopAt } from '../shared/config.js';
import type { KnockHandler } from './knocked-request.js';
import type { FollowHosts } from '../shared/follow-hosts.js';

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
  /**
   * An `epdb listen` to dial for every knock instead of opening a bridge port
   * (`[ws|wss]://HOST:PORT` or `HOST:PORT`, as `EPDB_CONNECT`). Default: listen.
   */
  readonly connect?: string;
  /** How long a knocked request waits for a debugger, in ms; 0 waits forever. Default 300 000. */
  readonly waitTimeoutMs?: number;
  /** Knocked requests held at once (waiting or queued); more go on undebugged. Default 8. */
  readonly maxHeld?: number;
  /**
   * Where the debugger first stops: `app`, the first statement of the app's own code that runs
   * for the request (default), or `entry`, epdb's own pause with `req` and `res` in scope.
   * A knock may choose for itself: `{"epdb": {"stop": "entry"}}`.
   */
  readonly stopAt?: StopAt;
  /** Longest continuous stop of the main thread, in ms, before the debugger is detached; 0: no limit. Default 300 000. */
  readonly maxPauseMs?: number;
  /** Extra names whose values snapshots and logpoints replace by `[redacted]` (`EPDB_REDACT`). */
  readonly redact?: Iterable<string>;
  /**
   * The hosts a followed knock (`{"epdb": {"follow": true}}`) may be passed on to, as
   * `EPDB_FOLLOW` writes them (`host`, `host:port`, `*.domain`, comma-separated). Default: nobody.
   */
  readonly follow?: string | FollowHosts;
  /** This service's name in a followed request's hops (`EPDB_SERVICE`). Default: the app script's file name. */
  readonly service?: string;
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
