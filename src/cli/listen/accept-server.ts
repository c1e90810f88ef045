import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { log, RateLimitedLog } from '../../shared/log.js';
import { processLabel } from '../../shared/process-identity.js';
import { DEBUGGEE_PATH } from '../../shared/reverse/address.js';
import { CLOSE_UNPROVEN } from '../../shared/reverse/handshake.js';
import { HandshakeReader, HandshakeStepError } from '../../shared/reverse/handshake-reader.js';
import { SealedSocket, sessionKeys } from '../../shared/reverse/sealed-socket.js';
import { CommandError } from '../errors.js';
import { DebuggeeTarget } from './debuggee-target.js';
import { acceptDebuggee, RefusedDebuggee, type ListenerKey } from './listener-handshake.js';

/** Handshakes in progress at once: each costs a socket, a timer and a frame buffer, and anyone may start one. */
const MAX_PENDING_HANDSHAKES = 16;
/** The largest CDP message a process may send (a script's source, an evaluation's result). */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Where and how `epdb listen` accepts debuggees. */
export interface AcceptOptions {
  readonly host: string;
  readonly port: number;
  readonly key: ListenerKey;
  /** PEM certificate and key for `wss://`; plain `ws://` without. */
  readonly tls: { readonly cert: string; readonly key: string } | null;
  /** A process proved the key: it is a target from now on. */
  onTarget(target: DebuggeeTarget): void;
}

/** The accept side of `epdb listen`, listening. */
export interface AcceptServer {
  readonly server: Server;
  /** The port it listens on (the one given, or the one the kernel chose for 0). */
  readonly port: number;
}

/**
 * Listens for debuggees: a WebSocket at {@link DEBUGGEE_PATH}, each connection put through the
 * listener's side of the mutual proof before it becomes a {@link DebuggeeTarget}. Everything
 * else gets 404. Refusals are logged, rate-limited (anyone who reaches the port can cause them).
 *
 * @throws {CommandError} when the port cannot be bound.
 */
export async function startAcceptServer(options: AcceptOptions): Promise<AcceptServer> {
  const refusals = new RateLimitedLog();
  const sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_MESSAGE_BYTES });
  const notFound = (_req: IncomingMessage, res: import('node:http').ServerResponse): void => {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('epdb listen accepts debuggees only\n');
  };
  const server: Server = options.tls === null ? createHttpServer(notFound) : createHttpsServer(options.tls, notFound);
  let pending = 0;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    if ((req.url ?? '').split('?', 1)[0] !== DEBUGGEE_PATH || pending >= MAX_PENDING_HANDSHAKES) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    pending++;
    sockets.handleUpgrade(req, socket, head, (ws) => {
      // A socket error must never go unhandled: the reader sees it during the handshake, the
      // target after it, this one between the two and after a refusal.
      ws.on('error', () => {});
      // Listening before the hello comes: every frame from now on is read or kept, none dropped.
      const reader = new HandshakeReader(ws);
      acceptDebuggee(ws, reader, options.key).then(
        ({ process, nonces }) => {
          pending--;
          const key = options.key.handshakeKey;
          const socket = new SealedSocket(ws, key === null ? null : sessionKeys(key, 'listener', nonces.debuggee, nonces.listener), () => {
            log(`listen: a message from ${process.hostname} (${processLabel(process.pid, process.worker ?? undefined)}) at ${peer} did not verify (altered or injected on the way?); closed its connection`);
          }, reader.handOver());
          const target = new DebuggeeTarget(process, peer, socket);
          // The target listens now: read what came with the proof, then the rest as it comes.
          socket.start();
          log(`listen: ${target.title} connected from ${peer}`);
          target.onceGone(() => log(`listen: ${target.process.hostname} (${processLabel(target.process.pid, target.process.worker ?? undefined)}) disconnected`));
          options.onTarget(target);
        },
        (error: unknown) => {
          pending--;
          reader.handOver();
          if (!(error instanceof RefusedDebuggee)) ws.terminate();
          const reason = error instanceof RefusedDebuggee ? error.message : handshakeFailure(error);
          refusals.log(`listen: refused a debuggee from ${peer}: ${reason}`);
        },
      );
    });
  });
  server.on('tlsClientError', (error: Error, socket: Duplex) => {
    refusals.log(`listen: a TLS handshake failed (${error.message.split('\n', 1)[0]})`);
    socket.destroy();
  });
  server.on('clientError', (_error, socket: Duplex) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      reject(new CommandError(error.code === 'EADDRINUSE'
        ? `listen --accept: ${where} is already in use (another epdb listen?); choose another with --accept`
        : `listen --accept: cannot listen on ${where}: ${error.message}`));
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : options.port };
}

/** Why a handshake that was not refused here ended: the process closed it, or went silent. */
function handshakeFailure(error: unknown): string {
  if (error instanceof HandshakeStepError && error.closeCode === CLOSE_UNPROVEN) {
    return `it refused this listener's proof (${error.closeReason || 'no reason given'}): does it have the same EPDB_BACKEND and EPDB_KEY?`;
  }
  if (error instanceof HandshakeStepError && error.closeCode !== null) return `it closed the connection during the handshake (${error.closeCode})`;
  return `the handshake failed (${error instanceof Error ? error.message : String(error)})`;
}
