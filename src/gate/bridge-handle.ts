import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BridgeWorkerData, FromBridge, ToBridge } from '../bridge/messages.js';
import type { ProbeArm } from '../probes/spec.js';
import type { SessionSettings } from '../types.js';

/** What the main thread hears from its bridge. */
export interface BridgeEvents {
  listening(host: string, port: number): void;
  attached(): void;
  detached(): void;
  /** The bridge cannot serve (port taken, worker died); `reason` is one log line. */
  gone(reason: string): void;
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
  private readonly pendingProbes = new Map<string, (error: string | null) => void>();
  private nextArmId = 1;
  private ended = false;

  constructor(settings: SessionSettings, private readonly events: BridgeEvents) {
    const script = process.argv[1];
    const workerData: BridgeWorkerData = {
      host: settings.host,
      port: settings.port,
      bridgeAuth: settings.bridgeAuth,
      targetId: TARGET_ID,
      title: script ?? `node[${process.pid}]`,
      url: script !== undefined ? pathToFileURL(script).href : 'file://',
    };
    // No preload in the bridge: the register is a no-op off the main thread, but the bridge
    // must never gate its own server, whatever a future register does.
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['NODE_OPTIONS'];
    this.worker = new Worker(join(__dirname, '..', 'bridge', 'worker.js'), {
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

  /** Asks the worker to arm a probe (src/probes); `done(null)` once armed, else with why not. */
  armProbe(probe: ProbeArm, done: (error: string | null) => void): void {
    if (this.ended) {
      done('the debug bridge stopped');
      return;
    }
    this.pendingProbes.set(probe.id, done);
    this.post({ type: 'probe-arm', probe });
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
        this.end(`cannot start the debug bridge on ${hostPort(settings.host, settings.port)}: ${message.reason}; the request goes on undebugged`);
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
      case 'probe-armed': {
        const done = this.pendingProbes.get(message.id);
        this.pendingProbes.delete(message.id);
        done?.(message.error);
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
    const pending = [...this.pendingArms];
    this.pendingArms.clear();
    for (const [id, done] of pending) done(false, id);
    const probes = [...this.pendingProbes.values()];
    this.pendingProbes.clear();
    for (const done of probes) done('the debug bridge stopped');
  }
}

/** `host:port`, with an IPv6 host in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
