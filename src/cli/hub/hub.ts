import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { FOREIGN_HOST_REASON, isAllowedHost } from '../../shared/host-check.js';
import { log } from '../../shared/log.js';
import { listOrder } from './discovery.js';
import { targetListEntry } from '../../shared/target-list-entry.js';
import { EarlyAttach, WAITING_TARGET_ID } from './early-attach.js';
import { TargetRefusal, type HubTarget, type TargetConnection, type TargetSink, type TargetSource } from './target.js';
import { relayDebugger } from './websocket-connection.js';

/** The hub only ever listens on loopback: what it hands out is a debugger on someone's process. */
const LOCAL_HOST = '127.0.0.1';

/** How long `/json/list` waits for the sources to look again before answering with what it has. */
const REFRESH_BOUND_MS = 2000;

/** Where and from what a hub serves. */
export interface TargetHubOptions {
  readonly port: number;
  readonly sources: readonly TargetSource[];
  /** Called when the hub cannot listen (`EADDRINUSE`...): the caller turns it into its own error. */
  readonly describeListenError?: (error: NodeJS.ErrnoException) => Error;
  /**
   * The title of the stand-in target listed while there is no other (`waiting for a knock: ...`),
   * which a debugger may attach to first (see {@link EarlyAttach}); without one, nothing is listed then.
   */
  readonly waitingTitle?: string;
}

/**
 * A local "target hub": one `127.0.0.1:PORT` that serves many debuggable processes to the usual
 * debuggers, as `node --inspect` serves one. `/json/version`, `/json/list` (`/json`),
 * `/json/protocol`, and a WebSocket per target at `/<id>`, relayed message by message to the
 * target's {@link TargetConnection}. Targets come and go as the {@link TargetSource}s report them.
 * Every request must carry a local `Host` (the DNS-rebinding defence of the bridge).
 */
export class TargetHub implements TargetSink {
  private readonly targets = new Map<string, HubTarget>();
  private readonly connections = new Map<string, Set<TargetConnection>>();
  private readonly sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly server: Server;
  private warnedForeignHost = false;
  private readonly early: EarlyAttach | null;

  constructor(private readonly options: TargetHubOptions) {
    this.early = options.waitingTitle === undefined ? null : new EarlyAttach(options.waitingTitle);
    this.server = createServer((req, res) => {
      this.answerHttp(req, res).catch(() => res.destroy());
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      this.answerUpgrade(req, socket, head).catch(() => socket.destroy());
    });
    this.server.on('clientError', (_error, socket) => socket.destroy());
  }

  /** Listens on `127.0.0.1:port`, then starts the sources. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) => reject(this.options.describeListenError?.(error) ?? error));
      this.server.listen(this.options.port, LOCAL_HOST, () => resolve());
    });
    for (const source of this.options.sources) source.start(this);
  }

  /** Stops the sources, disconnects every debugger and closes the port. */
  stop(): void {
    for (const source of this.options.sources) source.stop();
    for (const open of this.connections.values()) for (const connection of open) connection.close();
    this.server.closeAllConnections();
    this.server.close();
  }

  /** The targets as `/json/list` orders them; the stand-in while there is none. */
  list(): HubTarget[] {
    if (this.targets.size === 0) return this.early === null ? [] : [this.early.target];
    return listOrder(this.targets.values());
  }

  /** Lists `target`, or replaces the target with its id (see {@link TargetSink.add}); debuggers that attached first join it. */
  add(target: HubTarget): void {
    this.targets.set(target.id, target);
    if (this.early === null || !this.early.anyWaiting) return;
    // Theirs now: unlisting the target disconnects them too.
    const open = this.connections.get(target.id) ?? new Set<TargetConnection>();
    this.connections.set(target.id, open);
    for (const connection of this.early.joinAll(() => target.connect(), target.title)) {
      open.add(connection);
      connection.onClose(() => open.delete(connection));
    }
  }

