import type { ClientHold } from './client-hold.js';
import { MainThreadSession } from './main-thread-session.js';

/**
 * The bridge's own inspector session for the entry pause (`EPDB_STOP_AT=entry`), enabled only
 * around the gate's `debugger;` statement.
 *
 * V8 skips a `debugger;` when every session with the debugger enabled ignore-lists its script,
 * and epdb lives in `node_modules`, which DevTools ignore-lists by default. This session lists
 * nothing, so while it is enabled the gate's pause happens. It is disabled again as soon as the
 * pause happens: left enabled it would also cancel the client's ignore list for stepping.
 *
 * While armed, the relays hold what they send their client (the {@link ClientHold}), so the
 * client only sees `Debugger.paused` once this session is out of the way and its first step
 * obeys its ignore list.
 */
export class PauseArmer {
  private session: MainThreadSession | null = null;
  private armedId: number | null = null;
  private holding = false;

  constructor(private readonly hold: ClientHold) {}

  /** Enables the session for pause `id`; `done(true)` once the next `debugger;` will pause. */
  arm(id: number, done: (ok: boolean) => void): void {
    const session = this.connected();
    this.startHolding();
    session.post('Debugger.enable').then(() => {
      this.armedId = id;
      done(true);
    }, () => {
      this.stopHolding();
      done(false);
    });
  }

  /** The gate's pause function returned: disarm if the pause never came (nothing to wait for). */
  pauseDone(id: number): void {
    if (this.armedId === id) this.disarm();
  }

  /** Drops the session for good (the worker is stopping). */
  close(): void {
    this.session?.disconnect();
    this.session = null;
    this.armedId = null;
    this.stopHolding();
  }

  private connected(): MainThreadSession {
    if (this.session !== null) return this.session;
    const session = new MainThreadSession();
    session.on('Debugger.paused', () => this.disarm());
    this.session = session;
    return session;
  }

  private disarm(): void {
    if (this.armedId === null || this.session === null) return;
    this.armedId = null;
    void this.session.disableWhilePaused().then(() => this.stopHolding());
  }

  private startHolding(): void {
    if (this.holding) return;
    this.holding = true;
    this.hold.hold();
  }

  private stopHolding(): void {
    if (!this.holding) return;
    this.holding = false;
    this.hold.release();
  }
}
