import type { DialSettings, WalkOutcome } from '../../shared/thread-messages.js';
import type { StopAt } from '../../shared/config.js';
import { openRequestContext, runInRequestContext, untrack } from '../request-context.js';
import { log, RateLimitedLog } from '../../shared/log.js';
import type { GateOutcome } from '../telemetry.js';
import type { AcceptedKnock, KnockedRequest } from '../knocked-request.js';
import type { DebugGate, SessionSettings } from './debug-gate.js';
import { dialSettingsFor, probeDialSettings, transportConflict } from '../dial-out.js';
import type { BridgeHandle } from './bridge-handle.js';
import { RunningBridge, type BridgeOwner } from './running-bridge.js';
import { HeldRequest } from './held-request.js';
import { pauseAtRequest } from './pause.js';

/** How often held requests look whether their server stopped listening (`server.close()`). */
const SERVER_CLOSING_CHECK_MS = 200;

/**
 * Creates the gate. The bridge worker starts on the first knock, never before. A knocked
 * request waits (without blocking the event loop) until a debugger attaches through the bridge;
 * then, one at a time, each is stopped: at the first statement of the app's own code that runs
 * for it (`EPDB_STOP_AT=app`, the bridge's walk), or in {@link pauseAtRequest} (`entry`). While
 * the debugger stays attached each later knock is stopped at once. Without a debugger for
 * `settings.waitTimeoutMs` (0: forever), or when the bridge cannot serve, the request goes on
 * undebugged; so does every knock beyond `settings.maxHeld` held at once.
 */
export function createDebugGate(settings: SessionSettings): DebugGate {
  return new Gate(settings);
}

/** Each request's life is a {@link HeldRequest} state; this is the one place that moves it. */
class Gate implements DebugGate {
  private bridge: RunningBridge | null = null;
  private closed = false;
  /** Every request the gate has not let go of for good. */
  private readonly requests = new Set<HeldRequest>();
  /** Requests with a debugger attached, in knock order, waiting for their turn. */
  private readonly queue: HeldRequest[] = [];
  /** The request being armed, paused at entry, or walked to the app's code: one at a time. */
  private active: HeldRequest | null = null;
  private closingCheck: NodeJS.Timeout | undefined;
  /** Lines about accepted knocks, rate-limited like refusals: a flood must not fill the log. */
  private readonly lines = new RateLimitedLog(10, 60_000, log, Date.now, 'lines about knocked requests');

  constructor(private readonly settings: SessionSettings) {}

  readonly handler = (request: KnockedRequest): void => {
    const held = new HeldRequest(request, this.stopAtFor(request.knock), !this.closed);
    if (this.closed) return this.goOnUndebugged(held, 'closed');
    // One transport a process at a time: a knock for another listener does not get this one's.
    const conflict = this.bridge === null ? null : transportConflict(this.bridge.handle.dial, dialSettingsFor(request, this.settings.dialOut));
    if (conflict !== null) {
      this.lines.log(`${held.summary} goes on undebugged: ${conflict}`);
      return this.goOnUndebugged(held, 'bridge-unavailable');
    }
    if (this.heldCount() >= this.settings.maxHeld) {
      this.lines.log(`${this.settings.maxHeld} requests already wait for a debugger (EPDB_MAX_HELD); ${held.summary} goes on undebugged`);
      return this.goOnUndebugged(held, 'max-held');
    }
    this.requests.add(held);
    held.watchClient(() => {
      // Only while it waits or is queued: a request being stopped is the debugger's to finish.
      // The app still gets it, as it would have without epdb; its answer goes nowhere.
      if (held.state.name !== 'waiting' && held.state.name !== 'queued') return;
      this.dequeue(held);
      this.goOnWithoutClient(held);
    });
    if (this.bridge?.attached === true) this.enqueue(held);
    else this.waitForDebugger(held);
    this.describeHeld();
  };

  /**
   * The bridge worker for probes (src/worker/probes), started if it is not running: dialling the
   * `epdb listen` the knock names (`epdb snapshot --follow` collects every hop's result that way)
   * or EPDB_CONNECT's, else listening. Null once closed.
   */
  probeBridge(request: KnockedRequest): BridgeHandle | null {
    if (this.closed) return null;
    const dial = dialSettingsFor(request, this.settings.dialOut) ?? probeDialSettings(this.settings.dialOut);
    const wanted = dial === null ? null : { ...dial, forProbes: true };
    if (this.bridge === null) {
      this.bridge = this.startBridge(wanted, 'probes');
    } else {
      // One transport a process: the results stay at the running bridge's GET /epdb/probes.
      const conflict = transportConflict(this.bridge.handle.dial, wanted);
      if (conflict !== null) this.lines.log(`${request.method} ${request.path}: its probe result stays on the running bridge: ${conflict}`);
    }
    return this.bridge.handle;
  }

