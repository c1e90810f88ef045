import { dirname, join } from 'node:path';
import type { FollowedRequest } from './followed-request.js';
import type { Follower, OutgoingTarget } from './follower.js';
import { wrapMethod } from './wrap-method.js';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** What epdb uses of `@grpc/grpc-js`'s `Metadata`. */
interface Metadata {
  set(key: string, value: string): void;
  clone(): Metadata;
}

/** What epdb uses of an intercepting call: where its metadata goes. */
interface InterceptingCall {
  start(metadata: Metadata, listener: unknown): void;
}

/** The knock as gRPC metadata (HTTP/2 header names are lower case). */
const KNOCK_KEYS = ['x-epdb', 'http-x-epdb'] as const;

/** Hop knocks epdb put on calls and has not seen leave yet; bounded, since a call may never start. */
const MAX_PENDING_KNOCKS = 256;

/**
 * The `@grpc/grpc-js` client hooks. Every call of every client goes through grpc-js's
 * `getInterceptingCall` (read from its module at call time, in the caller's async context) and
 * every call's metadata becomes HTTP/2 headers through `Metadata#toHttp2Headers`. So:
 * - a call made in a followed request's context gets the next hop's knock as `x-epdb` metadata
 *   (on a copy of its metadata) when `EPDB_FOLLOW` allows its channel's target;
 * - no call ever carries an `x-epdb` the app put in its metadata (a gateway copying incoming
 *   metadata): `toHttp2Headers` drops every one that is not a hop knock epdb made.
 *
 * The copies of grpc-js are found among the loaded modules (`require.cache`) when a knock comes
 * in, not hooked as they load: a knock can only be copied after one came in, and hooking loads
 * would cost every app a `require` hook. So a grpc-js first loaded while a knocked request is
 * handled is hooked only from the next knock on.
 */
export class GrpcClientHooks {
  /** The `index.js` of each copy looked at. */
  private readonly seen = new Set<string>();
  private readonly unwraps: (() => void)[] = [];
  private readonly pending = new Set<string>();
  private stopped = false;

  constructor(private readonly follower: Follower) {}

  /** Hooks every copy of grpc-js loaded so far and not hooked yet. */
  hookLoadedCopies(): void {
    if (this.stopped) return;
    for (const file of Object.keys(require.cache)) {
      if (!file.endsWith(join('@grpc', 'grpc-js', 'build', 'src', 'index.js')) || this.seen.has(file)) continue;
      this.seen.add(file);
      const interceptors = require.cache[join(dirname(file), 'client-interceptors.js')]?.exports as { getInterceptingCall?: unknown } | undefined;
      const metadata = require.cache[join(dirname(file), 'metadata.js')]?.exports as { Metadata?: { prototype: { toHttp2Headers?: unknown } } } | undefined;
      if (typeof interceptors?.getInterceptingCall !== 'function' || typeof metadata?.Metadata?.prototype.toHttp2Headers !== 'function') continue;
      this.unwraps.push(wrapMethod(interceptors as { getInterceptingCall: AnyFunction }, 'getInterceptingCall', (original) => this.wrapGetInterceptingCall(original)));
      this.unwraps.push(wrapMethod(metadata.Metadata.prototype as { toHttp2Headers: AnyFunction }, 'toHttp2Headers', (original) => this.wrapToHttp2Headers(original)));
    }
  }

  /** Undoes every wrap that is still outermost; the others pass everything through. */
  unhook(): void {
    this.stopped = true;
    for (const unwrap of this.unwraps.splice(0)) unwrap();
  }

  /** `getInterceptingCall(interceptorArgs, methodDefinition, callOptions, channel)`: a followed call's metadata gets its knock at `start`. */
  private wrapGetInterceptingCall(original: AnyFunction): AnyFunction {
    const hooks = this;
    return function epdbGetInterceptingCall(this: unknown, interceptorArgs: unknown, methodDefinition: unknown, callOptions: unknown, channel: unknown) {
      const call = original.call(this, interceptorArgs, methodDefinition, callOptions, channel) as InterceptingCall;
      const followed = hooks.stopped ? undefined : hooks.follower.context.current();
      if (followed === undefined) return call;
      try {
        const knock = hooks.knockFor(followed, channel, (methodDefinition as { path?: unknown } | null)?.path);
        if (knock !== undefined) hooks.addAtStart(call, knock);
      } catch (error) {
        hooks.follower.hookFailed('@grpc/grpc-js', error);
      }
      return call;
    };
  }

  /** Makes `call.start` send `knock` in a copy of the app's metadata. */
  private addAtStart(call: InterceptingCall, knock: string): void {
    const start = call.start;
    if (this.pending.size >= MAX_PENDING_KNOCKS) this.pending.clear();
    this.pending.add(knock);
    call.start = (metadata: Metadata, listener: unknown) => {
      call.start = start;
      const sent = metadata.clone();
      sent.set('x-epdb', knock);
      start.call(call, sent, listener);
    };
  }

  /** `Metadata#toHttp2Headers`: a knock epdb did not make never leaves. */
  private wrapToHttp2Headers(original: AnyFunction): AnyFunction {
    const hooks = this;
    return function epdbToHttp2Headers(this: unknown) {
      const headers = original.call(this) as Record<string, unknown> | null;
      if (hooks.stopped || headers === null || typeof headers !== 'object') return headers;
      for (const key of KNOCK_KEYS) {
        const value = headers[key];
        if (value === undefined) continue;
        if (key === 'x-epdb' && typeof value === 'string' && hooks.pending.delete(value)) continue;
        delete headers[key];
        hooks.follower.stripped('a gRPC call');
      }
      return headers;
    };
  }

  /** The knock for a call of `path` on `channel`, when its target may have one. */
  private knockFor(followed: FollowedRequest, channel: unknown, path: unknown): string | undefined {
    const target = grpcTarget(channel, path);
    return target === undefined ? undefined : this.follower.hopKnockFor(followed, target);
  }
}

/**
 * Where a gRPC channel's calls go: its target (`dns:host:port`, `dns:///host:port`,
 * `ipv4:host:port`, `host:port`; 443 when no port is given), and the call as HTTP/2 sends it.
 * `undefined` for Unix sockets, several addresses and anything else.
 */
function grpcTarget(channel: unknown, path: unknown): OutgoingTarget | undefined {
  const text = (channel as { getTarget?: () => unknown } | null)?.getTarget?.();
  if (typeof text !== 'string' || typeof path !== 'string') return undefined;
  const address = text.replace(/^(?:dns|ipv4|ipv6):(?:\/\/[^/]*\/)?/i, '');
  if (address.includes(',') || /^[a-z][a-z0-9+.-]*:\/\//i.test(address) || /^unix/i.test(address)) return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(address);
  if (match === null) return undefined;
  return { host: (match[1] ?? match[2]) as string, port: match[3] === undefined ? 443 : Number(match[3]), method: 'POST', path };
}
