import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { BackendRecipe } from './backends/backend.js';
import type { DialOutSettings } from './reverse/dial-out.js';
import type { PortRange } from './port-range.js';
import type { StopAt } from './config.js';
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

/** Emits `'close'` once the client of a knocked request is gone. */
export interface CloseEmitter {
  once(event: 'close', listener: () => void): unknown;
  removeListener(event: 'close', listener: () => void): unknown;
}

/** What every entry point's knocked request has, whatever the server event it came from. */
interface KnockedEntry {
  readonly knock: AcceptedKnock;
  /** The method, and the path without its query string (both safe to log). */
  readonly method: string;
  readonly path: string;
  /**
   * How debuggers and the log name it when not `method path`: a followed request's hop
   * (`GET /bill/42 [hop 2: checkout → billing]`).
   */
  readonly title?: string;
  /**
   * What "the client left" means for this entry point: it emits `'close'` then (the response,
   * the upgrade's socket, the HTTP/2 stream).
   */
  readonly closeEmitter: CloseEmitter;
  /** Whether the client has gone already (its socket or stream destroyed), before `'close'` came. */
  clientLeft(): boolean;
  /** The server it came in on, if it can be found: `listening` turns false once it closes. */
  server(): { readonly listening?: boolean } | undefined;
  /**
   * Calls `listener` once when the exchange is over: `answered` once the app answered (the
   * response sent, the handshake or stream answered before its socket or stream closed),
   * `client-gone` when the client left first. Returns what removes it.
   */
  onEnd(listener: (how: 'answered' | 'client-gone') => void): () => void;
  /** Emits the event to the app's listeners, exactly as the server would have. Call once. */
  proceed(): void;
}

/** A knocked `'request'` (or `'checkContinue'`) of an http, https or http2 compat server. */
export interface KnockedHttpRequest extends KnockedEntry {
  readonly kind: 'request';
  readonly req: AnyRequest;
  readonly res: AnyResponse;
}

/** A knocked `'upgrade'` (a WebSocket handshake, say) of an http or https server. */
export interface KnockedUpgrade extends KnockedEntry {
  readonly kind: 'upgrade';
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  /** The first bytes after the request's headers, as the `'upgrade'` listener gets them. */
  readonly head: Buffer;
}

/** A knocked `'stream'` of an HTTP/2 server used through its core API (gRPC among them). */
export interface KnockedStream extends KnockedEntry {
  readonly kind: 'stream';
  readonly stream: ServerHttp2Stream;
  readonly headers: IncomingHttpHeaders;
}

/**
 * One request that carried a valid knock, handed to the {@link KnockHandler}, from whichever
 * server event it came (`kind`). The app has not seen it yet: nothing reaches the app's
 * listeners until `proceed()` is called.
 */
export type KnockedRequest = KnockedHttpRequest | KnockedUpgrade | KnockedStream;

/** What the instrumentation calls once per valid knock (the seam the debug gate plugs into). */
export type KnockHandler = (request: KnockedRequest) => void;

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

/** The debug gate (src/gate): the {@link KnockHandler} that holds a knocked request for a debugger. */
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
