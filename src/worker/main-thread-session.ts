import { Session } from 'node:inspector/promises';

/** A CDP notification as a session receives it. */
export interface InspectorNotification {
  readonly method: string;
  readonly params?: unknown;
}

/**
 * A session of the bridge worker with the main thread's V8 (`connectToMainThread`): how every
 * part of the worker talks to it (the entry pause's armer, the walk, the probes, the environment
 * keeper, each client's relay). It runs while the main thread is paused, which is why the
 * bridge is a worker at all.
 *
 * Commands are promises (node:inspector/promises) and run in the order they were posted, whether
 * or not the caller waits for the answer: {@link send} relies on that. After
 * {@link disconnect}, posting rejects and sending does nothing; a paused main thread resumes
 * when its last session with the Debugger domain enabled goes.
 */
export class MainThreadSession {
  private session: Session | null = new Session();

  constructor() {
    this.session?.connectToMainThread();
  }

  /** Whether {@link disconnect} has not been called. */
  get connected(): boolean {
    return this.session !== null;
  }

  /** Runs `method`; resolves with its result, rejects with V8's protocol error. */
  post<Result = Record<string, unknown>>(method: string, params?: object): Promise<Result> {
    const session = this.session;
    if (session === null) return Promise.reject(new Error(`inspector session closed (${method})`));
    try {
      const post = session.post as (method: string, params?: object) => Promise<unknown>;
      return post.call(session, method, params).then((result) => (result ?? {}) as Result);
    } catch (error) {
      // Node throws (rather than rejects) for a session disconnected underneath us.
      return Promise.reject(error);
    }
  }

  /** Runs `method` without waiting for it; its failure is of no interest (an already-released group, say). */
  send(method: string, params?: object): void {
    this.post(method, params).catch(() => {});
  }

  /** Calls `listener` with the params of each `event` (`Debugger.paused`, ...). */
  on<Params = Record<string, unknown>>(event: string, listener: (params: Params) => void): void {
    this.session?.on(event, (message: { params: Params }) => listener(message.params));
  }

  /** Calls `listener` with every notification, in order. */
  onNotification(listener: (notification: InspectorNotification) => void): void {
    this.session?.on('inspectorNotification', listener);
  }

  /**
   * Releases what V8 keeps of the current pause for this session: every session with the
   * Debugger domain enabled gets the paused frames' objects (group `backtrace`), and V8 keeps
   * them, and the request they hang on, until that session releases them or sees the resume.
   */
  releasePause(): void {
    this.send('Runtime.releaseObjectGroup', { objectGroup: 'backtrace' });
  }

  /**
   * Disables the Debugger domain, which may be paused, without leaking what the pause holds.
   * A session disabled while paused never sees the resume, so the pause's objects would live
   * for ever (400 pauses grew the heap by 70 MB): released first, in the same round trip. While
   * the main thread is paused, disabling does not resume it when a client's session still
   * accepts the pause; without one, V8 resumes, which is what we want then too. Resolves once
   * disabled (or once that is moot: the session is gone).
   */
  disableWhilePaused(): Promise<void> {
    this.releasePause();
    return this.post('Debugger.disable').then(() => {}, () => {});
  }

  /** Leaves V8 for good. */
  disconnect(): void {
    this.session?.disconnect();
    this.session = null;
  }
}
