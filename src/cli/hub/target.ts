/**
 * The target hub's extension point: where its targets come from. `epdb connect RANGE` feeds it
 * the bridges it finds on a range of ports; `epdb listen` feeds it the processes that dial in.
 */

/** A debugger's conversation with one target, opened by {@link HubTarget.connect}: CDP text messages both ways. */
export interface TargetConnection {
  send(message: string): void;
  /** Ends the conversation; {@link onClose} listeners are called. */
  close(): void;
  onMessage(listener: (message: string) => void): void;
  /** Called once, when either side has ended. */
  onClose(listener: () => void): void;
}

/** One debuggable process, as the hub lists it in `/json/list`. */
export interface HubTarget {
  /** Unique within the hub and URL-safe: the path of the target's WebSocket is `/<id>`. */
  readonly id: string;
  readonly title: string;
  /** The target's main script, as a URL (`file:///srv/app.js`). */
  readonly url: string;
  /**
   * When the target began holding a knocked request (ms since the epoch), or `null` when it
   * holds none. Targets holding one are listed first, the longest held first, so a debugger
   * that takes the first target (`node inspect`) gets the process that received the knock.
   */
  readonly heldSince: number | null;
  /**
   * The hop of the followed request it holds (1 for the knocked request, 2 for the one that sent
   * on, ...), or `null`: targets holding one are listed in hop order.
   */
  readonly hop?: number | null;
  /**
   * Opens a conversation with the target for one debugger.
   *
   * @throws {TargetRefusal} when the target turns the debugger away (the hub answers with its status).
   */
  connect(): Promise<TargetConnection>;
}

/** Where a source tells the hub what it found. */
export interface TargetSink {
  /** Adds a target, or replaces the one with the same id (its title or held request changed). */
  add(target: HubTarget): void;
  /** The target has gone: it is unlisted, and the hub closes the connections of debuggers attached to it. */
  remove(id: string): void;
}

/** A pluggable supplier of targets. */
export interface TargetSource {
  /** Starts finding targets and reporting them to `sink`. */
  start(sink: TargetSink): void;
  /** Looks again now, when it can: the hub awaits it (bounded) before answering `/json/list`. */
  refresh?(): Promise<void>;
  stop(): void;
}

/** A target turned a debugger away: the HTTP status and one line to answer the WebSocket upgrade with. */
export class TargetRefusal extends Error {
  constructor(readonly status: number, reason: string) {
    super(reason);
    this.name = 'TargetRefusal';
  }
}