  /** Unlists a target and disconnects its debuggers. */
  remove(id: string): void {
    this.targets.delete(id);
    for (const connection of this.connections.get(id) ?? []) connection.close();
  }

  private async answerHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.isForeign(req)) return answer(res, 403, 'text/plain; charset=utf-8', `epdb: ${FOREIGN_HOST_REASON}\n`);
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n');
    switch (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path) {
      case '/json/version':
        return answerJson(res, { Browser: `node.js/${process.version} (epdb target hub)`, 'Protocol-Version': '1.1' });
      case '/json':
      case '/json/list': {
        await this.refreshSources();
        const authority = req.headers.host !== undefined && req.headers.host !== '' ? req.headers.host : this.localAuthority();
        return answerJson(res, this.list().map((target) => targetListEntry(target, authority)));
      }
      case '/json/protocol': {
        const { PROTOCOL_SCHEMA_JSON } = require('../../shared/protocol-schema.js') as typeof import('../../shared/protocol-schema.js');
        return answer(res, 200, 'application/json; charset=UTF-8', PROTOCOL_SCHEMA_JSON);
      }
      default:
        return answer(res, 404, 'text/plain; charset=utf-8', 'Unknown path\n');
    }
  }

  private async answerUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (this.isForeign(req)) return refuseUpgrade(socket, 403, `epdb: ${FOREIGN_HOST_REASON}`);
    const id = ((req.url ?? '/').split('?', 1)[0] ?? '/').slice(1);
    // The stand-in is whatever /json/list shows first now: itself, or the target that came meanwhile.
    const target = id === WAITING_TARGET_ID && this.early !== null ? this.list()[0] : this.targets.get(id);
    if (target === undefined) return refuseUpgrade(socket, 404, 'Unknown target (it may have gone; ask /json/list again)');
    let connection: TargetConnection;
    try {
      connection = await target.connect();
    } catch (error) {
      const refusal = error instanceof TargetRefusal ? error : new TargetRefusal(502, error instanceof Error ? error.message : String(error));
      log(`${target.title} turned a debugger away: ${refusal.status} ${refusal.message}`);
      return refuseUpgrade(socket, refusal.status, refusal.message);
    }
    if (socket.destroyed || (target !== this.early?.target && !this.targets.has(target.id))) {
      connection.close();
      return;
    }
    this.sockets.handleUpgrade(req, socket, head, (client) => this.relay(target, client, connection));
  }

  /** Relays CDP messages both ways until either side ends. */
  private relay(target: HubTarget, client: WebSocket, connection: TargetConnection): void {
    const open = this.connections.get(target.id) ?? new Set<TargetConnection>();
    this.connections.set(target.id, open);
    open.add(connection);
    log(`a debugger attached to ${target.title}`);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      open.delete(connection);
      if (open.size === 0 && this.connections.get(target.id) === open) this.connections.delete(target.id);
      connection.close();
      client.close();
      log(`the debugger of ${target.title} detached`);
    };
    relayDebugger(client, connection, end);
  }

  private async refreshSources(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => { timer = setTimeout(resolve, REFRESH_BOUND_MS); });
    const refreshes = this.options.sources.map((source) => source.refresh?.().catch(() => {}));
    await Promise.race([Promise.all(refreshes), bound]).finally(() => clearTimeout(timer));
  }

  private isForeign(req: IncomingMessage): boolean {
    if (isAllowedHost(req.headers.host)) return false;
    if (!this.warnedForeignHost) {
      log(`refused a request whose Host is not localhost or an IP address (a web page trying DNS rebinding?); debuggers must use ${this.localAuthority()}`);
    }
    this.warnedForeignHost = true;
    return true;
  }

  private localAuthority(): string {
    return `${LOCAL_HOST}:${this.options.port}`;
  }
}

function answerJson(res: ServerResponse, value: unknown): void {
  answer(res, 200, 'application/json; charset=UTF-8', `${JSON.stringify(value, null, 2)}\n`);
}

function answer(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 502: 'Bad Gateway' };

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed) return;
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