  async close(): Promise<void> {
    this.closed = true;
    const stopping = this.bridge;
    this.bridge = null;
    this.releaseAll('closed');
    clearInterval(this.closingCheck);
    this.closingCheck = undefined;
    await stopping?.handle.terminate();
  }

  private heldCount(): number {
    let count = 0;
    for (const held of this.requests) if (held.isHeld) count++;
    return count;
  }

  private stopAtFor(knock: AcceptedKnock): StopAt {
    const chosen = knock.options['stop'];
    if (chosen === undefined) return this.settings.stopAt;
    if (chosen === 'app' || chosen === 'entry') return chosen;
    this.lines.log(`knock option "stop" must be "app" or "entry"; stopping at ${this.settings.stopAt}`);
    return this.settings.stopAt;
  }

  // --- waiting for a debugger ---------------------------------------------------------------

  private waitForDebugger(held: HeldRequest): void {
    const timeoutMs = this.settings.waitTimeoutMs;
    const timer = timeoutMs > 0
      ? setTimeout(() => {
        this.lines.log(`no debugger after ${timeoutMs / 1000} s; going on`);
        this.goOnUndebugged(held, 'timeout');
      }, timeoutMs).unref()
      : undefined;
    held.moveTo({ name: 'waiting', timer });
    this.watchForClosingServers();
    if (this.bridge === null) this.bridge = this.startBridge(dialSettingsFor(held.request, this.settings.dialOut));
    else if (this.bridge.address !== null) this.lines.log(`waiting for a debugger on ${this.bridge.address}`);
  }

  /**
   * While requests wait, look now and then whether their server is closing (a graceful
   * shutdown): a held request would keep its connection, and so the process, alive.
   */
  private watchForClosingServers(): void {
    if (this.closingCheck !== undefined) return;
    this.closingCheck = setInterval(() => {
      let waiting = 0;
      for (const held of this.requests) {
        if (held.state.name !== 'waiting') continue;
        if (held.serverClosing()) {
          log(`the server is closing; ${held.summary} goes on undebugged`);
          this.goOnUndebugged(held, 'server-closing');
        } else {
          waiting++;
        }
      }
      if (waiting === 0) {
        clearInterval(this.closingCheck);
        this.closingCheck = undefined;
      }
    }, SERVER_CLOSING_CHECK_MS).unref();
  }

  /** Starts the bridge worker (see {@link RunningBridge} for `purpose`). */
  private startBridge(dial: DialSettings | null, purpose: 'debugger' | 'probes' = 'debugger'): RunningBridge {
    return new RunningBridge(this.settings, this.bridgeOwner, dial, purpose);
  }

  /** What the gate does as its bridge's state changes. */
  private readonly bridgeOwner: BridgeOwner = {
    debuggerAttached: () => {
      for (const held of [...this.requests]) if (held.state.name === 'waiting') this.enqueue(held);
    },
    bridgeGone: (bridge) => {
      if (this.bridge === bridge) this.bridge = null;
      this.releaseAll('bridge-unavailable');
    },
    sessionOver: (bridge) => {
      // A request that waits (one that came as the session ended) dials again rather than
      // going on undebugged.
      if (this.bridge === bridge) this.bridge = null;
      const waiting = [...this.requests].find((held) => held.state.name === 'waiting');
      if (waiting !== undefined && this.bridge === null && !this.closed) {
        this.bridge = this.startBridge(dialSettingsFor(waiting.request, this.settings.dialOut));
      }
    },
    walkDone: (walkId, outcome) => this.onWalkDone(walkId, outcome),
    someoneWaits: () => [...this.requests].some((held) => held.state.name === 'waiting'),
  };

  // --- one stop at a time -------------------------------------------------------------------

  private enqueue(held: HeldRequest): void {
    held.moveTo({ name: 'queued' });
    this.queue.push(held);
    this.stopNext();
  }

  private dequeue(held: HeldRequest): void {
    const at = this.queue.indexOf(held);
    if (at !== -1) this.queue.splice(at, 1);
  }

  /** Arms the stop of the next queued request, unless one is under way. */
  private stopNext(): void {
    if (this.active !== null) return;
    const held = this.queue.shift();
    if (held === undefined) return;
    const bridge = this.bridge;
    if (bridge === null || !bridge.attached) {
      // The debugger left while it was queued: it waits for the next one.
      this.waitForDebugger(held);
      this.stopNext();
      return;
    }
    held.moveTo({ name: 'arming' });
    this.active = held;
    if (held.stopAt === 'entry') this.armEntryPause(held, bridge.handle);
    else this.armWalk(held, bridge.handle);
  }

