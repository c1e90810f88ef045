/**
 * Whether a relayed client is attached, as the gate understands it: it has enabled the Debugger
 * domain and sent `Runtime.runIfWaitingForDebugger` (what `node inspect`, DevTools and VS Code
 * all do on attach). The one place the relay keeps it; the worker hears of each change.
 *
 * States: `connecting` (not both yet), `attached`, `disabled` (it turned the Debugger domain off
 * after attaching: nothing can pause for it until it enables it again), `closed`.
 */
export class ClientAttachment {
  private state: 'connecting' | 'attached' | 'disabled' | 'closed' = 'connecting';
  private debuggerEnabled = false;
  private runRequested = false;

  constructor(private readonly changes: { attached(): void; detached(): void }) {}

  /** Whether the client is attached now. */
  get attached(): boolean {
    return this.state === 'attached';
  }

  /** The client's `method` succeeded: it may attach or detach it. */
  succeeded(method: string): void {
    if (this.state === 'closed') return;
    if (method === 'Debugger.enable') this.debuggerEnabled = true;
    if (method === 'Runtime.runIfWaitingForDebugger') this.runRequested = true;
    if (method === 'Debugger.disable') {
      this.debuggerEnabled = false;
      if (this.state === 'attached') {
        this.state = 'disabled';
        this.changes.detached();
      }
    }
    if (this.state !== 'attached' && this.debuggerEnabled && this.runRequested) {
      this.state = 'attached';
      this.changes.attached();
    }
  }

  /** The client is gone; returns whether it was attached then. */
  close(): boolean {
    const wasAttached = this.state === 'attached';
    this.state = 'closed';
    return wasAttached;
  }
}
