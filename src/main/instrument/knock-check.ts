import type { EPDBBackend } from '../../shared/backends/backend.js';
import { ConfigError } from '../../shared/errors.js';
import { DEFAULTS } from '../../shared/config.js';
import { DUPLICATE_KNOCK, knockHeaderOf, knockHeaderOfHeaders } from '../../shared/knock/header.js';
import { log, RateLimitedLog } from '../../shared/log.js';
import { loggableMethod, loggablePath } from '../../shared/loggable.js';
import type { InstrumentOptions } from '../options.js';
import type { PortRange } from '../../shared/port-range.js';
import { parseDialAddress, type DialAddress } from '../../shared/reverse/address.js';
import type { DebugGate, SessionSettings } from '../gate/debug-gate.js';
import type { AnyRequest, KnockedRequest, KnockHandler } from '../knocked-request.js';
import { entryEventOf, type AcceptedFields, type EntryEvent, type EntryEventName } from './entry-points.js';
import type { Emit } from './wrap-emit.js';
import type { Follower } from '../follow/follower.js';
import type { FollowedRequest } from '../follow/followed-request.js';

/** The per-request behaviour behind the wrapped `emit`, apart from the wrapping itself. */
export class KnockCheck {
  private readonly backend: EPDBBackend;
  private readonly exemptMethods: ReadonlySet<string>;
  /** `options.connect`, parsed: the `epdb listen` every knock dials. */
  private readonly connect: DialAddress | undefined;
  private readonly refusals = new RateLimitedLog();
  /** Accepted knocks are logged under the same budget as refusals: anyone can make base64 ones. */
  private readonly acceptances = new RateLimitedLog(10, 60_000, log, Date.now, 'accepted knocks');
  private gate: DebugGate | undefined;
  private router: KnockHandler | undefined;
  /** Set by `disable()`: a wrapper that cannot be unwrapped (another wrap is on top) passes through. */
  private stopped = false;

  constructor(private readonly options: InstrumentOptions, private readonly follower: Follower) {
    this.backend = options.backend;
    this.exemptMethods = new Set([...(options.exemptMethods ?? DEFAULTS.exemptMethods)].map((method) => method.toUpperCase()));
    this.connect = options.connect === undefined ? undefined : dialAddressOption(options.connect);
  }

  /** The wrapper for one prototype's `emit`; the hot path is its first few lines. */
  wrapEmit(original: Emit): Emit {
    const check = this;
    // No closure in here, and an event without a knock is passed on with `call`: V8 then
    // allocates nothing per request (capturing `this` and `arguments` allocated both on every
    // call, and `apply(this, arguments)` kept emit from being inlined; bench figure 1).
    return function epdbEmit(this: unknown, event: unknown, a?: unknown, b?: unknown, c?: unknown, d?: unknown) {
      if (check.stopped) return original.apply(this, arguments as unknown as unknown[]);
      let header: string | undefined | typeof DUPLICATE_KNOCK;
      // The request of 'request', 'checkContinue' and 'upgrade' has rawHeaders; an HTTP/2
      // stream's headers object is its second argument (gRPC's metadata travels in it).
      if (event === 'request' || event === 'checkContinue' || event === 'upgrade') header = knockHeaderOf(a as AnyRequest);
      else if (event === 'stream') header = knockHeaderOfHeaders(b);
      else return original.apply(this, arguments as unknown as unknown[]);
      if (header === undefined) {
        switch (arguments.length) {
          case 3: return original.call(this, event, a, b);
          case 4: return original.call(this, event, a, b, c);
          case 5: return original.call(this, event, a, b, c, d);
          default: return original.apply(this, arguments as unknown as unknown[]);
        }
      }
      // A knock header: rare, so copying the arguments costs nothing that matters.
      const args: unknown[] = [];
      for (let i = 1; i < arguments.length; i++) args.push(arguments[i]);
      return check.onKnockHeader(header, event, this, args, emitLater(original, this, event, args));
    };
  }

  /** Makes every wrapper made by {@link wrapEmit} pass requests straight through. */
  stop(): void {
    this.stopped = true;
  }

  /** Stops the debug bridge, if a knock ever started it. */
  async close(): Promise<void> {
    await this.gate?.close();
  }

