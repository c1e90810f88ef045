import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BridgeGuard, Refusal } from './auth.js';
import { discoveryAnswer } from './discovery.js';
import type { HeldSummary } from './target-process.js';
import type { BridgeWorkerData } from '../shared/thread-messages.js';

/** What the bridge server needs from the worker around it. */
export interface BridgeServerOptions {
  readonly data: BridgeWorkerData;
  readonly guard: BridgeGuard;
  /** The request the target holds now, for its title in `/json/list`. */
  held(): HeldSummary | null;
  /** Whether a debugger client is connected now (the bridge takes one at a time). */
  hasClient(): boolean;
  /** A client connected at the target's WebSocket. */
  onClient(ws: WebSocket): void;
  /** Answers paths beyond discovery (`/epdb/probes`), or null for not one of them. */
  extraAnswer?(req: IncomingMessage): Promise<{ readonly status: number; readonly body: string }> | null;
}

/**
 * The bridge's HTTP server: the discovery endpoints of `node --inspect` and the WebSocket at
 * the advertised `webSocketDebuggerUrl`, every request checked by the guard first.
 */
export function createBridgeServer(options: BridgeServerOptions): Server {
  const { data, guard } = options;
  const sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  // A failure answering one request must not take the bridge down with it.
  const server = createServer((req, res) => answerHttp(req, res).catch(() => res.destroy()));

  const localAddress = (): string => {
    const address = server.address();
    if (address === null || typeof address === 'string') return `${data.host}:${data.ports.first}`;
    return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
  };

  async function answerHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = await guard.check(req);
    if (refusal !== null) return refuseHttp(res, refusal);
    const extra = options.extraAnswer?.(req) ?? null;
    if (extra !== null) {
      const { status, body } = await extra;
      res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Cache-Control': 'no-cache' }).end(body);
      return;
    }
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const answer = req.method === 'GET' ? discoveryAnswer(path, req.headers.host, data, localAddress(), options.held()) : null;
    if (answer === null) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Unknown path\n');
      return;
    }
    res.writeHead(answer.status, {
      'Content-Type': 'application/json; charset=UTF-8',
      'Cache-Control': 'no-cache',
    });
    res.end(answer.body);
  }

  server.on('clientError', refuseMalformed);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    void (async () => {
      const refusal = await guard.check(req);
      if (refusal !== null) return refuseUpgrade(socket, refusal.status, refusal.reason);
      const path = (req.url ?? '/').split('?', 1)[0];
      if (path !== `/${data.targetId}`) return refuseUpgrade(socket, 404, 'Unknown target');
      if (options.hasClient()) return refuseUpgrade(socket, 409, 'A debugger is already attached');
      sockets.handleUpgrade(req, socket, head, (ws) => options.onClient(ws));
    })().catch(() => socket.destroy());
  });

  return server;
}

/**
 * Answers a request Node could not parse and closes gently: half-close and read the rest, so
 * the client gets the answer instead of a reset (Node's default destroys a socket that still
 * holds unread bytes, which makes the kernel send RST).
 */
function refuseMalformed(error: NodeJS.ErrnoException, socket: Duplex): void {
  socket.on('error', () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  socket.end(`HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.resume();
  setTimeout(() => socket.destroy(), 2_000).unref();
}

function refuseHttp(res: ServerResponse, refusal: Refusal): void {
  res.writeHead(refusal.status, { 'Content-Type': 'text/plain; charset=UTF-8' }).end(`${refusal.reason}\n`);
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
};

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\n` +
      `Content-Type: text/plain; charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
