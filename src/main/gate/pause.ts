import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { AnyRequest, AnyResponse, KnockedRequest } from '../knocked-request.js';

/**
 * Where a debugged request stops, with what its server event handed the app in the frame's
 * local scope: `req` and `res` for a request, `req`, `socket` and `head` for an upgrade,
 * `stream` and `headers` for an HTTP/2 stream (a gRPC call). Step into `proceed()` to reach
 * the app's own handler.
 */
export function pauseAtRequest(request: KnockedRequest): void {
  switch (request.kind) {
    case 'upgrade': return pauseAtUpgrade(request.req, request.socket, request.head, request.proceed);
    case 'stream': return pauseAtStream(request.stream, request.headers, request.proceed);
    default: return pauseAtHttpRequest(request.req, request.res, request.proceed);
  }
}

function pauseAtHttpRequest(req: AnyRequest, res: AnyResponse, proceed: () => void): void {
  void req, void res; // they are here for you to inspect
  // epdb: this request is held for you. Step into proceed() to reach the app's handler.
  debugger;
  proceed();
}

function pauseAtUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, proceed: () => void): void {
  void req, void socket, void head; // they are here for you to inspect
  // epdb: this upgrade (a WebSocket handshake?) is held for you. Step into proceed() to reach the app's 'upgrade' handler.
  debugger;
  proceed();
}

function pauseAtStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, proceed: () => void): void {
  void stream, void headers; // they are here for you to inspect
  // epdb: this HTTP/2 stream (a gRPC call?) is held for you. Step into proceed() to reach the app's 'stream' handler.
  debugger;
  proceed();
}
