import type { BackendRecipe } from '../../shared/backends/backend.js';
import type { StopAt } from '../../shared/config.js';
import type { PortRange } from '../../shared/port-range.js';
import type { DialOutSettings } from '../dial-out.js';
import type { KnockedRequest, KnockHandler } from '../knocked-request.js';
import type { ProbeBridge } from '../probes/handler.js';

/** Where and how the debug bridge listens, and for how long a knocked request waits for it. */
export interface SessionSettings {
  /** Address the bridge binds (`EPDB_HOST`). */
  readonly host: string;
  /** The ports the bridge may bind, tried in order (`EPDB_PORT`). */
  readonly port: PortRange;
  /** How long a knocked request waits for a debugger, in ms; 0 waits forever (`EPDB_WAIT_TIMEOUT`). */
  readonly waitTimeoutMs: number;
  /** Knocked requests held at once, waiting or queued (`EPDB_MAX_HELD`). */
  readonly maxHeld: number;
  /** Where the first stop is, unless a knock says otherwise (`EPDB_STOP_AT`). */
  readonly stopAt: StopAt;
  /** Longest continuous stop in ms before the bridge detaches the debugger; 0: none (`EPDB_MAX_PAUSE`). */
  readonly maxPauseMs: number;
  /**
   * How the bridge worker rebuilds the backend to authenticate every bridge request, or `null`
   * when the backend authenticates nobody (base64) and the bridge is open like `node --inspect`.
   */
  readonly bridgeAuth: BackendRecipe | null;
  /** How knocks that ask for it (or every knock, with `EPDB_CONNECT`) dial an `epdb listen`. */
  readonly dialOut?: DialOutSettings;
}

/** The debug gate (src/main/gate): the {@link KnockHandler} that holds a knocked request for a debugger. */
export interface DebugGate {
  readonly handler: KnockHandler;
  /** Stops the bridge worker, if it runs, and lets every held request go on. */
  close(): Promise<void>;
  /**
   * The bridge worker for probes, started if it is not running (dialling the `epdb listen` the
   * knock of `request` names, or EPDB_CONNECT's, so that results are pushed there); null once
   * the gate is closed.
   */
  probeBridge?(request: KnockedRequest): ProbeBridge | null;
}
