import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { log } from '../../shared/log.js';
import { targetListEntry } from '../../shared/target-list-entry.js';
import { EarlyAttach, WAITING_TARGET_ID } from '../hub/early-attach.js';
import type { TargetConnection } from '../hub/target.js';
import { relayDebugger } from '../hub/websocket-connection.js';
import { authorityOf } from './bridge-address.js';
import { probeBridge } from './bridge-probe.js';
import { bridgeEntry, dialBridgeTarget } from './bridge-socket.js';
import type { ForwardContext } from './forward-context.js';

/**
 * Attach first through the one-bridge `epdb connect`: while the bridge is not up, the forward
 * answers discovery itself, listing a stand-in target (`waiting for a knock: HOST:PORT`), and
 * holds a debugger that attaches to it (its commands kept in order) until the knock's bridge is
 * up; then it dials the bridge's target and joins the two. Once the bridge is up, discovery is
 * the bridge's own again.
 */
export class ForwardEarlyAttach {
  private readonly early: EarlyAttach;
  private readonly sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false });

  constructor(private readonly context: ForwardContext) {
    this.early = new EarlyAttach(`waiting for a knock: ${context.bridgeAuthority}`);
  }

  /** Answers a discovery request itself when the bridge is not up; false: forward it. */
  answerDiscovery(path: string, req: IncomingMessage, res: ServerResponse): boolean {
    if (this.context.watch.up) return false;
    let value: unknown;
    if (path === '/json/version') value = { Browser: `node.js/${process.version} (epdb connect, waiting for a knock)`, 'Protocol-Version': '1.1' };
    else if (path === '/json' || path === '/json/list') value = [targetListEntry(this.early.target, this.context.localAuthority)];
    else if (path !== '/json/protocol') return false;
    // chrome-remote-interface asks for the protocol before it attaches.
    const body = value === undefined ? loadProtocolSchema() : `${JSON.stringify(value, null, 2)}\n`;
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  /** Takes a WebSocket upgrade to the stand-in; false: not the stand-in's, forward it. */
  acceptUpgrade(path: string, req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (path !== `/${WAITING_TARGET_ID}`) return false;
    this.sockets.handleUpgrade(req, socket, head, (client) => this.hold(client));
    return true;
  }

  private hold(client: WebSocket): void {
    const connection = this.early.open();
    log(`a debugger attached through ${this.context.localAuthority} before the knock; it waits for the bridge on ${this.context.bridgeAuthority}`);
    pipe(client, connection);
    this.context.watch.whenUp().then(
      () => connection.join(() => this.dialBridge(), `the bridge on ${this.context.bridgeAuthority}`),
      () => connection.close(),
    );
  }

  /** The bridge's one target, dialled with a fresh knock. */
  private async dialBridge(): Promise<TargetConnection> {
    const listed = await probeBridge(this.context.target, await this.context.knock(), 5000, '/json/list');
    const entry = listed.kind === 'up' ? bridgeEntry(listed.body) : null;
    if (entry === null) throw new Error(`the bridge on ${this.context.bridgeAuthority} lists no target (${listed.kind})`);
    return dialBridgeTarget(authorityOf(this.context.target), entry.id, await this.context.knock());
  }
}

function loadProtocolSchema(): string {
  const { PROTOCOL_SCHEMA_JSON } = require('../../shared/protocol-schema.js') as typeof import('../../shared/protocol-schema.js');
  return PROTOCOL_SCHEMA_JSON;
}

/** Relays text messages between a debugger's WebSocket and a target conversation until either ends. */
function pipe(client: WebSocket, connection: TargetConnection): void {
  const end = (): void => {
    connection.close();
    client.close();
  };
  relayDebugger(client, connection, end);
}
