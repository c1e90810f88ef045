import { PendingConnection } from './pending-connection.js';
import type { HubTarget, TargetConnection } from './target.js';

/** The id (and WebSocket path) of the target listed while there is nothing else to attach to. */
export const WAITING_TARGET_ID = 'waiting-for-a-knock';

/**
 * Attach first: while no bridge is up (or no process dialled in), `/json/list` lists one
 * stand-in target, titled e.g. `waiting for a knock: 127.0.0.1:9000`. A debugger that attaches
 * to it gets a {@link PendingConnection}, joined to the real target once the knock has brought
 * one: its first commands (enable, run) reach it then, and the knocked request's pause is
 * its. Used by `epdb connect` (one port and a range) and `epdb listen`.
 */
export class EarlyAttach {
  private readonly pending = new Set<PendingConnection>();
  /** The stand-in target, as `/json/list` shows it. */
  readonly target: HubTarget;

  constructor(title: string) {
    this.target = {
      id: WAITING_TARGET_ID,
      title,
      url: '',
      heldSince: null,
      connect: () => Promise.resolve(this.open()),
    };
  }

  /** Whether a debugger waits on the stand-in. */
  get anyWaiting(): boolean {
    return this.pending.size > 0;
  }

  /** A conversation for one debugger attaching to the stand-in. */
  open(): PendingConnection {
    const connection = new PendingConnection();
    this.pending.add(connection);
    connection.onClose(() => this.pending.delete(connection));
    return connection;
  }

  /** A real target has come: every waiting debugger joins it (`connect` dials it once for each); returns their conversations. */
  joinAll(connect: () => Promise<TargetConnection>, what: string): PendingConnection[] {
    const joining = [...this.pending];
    this.pending.clear();
    for (const connection of joining) connection.join(connect, what);
    return joining;
  }
}
