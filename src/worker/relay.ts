import { Session } from 'node:inspector';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { log, RateLimitedLog } from '../shared/log.js';
import type { ClientHold } from './client-hold.js';
import { changesChildEnvironment, runsClientSource } from './environment/injection.js';
import { EnvironmentKeeper } from './environment/keeper.js';
import { SelfHider } from './hide-self.js';
import { withOwnScripts } from './own-scripts.js';
import type { StopLabel } from './walk/stop-label.js';
import { PauseLimit } from './pause-limit.js';
import { RemoteSources } from './remote-sources/remote-sources.js';

/** The bridge worker's script, hidden from clients (this file sits beside it). */
const SELF_URL = pathToFileURL(join(__dirname, 'worker.js')).href;

/** A CDP notification on its way to the client. */
interface Notification {
  readonly method: string;
  readonly params?: unknown;
}

/** What a relay tells the worker about its client. */
export interface RelayEvents {
  /** The client enabled the Debugger domain and sent `Runtime.runIfWaitingForDebugger`. */
  attached(): void;
  /** The client disabled the Debugger domain: it cannot be paused for until it enables it again. */
  detached(): void;
  /** The client is gone (after `attached`, or not). */
  closed(wasAttached: boolean): void;
  /** The client was detached for staying paused longer than `EPDB_MAX_PAUSE`. */
  pausedTooLong?(limitMs: number): void;
}

/** What the worker can do with a relayed client. */
export interface RelayedClient {
  /** Shows `text` in the client's console, as `console.warn` output of the app would be. */
  warn(text: string): void;
}

/**
 * What a relay needs of its client's connection: a `ws` WebSocket (the listening bridge), or
 * the sealed socket of a reverse connection (src/shared/reverse/sealed-socket.ts).
 */
export interface RelaySocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: { toString(): string }) => void): unknown;
  on(event: 'close' | 'error', listener: () => void): unknown;
}

/** Settings of one relay. */
export interface RelayOptions {
  /** `EPDB_MAX_PAUSE` in ms; 0: no limit. */
  readonly maxPauseMs: number;
  /** Marks the walk's stop, so the client's copy of it reads as epdb's breakpoint. */
  readonly stopLabel: StopLabel;
}

/**
 * Relays CDP between one WebSocket client and the main thread, through an inspector session of
 * this worker connected to the main thread. The worker runs while the main thread is paused, so
 * the client can inspect and resume it. Closing the socket disconnects the session, which
 * resumes a paused main thread.
 */
