import type { ProbeResult } from '../shared/probes/probe-result.js';
import { WebSocket } from 'ws';
import { log } from '../shared/log.js';
import {
  CLOSE_DEBUGGER_LEFT, CLOSE_PROTOCOL, CLOSE_UNPROVEN, HANDSHAKE_STEP_MS, HANDSHAKE_VERSION, freshNonce,
  clip, parseHandshakeMessage, proofHolds, proofOf,
} from '../shared/reverse/handshake.js';
import { heldNotice } from '../shared/reverse/held-notice.js';
import { probeNotice } from '../shared/reverse/probe-notice.js';
import { HandshakeReader, HandshakeStepError } from '../shared/reverse/handshake-reader.js';
import { SealedSocket, sessionKeys } from '../shared/reverse/sealed-socket.js';
import { describeDialError } from './dial-errors.js';
import type { DialSettings } from '../shared/thread-messages.js';

/** What the dialling transport needs from the worker around it. */
export interface DialEvents {
  /** The listener proved the key and took this process: relay CDP over `socket` from now on. */
  connected(socket: SealedSocket): void;
  /**
   * The connection could not be made, or is over; `reason` is the one line to log. `again`: it
   * ended as it should (the debugger detached), so a request still waiting may dial again.
   */
  ended(reason: string, again: boolean): void;
}

/** A dialled connection, as the worker around it uses it. */
export interface DialTransport {
  /** Tells the listener which request this process holds now (`null`: none), once connected. */
  describeHeld(request: string | null): void;
  /** Pushes a settled probe result to the listener (kept until connected, a few at most). */
  publishProbe(result: Readonly<ProbeResult>): void;
}

/** Probe results kept for a connection that is not up yet; older ones are dropped first. */
const MAX_UNSENT_PROBES = 20;

/**
 * The bridge's dial-out transport: opens a WebSocket to `epdb listen`, runs the mutual proof of
 * the key (the listener first: an impostor learns nothing about this process and gets no
 * debugger), then hands the socket to the relay. No port is opened in this process.
 */
export function dialListener(settings: DialSettings, events: DialEvents): DialTransport {
  const { address } = settings;
  const where = `epdb listen at ${address.authority}`;
  if (settings.handshakeKey === null) {
    log(`warning: dialling ${where} with base64, which proves nothing either way: whoever answers there gets a debugger over this process; use fernet or jwt across any network you do not trust (see SECURITY.md)`);
  }
  let over = false;
  let sealed: SealedSocket | null = null;
  const unsentProbes: string[] = [];
  const end = (reason: string, again = false): void => {
    if (over) return;
    over = true;
    events.ended(reason, again);
  };

  const ws = new WebSocket(address.url, {
    handshakeTimeout: HANDSHAKE_STEP_MS,
    perMessageDeflate: false,
    followRedirects: false,
    // What a debugger sends is commands, small; an unproven peer must not make this process buffer much.
    maxPayload: MAX_INBOUND_BYTES,
    // TLS: Node's defaults, the listener's certificate checked against Node's CAs and
    // NODE_EXTRA_CA_CERTS and its name against the host dialled.
  });
  const failBeforeOpen = (error: Error): void => {
    ws.terminate();
    end(`${describeDialError(error, where)}; the request goes on undebugged`);
  };
  ws.once('error', failBeforeOpen);
  ws.once('unexpected-response', (_request, response) => {
    ws.off('error', failBeforeOpen);
    ws.on('error', () => {});
    response.destroy();
    ws.terminate();
    end(`${where} answered HTTP ${response.statusCode ?? '?'} instead of taking the connection (is it an epdb listen?); the request goes on undebugged`);
  });
  ws.once('open', () => {
    ws.off('error', failBeforeOpen);
    // A socket error must never go unhandled: the reader sees it during the handshake, the
    // relay after it, this one between the two and after a failed handshake.
    ws.on('error', () => {});
    // Listening before the hello goes: every frame from now on is read or kept, none dropped.
    const reader = new HandshakeReader(ws);
    handshake(ws, reader, settings, where).then(
      (nonces) => {
        log(`connected to ${where} (pid ${process.pid}); ${settings.forProbes === true ? 'probe results go there' : 'waiting for a debugger there'}`);
        const key = settings.handshakeKey;
        sealed = new SealedSocket(ws, key === null ? null : sessionKeys(key, 'debuggee', nonces.debuggee, nonces.listener), () => {
          log(`a message from ${where} did not verify (altered or injected on the way?); closed the connection, nothing of it was relayed`);
        }, reader.handOver());
        events.connected(sealed);
        // The relay listens now: what the listener sent with its welcome (the commands of a
        // debugger that attached before this process dialled in) reaches it first.
        sealed.start();
        for (const notice of unsentProbes.splice(0)) sealed.send(notice);
        // After the relay's own listener: its session is gone (and a pause resumed) before this.
        ws.on('close', (code) => end(closedReason(code, where), code === CLOSE_DEBUGGER_LEFT));
      },
      (error: unknown) => {
        reader.handOver();
        if (ws.readyState === WebSocket.OPEN) {
          const unproven = error instanceof RefusedListener;
          ws.close(unproven ? CLOSE_UNPROVEN : CLOSE_PROTOCOL, unproven ? 'the listener did not prove the key' : 'handshake failed');
          setTimeout(() => ws.terminate(), 1_000).unref();
        }
        end(`${handshakeFailure(error, where)}; nothing was relayed, the request goes on undebugged`);
      },
    );
  });
  return {
    describeHeld(request) {
      if (sealed !== null && !over && sealed.readyState === WebSocket.OPEN) sealed.send(heldNotice(request));
    },
    publishProbe(result) {
      if (over) return;
      const notice = probeNotice(result);
      if (sealed !== null && sealed.readyState === WebSocket.OPEN) {
        sealed.send(notice);
        return;
      }
      unsentProbes.push(notice);
      if (unsentProbes.length > MAX_UNSENT_PROBES) unsentProbes.shift();
    },
  };
}

