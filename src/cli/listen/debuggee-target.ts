import { randomUUID } from 'node:crypto';
import { WebSocket, type RawData } from 'ws';
import { CLOSE_DEBUGGER_LEFT } from '../../reverse/handshake.js';
import type { DebuggeeProcess } from '../../reverse/handshake.js';

/** Where a debuggee's session stands: waiting for a debugger, relaying to one, or over. */
type TargetState =
  | { readonly name: 'waiting' }
  | { readonly name: 'attached'; readonly client: WebSocket }
  | { readonly name: 'gone' };

/**
 * One process that dialled `epdb listen` and proved the key: a debugger target whose CDP goes
 * over the process's own connection. One debugger at a time; when it leaves, the connection is
 * closed ({@link CLOSE_DEBUGGER_LEFT}), which ends the session in the process (a pause resumes)
 * and the next knock there dials again.
 */
export class DebuggeeTarget {
  /** The id in `/json/list` and the path of the target's local WebSocket. */
  readonly id = randomUUID();
  readonly connectedAt = Date.now();
  private state: TargetState = { name: 'waiting' };
  private readonly goneListeners = new Set<() => void>();

  constructor(
    readonly process: DebuggeeProcess,
    /** The peer's address as seen here, for log lines. */
    readonly peer: string,
    private readonly connection: WebSocket,
  ) {
    connection.on('error', () => connection.terminate());
    connection.on('close', () => this.onGone());
    // Nothing comes from the process before a debugger asks: CDP is request-driven.
    connection.on('message', (data: RawData, isBinary: boolean) => {
      if (this.state.name === 'attached' && this.state.client.readyState === WebSocket.OPEN) this.state.client.send(data, { binary: isBinary });
    });
  }

  /** `GET /orders/42 on web-7 (pid 4242)`: the held request first, as the multi-bridge forward orders them. */
  get title(): string {
    const where = `${this.process.hostname} (pid ${this.process.pid})`;
    return this.process.request === '' ? `${where} ${this.process.script}` : `${this.process.request} on ${where}`;
  }

  /** The process's main script, as `node --inspect` shows it. */
  get url(): string {
    return this.process.url;
  }

  /** Whether a debugger may attach now. */
  get available(): boolean {
    return this.state.name === 'waiting';
  }

  get gone(): boolean {
    return this.state.name === 'gone';
  }

  /** Calls `listener` once the process's connection is closed. */
  onceGone(listener: () => void): void {
    if (this.state.name === 'gone') listener();
    else this.goneListeners.add(listener);
  }

  /** Relays between a debugger's WebSocket and the process. Call only while {@link available}. */
  attach(client: WebSocket): void {
    if (this.state.name !== 'waiting') {
      client.close(1013, 'a debugger is already attached');
      return;
    }
    this.state = { name: 'attached', client };
    client.on('message', (data: RawData, isBinary: boolean) => {
      if (this.connection.readyState === WebSocket.OPEN) this.connection.send(data, { binary: isBinary });
    });
    client.on('error', () => client.terminate());
    client.on('close', () => {
      if (this.state.name !== 'attached') return;
      this.close(CLOSE_DEBUGGER_LEFT, 'the debugger detached');
    });
  }

  /** Closes the process's connection (its session ends, a pause resumes). */
  close(code: number, reason: string): void {
    if (this.connection.readyState === WebSocket.OPEN || this.connection.readyState === WebSocket.CONNECTING) {
      this.connection.close(code, reason);
      setTimeout(() => this.connection.terminate(), 2_000).unref();
    }
  }

  private onGone(): void {
    const before = this.state;
    this.state = { name: 'gone' };
    if (before.name === 'attached' && before.client.readyState === WebSocket.OPEN) before.client.close(1001, 'the process went away');
    for (const listener of this.goneListeners) listener();
    this.goneListeners.clear();
  }
}
