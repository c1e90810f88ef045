/** A CDP notification as the relay forwards it. */
interface Notification {
  readonly method: string;
  readonly params?: unknown;
}

/**
 * Keeps the bridge's own worker out of the client's sight. A client that enables `NodeWorker`
 * (VS Code, DevTools) is attached to every worker of the app, this one included; were it to
 * pause it (a breakpoint, "pause on caught exceptions"), the relay it talks through would
 * freeze with it and the session would hang. So the bridge's worker session is never announced
 * and commands for it are refused.
 */
export class SelfHider {
  private readonly hiddenSessions = new Set<string>();

  /** @param selfUrl the `file:` URL of the bridge worker's script, as `NodeWorker` reports it. */
  constructor(private readonly selfUrl: string) {}

  /** Whether `notification` may reach the client. */
  passes(notification: Notification): boolean {
    if (!notification.method.startsWith('NodeWorker.')) return true;
    const params = (notification.params ?? {}) as { sessionId?: unknown; workerInfo?: { url?: unknown } };
    const sessionId = String(params.sessionId);
    // Matched by script URL: NodeWorker's workerId is the inspector's own count, not threadId.
    if (notification.method === 'NodeWorker.attachedToWorker' && params.workerInfo?.url === this.selfUrl) {
      this.hiddenSessions.add(sessionId);
      return false;
    }
    if (!this.hiddenSessions.has(sessionId)) return true;
    if (notification.method === 'NodeWorker.detachedFromWorker') this.hiddenSessions.delete(sessionId);
    return false;
  }

  /** Whether a client command would reach the bridge's own worker (refuse it then). */
  targetsSelf(method: string, params: object | undefined): boolean {
    if (!method.startsWith('NodeWorker.') || params === undefined) return false;
    return this.hiddenSessions.has(String((params as { sessionId?: unknown }).sessionId));
  }
}