/** The largest message this process takes from a listener. */
const MAX_INBOUND_BYTES = 16 * 1024 * 1024;

/** The listener failed the proof (or runs another scheme): it gets nothing. */
class RefusedListener extends Error {}

/**
 * Runs the debuggee's side of the handshake, reading through `reader`; resolves with both
 * nonces (they key the messages). What came after the welcome stays in `reader`.
 */
async function handshake(ws: WebSocket, reader: HandshakeReader, settings: DialSettings, where: string): Promise<{ debuggee: string; listener: string }> {
  const key = settings.handshakeKey;
  const nonce = freshNonce();
  ws.send(JSON.stringify({ type: 'hello', version: HANDSHAKE_VERSION, scheme: settings.scheme, nonce }));
  const challenge = parseHandshakeMessage(await reader.next(HANDSHAKE_STEP_MS), 'challenge');
  if (challenge === null) throw new Error(`${where} did not answer with a handshake challenge`);
  if (challenge.scheme.toLowerCase() !== settings.scheme.toLowerCase()) {
    throw new RefusedListener(`${where} runs the ${clip(challenge.scheme, 20)} backend, this process ${settings.scheme}`);
  }
  if (!proofHolds(key, challenge.proof, 'listener', settings.scheme, nonce, challenge.nonce)) {
    throw new RefusedListener(`${where} did not prove it holds EPDB_KEY (an impostor, or another key)`);
  }
  const description = JSON.stringify(settings.process);
  ws.send(JSON.stringify({
    type: 'proof',
    proof: proofOf(key, 'debuggee', settings.scheme, nonce, challenge.nonce, description),
    process: description,
  }));
  if (parseHandshakeMessage(await reader.next(HANDSHAKE_STEP_MS), 'welcome') === null) {
    throw new Error(`${where} did not welcome this process after its proof`);
  }
  return { debuggee: nonce, listener: challenge.nonce };
}

function handshakeFailure(error: unknown, where: string): string {
  if (error instanceof RefusedListener) return `refused ${error.message}`;
  if (error instanceof HandshakeStepError) {
    if (error.closeCode === CLOSE_UNPROVEN) return `${where} refused this process: ${error.closeReason || 'no proof of the key'} (are EPDB_BACKEND and EPDB_KEY the same at both ends?)`;
    if (error.closeCode !== null) return `${where} closed the connection during the handshake (${error.closeCode}${error.closeReason ? ` ${error.closeReason}` : ''})`;
    return `the handshake with ${where} failed: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function closedReason(code: number, where: string): string {
  if (code === CLOSE_DEBUGGER_LEFT) return `the debugger on ${where} detached; the connection is closed (a knock that waits dials again)`;
  if (code === 1001) return `${where} stopped; the connection is closed`;
  return `the connection to ${where} was lost (${code}); the process runs on`;
}
