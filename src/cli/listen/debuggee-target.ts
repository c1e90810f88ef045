import type { ReceivedProbeResult } from '../../shared/probes/probe-result.js';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { CLOSE_DEBUGGER_LEFT, clip, type DebuggeeProcess } from '../../shared/reverse/handshake.js';
import { processLabel } from '../../shared/process-identity.js';
import { parseHeldNotice } from '../../shared/reverse/held-notice.js';
import { parseProbeNotice } from '../../shared/reverse/probe-notice.js';
import type { SealedSocket } from '../../shared/reverse/sealed-socket.js';
import { TargetRefusal, type HubTarget, type TargetConnection } from '../hub/target.js';

/** Where a dialled-in process stands: waiting for a debugger, relaying to one, or gone. */
type TargetState = 'waiting' | 'attached' | 'gone';

/**
 * One process that dialled `epdb listen` and proved the key: a target of the hub whose CDP goes
 * over the process's own connection. One debugger at a time; when it leaves, the connection is
 * closed ({@link CLOSE_DEBUGGER_LEFT}), which ends the session in the process (a pause resumes),
 * and the next knock there dials again.
 */
export class DebuggeeTarget implements HubTarget {
  readonly id = randomUUID();
  private held: { readonly request: string; readonly since: number } | null;
  private state: TargetState = 'waiting';
  private readonly messageListeners = new Set<(message: string) => void>();
  private readonly goneListeners = new Set<() => void>();
  private readonly probeListeners = new Set<(result: ReceivedProbeResult) => void>();

  constructor(
    readonly process: DebuggeeProcess,
    /** The peer's address as seen here, for log lines. */
    readonly peer: string,
    private readonly connection: SealedSocket,
  ) {
    this.held = process.request === '' ? null : { request: process.request, since: Date.now() };
    connection.on('error', () => connection.terminate());
    connection.on('close', () => this.onGone());
    connection.on('message', (text: string) => {
      const notice = parseHeldNotice(text);
      if (notice !== undefined) return this.holding(notice);
      const probe = parseProbeNotice(text);
      if (probe !== undefined) {
        for (const listener of this.probeListeners) listener(probe);
        return;
      }
      if (this.state !== 'attached') return;
      for (const listener of this.messageListeners) listener(text);
    });
  }

  /** `GET /orders/42 on web-7 (pid 4242)`: the held request first, as the hub's other targets. */
  get title(): string {
    const where = `${this.process.hostname} (${processLabel(this.process.pid, this.process.worker ?? undefined)})`;
    return this.held === null ? `${where} ${this.process.script}` : `${this.held.request} on ${where}`;
  }

  /** Since when it holds its knocked request; `null` when it holds none (the hub lists those last). */
  get heldSince(): number | null {
    return this.held?.since ?? null;
  }

  /** The hop of the followed request it holds, read from its title (`GET /bill/42 [hop 2: ...]`). */
  get hop(): number | null {
    const match = this.held === null ? null : /\[hop (\d+): /.exec(this.held.request);
    return match === null ? null : Number(match[1]);
  }

  /** The process's main script, as `node --inspect` shows it. */
  get url(): string {
    return this.process.url;
  }

  get gone(): boolean {
    return this.state === 'gone';
  }

  /** Calls `listener` with each probe result the process pushes (a snapshot or logpoint it took). */
  onProbeResult(listener: (result: ReceivedProbeResult) => void): void {
    this.probeListeners.add(listener);
  }

  /** Calls `listener` once the process's connection is closed. */
  onceGone(listener: () => void): void {
    if (this.state === 'gone') listener();
    else this.goneListeners.add(listener);
  }

  async connect(): Promise<TargetConnection> {
    if (this.state === 'gone') throw new TargetRefusal(404, 'The process has gone');
    if (this.state === 'attached') throw new TargetRefusal(409, 'A debugger is already attached');
    this.state = 'attached';
    let ended = false;
    return {
      send: (message) => {
        if (this.connection.readyState === WebSocket.OPEN) this.connection.send(message);
      },
      close: () => {
        if (ended) return;
        ended = true;
        this.close(CLOSE_DEBUGGER_LEFT, 'the debugger detached');
      },
      onMessage: (listener) => this.messageListeners.add(listener),
      onClose: (listener) => this.onceGone(listener),
    };
  }

  /** Closes the process's connection (its session ends there, a pause resumes). */
  close(code: number, reason: string): void {
    if (this.connection.readyState === WebSocket.OPEN || this.connection.readyState === WebSocket.CONNECTING) {
      this.connection.close(code, reason);
      setTimeout(() => this.connection.terminate(), 2_000).unref();
    }
  }

  /** The process says which request it holds now. */
  private holding(request: string | null): void {
    if (request === null) this.held = null;
    else if (this.held?.request !== request) this.held = { request: clip(request), since: Date.now() };
  }

  private onGone(): void {
    if (this.state === 'gone') return;
    this.state = 'gone';
    this.messageListeners.clear();
    this.probeListeners.clear();
    for (const listener of this.goneListeners) listener();
    this.goneListeners.clear();
  }
}
