import { AsyncResource } from 'node:async_hooks';
import { exposureWarning } from '../bridge/exposure.js';
import { log } from '../log.js';
import { markKnockedRequest, type GateOutcome, type GateSpanMarker } from '../telemetry.js';
import type { DebugGate, KnockedRequest, KnockHandler, SessionSettings } from '../types.js';
import { BridgeHandle, hostPort } from './bridge-handle.js';
import { pauseAtRequest } from './pause.js';

/** A knocked request held at the gate. */
interface Held {
  readonly request: KnockedRequest;
  readonly since: number;
  /** The async context of the knock, so the app handles the request in it (OpenTelemetry, ALS). */
  readonly context: AsyncResource;
  readonly mark: GateSpanMarker;
  timer: NodeJS.Timeout | undefined;
  /** Lets the request go when its client disconnects while it waits. */
  readonly onClientGone: () => void;
}

/** How often held requests look whether their server stopped listening (`server.close()`). */
const SERVER_CLOSING_CHECK_MS = 200;

/** The server a request came in on, if it can be found (`socket.server`, as net sets it). */
function serverOf(request: KnockedRequest): { readonly listening?: boolean } | undefined {
  try {
    return (request.req.socket as { server?: { listening?: boolean } } | null | undefined)?.server;
  } catch {
    return undefined;
  }
}

/**
 * Whether the client of a held request has already gone, before its `'close'` event has come
 * (its socket or, for HTTP/2, its stream is destroyed). Pausing at it would stop the debugger
 * at a request nobody waits for.
 */
function clientLeft(request: KnockedRequest): boolean {
  try {
    const res = request.res as { destroyed?: boolean; stream?: { destroyed?: boolean } };
    const socket = request.req.socket as { destroyed?: boolean } | null | undefined;
    return res.destroyed === true || res.stream?.destroyed === true || socket?.destroyed === true;
  } catch {
    return false;
  }
}

/**
 * Creates the gate. The bridge worker starts on the first knock, never before. A knocked
 * request waits (without blocking the event loop) until a debugger attaches through the bridge,
 * then runs paused in {@link pauseAtRequest}; while the debugger stays attached each later knock
 * pauses at once. Without a debugger for `settings.waitTimeoutMs` (0: forever), or when the
 * bridge cannot serve, the request goes on undebugged.
 */
