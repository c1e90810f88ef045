import { log } from '../../shared/log.js';
import type { TargetConnection } from './target.js';

/**
 * A debugger's conversation with a target that does not exist yet: it attached to a "waiting
 * for a knock" target before any bridge was up (VS Code gives up an attach after 10 s without a
 * target, and people attach first). What it sends is kept, in order, until {@link join} connects
 * it to the real target; then the kept messages go first and the two are relayed as one.
 *
 * States: `waiting` (messages kept), `joining` (the real target is being dialled, messages still
 * kept), `joined` (relayed), `closed` (either side ended; for good).
 */
export class PendingConnection implements TargetConnection {
  private state: 'waiting' | 'joining' | 'joined' | 'closed' = 'waiting';
  private readonly kept: string[] = [];
  private inner: TargetConnection | null = null;
  private readonly messageListeners: Array<(message: string) => void> = [];
  private readonly closeListeners: Array<() => void> = [];

  /** Whether it still waits for a target to join. */
  get waiting(): boolean {
    return this.state === 'waiting';
  }

  send(message: string): void {
    if (this.state === 'joined') this.inner?.send(message);
    else if (this.state !== 'closed') this.kept.push(message);
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.kept.length = 0;
    this.inner?.close();
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  onMessage(listener: (message: string) => void): void {
    this.messageListeners.push(listener);
  }

  onClose(listener: () => void): void {
    if (this.state === 'closed') listener();
    else this.closeListeners.push(listener);
  }

  /**
   * Connects to the target `connect` opens (`what` names it in the log) and relays from now on;
   * a target that turns the debugger away ends this conversation too.
   */
  join(connect: () => Promise<TargetConnection>, what: string): void {
    if (this.state !== 'waiting') return;
    this.state = 'joining';
    connect().then(
      (inner) => {
        if (this.state !== 'joining') {
          inner.close();
          return;
        }
        this.inner = inner;
        inner.onMessage((message) => {
          for (const listener of this.messageListeners) listener(message);
        });
        inner.onClose(() => this.close());
        this.state = 'joined';
        for (const message of this.kept.splice(0)) inner.send(message);
        log(`the debugger that attached before the knock is now attached to ${what}`);
      },
      (error: unknown) => {
        log(`the debugger that attached before the knock could not be attached to ${what}: ${error instanceof Error ? error.message : String(error)}`);
        this.close();
      },
    );
  }
}
