import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { BackendRecipe } from './backends/backend.js';
import type { ProbeBridge } from './probes/handler.js';

/** A request as the app's `'request'` listeners receive it, from any node:http-family server. */
export type AnyRequest = IncomingMessage | Http2ServerRequest;
/** The response that goes with {@link AnyRequest}. */
export type AnyResponse = ServerResponse | Http2ServerResponse;

/** The canonical spelling of a knock scheme, as logged. */
export type KnockScheme = 'Base64' | 'Fernet' | 'JWT' | (string & {});

/** A knock that decoded, authenticated and had the `{"epdb": {...}}` shape. */
export interface AcceptedKnock {
  readonly scheme: KnockScheme;
  /** The object under `"epdb"`: reserved for per-request options. */
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * One request that carried a valid knock, handed to the {@link KnockHandler}. The app has not
 * seen it yet: nothing reaches the app's listeners until `proceed()` is called.
 */
export interface KnockedRequest {
  readonly req: AnyRequest;
  readonly res: AnyResponse;
  readonly knock: AcceptedKnock;
  /** `req.method`, and the path without its query string (safe to log). */
  readonly method: string;
  readonly path: string;
  /** Emits the request to the app's listeners, exactly as the server would have. Call once. */
  proceed(): void;
}

/** What the instrumentation calls once per valid knock (the seam the debug gate plugs into). */
export type KnockHandler = (request: KnockedRequest) => void;

/** Where and how the debug bridge listens, and for how long a knocked request waits for it. */
export interface SessionSettings {
  /** Address the bridge binds (`EPDB_HOST`). */
  readonly host: string;
  /** Port of the bridge (`EPDB_PORT`). */
  readonly port: number;
  /** How long a knocked request waits for a debugger, in ms; 0 waits forever (`EPDB_WAIT_TIMEOUT`). */
  readonly waitTimeoutMs: number;
  /**
   * How the bridge worker rebuilds the backend to authenticate every bridge request, or `null`
   * when the backend authenticates nobody (base64) and the bridge is open like `node --inspect`.
   */
  readonly bridgeAuth: BackendRecipe | null;
}

/** The debug gate (src/gate): the {@link KnockHandler} that holds a knocked request for a debugger. */
export interface DebugGate {
  readonly handler: KnockHandler;
  /** Stops the bridge worker, if it runs, and lets every held request go on. */
  close(): Promise<void>;
  /** The bridge worker for probes, started if it is not running; null once the gate is closed. */
  probeBridge?(): ProbeBridge | null;
}