export function relayClient(ws: RelaySocket, hold: ClientHold, events: RelayEvents, options: RelayOptions): RelayedClient {
  const self = new SelfHider(SELF_URL);
  // Before the client's first command: the environment as it was when it came.
  const environment = new EnvironmentKeeper();
  // js-debug tries once per attach; a client that keeps trying must not fill the log.
  const refusals = new RateLimitedLog(5, 60_000, log, Date.now, 'refused environment changes');
  // Source maps and sources for a debugger that cannot read this machine's files.
  const sources = new RemoteSources();
  const session = new Session();
  session.connectToMainThread();

  // Notifications wait while the bridge's own sessions hold them (a pause must reach the client
  // only once they are out of the way); replies never wait, so a client's command sent during
  // the walk is answered at once instead of stalling the client until the walk ends.
  const heldNotifications: Notification[] = [];
  const flush = (): void => {
    while (heldNotifications.length > 0 && !hold.holding) ws.send(JSON.stringify(labelled(heldNotifications.shift() as Notification)));
  };
  // Relabelled as it goes out: the walk marks its stop before it lets the client's copy through.
  const labelled = (notification: Notification): Notification => {
    if (notification.method === 'Debugger.resumed') options.stopLabel.clear();
    if (notification.method !== 'Debugger.paused') return notification;
    return { ...notification, params: options.stopLabel.relabel(notification.params as object) };
  };
  const send = (message: object): void => {
    if ('id' in message) {
      ws.send(JSON.stringify(message));
      return;
    }
    heldNotifications.push(message as Notification);
    flush();
  };
  const stopListening = hold.onRelease(flush);
  /** The app's main context, where the client expects console messages to come from. */
  let mainContextId: number | undefined;
  const warn = (text: string): void => {
    send({
      method: 'Runtime.consoleAPICalled',
      params: { type: 'warning', args: [{ type: 'string', value: text }], executionContextId: mainContextId ?? 1, timestamp: Date.now() },
    });
  };
  const pauseLimit = new PauseLimit(options.maxPauseMs, {
    warn,
    detach() {
      events.pausedTooLong?.(options.maxPauseMs);
      ws.close(1000, 'paused longer than EPDB_MAX_PAUSE');
      environment.close();
      // Resumes the main thread now, whatever the socket's closing handshake does.
      session.disconnect();
    },
  });
  session.on('inspectorNotification', (notification) => {
    if (notification.method === 'Debugger.paused') pauseLimit.paused();
    else if (notification.method === 'Debugger.resumed') pauseLimit.resumed();
    else if (notification.method === 'Runtime.executionContextCreated') {
      const context = (notification.params as { context?: { id?: unknown; auxData?: { isDefault?: unknown } } }).context;
      if (mainContextId === undefined && typeof context?.id === 'number' && context.auxData?.isDefault !== false) mainContextId = context.id;
    }
    if (self.passes(notification)) send(sources.outgoing(notification));
  });

  /** The client's latest `Debugger.setBlackboxPatterns` params, to which epdb's own scripts are added. */
  let clientIgnoreList: object | undefined;
  let debuggerEnabled = false;
  let runRequested = false;
  let attached = false;
  const noteSuccess = (method: string): void => {
    if (method === 'Debugger.enable') debuggerEnabled = true;
    if (method === 'Debugger.disable') {
      debuggerEnabled = false;
      if (attached) {
        attached = false;
        events.detached();
      }
    }
    if (method === 'Runtime.runIfWaitingForDebugger') runRequested = true;
    if (!attached && debuggerEnabled && runRequested) {
      attached = true;
      events.attached();
    }
  };

  ws.on('message', (data) => {
    let message: unknown;
    try {
      message = JSON.parse(String(data));
    } catch {
      send({ error: { code: -32700, message: 'Message must be a valid JSON' } });
      return;
    }
    // Whatever a client sends (`null`, an array...) gets an error reply, as from Node's inspector.
    const { id, method, params } = (typeof message === 'object' && message !== null ? message : {}) as
      { id?: unknown; method?: unknown; params?: unknown };
    if (typeof id !== 'number' || !Number.isInteger(id) || typeof method !== 'string') {
      send({ id: typeof id === 'number' ? id : undefined, error: { code: -32600, message: 'Message must have integer id and string method' } });
      return;
    }
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
      send({ id, error: { code: -32602, message: 'Invalid parameters: params must be an object' } });
      return;
    }
    if (self.targetsSelf(method, params as object | undefined)) {
      send({ id, error: { code: -32602, message: 'No such worker session' } });
      return;
    }
    if (changesChildEnvironment(method, params as object | undefined)) {
      // An error answer, not a thrown exception: js-debug gives up at once on an error, but
      // retries an exception for 10 s. The session goes on.
      refusals.log(`refused a debugger's ${method} that would change NODE_OPTIONS or VSCODE_INSPECTOR_OPTIONS of this process (the app's child processes would fail to start; VS Code: set "autoAttachChildProcesses": false); the session goes on`);
      send({ id, error: { code: -32000, message: ENVIRONMENT_REFUSAL } });
      return;
    }
    if (RemoteSources.answers(method)) {
      void sources.answer(method, params as object | undefined).then((reply) => {
        if (reply !== null) send({ id, ...reply });
      });
      return;
    }
    sources.noteCommand(method, params as object | undefined);
    let forwarded = params as object | undefined;
    if (method === 'Debugger.setBlackboxPatterns') {
      clientIgnoreList = forwarded;
      forwarded = withOwnScripts(forwarded);
    }
    try {
      session.post(method, forwarded, (error, result) => {
        if (error !== null) {
          send({ id, error: protocolErrorOf(error) });
          return;
        }
        send({ id, result: result ?? {} });
        // With the client's own list, if it sent one already (its later ones are merged too).
        if (method === 'Debugger.enable') session.post('Debugger.setBlackboxPatterns', withOwnScripts(clientIgnoreList), () => {});
        noteSuccess(method);
        if (runsClientSource(method)) environment.check();
      });
    } catch (error) {
      send({ id, error: protocolErrorOf(error) });
    }
  });

  ws.on('close', () => {
    stopListening();
    sources.close();
    pauseLimit.clear();
    // Posted before the client's session lets a paused main thread go, so it is restored first.
    environment.close();
    session.disconnect();
    events.closed(attached);
  });
  ws.on('error', () => ws.terminate());
  return { warn };
}

/** The error a client gets for a command that would change the children's environment. */
const ENVIRONMENT_REFUSAL = 'epdb: a debugger may not change NODE_OPTIONS or VSCODE_INSPECTOR_OPTIONS of this process: '
  + 'it runs on another machine, and every node child it spawned would fail to start (VS Code: "autoAttachChildProcesses": false)';

/** Node wraps CDP errors as `Inspector error <code>: <message>`; give the client the original. */
function protocolErrorOf(error: unknown): { code: number; message: string } {
  const text = error instanceof Error ? error.message : String(error);
  const match = /^Inspector error (-?\d+): ([\s\S]*)$/.exec(text);
  return match ? { code: Number(match[1]), message: match[2] as string } : { code: -32603, message: text };
}
