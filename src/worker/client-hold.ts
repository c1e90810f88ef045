/**
 * Whether the relays must hold what they send their client for now.
 *
 * While the bridge's own sessions are enabled (the entry pause's arming session, the walk to the
 * app's code), a pause must not reach the client yet: its first step would ignore the client's
 * ignore list (V8 skips a script only when every enabled session ignore-lists it), and the walk's
 * own bookkeeping is none of the client's business. Holders call {@link hold} and
 * {@link release}; relays flush on release.
 */
export class ClientHold {
  private holders = 0;
  private readonly releaseListeners = new Set<() => void>();

  /** Whether relays must hold client-bound messages now. */
  get holding(): boolean {
    return this.holders > 0;
  }

  /** Starts holding; each call needs one {@link release}. */
  hold(): void {
    this.holders++;
  }

  /** Ends one {@link hold}; relays flush once no one holds. */
  release(): void {
    if (this.holders === 0) return;
    this.holders--;
    if (this.holders === 0) for (const listener of this.releaseListeners) listener();
  }

  /** Calls `listener` each time holding ends; returns the unsubscribe function. */
  onRelease(listener: () => void): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }
}
