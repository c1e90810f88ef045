import { refusal } from '../../shared/knock/refusal.js';
import { MAX_CLOCK_SKEW_SECONDS } from '../../shared/knock/limits.js';
import { HOP_KNOCK_TTL_SECONDS, MAX_HOPS, MAX_LABEL_LENGTH } from './limits.js';
import type { NonceLedger } from './nonce-ledger.js';

/**
 * Where a followed request is in its chain, as its knock says. Hop 1 is the request knocked by
 * a person (`{"epdb": {"follow": true}}`); hop N+1 is a request it (or hop N) sent on, with a
 * knock epdb made for it alone:
 * `{"epdb": {"follow": true, "hop": 2, "origin": "GET /orders/42 on checkout", "from": "checkout",
 * "bind": "GET /bill/42", "nonce": "...", "expires": 1767000000, ...the first knock's mode}}`.
 */
export interface HopPlace {
  /** 1 for the knocked request itself. */
  readonly hop: number;
  /** The first request of the chain and its service: `GET /orders/42 on checkout`; undefined at hop 1. */
  readonly origin: string | undefined;
  /** The service that sent this hop; undefined at hop 1. */
  readonly from: string | undefined;
}

/** The options of a first knock that the next hops keep: its mode (pause, probe, stop) and its listener. */
const KEPT_OPTIONS = ['connect', 'snapshot', 'log', 'stop'] as const;

/**
 * The knock options for the next hop of a followed request: bound to the outgoing request's
 * method and path, with a fresh nonce, valid for {@link HOP_KNOCK_TTL_SECONDS}.
 *
 * @param first the options of the knock this process accepted (hop `place.hop`)
 * @param bind `GET /bill/42`: the outgoing request's method and path, without its query
 */
export function nextHopOptions(first: Readonly<Record<string, unknown>>, place: HopPlace, origin: string, service: string, bind: string, nonce: string, now: number): Record<string, unknown> {
  const options: Record<string, unknown> = {
    follow: true,
    hop: place.hop + 1,
    origin,
    from: service,
    bind,
    nonce,
    expires: Math.floor(now) + HOP_KNOCK_TTL_SECONDS,
  };
  for (const name of KEPT_OPTIONS) if (first[name] !== undefined) options[name] = first[name];
  return options;
}

/** `GET /bill/42`: what a hop knock is bound to, from a method and a request target. */
export function bindingOf(method: string, target: string): string {
  const query = target.indexOf('?');
  return `${method.toUpperCase()} ${query === -1 ? target : target.slice(0, query)}`;
}

/**
 * Where an accepted followed knock stands in its chain. A knock for a later hop is accepted only
 * for the request it was made for (`bind`), once (`nonce`), and within its short life (`expires`).
 *
 * @param method the method and `url` the request came with, as the client sent them
 * @throws {KnockError} `ERR_EPDB_KNOCK_HOP` saying why the knock must be ignored.
 */
export function hopPlaceOf(options: Readonly<Record<string, unknown>>, method: unknown, url: unknown, nonces: NonceLedger, now: number): HopPlace {
  const hop = options['hop'];
  if (hop === undefined) return { hop: 1, origin: undefined, from: undefined };
  if (typeof hop !== 'number' || !Number.isInteger(hop) || hop < 2 || hop > MAX_HOPS) {
    throw refusal('ERR_EPDB_KNOCK_HOP', `"hop" must be a whole number from 2 to ${MAX_HOPS}`);
  }
  const origin = label(options['origin'], 'origin');
  const from = label(options['from'], 'from');
  const expires = options['expires'];
  if (typeof expires !== 'number' || !Number.isFinite(expires)) throw refusal('ERR_EPDB_KNOCK_HOP', 'a hop knock needs "expires"');
  if (now > expires) throw refusal('ERR_EPDB_KNOCK_EXPIRED', `the hop knock expired ${Math.round(now - expires)} s ago`);
  if (expires > now + HOP_KNOCK_TTL_SECONDS + MAX_CLOCK_SKEW_SECONDS) {
    throw refusal('ERR_EPDB_KNOCK_HOP', `a hop knock lives at most ${HOP_KNOCK_TTL_SECONDS} s; this one claims ${Math.round(expires - now)} s`);
  }
  const bind = options['bind'];
  if (typeof method !== 'string' || typeof url !== 'string' || typeof bind !== 'string' || bind !== bindingOf(method, url)) {
    throw refusal('ERR_EPDB_KNOCK_HOP', 'the hop knock was made for another request (its "bind" is not this method and path)');
  }
  const nonce = options['nonce'];
  if (typeof nonce !== 'string' || nonce.length < 16 || nonce.length > 64) throw refusal('ERR_EPDB_KNOCK_HOP', 'a hop knock needs a "nonce"');
  switch (nonces.record(nonce, expires, now)) {
    case 'replayed': throw refusal('ERR_EPDB_KNOCK_HOP', 'the hop knock was used before (a replay)');
    case 'full': throw refusal('ERR_EPDB_KNOCK_HOP', 'too many hop knocks at once; this one is not remembered, so it is refused');
    case 'fresh': return { hop, origin, from };
  }
}

function label(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_LABEL_LENGTH) {
    throw refusal('ERR_EPDB_KNOCK_HOP', `a hop knock needs "${name}" (at most ${MAX_LABEL_LENGTH} characters)`);
  }
  return value;
}
