import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { log, RateLimitedLog } from '../shared/log.js';
import type { ClientHold } from './client-hold.js';
import { MainThreadSession, type InspectorNotification } from './main-thread-session.js';
import { ClientAttachment } from './relay/client-attachment.js';
import { protocolErrorOf, readClientCommand } from './relay/client-command.js';
import { ClientOutbox } from './relay/client-outbox.js';
import { changesChildEnvironment, runsClientSource } from './environment/injection.js';
import { EnvironmentKeeper } from './environment/keeper.js';
import { SelfHider } from './hide-self.js';
import { withOwnScripts } from './own-scripts.js';
import type { StopLabel } from './walk/stop-label.js';
import { PauseLimit } from './pause-limit.js';
import { RemoteSources } from './remote-sources/remote-sources.js';

/** The bridge worker's script, hidden from clients (this file sits beside it). */
const SELF_URL = pathToFileURL(join(__dirname, 'worker.js')).href;

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
  /** Whether the client is attached (see {@link ClientAttachment}). */
  readonly attached: boolean;
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
 * Relays CDP between one client and the main thread, through an inspector session of this
 * worker connected to the main thread. The worker runs while the main thread is paused, so the
 * client can inspect and resume it. Closing the socket disconnects the session, which resumes a
 * paused main thread.
 *
 * On the way it: hides the bridge's own worker ({@link SelfHider}); refuses changes to the
 * children's environment and undoes any it missed ({@link EnvironmentKeeper}); serves source
 * maps to a debugger on another machine ({@link RemoteSources}); adds epdb's own scripts to the
 * client's ignore list; bounds a stop ({@link PauseLimit}); and tells the worker when the client
 * attaches and leaves ({@link ClientAttachment}).
 */
export class Relay implements RelayedClient {
  private readonly session = new MainThreadSession();
  private readonly self = new SelfHider(SELF_URL);
  /** Made before the client's first command: the environment as it was when it came. */
  private readonly environment = new EnvironmentKeeper();
  /** js-debug tries once per attach; a client that keeps trying must not fill the log. */
  private readonly refusals = new RateLimitedLog(5, 60_000, log, Date.now, 'refused environment changes');
  private readonly sources = new RemoteSources();
  private readonly outbox: ClientOutbox;
  private readonly attachment: ClientAttachment;
  private readonly pauseLimit: PauseLimit;
  /** The app's main context, where the client expects console messages to come from. */
  private mainContextId: number | undefined;
  /** The client's latest `Debugger.setBlackboxPatterns` params, to which epdb's own scripts are added. */
  private clientIgnoreList: object | undefined;

  constructor(private readonly socket: RelaySocket, hold: ClientHold, private readonly events: RelayEvents, private readonly options: RelayOptions) {
    this.outbox = new ClientOutbox(socket, hold, options.stopLabel);
    this.attachment = new ClientAttachment(events);
    this.pauseLimit = new PauseLimit(options.maxPauseMs, { warn: (text) => this.warn(text), detach: () => this.detachPausedTooLong() });
    this.session.onNotification((notification) => this.fromMainThread(notification));
    socket.on('message', (data) => this.fromClient(data.toString()));
    socket.on('close', () => this.closed());
    socket.on('error', () => socket.terminate());
  }

  get attached(): boolean {
    return this.attachment.attached;
  }

  warn(text: string): void {
    this.outbox.send({
      method: 'Runtime.consoleAPICalled',
      params: { type: 'warning', args: [{ type: 'string', value: text }], executionContextId: this.mainContextId ?? 1, timestamp: Date.now() },
    });
  }

  private fromMainThread(notification: InspectorNotification): void {
    if (notification.method === 'Debugger.paused') this.pauseLimit.paused();
    else if (notification.method === 'Debugger.resumed') this.pauseLimit.resumed();
    else if (notification.method === 'Runtime.executionContextCreated') this.noteContext(notification.params);
    if (this.self.passes(notification)) this.outbox.send(this.sources.outgoing(notification));
  }

  private fromClient(text: string): void {
    const command = readClientCommand(text);
    if ('error' in command) {
      this.outbox.send(command);
      return;
    }
    const { id, method, params } = command;
    if (this.self.targetsSelf(method, params)) {
      this.outbox.send({ id, error: { code: -32602, message: 'No such worker session' } });
      return;
    }
    if (changesChildEnvironment(method, params)) {
      // An error answer, not a thrown exception: js-debug gives up at once on an error, but
      // retries an exception for 10 s. The session goes on.
      this.refusals.log(`refused a debugger's ${method} that would change NODE_OPTIONS or VSCODE_INSPECTOR_OPTIONS of this process (the app's child processes would fail to start; VS Code: set "autoAttachChildProcesses": false); the session goes on`);
      this.outbox.send({ id, error: { code: -32000, message: ENVIRONMENT_REFUSAL } });
      return;
    }
    if (RemoteSources.answers(method)) {
      void this.sources.answer(method, params).then((reply) => {
        if (reply !== null) this.outbox.send({ id, ...reply });
      });
      return;
    }
    this.sources.noteCommand(method, params);
    this.forward(id, method, params);
  }

  private forward(id: number, method: string, params: object | undefined): void {
    let forwarded = params;
    if (method === 'Debugger.setBlackboxPatterns') {
      this.clientIgnoreList = forwarded;
      forwarded = withOwnScripts(forwarded);
    }
    this.session.post(method, forwarded).then((result) => {
      this.outbox.send({ id, result });
      // With the client's own list, if it sent one already (its later ones are merged too).
      if (method === 'Debugger.enable') this.session.send('Debugger.setBlackboxPatterns', withOwnScripts(this.clientIgnoreList));
      this.attachment.succeeded(method);
      if (runsClientSource(method)) this.environment.check();
    }, (error: unknown) => this.outbox.send({ id, error: protocolErrorOf(error) }));
  }

  private noteContext(params: unknown): void {
    const context = (params as { context?: { id?: unknown; auxData?: { isDefault?: unknown } } }).context;
    if (this.mainContextId === undefined && typeof context?.id === 'number' && context.auxData?.isDefault !== false) this.mainContextId = context.id;
  }

  private detachPausedTooLong(): void {
    this.events.pausedTooLong?.(this.options.maxPauseMs);
    this.socket.close(1000, 'paused longer than EPDB_MAX_PAUSE');
    this.environment.close();
    // Resumes the main thread now, whatever the socket's closing handshake does.
    this.session.disconnect();
  }

  private closed(): void {
    this.outbox.close();
    this.sources.close();
    this.pauseLimit.clear();
    // Posted before the client's session lets a paused main thread go, so it is restored first.
    this.environment.close();
    this.session.disconnect();
    this.events.closed(this.attachment.close());
  }
}

/** The error a client gets for a command that would change the children's environment. */
const ENVIRONMENT_REFUSAL = 'epdb: a debugger may not change NODE_OPTIONS or VSCODE_INSPECTOR_OPTIONS of this process: '
  + 'it runs on another machine, and every node child it spawned would fail to start (VS Code: "autoAttachChildProcesses": false)';
