import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { inspectorTarget } from '../../bridge/discovery.js';
import { FOREIGN_HOST_REASON, isAllowedHost } from '../../bridge/host-check.js';
import { log } from '../../log.js';
import { CommandError } from '../errors.js';

/** One debugger target served on the local port, wherever its process is. */
export interface LocalTarget {
  readonly id: string;
  readonly title: string;
  readonly url: string;
  /** Whether a debugger may attach now (one at a time). */
  readonly available: boolean;
  /** Relays a debugger's WebSocket to the target. */
  attach(client: WebSocket): void;
}

/** Where the local server finds its targets, in the order `/json/list` shows them. */
export interface TargetSource {
  targets(): readonly LocalTarget[];
}

/** The loopback address the local side binds: it hands out debuggers without asking who. */
const LOCAL_HOST = '127.0.0.1';

/**
 * Serves targets on `127.0.0.1:port` as `node --inspect` serves its one: `/json/version`,
 * `/json/list` (`/json`), `/json/protocol`, and each target's WebSocket at `/<id>`, so that
 * `node inspect`, DevTools and VS Code attach unchanged. The `Host` check of the bridge applies
 * (a DNS-rebinding page gets 403).
 *
 * @throws {CommandError} when the port cannot be bound.
 */
export async function startTargetServer(source: TargetSource, port: number): Promise<Server> {
  const sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
  const server = createServer((req, res) => answer(source, req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const refuse = (status: string, reason: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(reason) + 1}\r\n\r\n${reason}\n`);
    };
    if (!isAllowedHost(req.headers.host)) return refuse('403 Forbidden', FOREIGN_HOST_REASON);
    const id = (req.url ?? '/').split('?', 1)[0]?.slice(1);
    const target = source.targets().find((candidate) => candidate.id === id);
    if (target === undefined) return refuse('404 Not Found', 'Unknown target (its process may have gone)');
    if (!target.available) return refuse('409 Conflict', 'A debugger is already attached');
    sockets.handleUpgrade(req, socket, head, (ws) => {
      log(`listen: a debugger attached to ${target.title}`);
      ws.once('close', () => log(`listen: the debugger of ${target.title} detached`));
      target.attach(ws);
    });
  });
  server.on('clientError', (_error, socket: Duplex) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new CommandError(error.code === 'EADDRINUSE'
        ? `listen --port: ${LOCAL_HOST}:${port} is already in use (a debugger, node --inspect or epdb connect?); choose another with --port`
        : `listen --port: cannot listen on ${LOCAL_HOST}:${port}: ${error.message}`));
    });
    server.listen(port, LOCAL_HOST, () => resolve());
  });
  return server;
}

function answer(source: TargetSource, req: IncomingMessage, res: ServerResponse): void {
  const send = (status: number, type: string, body: string): void => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-cache' }).end(body);
  };
  if (!isAllowedHost(req.headers.host)) return send(403, 'text/plain; charset=UTF-8', `${FOREIGN_HOST_REASON}\n`);
  const path = (req.url ?? '/').split('?', 1)[0];
  const authority = req.headers.host !== undefined && req.headers.host !== '' ? req.headers.host : `${LOCAL_HOST}:${req.socket.localPort ?? 0}`;
  switch (req.method === 'GET' ? path : '') {
    case '/json/version':
      return send(200, 'application/json; charset=UTF-8', pretty({ Browser: `node.js/${process.version}`, 'Protocol-Version': '1.1' }));
    case '/json':
    case '/json/list':
      return send(200, 'application/json; charset=UTF-8', pretty(source.targets().map((target) => inspectorTarget(authority, target.id, target.title, target.url))));
    case '/json/protocol': {
      const { PROTOCOL_SCHEMA_JSON } = require('../../bridge/protocol-schema.js') as typeof import('../../bridge/protocol-schema.js');
      return send(200, 'application/json; charset=UTF-8', PROTOCOL_SCHEMA_JSON);
    }
    default:
      return send(404, 'text/plain; charset=UTF-8', 'Unknown path\n');
  }
}

/** As Node's inspector writes its JSON: 2 spaces. */
function pretty(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
