import { Session } from 'node:inspector';

/**
 * The bridge's own inspector session, enabled only around the gate's `debugger;` statement.
 *
 * V8 skips a `debugger;` when every session with the debugger enabled ignore-lists its script,
 * and epdb lives in `node_modules`, which DevTools ignore-lists by default. This session lists
 * nothing, so while it is enabled the gate's pause happens. It is disabled again as soon as the
 * pause happens: left enabled it would also cancel the client's ignore list for stepping.
 *
 * While armed, relays hold what they send their client ({@link holding}), so the client only
 * sees `Debugger.paused` once this session is out of the way and its first step obeys its
 * ignore list.
 */
export class PauseArmer {
  private session: Session | null = null;
  private armedId: number | null = null;
  private held = false;
  private readonly releaseListeners = new Set<() => void>();

  /** Whether relays must hold client-bound messages for now. */
  get holding(): boolean {
    return this.held;
  }

  /** Calls `listener` each time holding ends; returns the unsubscribe function. */
  onRelease(listener: () => void): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  /** Enables the session for pause `id`; `done(true)` once the next `debugger;` will pause. */
  arm(id: number, done: (ok: boolean) => void): void {
    const session = this.connected();
    this.held = true;
    session.post('Debugger.enable', (error) => {
      if (error !== null) {
        this.release();
        done(false);
        return;
      }
      this.armedId = id;
      done(true);
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
    this.release();
  }

  private connected(): Session {
    if (this.session !== null) return this.session;
    const session = new Session();
    session.connectToMainThread();
    session.on('Debugger.paused', () => this.disarm());
    this.session = session;
    return session;
  }

  private disarm(): void {
    if (this.armedId === null || this.session === null) return;
    this.armedId = null;
    const session = this.session;
    // V8 keeps a session's paused frames (and all they hold: req, res, sockets) in its
    // `backtrace` object group until that session sees the resume; a session disabled while
    // paused never does, so the group would live for ever. Release it first.
    session.post('Runtime.releaseObjectGroup', { objectGroup: 'backtrace' }, () => {
      // While the main thread is paused this does not resume it: the client's session still
      // accepts the pause. Without a client, V8 resumes, which is what we want then too.
      session.post('Debugger.disable', () => this.release());
    });
  }

  private release(): void {
    if (!this.held) return;
    this.held = false;
    for (const listener of this.releaseListeners) listener();
  }
}
