import type { TargetSink, TargetSource } from '../hub/target.js';
import type { DebuggeeTarget } from './debuggee-target.js';

/**
 * The hub's source of the processes that dialled in: each is added once it has proved the key
 * and removed when its connection closes. Stopping it closes every connection, so every
 * process it holds resumes.
 */
export class DebuggeeSource implements TargetSource {
  private sink: TargetSink | null = null;
  private readonly connected = new Set<DebuggeeTarget>();

  start(sink: TargetSink): void {
    this.sink = sink;
  }

  /** A process proved the key: a target from now on. */
  add(target: DebuggeeTarget): void {
    if (target.gone) return;
    this.connected.add(target);
    this.sink?.add(target);
    target.onceGone(() => {
      this.connected.delete(target);
      this.sink?.remove(target.id);
    });
  }

  /** The processes connected now. */
  get targets(): readonly DebuggeeTarget[] {
    return [...this.connected];
  }

  stop(): void {
    for (const target of this.connected) target.close(1001, 'epdb listen stopped');
  }
}
