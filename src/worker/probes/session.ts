import { MainThreadSession } from '../main-thread-session.js';
import type { PausedEvent, Post, ScriptParsedEvent } from './cdp.js';
import { ScriptRegistry } from './scripts.js';
import { PROBE_OBJECT_GROUP } from './pause-capture.js';

/**
 * The probes' own inspector session, connected to the main thread from the bridge worker.
 *
 * Its Debugger domain is enabled only while some probe is armed: an enabled session with no
 * ignore list cancels a debugger client's ignore list for stepping, and keeping it enabled
 * costs every request. Before it is disabled while the main thread is paused, the paused
 * frames' object groups are released: V8 would otherwise keep them alive for ever.
 */
export class ProbeSession {
  private session: MainThreadSession | null = null;
  private enabled = false;
  /** Whether the main thread is paused at a `Debugger.paused` this session has not seen resumed. */
  private paused = false;
  private warmed = false;
  readonly scripts: ScriptRegistry;

  constructor(private readonly onPaused: (event: PausedEvent) => void, hiddenScript: (url: string) => boolean) {
    this.scripts = new ScriptRegistry(hiddenScript);
  }

  /** Sends one command to the main thread through this session. */
  readonly post: Post = <T>(method: string, params?: object) => this.connected().post<T>(method, params ?? {});

  /** Whether the Debugger domain is enabled now. */
  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Enables the Debugger domain (V8 then reports every loaded script). */
  async enable(): Promise<void> {
    if (this.enabled) return;
    await this.post('Debugger.enable');
    this.enabled = true;
  }

  /**
   * Makes V8 set up its inspector side of the main thread's context now, while it runs, rather
   * than on the first capture, while it is stopped (that first setup takes milliseconds): one
   * object made, listed and released, as a capture does. A literal has no side effect (and V8
   * would refuse one).
   */
  async warm(): Promise<void> {
    if (this.warmed) return;
    this.warmed = true;
    try {
      const { result } = await this.post<{ result: { objectId?: string } }>('Runtime.evaluate', {
        expression: '({ warm: [1] })', throwOnSideEffect: true, silent: true, objectGroup: PROBE_OBJECT_GROUP,
      });
      if (result.objectId !== undefined) await this.post('Runtime.getProperties', { objectId: result.objectId, ownProperties: true });
      await this.post('Runtime.releaseObjectGroup', { objectGroup: PROBE_OBJECT_GROUP });
    } catch {
      // Only a warm-up: the capture works without it.
    }
  }

  /** Disables the Debugger domain, releasing a paused main thread's objects first. */
  async disable(): Promise<void> {
    if (!this.enabled) return;
    if (this.paused) await this.releasePausedObjects();
    this.enabled = false;
    await this.post('Debugger.disable');
  }

  /** Releases what a capture holds of the paused main thread (V8 keeps `backtrace` until told). */
  async releasePausedObjects(): Promise<void> {
    await Promise.all(this.postReleases()).catch(() => {});
  }

  /**
   * Lets the paused main thread go on; with `release`, first releases what a capture holds of
   * it, in the same round trip (a session's commands run in the order they were sent).
   */
  async resume(release = false): Promise<void> {
    const releases = release ? this.postReleases() : [];
    try {
      await Promise.all([...releases, this.post('Debugger.resume')]);
    } catch {
      // Already resumed (by a client, or because the session went): nothing to do.
    }
  }

  private postReleases(): Promise<unknown>[] {
    return [
      this.post('Runtime.releaseObjectGroup', { objectGroup: 'backtrace' }),
      this.post('Runtime.releaseObjectGroup', { objectGroup: PROBE_OBJECT_GROUP }),
    ];
  }

  /** Drops the session (the worker is stopping); a paused main thread resumes. */
  close(): void {
    this.session?.disconnect();
    this.session = null;
    this.enabled = false;
  }

  private connected(): MainThreadSession {
    if (this.session !== null) return this.session;
    const session = new MainThreadSession();
    session.on<ScriptParsedEvent>('Debugger.scriptParsed', (script) => this.scripts.add(script));
    session.on<PausedEvent>('Debugger.paused', (pause) => {
      this.paused = true;
      this.onPaused(pause);
    });
    session.on('Debugger.resumed', () => {
      this.paused = false;
    });
    this.session = session;
    return session;
  }
}
