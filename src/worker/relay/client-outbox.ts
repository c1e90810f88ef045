import type { InspectorNotification } from '../main-thread-session.js';
import type { ClientHold } from '../client-hold.js';
import type { StopLabel } from '../walk/stop-label.js';

/**
 * What goes to one relayed client. Notifications wait while the bridge's own sessions hold them
 * (a pause must reach the client only once they are out of the way); replies never wait, so a
 * command the client sends during the walk is answered at once instead of stalling it until the
 * walk ends. A pause is relabelled as it goes out: the walk marks its stop before it lets the
 * client's copy through.
 */
export class ClientOutbox {
  private readonly held: InspectorNotification[] = [];
  private readonly stopListening: () => void;

  constructor(private readonly socket: { send(text: string): void }, private readonly hold: ClientHold, private readonly stopLabel: StopLabel) {
    this.stopListening = hold.onRelease(() => this.flush());
  }

  /** Sends a reply (it has an `id`) now, a notification once nothing holds it. */
  send(message: object): void {
    if ('id' in message) {
      this.socket.send(JSON.stringify(message));
      return;
    }
    this.held.push(message as InspectorNotification);
    this.flush();
  }

  /** Sends nothing more (the client is gone). */
  close(): void {
    this.stopListening();
    this.held.length = 0;
  }

  private flush(): void {
    while (this.held.length > 0 && !this.hold.holding) this.socket.send(JSON.stringify(this.labelled(this.held.shift() as InspectorNotification)));
  }

  private labelled(notification: InspectorNotification): InspectorNotification {
    if (notification.method === 'Debugger.resumed') this.stopLabel.clear();
    if (notification.method !== 'Debugger.paused') return notification;
    return { ...notification, params: this.stopLabel.relabel(notification.params as object) };
  }
}
