import { request, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { log } from '../../shared/log.js';
import { describeSocketError } from './bridge-probe.js';
import type { ForwardContext } from './forward-context.js';
import { bridgeRequestHeaders, rawResponseHead } from './forward-headers.js';

/**
 * Forwards a WebSocket upgrade to the bridge with a fresh knock, then splices the two sockets
 * into a byte pipe: the debugger protocol itself passes through untouched, so no WebSocket
 * library is needed. A refusal from the bridge (401...) is passed back to the debugger. The
 * caller has given `client` an error listener.
 */
export async function forwardUpgrade(context: ForwardContext, req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
  try {
    await context.watch.whenUp();
  } catch (error) {
    refuseUpgrade(client, 502, 'Bad Gateway', `epdb: ${(error as Error).message}\n`);
    return;
  }
  if (client.destroyed) return;
  const upstream = request({
    host: context.target.host,
    port: context.target.port,
    method: req.method,
    path: req.url,
    headers: bridgeRequestHeaders(req.headers, context.bridgeAuthority, await context.knock(), true),
    agent: false,
  });
  client.on('close', () => upstream.destroy());
  upstream.on('upgrade', (response, bridge, bridgeHead) => {
    client.write(rawResponseHead(response.statusCode ?? 101, response.statusMessage ?? 'Switching Protocols', response.rawHeaders));
    if (bridgeHead.length > 0) client.write(bridgeHead);
    if (head.length > 0) bridge.write(head);
    log(`a debugger attached through ${context.localAuthority}`);
    bridge.once('close', () => log(`the debugger on ${context.localAuthority} detached`));
    splice(client, bridge);
  });
  upstream.on('response', (response) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      if (response.statusCode !== 401) {
        // e.g. 409 when another debugger is attached: the debugger may not show why.
        const reason = body.split('\n', 1)[0]?.slice(0, 200) ?? '';
        log(`the bridge turned a debugger away: ${response.statusCode} ${response.statusMessage ?? ''}${reason ? ` (${reason})` : ''}`);
      }
      refuseUpgrade(client, response.statusCode ?? 502, response.statusMessage ?? '', body);
      // Reported once the 401 is out: the report ends `epdb connect`, and the debugger should see why.
      if (response.statusCode === 401) client.once('finish', () => context.watch.reportUnauthorized());
    });
    response.on('error', () => client.destroy());
  });
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ECONNREFUSED') context.watch.reportGone();
    refuseUpgrade(client, 502, 'Bad Gateway', `epdb: the bridge on ${context.bridgeAuthority} did not answer (${describeSocketError(error.code ?? error.message)})\n`);
  });
  upstream.end();
}

/** Joins two sockets both ways; when either side ends or fails, both are closed. */
function splice(a: Duplex, b: Duplex): void {
  const closeBoth = (): void => {
    a.destroy();
    b.destroy();
  };
  for (const socket of [a, b]) {
    socket.on('error', closeBoth);
    socket.on('close', closeBoth);
    (socket as Duplex & { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
  }
  a.pipe(b);
  b.pipe(a);
}

/** Answers an upgrade request that will not be upgraded, and closes the socket. */
export function refuseUpgrade(client: Duplex, statusCode: number, statusMessage: string, body: string): void {
  if (client.destroyed) return;
  const length = Buffer.byteLength(body);
  client.end(rawResponseHead(statusCode, statusMessage, [
    'Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(length), 'Connection', 'close',
  ]) + body);
}
