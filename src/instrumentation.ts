import * as http from 'node:http';
import * as net from 'node:net';
import * as shimmer from 'shimmer';
import type { EPDBBackend } from './backends/backend.js';
import { DUPLICATE_KNOCK, knockHeaderOf } from './knock/header.js';
import { verifyKnock } from './knock/verify.js';
import { log, RateLimitedLog } from './log.js';
import { routeKnocks } from './probes/router.js';
import type { InstrumentOptions, Instrumentation } from './options.js';
import type { AnyRequest, AnyResponse, DebugGate, KnockHandler, SessionSettings } from './types.js';

type Emit = (this: unknown, ...args: unknown[]) => boolean;
interface EmitterPrototype { emit: Emit }

/** Marks the process as instrumented, across every copy of epdb that may be loaded in it. */
const ACTIVE = Symbol.for('epdb.instrumentation.active');
type GlobalWithMark = typeof globalThis & { [ACTIVE]?: Instrumentation };

/** Whether some copy of epdb already instruments this process. */
export function isInstrumented(): boolean {
  return (globalThis as GlobalWithMark)[ACTIVE] !== undefined;
}

/**
 * The prototypes whose `emit` sees every incoming request: `http.Server`, and the server kinds of
 * modules an app may never load (below).
 */
const HTTP_SERVER_PROTOTYPE = http.Server.prototype as unknown as EmitterPrototype;

/** A server kind whose module is only loaded (and its prototypes wrapped) once the app loads it. */
interface LateServerKind {
  /** The built-in module, as `process.moduleLoadList` names it. */
  readonly builtin: string;
  prototypes(): EmitterPrototype[];
}

/**
 * `https.Server` (which does not inherit from `http.Server`), and the http2 servers of the
 * compatibility API, whose classes Node does not export (a server that never listens costs
 * nothing). Loading `https` and `http2` (and TLS with them) costs a plain-http app about 5 MB
 * of memory and milliseconds of start-up, so they are wrapped when the app has loaded them.
 */
const LATE_SERVER_KINDS: readonly LateServerKind[] = [
  {
    builtin: 'https',
    prototypes: () => [(require('node:https') as typeof import('node:https')).Server.prototype as unknown as EmitterPrototype],
  },
  {
    builtin: 'http2',
    prototypes: () => {
      const http2 = require('node:http2') as typeof import('node:http2');
      return [Object.getPrototypeOf(http2.createServer()) as EmitterPrototype, Object.getPrototypeOf(http2.createSecureServer()) as EmitterPrototype];
    },
  },
];

/** Whether Node has loaded built-in `name`; if Node ever stops saying, assume it has (wrap at once). */
function builtinLoaded(name: string): boolean {
  const loaded = (process as { moduleLoadList?: unknown }).moduleLoadList;
  return !Array.isArray(loaded) || loaded.includes(`NativeModule ${name}`);
}

/**
 * Starts checking every incoming request of every node:http, https and http2 (compat) server in
 * this process for a knock. Requests without one are handed on untouched.
 *
 * @throws {Error} when this process is already instrumented (`disable()` the other first).
 */
export function instrument(options: InstrumentOptions): Instrumentation {
  if (isInstrumented()) throw new Error('epdb: this process is already instrumented; disable() the running instrumentation first');
  const check = new KnockCheck(options);
  const wrap = (prototype: EmitterPrototype): (() => void) => wrapEmit(prototype, (original) => check.wrapEmit(original));
  const unwraps = [wrap(HTTP_SERVER_PROTOTYPE)];
  // The other kinds are wrapped as soon as a CommonJS require loads their module (so that, as
  // before, epdb's wrap sits under any another instrumentation adds when it sees that require),
  // and in any case before a server listens, which every server does before its first request
  // (a server handed its sockets by hand is listened for by the one that accepts them).
  const pending = [...LATE_SERVER_KINDS];
  let unhook: (() => void) | undefined;
  const wrapLoadedKinds = (): void => {
    for (const kind of [...pending]) {
      // Re-entered from the require hook while a kind's prototypes are fetched: skip what is done.
      if (!pending.includes(kind) || !builtinLoaded(kind.builtin)) continue;
      pending.splice(pending.indexOf(kind), 1);
      for (const prototype of kind.prototypes()) unwraps.push(wrap(prototype));
    }
    if (pending.length === 0) unhook?.();
  };
  wrapLoadedKinds();
  if (pending.length > 0) {
    const unhookRequire = afterEveryRequireOf(LATE_SERVER_MODULES, wrapLoadedKinds);
    const unhookListen = beforeEveryListen(wrapLoadedKinds);
    unhook = () => {
      unhookRequire();
      unhookListen();
    };
  }
  let disabled = false;
  const instrumentation: Instrumentation = {
    async disable() {
      if (disabled) return;
      disabled = true;
      check.stop();
      unhook?.();
      for (const unwrap of unwraps) unwrap();
      delete (globalThis as GlobalWithMark)[ACTIVE];
      await check.close();
    },
  };
  (globalThis as GlobalWithMark)[ACTIVE] = instrumentation;
  return instrumentation;
}

