import { log } from '../../shared/log.js';
import { MainThreadSession } from '../main-thread-session.js';
import { GUARDED_VARIABLES } from './injection.js';

/** The guarded variables' values in the app's process; null: unset. */
type Snapshot = Readonly<Record<string, string | null>>;

/** Reads the guarded variables on the main thread (the worker's own `process.env` is a copy). */
const READ_EXPRESSION = `JSON.stringify(Object.fromEntries(${JSON.stringify(GUARDED_VARIABLES)}.map((name) => [name, process.env[name] ?? null])))`;

/** Puts the variables back as `snapshot` has them; evaluates to the names it had to change. */
function restoreExpression(snapshot: Snapshot): string {
  return `(() => { const kept = ${JSON.stringify(snapshot)}; const changed = [];
    for (const [name, value] of Object.entries(kept)) {
      if ((process.env[name] ?? null) === value) continue;
      changed.push(name);
      if (value === null) delete process.env[name]; else process.env[name] = value;
    }
    return changed; })()`;
}

/**
 * Keeps `NODE_OPTIONS` and `VSCODE_INSPECTOR_OPTIONS` of the app's process as they were when a
 * debugger attached, whatever it evaluates: read once the client connects, put back after each
 * command of the client that ran its source text in the app, and when it leaves. The relay
 * refuses js-debug's known injection outright; this is the defence in depth for anything written
 * otherwise (`Object.assign(process.env, ...)`).
 *
 * States: `reading` (the snapshot is on its way), `kept` (restores compare against it),
 * `closed` (the client left; the last restore is done or under way).
 */
export class EnvironmentKeeper {
  private state: 'reading' | 'kept' | 'closed' = 'reading';
  private snapshot: Snapshot | null = null;
  private readonly session = new MainThreadSession();
  /** A restore is under way: later requests are folded into one more after it. */
  private restoring: Promise<void> | null = null;
  private again = false;

  constructor() {
    this.session.post<{ result?: { value?: unknown } }>('Runtime.evaluate', { expression: READ_EXPRESSION, returnByValue: true, silent: true })
      .then(({ result }) => {
        if (typeof result?.value !== 'string') throw new Error('no value');
        this.snapshot = JSON.parse(result.value) as Snapshot;
        if (this.state === 'reading') this.state = 'kept';
        else this.restoreNow().finally(() => this.session.disconnect());
      })
      .catch(() => {
        // No snapshot, nothing to restore to (the relay still refuses the known injection).
        this.state = 'closed';
        this.session.disconnect();
      });
  }

  /** The client ran source text in the app: put the variables back if it changed them. */
  check(): void {
    if (this.state !== 'kept') return;
    if (this.restoring !== null) {
      this.again = true;
      return;
    }
    this.restoring = this.restoreNow().finally(() => {
      this.restoring = null;
      if (this.again) {
        this.again = false;
        this.check();
      }
    });
  }

  /** The client left: restore once more, then let the session go. */
  close(): void {
    const state = this.state;
    this.state = 'closed';
    // While reading, the read's answer restores and disconnects.
    if (state !== 'kept') return;
    void this.restoreNow().finally(() => this.session.disconnect());
  }

  private async restoreNow(): Promise<void> {
    if (this.snapshot === null) return;
    try {
      const { result } = await this.session.post<{ result?: { value?: unknown } }>('Runtime.evaluate', {
        expression: restoreExpression(this.snapshot), returnByValue: true, silent: true,
      });
      const changed = Array.isArray(result?.value) ? result.value.map(String) : [];
      if (changed.length > 0) {
        log(`a debugger changed ${changed.join(' and ')} of this process (for the app's child processes); put back as it was when the debugger attached`);
      }
    } catch {
      // The main thread is gone or the session was closed: nothing left to protect.
    }
  }
}
