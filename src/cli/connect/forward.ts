import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { FOREIGN_HOST_REASON, isAllowedHost } from '../../shared/host-check.js';
import { log } from '../../shared/log.js';
import { describeSocketError } from './bridge-probe.js';
import { isDiscoveryPath, rewriteDiscoveryBody } from './discovery-rewrite.js';
import { CommandError } from '../errors.js';
import type { ForwardContext } from './forward-context.js';
import { ForwardEarlyAttach } from './forward-early.js';
import { bridgeRequestHeaders, clientResponseHeaders } from './forward-headers.js';
import { forwardUpgrade, refuseUpgrade } from './websocket-pipe.js';

/** The forward only ever listens on loopback: it hands out an authenticated debugger. */
const LOCAL_HOST = '127.0.0.1';

/**
 * Starts the local side of `epdb connect` on `127.0.0.1:localPort`: an HTTP server that passes
 * every request and WebSocket upgrade whose `Host` is local on to the bridge with a fresh knock.
 *
 * @throws {CommandError} when the port is taken or cannot be bound.
 */
export async function startForward(context: ForwardContext, localPort: number): Promise<Server> {
  // The same DNS-rebinding defence as the bridge's: the forward adds a valid knock to whatever
  // it passes on, so a web page that rebinds its name to 127.0.0.1 must not get through it.
  let warned = false;
  const isForeign = (req: IncomingMessage): boolean => {
    if (isAllowedHost(req.headers.host)) return false;
    if (!warned) log(`connect refused a request whose Host is not localhost or an IP address (a web page trying DNS rebinding?); debuggers must use 127.0.0.1:${localPort} or localhost:${localPort}`);
    warned = true;
    return true;
  };
  const early = new ForwardEarlyAttach(context);
  const server = createServer((req, res) => {
    if (isForeign(req)) return answerPlain(res, 403, `epdb: ${FOREIGN_HOST_REASON}\n`);
    if ((req.method === 'GET' || req.method === 'HEAD') && early.answerDiscovery(pathOf(req), req, res)) return;
    forwardRequest(context, req, res).catch(() => res.destroy());
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (isForeign(req)) return refuseUpgrade(socket, 403, 'Forbidden', `epdb: ${FOREIGN_HOST_REASON}\n`);
    if (early.acceptUpgrade(pathOf(req), req, socket, head)) return;
    forwardUpgrade(context, req, socket, head).catch(() => socket.destroy());
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, localPort)));
    server.listen(localPort, LOCAL_HOST, () => resolve());
  });
  return server;
}

/** A request's path without its query or a trailing slash. */
function pathOf(req: IncomingMessage): string {
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** The one-line error for a local port the forward cannot listen on. */
export function listenError(error: NodeJS.ErrnoException, port: number): Error {
  const where = `${LOCAL_HOST}:${port}`;
  if (error.code === 'EADDRINUSE') {
    return new CommandError(`${where} is already in use (a debugger, node --inspect or another epdb connect?); choose another local port with --port`);
  }
  if (error.code === 'EACCES') return new CommandError(`cannot listen on ${where}: permission denied; choose a port above 1023 with --port`);
  return new CommandError(`cannot listen on ${where}: ${error.message}`);
}

/**
 * Passes one HTTP request to the bridge and its answer back, rewriting the addresses the
 * discovery endpoints advertise. Waits while the bridge is not up yet; a request without a
 * body is tried once more if the bridge has just gone away and comes back.
 */
async function forwardRequest(context: ForwardContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const bodyless = req.method === 'GET' || req.method === 'HEAD';
  for (let attempt = 1; ; attempt++) {
    try {
      await context.watch.whenUp();
    } catch (error) {
      answerPlain(res, 502, `epdb: ${(error as Error).message}\n`);
      return;
    }
    try {
      relayAnswer(context, req, res, await sendToBridge(context, req, bodyless));
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'ECONNREFUSED') {
        context.watch.reportGone();
        if (bodyless && attempt === 1) continue;
      }
      answerPlain(res, 502, `epdb: the bridge on ${context.bridgeAuthority} did not answer (${describeSocketError(code)})\n`);
      return;
    }
  }
}

function sendToBridge(context: ForwardContext, req: IncomingMessage, bodyless: boolean): Promise<IncomingMessage> {
  return context.knock().then((knock) => new Promise((resolve, reject) => {
    const upstream = request({
      host: context.target.host,
      port: context.target.port,
      method: req.method,
      path: req.url,
      headers: bridgeRequestHeaders(req.headers, context.bridgeAuthority, knock, false),
      agent: false,
    });
    upstream.on('response', resolve);
    upstream.on('error', reject);
    if (bodyless) upstream.end();
    else req.pipe(upstream);
  }));
}

function relayAnswer(context: ForwardContext, req: IncomingMessage, res: ServerResponse, answer: IncomingMessage): void {
  const status = answer.statusCode ?? 502;
  // Reported once the 401 is out: the report ends `epdb connect`, and the debugger should see why.
  if (status === 401) res.once('close', () => context.watch.reportUnauthorized());
  res.on('close', () => answer.destroy());
  answer.on('error', () => res.destroy());
  const headers = clientResponseHeaders(answer.headers);
  const rewritable = status === 200 && isDiscoveryPath(req.url ?? '/') && headers['content-encoding'] === undefined;
  if (!rewritable) {
    res.writeHead(status, answer.statusMessage, headers);
    answer.pipe(res);
    return;
  }
  const chunks: Buffer[] = [];
  answer.on('data', (chunk: Buffer) => chunks.push(chunk));
  answer.on('end', () => {
    const body = rewriteDiscoveryBody(Buffer.concat(chunks).toString('utf8'), context.localAuthority);
    headers['content-length'] = Buffer.byteLength(body);
    res.writeHead(status, answer.statusMessage, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  });
}

function answerPlain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
