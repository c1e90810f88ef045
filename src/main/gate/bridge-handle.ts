import { randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { authorityOf, rangeAuthorityOf } from '../../shared/authority.js';
import type { BridgeWorkerData, DialSettings, FromBridge, ToBridge, WalkOutcome } from '../../shared/thread-messages.js';
import type { ArmedLocation, ProbeOutcome } from '../../shared/probes/capture-protocol.js';
import type { ProbeArm } from '../../shared/probes/spec.js';
import { walkSharedBuffer } from '../request-context.js';
import { appScript, clusterWorkerId, processLabel } from '../../shared/process-identity.js';
import type { SessionSettings } from './debug-gate.js';

/**
 * The bridge worker's entry file. This module runs compiled (dist/src/main/gate/) or bundled
 * into the preload's knock bundle (dist/preload-knock.js, made by scripts/bundle-preload.mjs);
 * the worker is never bundled.
 */
const DIST_DIR = basename(__dirname) === 'dist' ? __dirname : join(__dirname, '..', '..', '..');
const BRIDGE_ENTRY = join(DIST_DIR, 'src', 'worker', 'worker.js');

/** What the main thread hears from its bridge. */
export interface BridgeEvents {
  listening(host: string, port: number): void;
  attached(): void;
  detached(): void;
  /** The bridge cannot serve (port taken, worker died); `reason` is one log line. */
  gone(reason: string): void;
  /**
   * A dialled session ended as it should (the debugger on `epdb listen` detached): `reason` is
   * one log line. Requests that still wait may dial again; without this handler, as {@link gone}.
   */
  sessionOver?(reason: string): void;
  /** The walk started by {@link BridgeHandle.walk} with this id is over. */
  walkDone(id: number, outcome: WalkOutcome): void;
}

/** The target id of this process, the same for every bridge it starts (as `node --inspect`). */
const TARGET_ID = randomUUID();

/**
 * The main thread's handle on the bridge worker: starts it, relays its events, and runs the
 * arm handshake that precedes every pause.
 */
export class BridgeHandle {
  private readonly worker: Worker;
  private readonly pendingArms = new Map<number, (ok: boolean, id: number) => void>();
  private readonly pendingWalks = new Map<number, (ok: boolean, id: number) => void>();
  private readonly pendingProbes = new Map<string, (error: string | null, armed?: ArmedLocation) => void>();
  private nextArmId = 1;
  private ended = false;

  /**
   * @param dial the `epdb listen` to dial instead of listening on `settings.host:port`, or null.
   */
  constructor(settings: SessionSettings, private readonly events: BridgeEvents, readonly dial: DialSettings | null = null) {
    const script = appScript();
    const workerData: BridgeWorkerData = {
      host: settings.host,
      ports: settings.port,
      bridgeAuth: settings.bridgeAuth,
      targetId: TARGET_ID,
      title: script ?? `node[${process.pid}]`,
      url: script !== undefined ? pathToFileURL(script).href : 'file://',
      pid: process.pid,
      clusterWorkerId: clusterWorkerId(),
      maxPauseMs: settings.maxPauseMs,
      walkShared: walkSharedBuffer(),
      walkAhead: settings.stopAt === 'app',
      dial,
    };
    // No preload in the bridge: the register is a no-op off the main thread, but the bridge
    // must never gate its own server, whatever a future register does.
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['NODE_OPTIONS'];
    this.worker = new Worker(BRIDGE_ENTRY, {
      workerData,
      execArgv: [],
      env,
      name: 'epdb debug bridge',
    });
    this.worker.on('message', (message: FromBridge) => this.onMessage(message, settings));
    this.worker.on('error', (error) => this.end(`debug bridge failed: ${error.message}; held requests go on undebugged`));
    this.worker.on('exit', (code) => this.end(`debug bridge stopped (exit code ${code}); held requests go on undebugged`));
    // An idle bridge must not keep the app alive. After the listeners: adding a 'message'
    // listener refs the worker's port again.
    this.worker.unref();
  }

  /**
   * Asks the bridge to arm the next pause; `done(true, id)` when the next `debugger;` will
   * pause, `done(false, id)` when no debugger is attached any more. Call {@link pauseDone}
   * with `id` after the pause.
   */
  arm(done: (ok: boolean, id: number) => void): void {
    if (this.ended) {
      done(false, 0);
      return;
    }
    const id = this.nextArmId++;
    this.pendingArms.set(id, done);
    this.post({ type: 'arm', id });
  }

  /** The pause for `id` is over (or never happened). */
  pauseDone(id: number): void {
    if (!this.ended) this.post({ type: 'pause-done', id });
  }

  /**
   * Tells the bridge which request its target holds (`GET /orders/42`, waiting or paused), or
   * `null` for none: its `/json/list` title starts with it. Posted before a pause, it reaches
   * the worker while the main thread is frozen.
   */
  describeHeld(summary: string | null): void {
    if (!this.ended) this.post({ type: 'held', summary });
  }

  /**
   * Asks the bridge to stop request `context` (src/main/request-context.ts) at its first
   * statement of app code; `done(true, id)` once the request may be handed to the app, `false`
   * when no debugger is attached any more. {@link BridgeEvents.walkDone} says when it is over.
   */
  walk(context: number, summary: string, done: (ok: boolean, id: number) => void): void {
    if (this.ended) {
      done(false, 0);
      return;
    }
    const id = this.nextArmId++;
    this.pendingWalks.set(id, done);
    this.post({ type: 'walk', id, context, summary });
  }

  /** Walk `id`'s request ended before it stopped anywhere. */
  endWalk(id: number, outcome: 'answered' | 'client-gone'): void {
    if (!this.ended) this.post({ type: 'walk-end', id, outcome });
  }

  /** Asks the worker to arm a probe (src/worker/probes); `done(null)` once armed, else with why not. */
  armProbe(probe: ProbeArm, done: (error: string | null, armed?: ArmedLocation) => void): void {
    if (this.ended) {
      done('the debug bridge stopped');
      return;
    }
    this.pendingProbes.set(probe.id, done);
    this.post({ type: 'probe-arm', probe });
  }

  /** Probe `id` settled on the main thread (in its breakpoint's condition). */
  reportProbe(id: string, outcome: ProbeOutcome): void {
    if (!this.ended) this.post({ type: 'probe-report', id, outcome });
  }

  /** The request of probe `id` has ended. */
  endProbe(id: string): void {
    if (!this.ended) this.post({ type: 'probe-end', id });
  }

  /** Stops the worker without reporting it as a failure. */
  async terminate(): Promise<void> {
    this.ended = true;
    this.failPendingArms();
    await this.worker.terminate();
  }

  private post(message: ToBridge): void {
    this.worker.postMessage(message);
  }

  private onMessage(message: FromBridge, settings: SessionSettings): void {
    switch (message.type) {
      case 'listening':
        this.events.listening(message.host, message.port);
        break;
      case 'listen-failed':
        this.end(`cannot start the debug bridge on ${rangeAuthorityOf({ host: settings.host, ports: settings.port })} (${processLabel()}): ${message.reason}; the request goes on undebugged`);
        void this.worker.terminate();
        break;
      case 'ended':
        if (message.again && this.events.sessionOver !== undefined && !this.ended) {
          this.ended = true;
          this.failPendingArms();
          this.events.sessionOver(message.reason);
        } else {
          this.end(message.reason);
        }
        void this.worker.terminate();
        break;
      case 'attached':
        this.events.attached();
        break;
      case 'detached':
        this.events.detached();
        break;
      case 'armed': {
        const done = this.pendingArms.get(message.id);
        this.pendingArms.delete(message.id);
        done?.(message.ok, message.id);
        break;
      }
      case 'walk-armed': {
        const done = this.pendingWalks.get(message.id);
        this.pendingWalks.delete(message.id);
        done?.(message.ok, message.id);
        break;
      }
      case 'walk-done':
        this.events.walkDone(message.id, message.outcome);
        break;
      case 'probe-armed': {
        const done = this.pendingProbes.get(message.id);
        this.pendingProbes.delete(message.id);
        if (message.error !== null) done?.(message.error);
        else done?.(null, message.armed ?? undefined);
        break;
      }
    }
  }

  /** Reports the bridge gone, once. */
  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.failPendingArms();
    this.events.gone(reason);
  }

  private failPendingArms(): void {
    const pending = [...this.pendingArms, ...this.pendingWalks];
    this.pendingArms.clear();
    this.pendingWalks.clear();
    for (const [id, done] of pending) done(false, id);
    const probes = [...this.pendingProbes.values()];
    this.pendingProbes.clear();
    for (const done of probes) done('the debug bridge stopped');
  }
}

/** A bridge's address and the process it belongs to: `127.0.0.1:9003 (pid 4242, worker 3)`. */
export function bridgeAddressOfProcess(host: string, port: number): string {
  return `${authorityOf({ host, port })} (${processLabel()})`;
}