  private onKnockHeader(header: string | typeof DUPLICATE_KNOCK, event: EntryEventName, server: unknown, args: unknown[], emit: () => boolean): boolean {
    this.follower.knockHeaderArrived();
    let entry: EntryEvent | undefined;
    try {
      entry = entryEventOf(event, server, args);
    } catch {
      // Not an event as Node makes it (an app emitting its own): it reaches the app untouched.
      entry = undefined;
    }
    if (entry === undefined || this.exemptMethods.has(entry.method as string)) return emit();
    const method = loggableMethod(entry.method);
    const path = loggablePath(entry.url);
    if (header === DUPLICATE_KNOCK) {
      this.refusals.log(`knock refused on ${method} ${path}: more than one X-EPDB header`);
      return emit();
    }
    let emitted = false;
    // The app sees the request once, whatever happens, and synchronously: the debug gate calls
    // this from its paused frame, and stepping into it must lead straight to the app's handler.
    const proceed = (): void => {
      if (emitted) return;
      emitted = true;
      emit();
    };
    const knocked = entry;
    // The outcome is acted on in a tick of its own, outside the promise, so that an exception in
    // the app's handler surfaces as the uncaught exception it would have been, not a rejection.
    verifierModules().verifyKnock(header, this.backend).then(
      (knock) => process.nextTick(() => {
        if (verifierModules().isBridgeOnly(knock)) {
          this.refusals.log(`a knock for the debug bridge reached ${method} ${path} (is the app's port in an epdb connect range?); served as usual`);
          proceed();
          return;
        }
        let followed: FollowedRequest | undefined;
        try {
          followed = this.follower.accept(knock, knocked.method, knocked.url, `${method} ${path}`);
        } catch (error) {
          this.refusals.log(`knock refused on ${method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
          proceed();
          return;
        }
        this.acceptances.log(`knock accepted (${knock.scheme}) ${method} ${path}${followed === undefined ? '' : ` (followed: ${followed.title}${followed.place.hop === 1 ? '' : `, from ${followed.origin}`})`}`);
        try {
          this.knockHandler()(this.followedOrNot(knocked, { knock, method, path, proceed }, followed));
        } catch (error) {
          // Thrown from inside proceed() by the app's own handler: let it surface as it would have.
          if (emitted) throw error;
          log(`could not hold the request for a debugger (${firstLine(error)}); going on`);
          proceed();
        }
      }),
      (error: unknown) => process.nextTick(() => {
        this.refusals.log(`knock refused on ${method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
        proceed();
      }),
    );
    return true;
  }

  /**
   * The knocked request as the gate and probes get it; a followed one is handed to the app in
   * its follow context (so its outgoing requests are its hops), titled with its hop, and ends
   * its follow when its exchange ends.
   */
  private followedOrNot(entry: EntryEvent, fields: AcceptedFields, followed: FollowedRequest | undefined): KnockedRequest {
    if (followed === undefined) return entry.knocked(fields);
    const { proceed } = fields;
    const follower = this.follower;
    const request = entry.knocked({ ...fields, title: followed.title, proceed: () => follower.context.run(followed, proceed) });
    request.onEnd(() => follower.ended(followed));
    return request;
  }

  /**
   * The user's handler, or the router in front of the debug gate (probe knocks go to the probes),
   * loaded on the first valid knock and not before. The modules required lazily here are the
   * entries of the preload's knock bundle (`KNOCK_ENTRIES` in scripts/bundle-preload.mjs).
   */
  private knockHandler(): KnockHandler {
    if (this.options.onKnock !== undefined) return this.options.onKnock;
    this.router ??= (require('../probes/router.js') as typeof import('../probes/router.js')).routeKnocks({
      debug: () => this.debugGate().handler,
      probeBridge: (request) => this.debugGate().probeBridge?.(request) ?? null,
      redact: [...(this.options.redact ?? [])],
    });
    return this.router;
  }

  /** The debug gate, made on first use. */
  private debugGate(): DebugGate {
    if (this.gate === undefined) {
      // Loaded here, not at start-up: the gate pulls in worker_threads, inspector and ws.
      const { createDebugGate } = require('../gate/index.js') as { createDebugGate(settings: SessionSettings): DebugGate };
      const { dialOutSettings } = require('../dial-out.js') as typeof import('../dial-out.js');
      this.gate = createDebugGate({
        host: this.options.host ?? DEFAULTS.host,
        port: asPortRange(this.options.port ?? DEFAULTS.port),
        waitTimeoutMs: this.options.waitTimeoutMs ?? DEFAULTS.waitTimeoutSeconds * 1000,
        maxHeld: this.options.maxHeld ?? DEFAULTS.maxHeld,
        stopAt: this.options.stopAt ?? DEFAULTS.stopAt,
        maxPauseMs: this.options.maxPauseMs ?? DEFAULTS.maxPauseSeconds * 1000,
        bridgeAuth: this.backend.authenticates ? this.backend.recipe : null,
        dialOut: dialOutSettings(this.backend, this.connect),
      });
    }
    return this.gate;
  }
}

/** Parses {@link InstrumentOptions.connect}; a bad one is a configuration error, as `EPDB_CONNECT`'s. */
function dialAddressOption(text: string): DialAddress {
  const address = parseDialAddress(text);
  if (typeof address === 'string') throw new ConfigError('connect', address);
  return address;
}

/** `emit(event, ...args)`, for later: made outside the wrapper so the wrapper captures nothing. */
function emitLater(original: Emit, server: unknown, event: EntryEventName, args: unknown[]): () => boolean {
  return () => original.call(server, event, ...args);
}

function asPortRange(port: number | PortRange): PortRange {
  return typeof port === 'number' ? { first: port, last: port } : port;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n', 1)[0] ?? '';
}

let verifiers: { verifyKnock: typeof import('../../shared/knock/verify.js').verifyKnock; isBridgeOnly: typeof import('../../shared/knock/bridge-only.js').isBridgeOnly } | undefined;

/**
 * The knock's verification, loaded on the first knock header rather than with the preload: most
 * processes never see one, and each module is start-up time (figure 6).
 */
function verifierModules(): NonNullable<typeof verifiers> {
  verifiers ??= {
    verifyKnock: (require('../../shared/knock/verify.js') as typeof import('../../shared/knock/verify.js')).verifyKnock,
    isBridgeOnly: (require('../../shared/knock/bridge-only.js') as typeof import('../../shared/knock/bridge-only.js')).isBridgeOnly,
  };
  return verifiers;
}