/** How CommonJS code names the modules of {@link LATE_SERVER_KINDS}. */
const LATE_SERVER_MODULES: ReadonlySet<string> = new Set(['https', 'node:https', 'http2', 'node:http2']);

/**
 * Calls `hook` after every CommonJS load (`Module._load`, under `require`) of one of `modules`,
 * until the returned function removes it again. ES `import`s do not pass here: the listen hook
 * covers them.
 */
function afterEveryRequireOf(modules: ReadonlySet<string>, hook: () => void): () => void {
  const loader = require('node:module') as unknown as { _load?: (...args: unknown[]) => unknown };
  const original = loader._load;
  if (typeof original !== 'function') return () => {};
  const load = function epdbLoad(this: unknown, request: unknown): unknown {
    const exported = original.apply(this, arguments as unknown as unknown[]);
    if (typeof request === 'string' && modules.has(request)) {
      try {
        hook();
      } catch (error) {
        // Never into the app: its servers of that kind go on unchecked.
        log(`could not check https/http2 requests yet (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    return exported;
  };
  loader._load = load;
  let hooked = true;
  return () => {
    if (!hooked) return;
    hooked = false;
    // Only while ours is outermost; under someone else's wrap it stays, calling a spent hook.
    if (loader._load === load) loader._load = original;
    hook = () => {};
  };
}

/**
 * Calls `hook` before every `net.Server#listen` (which every http, https and http2 server
 * inherits) until the returned function removes it again.
 */
function beforeEveryListen(hook: () => void): () => void {
  const prototype = net.Server.prototype as unknown as { listen: (...args: unknown[]) => unknown };
  const original = prototype.listen;
  const listen = function epdbListen(this: unknown): unknown {
    try {
      hook();
    } catch (error) {
      // Never into the app: its server listens as it would have, unchecked.
      log(`could not check https/http2 requests (${error instanceof Error ? error.message : String(error)}); going on`);
    }
    return original.apply(this, arguments as unknown as unknown[]);
  };
  prototype.listen = listen;
  let hooked = true;
  return () => {
    if (!hooked) return;
    hooked = false;
    // Only while ours is outermost; under someone else's wrap it stays, calling a spent hook.
    if (prototype.listen === listen) prototype.listen = original;
    hook = () => {};
  };
}

/** What shimmer leaves on a wrapper. */
type ShimmerWrapped = Emit & { __wrapped?: boolean; __unwrap(): void };

/**
 * Wraps `prototype.emit` with shimmer, and returns what undoes exactly this wrap.
 *
 * OpenTelemetry's http instrumentation unwraps any shimmer-marked `emit` before wrapping its own,
 * which would silently remove epdb; without the mark it wraps on top of epdb instead. So epdb
 * keeps its own unwrap, which restores the original only while epdb's wrapper is outermost (if
 * another wrap went on top, epdb's stays in the chain, inert once stopped).
 */
function wrapEmit(prototype: EmitterPrototype, wrapper: (original: Emit) => Emit): () => void {
  shimmer.wrap(prototype, 'emit', wrapper);
  const wrapped = prototype.emit as ShimmerWrapped;
  wrapped.__wrapped = false;
  return () => wrapped.__unwrap();
}

/** The per-request behaviour behind the wrapped `emit`, apart from the wrapping itself. */
class KnockCheck {
  private readonly backend: EPDBBackend;
  private readonly exemptMethods: ReadonlySet<string>;
  private readonly refusals = new RateLimitedLog();
  private gate: DebugGate | undefined;
  private router: KnockHandler | undefined;
  /** Set by `disable()`: a wrapper that cannot be unwrapped (another wrap is on top) passes through. */
  private stopped = false;

  constructor(private readonly options: InstrumentOptions) {
    this.backend = options.backend;
    this.exemptMethods = new Set([...(options.exemptMethods ?? ['OPTIONS'])].map((method) => method.toUpperCase()));
  }

  /** The wrapper for one prototype's `emit`; the hot path is its first few lines. */
  wrapEmit(original: Emit): Emit {
    const check = this;
    // No closure in here, and a request without a knock is passed on with `call`: V8 then
    // allocates nothing per request (capturing `this` and `arguments` allocated both on every
    // call, and `apply(this, arguments)` kept emit from being inlined; bench figure 1).
    return function epdbEmit(this: unknown, event: unknown, req?: unknown, res?: unknown) {
      // 'checkContinue' replaces 'request' for `Expect: 100-continue` when the app listens for it.
      if ((event !== 'request' && event !== 'checkContinue') || check.stopped) {
        return original.apply(this, arguments as unknown as unknown[]);
      }
      const header = knockHeaderOf(req as AnyRequest);
      if (header === undefined) {
        return arguments.length === 3 ? original.call(this, event, req, res) : original.apply(this, arguments as unknown as unknown[]);
      }
      // A knock header: rare, so copying the arguments costs nothing that matters.
      const args: unknown[] = [];
      for (let i = 0; i < arguments.length; i++) args.push(arguments[i]);
      return check.onKnockHeader(header, req as AnyRequest, res as AnyResponse, emitLater(original, this, args));
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

  private onKnockHeader(header: string | typeof DUPLICATE_KNOCK, req: AnyRequest, res: AnyResponse, emit: () => boolean): boolean {
    if (this.exemptMethods.has(req.method as string)) return emit();
    const method = loggableMethod(req.method);
    const path = loggablePath(req.url);
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
    // The outcome is acted on in a tick of its own, outside the promise, so that an exception in
    // the app's handler surfaces as the uncaught exception it would have been, not a rejection.
    verifyKnock(header, this.backend).then(
      (knock) => process.nextTick(() => {
        log(`knock accepted (${knock.scheme}) ${method} ${path}`);
        try {
          this.knockHandler()({ req, res, knock, method, path, proceed });
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
   * The user's handler, or the router in front of the debug gate (probe knocks go to the probes),
   * loaded on the first valid knock and not before.
   */
  private knockHandler(): KnockHandler {
    if (this.options.onKnock !== undefined) return this.options.onKnock;
    this.router ??= routeKnocks({
      debug: () => this.debugGate().handler,
      probeBridge: () => this.debugGate().probeBridge?.() ?? null,
      redact: [...(this.options.redact ?? [])],
    });
    return this.router;
  }

  /** The debug gate, made on first use. */
  private debugGate(): DebugGate {
    if (this.gate === undefined) {
      // Loaded here, not at start-up: the gate pulls in worker_threads, inspector and ws.
      const { createDebugGate } = require('./gate/index.js') as { createDebugGate(settings: SessionSettings): DebugGate };
      this.gate = createDebugGate({
        host: this.options.host ?? '127.0.0.1',
        port: this.options.port ?? 9000,
        waitTimeoutMs: this.options.waitTimeoutMs ?? 300_000,
        bridgeAuth: this.backend.authenticates ? this.backend.recipe : null,
      });
    }
    return this.gate;
  }
}

/** `emit` with these arguments, for later: made outside the wrapper so the wrapper captures nothing. */
function emitLater(original: Emit, server: unknown, args: unknown[]): () => boolean {
  return () => original.apply(server, args);
}

/**
 * The request's path without its query string (which may hold secrets), short and printable.
 * An app or adapter may emit 'request' with an object of its own, so `url` can be anything.
 */
function loggablePath(url: unknown): string {
  if (typeof url !== 'string') return '/';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return printable(path.length > 200 ? `${path.slice(0, 200)}...` : path);
}

/** The method for a log line; like `url`, it can be anything on a request Node did not make. */
function loggableMethod(method: unknown): string {
  return typeof method === 'string' ? printable(method.slice(0, 20)) : '?';
}

/** No control characters or non-ASCII from the wire in a log line: they could forge lines. */
function printable(text: string): string {
  return text.replace(/[^\x21-\x7e]/g, '?');
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n', 1)[0] ?? '';
}