export function createDebugGate(settings: SessionSettings): DebugGate {
  let bridge: BridgeHandle | null = null;
  let listeningOn: string | null = null;
  let attached = false;
  let closed = false;
  const waiting = new Set<Held>();
  const readyToPause: Held[] = [];
  let pausing = false;

  function letGo(held: Held, outcome: Omit<GateOutcome, 'waitedMs'>, run: () => void): void {
    clearTimeout(held.timer);
    held.request.res.removeListener('close', held.onClientGone);
    held.mark({ ...outcome, waitedMs: performance.now() - held.since });
    try {
      held.context.runInAsyncScope(run);
    } finally {
      held.context.emitDestroy();
    }
  }

  function goOnUndebugged(held: Held, reason: GateOutcome['reason']): void {
    waiting.delete(held);
    letGo(held, { debugged: false, reason }, held.request.proceed);
  }

  function goOnWithoutClient(held: Held): void {
    log(`the client of ${held.request.method} ${held.request.path} went away while it waited; going on`);
    goOnUndebugged(held, 'client-gone');
  }

  /** Lets every held request go on; one whose handler throws does not hold up the others. */
  function releaseAll(reason: GateOutcome['reason']): void {
    for (const held of [...waiting, ...readyToPause.splice(0)]) {
      try {
        goOnUndebugged(held, reason);
      } catch (error) {
        // What the app's handler threw stays an uncaught exception, as without epdb.
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }

  // While requests wait, look now and then whether their server is closing (a graceful
  // shutdown): a held request would keep its connection, and so the process, alive.
  let closingCheck: NodeJS.Timeout | undefined;
  function watchForClosingServers(): void {
    if (closingCheck !== undefined) return;
    closingCheck = setInterval(() => {
      for (const held of waiting) {
        if (serverOf(held.request)?.listening === false) {
          log(`the server is closing; ${held.request.method} ${held.request.path} goes on undebugged`);
          goOnUndebugged(held, 'server-closing');
        }
      }
      if (waiting.size === 0) {
        clearInterval(closingCheck);
        closingCheck = undefined;
      }
    }, SERVER_CLOSING_CHECK_MS).unref();
  }

  function waitForDebugger(held: Held): void {
    waiting.add(held);
    watchForClosingServers();
    if (settings.waitTimeoutMs > 0 && held.timer === undefined) {
      held.timer = setTimeout(() => {
        log(`no debugger after ${settings.waitTimeoutMs / 1000} s; going on`);
        goOnUndebugged(held, 'timeout');
      }, settings.waitTimeoutMs).unref();
    }
    if (listeningOn !== null) log(`waiting for a debugger on ${listeningOn}`);
    bridge ??= startBridge();
  }

  function startBridge(): BridgeHandle {
    return new BridgeHandle(settings, {
      listening(host, port) {
        listeningOn = hostPort(host, port);
        // Always: even when the knock that started the bridge has already timed out, the
        // person who knocked needs to know where to attach.
        log(`waiting for a debugger on ${listeningOn}`);
        const exposed = exposureWarning(host, settings.bridgeAuth !== null);
        if (exposed !== null) log(exposed);
      },
      attached() {
        attached = true;
        log('debugger attached');
        for (const held of waiting) {
          clearTimeout(held.timer);
          readyToPause.push(held);
        }
        waiting.clear();
        pauseNext();
      },
      detached() {
        attached = false;
        log('debugger detached');
      },
      gone(reason) {
        log(reason);
        bridge = null;
        listeningOn = null;
        attached = false;
        releaseAll('bridge-unavailable');
      },
    });
  }

  /** Pauses the queued requests one at a time: arm the bridge, then `debugger;`. */
  function pauseNext(): void {
    if (pausing) return;
    const held = readyToPause.shift();
    if (held === undefined) return;
    if (!attached || bridge === null) {
      waitForDebugger(held);
      pauseNext();
      return;
    }
    pausing = true;
    const armedBridge = bridge;
    armedBridge.arm((ok, id) => {
      if (ok && clientLeft(held.request)) {
        pausing = false;
        armedBridge.pauseDone(id);
        goOnWithoutClient(held);
        pauseNext();
        return;
      }
      if (!ok) {
        pausing = false;
        // The debugger left between the knock and the pause (or the bridge is gone).
        if (closed || bridge === null) goOnUndebugged(held, closed ? 'closed' : 'bridge-unavailable');
        else waitForDebugger(held);
        pauseNext();
        return;
      }
      const { req, res, proceed } = held.request;
      try {
        letGo(held, { debugged: true, reason: 'debugger' }, () => pauseAtRequest(req, res, proceed));
      } finally {
        pausing = false;
        armedBridge.pauseDone(id);
        // Two turns of the loop: the first lets it poll I/O, so a client that left while the
        // process was paused is seen (its socket destroyed) before the next pause is armed.
        setImmediate(() => setImmediate(pauseNext));
      }
    });
  }

  const handler: KnockHandler = (request) => {
    const held: Held = {
      request,
      since: performance.now(),
      context: new AsyncResource('epdb.gate', { requireManualDestroy: true }),
      mark: closed ? () => {} : markKnockedRequest(),
      timer: undefined,
      onClientGone: () => {
        // Only while it waits or is queued: a request being paused is the debugger's to finish.
        // The app still gets it, as it would have without epdb; its answer goes nowhere.
        const queuedAt = readyToPause.indexOf(held);
        if (queuedAt !== -1) readyToPause.splice(queuedAt, 1);
        else if (!waiting.has(held)) return;
        goOnWithoutClient(held);
      },
    };
    request.res.once('close', held.onClientGone);
    if (closed) {
      letGo(held, { debugged: false, reason: 'closed' }, request.proceed);
    } else if (attached) {
      readyToPause.push(held);
      pauseNext();
    } else {
      waitForDebugger(held);
    }
  };

  return {
    handler,
    probeBridge() {
      if (closed) return null;
      bridge ??= startBridge();
      return bridge;
    },
    async close() {
      closed = true;
      const stopping = bridge;
      bridge = null;
      attached = false;
      releaseAll('closed');
      clearInterval(closingCheck);
      closingCheck = undefined;
      await stopping?.terminate();
    },
  };
}
