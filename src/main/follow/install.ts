import { basename, extname } from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
import { appScript } from '../../shared/process-identity.js';
import { Follower, type FollowSettings } from './follower.js';
import { HttpClientHooks } from './outgoing-http.js';
import { hookFetch } from './outgoing-fetch.js';
import { GrpcClientHooks } from './outgoing-grpc.js';

/** The outgoing side of epdb, while it is on: hop knocks for followed requests, and no knock ever passed on. */
export interface Following {
  readonly follower: Follower;
  /**
   * Hooks node:http's or node:https's client once the app has loaded that module (epdb never
   * loads either itself: start-up cost, and memory for a plain-http app).
   */
  clientLoaded(builtin: 'http' | 'https'): void;
  /** Removes the hooks. */
  stop(): void;
}

/**
 * Hooks every outgoing request of the process: node:http's and node:https's `request`/`get`
 * (once the app has loaded them), `fetch`, and `@grpc/grpc-js` calls (once knocks come in). ES
 * modules that imported `request` by name see the wrapped one too (`syncBuiltinESMExports`, as
 * OpenTelemetry does).
 */
export function startFollowing(settings: FollowSettings): Following {
  const follower = new Follower(settings);
  const hooks = new HttpClientHooks(follower);
  const unhookFetch = hookFetch(follower);
  const grpc = new GrpcClientHooks(follower);
  follower.onLookForClients(() => grpc.hookLoadedCopies());
  const hooked = new Set<'http' | 'https'>();
  return {
    follower,
    clientLoaded(builtin) {
      if (hooked.has(builtin)) return;
      hooked.add(builtin);
      hooks.hookClientModule(builtin);
      syncBuiltinESMExports();
    },
    stop() {
      unhookFetch();
      grpc.unhook();
      hooks.unhook();
      syncBuiltinESMExports();
    },
  };
}

/**
 * This service's name in a followed request's hops when `EPDB_SERVICE` is unset: the app
 * script's file name without its extension (`billing` for `billing.mjs`), else `node`.
 */
export function defaultServiceName(): string {
  const script = appScript();
  if (script === undefined || script === '') return 'node';
  const name = basename(script, extname(script));
  return name === '' ? 'node' : name;
}
