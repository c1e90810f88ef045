import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { AnyRequest, AnyResponse } from '../shared/any-request.js';
import type { AcceptedKnock } from '../shared/knock/accepted-knock.js';

export type { AnyRequest, AnyResponse } from '../shared/any-request.js';
export type { AcceptedKnock, KnockScheme } from '../shared/knock/accepted-knock.js';

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
