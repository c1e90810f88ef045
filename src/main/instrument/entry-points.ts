import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { AcceptedKnock, AnyRequest, AnyResponse, CloseEmitter, KnockedRequest } from '../knocked-request.js';

/**
 * The server events a knock is looked for in, each with the argument that carries its headers:
 * `'request'` and `'checkContinue'` (which replaces it for `Expect: 100-continue` when the app
 * listens for it) and `'upgrade'` have the request first; an HTTP/2 `'stream'` has its headers
 * object second.
 */
export type EntryEventName = 'request' | 'checkContinue' | 'upgrade' | 'stream';

/** What the knock check adds to an entry point's event once the knock is accepted. */
export interface AcceptedFields {
  readonly knock: AcceptedKnock;
  readonly method: string;
  readonly path: string;
  /** How debuggers and the log name it, when not `method path` (a followed request's hop). */
  readonly title?: string;
  proceed(): void;
}

/** One server event that carried a knock header, as the knock check sees it before verifying it. */
export interface EntryEvent {
  /** The method and URL as the client sent them (not yet safe to log). */
  readonly method: unknown;
  readonly url: unknown;
  /** The request handed to the gate once its knock is accepted. */
  knocked(fields: AcceptedFields): KnockedRequest;
}

/**
 * The entry event of `emit(event, ...args)` on `server`, or `undefined` when another check sees
 * it: an HTTP/2 server with `'request'` listeners turns each stream into a compat `'request'`,
 * which is checked (and paused with its req/res) instead.
 */
export function entryEventOf(event: EntryEventName, server: unknown, args: readonly unknown[]): EntryEvent | undefined {
  const serverOf = (): { readonly listening?: boolean } | undefined => server as { readonly listening?: boolean } | undefined;
  if (event === 'stream') {
    if (servesCompatRequests(server)) return undefined;
    const stream = args[0] as ServerHttp2Stream;
    const headers = args[1] as IncomingHttpHeaders;
    return {
      method: headers[':method'],
      url: headers[':path'],
      knocked: (fields) => ({
        ...fields,
        kind: 'stream',
        stream,
        headers,
        closeEmitter: stream as CloseEmitter,
        clientLeft: () => stream.destroyed || stream.session?.destroyed === true,
        server: serverOf,
        // A stream is over when it closes: answered if the app sent its headers by then.
        onEnd: (listener) => onceClosed(stream, () => listener(stream.headersSent ? 'answered' : 'client-gone')),
      }),
    };
  }
  if (event === 'upgrade') {
    const req = args[0] as IncomingMessage;
    const socket = args[1] as Duplex;
    const head = args[2] as Buffer;
    return {
      method: req.method,
      url: req.url,
      knocked: (fields) => ({
        ...fields,
        kind: 'upgrade',
        proceed: seeingTheEndUntilProceed(socket, fields.proceed),
        req,
        socket,
        head,
        closeEmitter: endOrClose(socket),
        clientLeft: () => socket.destroyed || socket.readableEnded,
        server: serverOf,
        // The handshake has no end of its own (the socket lives on as a WebSocket): it is over
        // when the socket closes, answered if the app wrote to it by then.
        onEnd: (listener) => onceClosed(socket, () => listener(bytesWritten(socket) > 0 ? 'answered' : 'client-gone')),
      }),
    };
  }
  const req = args[0] as AnyRequest;
  const res = args[1] as AnyResponse;
  return {
    method: req.method,
    url: req.url,
    knocked: (fields) => ({
      ...fields,
      kind: 'request',
      req,
      res,
      closeEmitter: res as CloseEmitter,
      clientLeft: () => {
        const response = res as { destroyed?: boolean; stream?: { destroyed?: boolean } };
        const socket = req.socket as { destroyed?: boolean } | null | undefined;
        return response.destroyed === true || response.stream?.destroyed === true || socket?.destroyed === true;
      },
      server: serverOf,
      onEnd: (listener) => onResponseEnd(req, res, listener),
    }),
  };
}

