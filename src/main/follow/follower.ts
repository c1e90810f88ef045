import type { EPDBBackend } from '../../shared/backends/backend.js';
import { log, RateLimitedLog } from '../../shared/log.js';
import { printable } from '../../shared/loggable.js';
import type { AcceptedKnock } from '../knocked-request.js';
import { FollowContext } from './follow-context.js';
import { FollowedRequest } from './followed-request.js';
import { bindingOf, hopPlaceOf, nextHopOptions } from './hop.js';
import type { FollowHosts } from '../../shared/follow-hosts.js';
import { HOP_KNOCK_TTL_SECONDS, MAX_HOPS } from './limits.js';
import { NonceLedger } from './nonce-ledger.js';

/** What following a request downstream needs: the key, where to, and this service's name. */
export interface FollowSettings {
  readonly backend: EPDBBackend;
  /** `EPDB_FOLLOW`. */
  readonly hosts: FollowHosts;
  /** `EPDB_SERVICE`, or the app script's name. */
  readonly service: string;
}

/** Where an outgoing request goes, as the hooks of node:http, https and fetch see it. */
export interface OutgoingTarget {
  readonly host: string;
  readonly port: number;
  readonly method: string;
  /** The request target (`/bill/42?x=1`). */
  readonly path: string;
}

/**
 * Both ends of following a request: accepting a followed knock (and checking a hop knock's
 * binding, nonce and age), and making the knock an outgoing request of a followed request
 * carries to its next hop, only to hosts `EPDB_FOLLOW` allows.
 */
export class Follower {
  readonly context = new FollowContext();
  private readonly nonces = new NonceLedger();
  /** Anyone can make the app send requests: lines about them are rate-limited. */
  private readonly lines = new RateLimitedLog(10, 60_000, log, Date.now, 'lines about followed requests');
  /** A proxy copying headers strips on every knocked request: saying so once in a while is enough. */
  private readonly strips = new RateLimitedLog(1, 600_000, log, Date.now, 'knock headers taken off outgoing requests');

  /** What hooks client libraries loaded since (gRPC's): run when knocks come in. */
  private readonly clientLookups: (() => void)[] = [];
  /** When the lookups last ran for a knock header (ms): anyone can send those, so at most once a second. */
  private lastLookup = -Infinity;

  constructor(private readonly settings: FollowSettings) {}

  /** Registers `lookup`, which hooks client libraries that are loaded but not hooked yet. */
  onLookForClients(lookup: () => void): void {
    this.clientLookups.push(lookup);
  }

  /**
   * A knock header came in (valid or not): the lookups run, at most once a second. A knock can
   * only be copied onto an outgoing call after one came in, so clients need hooking no earlier.
   */
  knockHeaderArrived(): void {
    const now = performance.now();
    if (now - this.lastLookup < 1000) return;
    this.lastLookup = now;
    this.lookForClients();
  }

  /**
   * The followed request for an accepted knock, counted as living until {@link ended}; undefined
   * when the knock does not ask to follow.
   *
   * @param method the method and `url` the request came with, as the client sent them
   * @param summary `GET /bill/42`, safe to log
   * @throws {KnockError} when a hop knock is not for this request, was used before, or is too old.
   */
  accept(knock: AcceptedKnock, method: unknown, url: unknown, summary: string): FollowedRequest | undefined {
    if (knock.options['follow'] !== true) return undefined;
    const place = hopPlaceOf(knock.options, method, url, this.nonces, Date.now() / 1000);
    const followed = new FollowedRequest(knock.options, place, summary, this.settings.service);
    this.lookForClients();
    this.context.add();
    return followed;
  }

  /** `followed`'s exchange is over: requests still sent from its context get no knock. */
  ended(followed: FollowedRequest): void {
    this.context.end(followed);
  }

  /**
   * The `X-EPDB` value for a request `followed` sends to `target`, or undefined (with one line
   * saying why) when it must go without one.
   */
  hopKnockFor(followed: FollowedRequest, target: OutgoingTarget): string | undefined {
    const where = `${printable(target.method, 20)} ${printable(target.path.split('?', 1)[0] ?? '/', 100)} to ${printable(target.host, 100)}:${target.port}`;
    if (!this.settings.hosts.allows(target.host, target.port)) {
      this.lines.log(`${followed.title}: ${where} gets no knock (not in EPDB_FOLLOW)`);
      return undefined;
    }
    if (followed.place.hop >= MAX_HOPS) {
      this.lines.log(`${followed.title}: ${where} gets no knock (a request is followed for ${MAX_HOPS} hops at most)`);
      return undefined;
    }
    const { backend, service } = this.settings;
    const bind = bindingOf(target.method, target.path);
    const options = nextHopOptions(followed.options, followed.place, followed.origin, service, bind, nonce(), Date.now() / 1000);
    try {
      const payload = backend.encodeNow?.({ epdb: options }, HOP_KNOCK_TTL_SECONDS);
      if (payload === undefined) return undefined;
      this.lines.log(`${followed.title}: ${where} carries the knock for hop ${followed.place.hop + 1}`);
      return `${backend.scheme} ${payload}`;
    } catch (error) {
      this.lines.log(`${followed.title}: could not make the knock for ${where} (${error instanceof Error ? error.message : String(error)})`);
      return undefined;
    }
  }

  private lookForClients(): void {
    for (const lookup of this.clientLookups) {
      try {
        lookup();
      } catch (error) {
        this.hookFailed('a client library', error);
      }
    }
  }

  /** One line saying a client library's hook failed (the request went on as the app made it). */
  hookFailed(library: string, error: unknown): void {
    this.lines.log(`could not follow a request through ${library} (${error instanceof Error ? error.message : String(error)})`);
  }

  /** One line saying an incoming knock header was taken off a request the app sent. */
  stripped(where: string): void {
    this.strips.log(`took an X-EPDB header off ${where} the app sent (a knock is never passed on as it came)`);
  }
}

/** 18 random bytes, url-safe: node:crypto is loaded on the first hop knock, not with the preload. */
function nonce(): string {
  return (require('node:crypto') as typeof import('node:crypto')).randomBytes(18).toString('base64url');
}