  /** The arm could not be made (no debugger any more, or no bridge): wait again, or go on. */
  private armFailed(held: HeldRequest): void {
    this.active = null;
    if (this.closed || this.bridge === null) this.goOnUndebugged(held, this.closed ? 'closed' : 'bridge-unavailable');
    else this.waitForDebugger(held);
    this.stopNext();
  }

  /** The arm came through, but the client left meanwhile: undo the arm, let it go, arm the next. */
  private clientLeftWhileArming(held: HeldRequest, disarm: () => void): void {
    disarm();
    this.active = null;
    this.goOnWithoutClient(held);
    this.stopNext();
  }

  /** `EPDB_STOP_AT=entry`: epdb's own `debugger;`, with what the entry point handed the app in scope. */
  private armEntryPause(held: HeldRequest, bridge: BridgeHandle): void {
    bridge.arm((ok, id) => {
      if (!ok) return this.armFailed(held);
      if (held.clientLeft()) return this.clientLeftWhileArming(held, () => bridge.pauseDone(id));
      held.moveTo({ name: 'paused' });
      const { request } = held;
      try {
        this.handOver(held, { debugged: true, reason: 'debugger' }, () => pauseAtRequest(request));
      } finally {
        held.moveTo({ name: 'done' });
        this.active = null;
        bridge.pauseDone(id);
        this.afterStop();
      }
    });
  }

  /** `EPDB_STOP_AT=app`: the bridge stops the request at its first statement of app code. */
  private armWalk(held: HeldRequest, bridge: BridgeHandle): void {
    const context = openRequestContext();
    bridge.walk(context, held.summary, (ok, walkId) => {
      if (!ok) {
        untrack(context);
        return this.armFailed(held);
      }
      if (held.clientLeft()) {
        return this.clientLeftWhileArming(held, () => {
          untrack(context);
          bridge.endWalk(walkId, 'client-gone');
        });
      }
      const stopWatching = held.onResponseEnd((how) => {
        bridge.endWalk(walkId, how);
        this.walkOver(held);
      });
      held.moveTo({ name: 'walking', walkId, context, stopWatching });
      this.handOver(held, { debugged: true, reason: 'debugger' }, () => runInRequestContext(context, held.request.proceed));
    });
  }

  private onWalkDone(walkId: number, _outcome: WalkOutcome): void {
    const held = this.active;
    if (held !== null && held.state.name === 'walking' && held.state.walkId === walkId) this.walkOver(held);
  }

  /** The walk for `held` is over, however it ended: the next request may be stopped. */
  private walkOver(held: HeldRequest): void {
    const { state } = held;
    if (state.name !== 'walking') return;
    state.stopWatching();
    untrack(state.context);
    held.moveTo({ name: 'done' });
    if (this.active === held) this.active = null;
    this.afterStop();
  }

  /**
   * Two turns of the loop before the next stop: the first lets it poll I/O, so a client that
   * left while the process was paused is seen (its socket destroyed) before the next is armed.
   */
  private afterStop(): void {
    this.describeHeld();
    setImmediate(() => setImmediate(() => this.stopNext()));
  }

  /** Tells the bridge which request its target holds: the one being stopped, else the next in line. */
  private describeHeld(): void {
    const shown = this.active ?? this.queue[0] ?? [...this.requests].find((held) => held.state.name === 'waiting');
    this.bridge?.handle.describeHeld(shown?.summary ?? null);
  }

  // --- letting requests go ------------------------------------------------------------------

  /** Hands the request on for good: the gate is done with it once `run` returns. */
  private handOver(held: HeldRequest, outcome: Omit<GateOutcome, 'waitedMs'>, run: () => void): void {
    this.requests.delete(held);
    held.stopWatchingClient();
    this.describeHeld();
    held.letGo(outcome, run);
  }

  private goOnUndebugged(held: HeldRequest, reason: GateOutcome['reason']): void {
    this.dequeue(held);
    held.moveTo({ name: 'done' });
    this.handOver(held, { debugged: false, reason }, held.request.proceed);
  }

  private goOnWithoutClient(held: HeldRequest): void {
    this.lines.log(`the client of ${held.summary} went away while it waited; going on`);
    this.goOnUndebugged(held, 'client-gone');
  }

  /** Lets every held request go on; one whose handler throws does not hold up the others. */
  private releaseAll(reason: GateOutcome['reason']): void {
    const active = this.active;
    if (active !== null && active.state.name === 'walking') this.walkOver(active);
    for (const held of [...this.requests]) {
      if (!held.isHeld || held.state.name === 'arming') continue;
      try {
        this.goOnUndebugged(held, reason);
      } catch (error) {
        // What the app's handler threw stays an uncaught exception, as without epdb.
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }
}
