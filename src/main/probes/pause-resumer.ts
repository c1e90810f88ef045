import { Session } from 'node:inspector';

/**
 * Lets the paused main thread go from the main thread itself, at the end of a capture the bridge
 * worker's `Runtime.callFunctionOn` runs on it: the worker then does not wait for the capture's
 * answer to send `Debugger.resume`, and the stop is one cross-thread round trip shorter.
 *
 * Through a same-thread inspector session (`session.connect()`), whose commands answer
 * synchronously. Its Debugger domain stays off: V8 takes `Debugger.resume` from any session of
 * the paused context group, and an enabled one would cost a report of every script and a pause
 * event of its own at every pause. It works only from inside the pause's message loop, where a
 * worker's command runs: a same-thread session's own `Debugger.paused` handler runs before Node
 * enters that loop, and a resume from there is lost while any worker session is connected (the
 * thread then stays stopped until one resumes it), which is why epdb does not capture there.
 *
 * States: `unconnected` (no probe yet), `connected`, `unavailable` (Node refused the session:
 * the worker resumes, as it always may).
 */
export class PauseResumer {
  private state: 'unconnected' | 'connected' | 'unavailable' = 'unconnected';
  private session: Session | null = null;

  /** Connects the session (cheap; done while the thread runs, before any capture needs it). */
  connect(): void {
    if (this.state !== 'unconnected') return;
    try {
      const session = new Session();
      session.connect();
      this.session = session;
      this.state = 'connected';
    } catch {
      this.state = 'unavailable';
    }
  }

  /** Resumes the paused main thread now; false when V8 refused (it was not paused, say) or there is no session. */
  resume(): boolean {
    const session = this.session;
    if (this.state !== 'connected' || session === null) return false;
    let resumed = false;
    try {
      session.post('Debugger.resume', {}, (error) => {
        resumed = error === null;
      });
    } catch {
      return false;
    }
    // A same-thread session answers before post returns; no answer yet counts as a refusal.
    return resumed;
  }
}