/**
 * Makes a held upgrade's socket notice a client that leaves, until `proceed` hands it to the app.
 * Node hands `'upgrade'` a socket nobody reads (no `'data'` listener, not flowing), so its end
 * is not seen and `'close'` never comes while the request waits. A `'readable'` listener makes
 * the stream read (what arrives stays buffered for the app) and, on the client's end, lets it
 * end and close. Removed before the app gets the socket, which is then as before: the app's
 * first `'data'` listener resumes it.
 */
function seeingTheEndUntilProceed(socket: Duplex, proceed: () => void): () => void {
  const onReadable = (): void => {
    // At the end with nothing buffered, read(0) emits 'end': the socket then closes.
    if (socket.readableLength === 0) socket.read(0);
  };
  socket.on('readable', onReadable);
  return () => {
    socket.removeListener('readable', onReadable);
    proceed();
  };
}

/**
 * "The client left" for an upgrade's socket: its `'close'`, or its `'end'` (an http server's
 * sockets allow half-open connections, so a client's FIN ends the socket without closing it;
 * a client that hangs up its handshake will send nothing more).
 */
function endOrClose(socket: Duplex): CloseEmitter {
  const once = new Map<() => void, () => void>();
  return {
    once(_event, listener) {
      const calledOnce = (): void => {
        socket.removeListener('end', calledOnce);
        socket.removeListener('close', calledOnce);
        once.delete(listener);
        listener();
      };
      once.set(listener, calledOnce);
      socket.on('end', calledOnce);
      socket.on('close', calledOnce);
      return this;
    },
    removeListener(_event, listener) {
      const calledOnce = once.get(listener);
      if (calledOnce !== undefined) {
        socket.removeListener('end', calledOnce);
        socket.removeListener('close', calledOnce);
        once.delete(listener);
      }
      return this;
    },
  };
}

/** Calls `listener` once on `emitter`'s `'close'`; returns what removes it. */
function onceClosed(emitter: CloseEmitter, listener: () => void): () => void {
  emitter.once('close', listener);
  return () => emitter.removeListener('close', listener);
}

function bytesWritten(socket: Duplex): number {
  const written = (socket as { bytesWritten?: unknown }).bytesWritten;
  return typeof written === 'number' ? written : 0;
}

/**
 * Calls `listener` once when a request's response is over: `answered` once it is sent,
 * `client-gone` when the client left first. Returns what removes it.
 */
function onResponseEnd(req: AnyRequest, res: AnyResponse, listener: (how: 'answered' | 'client-gone') => void): () => void {
  const response = res as AnyResponse & { writableFinished?: boolean };
  let called = false;
  const end = (how: 'answered' | 'client-gone'): void => {
    if (called) return;
    called = true;
    listener(how);
  };
  const finished = (): void => end('answered');
  const closed = (): void => end(response.writableFinished === true ? 'answered' : 'client-gone');
  // The request's own 'aborted' (or 'close' before it was read whole) comes before the app
  // sees the request fail (body parsers listen for the same events, later than this), so the
  // walk ends before the app's error handlers run for a client that is gone.
  const request = req as AnyRequest & { complete?: boolean };
  const aborted = (): void => end('client-gone');
  const requestClosed = (): void => {
    if (request.complete === false) end('client-gone');
  };
  response.once('finish', finished);
  response.once('close', closed);
  request.once('aborted', aborted);
  request.once('close', requestClosed);
  return () => {
    response.removeListener('finish', finished);
    response.removeListener('close', closed);
    request.removeListener('aborted', aborted);
    request.removeListener('close', requestClosed);
  };
}

/** Whether `server` (an HTTP/2 one) has the compatibility API wired: Node does so once a `'request'` listener is added. */
function servesCompatRequests(server: unknown): boolean {
  const emitter = server as { listenerCount?: (event: string) => number } | null;
  return typeof emitter?.listenerCount === 'function' && emitter.listenerCount('request') > 0;
}
