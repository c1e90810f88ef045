import { Server as NetServer } from 'node:net';
import { log } from '../../shared/log.js';
import type { EmitterPrototype } from './wrap-emit.js';

/** A built-in module whose server prototypes epdb wraps once the app has loaded it. */
export type ServerModule = 'http' | 'https' | 'http2';

/** A server kind whose module is only loaded (and its prototypes wrapped) once the app loads it. */
interface LateServerKind {
  /** The built-in module, as `process.moduleLoadList` and require-in-the-middle name it. */
  readonly builtin: ServerModule;
  prototypes(): EmitterPrototype[];
}

/**
 * `http.Server`, `https.Server` (which does not inherit from it), and the two http2 servers,
 * whose classes Node does not export (a server that never listens costs nothing). None is
 * loaded by epdb: loading `node:http` at start-up is ~90 KB of V8's 1 MB young generation and
 * ~2.5 ms, which an app without HTTP never pays and which under `--import` tipped start-up into a
 * scavenge (BENCHMARKS.md figure 6); `https` and `http2` (and TLS with them) cost a plain-http
 * app about 5 MB of memory and milliseconds.
 */
const LATE_SERVER_KINDS: readonly LateServerKind[] = [
  {
    builtin: 'http',
    prototypes: () => [(require('node:http') as typeof import('node:http')).Server.prototype as unknown as EmitterPrototype],
  },
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
 * Hands every prototype of the http, https and http2 servers to `wrap` once the app has loaded
 * that module: at once if it is loaded already, else when a CommonJS `require` loads it (so that
 * epdb's wrap sits under any another instrumentation adds when it sees that require), and in
 * any case before a server listens, which every server does before its first request (a server
 * handed its sockets by hand is listened for by the one that accepts them); that also covers ES
 * `import`s, which no require hook sees. `loaded` is told each module once its servers are
 * wrapped (its client is hooked then).
 *
 * States: `watching` (a kind is not loaded yet: the require and listen hooks are in place),
 * `done` (every kind wrapped: the hooks removed themselves), `stopped` (the instrumentation was
 * disabled: the hooks are removed and nothing is wrapped again, whoever asks).
 */
export class LateServerKinds {
  private state: 'watching' | 'done' | 'stopped' = 'watching';
  private readonly pending = [...LATE_SERVER_KINDS];
  private unhookRequire = (): void => {};
  private unhookListen = (): void => {};

  constructor(
    private readonly wrap: (prototype: EmitterPrototype) => void,
    private readonly loaded: (builtin: ServerModule) => void = () => {},
  ) {
    this.wrapLoaded();
    if (this.state !== 'watching') return;
    this.unhookRequire = afterRequireOf(this.pending.map((kind) => kind.builtin), () => this.wrapLoaded());
    this.unhookListen = beforeEveryListen(() => this.wrapLoaded());
  }

  /** Wraps the kinds the app has loaded since the last look (a knock arriving looks again). */
  wrapLoaded(): void {
    if (this.state !== 'watching') return;
    for (const kind of [...this.pending]) {
      // Re-entered from the require hook while a kind's prototypes are fetched: skip what is done.
      if (!this.pending.includes(kind) || !builtinLoaded(kind.builtin)) continue;
      this.pending.splice(this.pending.indexOf(kind), 1);
      for (const prototype of kind.prototypes()) this.wrap(prototype);
      this.loaded(kind.builtin);
    }
    if (this.pending.length === 0) this.end('done');
  }

  /** Removes the hooks; nothing is wrapped after it. */
  unhook(): void {
    this.end('stopped');
  }

  private end(state: 'done' | 'stopped'): void {
    const wasWatching = this.state === 'watching';
    this.state = state;
    if (!wasWatching) return;
    this.unhookRequire();
    this.unhookListen();
  }
}

/**
 * Calls `hook` after the first CommonJS load of one of `builtins` (by either name, `https` or
 * `node:https`), through require-in-the-middle, until the returned function removes it again.
 * require-in-the-middle is loaded here, only when some of them are not loaded yet: it costs
 * start-up time and memory (BENCHMARKS.md).
 */
function afterRequireOf(builtins: string[], hook: () => void): () => void {
  const { Hook } = require('require-in-the-middle') as typeof import('require-in-the-middle');
  const requireHook = new Hook(builtins, (exported) => {
    try {
      hook();
    } catch (error) {
      // Never into the app: its servers of that kind go on unchecked until they listen.
      log(`could not check http/https/http2 requests yet (${error instanceof Error ? error.message : String(error)})`);
    }
    return exported;
  });
  // Under someone else's later wrap of require it stays in the chain, passing straight through.
  return () => requireHook.unhook();
}

/**
 * Calls `hook` before every `net.Server#listen` (which every http, https and http2 server
 * inherits) until the returned function removes it again.
 */
function beforeEveryListen(hook: () => void): () => void {
  const prototype = NetServer.prototype as unknown as { listen: (...args: unknown[]) => unknown };
  const original = prototype.listen;
  const listen = function epdbListen(this: unknown): unknown {
    try {
      hook();
    } catch (error) {
      // Never into the app: its server listens as it would have, unchecked.
      log(`could not check http/https/http2 requests (${error instanceof Error ? error.message : String(error)}); going on`);
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
