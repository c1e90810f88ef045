import { isIP } from 'node:net';
import { ConfigError } from './errors.js';
import { parseDialAddress, type DialAddress } from './reverse/address.js';
import { clusterWorkerRange, formatPortRange, parsePortRange, type PortRange } from './port-range.js';
import { isClusterWorker } from './process-identity.js';
import { FollowHosts } from './follow-hosts.js';

/** The backends that can be chosen with `EPDB_BACKEND`. */
export type BackendName = 'base64' | 'fernet' | 'jwt';

/** epdb's configuration, as read from the environment (see the table in README.md). */
export interface EpdbConfig {
  readonly backend: BackendName;
  /** `EPDB_KEY`: the Fernet key or the JWT secret; undefined for base64. */
  readonly key: string | undefined;
  readonly host: string;
  /**
   * `EPDB_PORT`: the ports the bridge may bind, the first free one wins. A single port `P` is
   * `P`..`P`, except in a cluster worker, where it is `P+1`..`P+100`.
   */
  readonly port: PortRange;
  /** Upper-case HTTP methods whose requests are never checked for a knock. */
  readonly exemptMethods: ReadonlySet<string>;
  /** How long a knocked request waits for a debugger; 0 waits forever. */
  readonly waitTimeoutMs: number;
  /** How long a knock stays valid after it was made. */
  readonly maxAgeSeconds: number;
  /** `EPDB_CONNECT`: the `epdb listen` every knock dials instead of opening a bridge port; absent when unset. */
  readonly connect?: DialAddress;
  /** Knocked requests held at once (waiting or queued); more go on undebugged. */
  readonly maxHeld: number;
  /** Where the debugger first stops: the app's own first statement, or epdb's entry pause. */
  readonly stopAt: StopAt;
  /** Longest continuous stop of the main thread before the debugger is detached; 0: no limit. */
  readonly maxPauseMs: number;
  /** `EPDB_REDACT`: extra names whose values probes replace by `[redacted]`. */
  readonly redact: readonly string[];
  /** `EPDB_FOLLOW`: the hosts a followed knock may be passed on to; unset: nobody. */
  readonly follow: FollowHosts;
  /** `EPDB_SERVICE`: this service's name in a followed request's hops; absent: the app script's name. */
  readonly service?: string;
}

/** `EPDB_STOP_AT`: `app` (the app's own first statement for the request) or `entry` (epdb's pause). */
export type StopAt = 'app' | 'entry';

/**
 * What each setting is when its variable (or `instrument()` option) is not given: the
 * one place these values live; the README's table of variables says the same.
 */
export const DEFAULTS = {
  /** `EPDB_HOST`: the bridge binds loopback only. */
  host: '127.0.0.1',
  /** `EPDB_PORT` (in a cluster worker, P means P+1-P+100). */
  port: 9000,
  /** `EPDB_EXEMPT_METHODS`. */
  exemptMethods: ['OPTIONS'],
  /** `EPDB_WAIT_TIMEOUT`, in seconds. */
  waitTimeoutSeconds: 300,
  /** `EPDB_MAX_AGE`, in seconds. */
  maxAgeSeconds: 3600,
  /** `EPDB_MAX_HELD`. */
  maxHeld: 8,
  /** `EPDB_STOP_AT`. */
  stopAt: 'app',
  /** `EPDB_MAX_PAUSE`, in seconds. */
  maxPauseSeconds: 300,
} as const satisfies { readonly stopAt: StopAt } & Record<string, unknown>;
const STOP_AT: readonly StopAt[] = ['app', 'entry'];

/** A Fernet key as Python's `Fernet.generate_key()` makes it: 32 bytes, url-safe base64, padded. */
const FERNET_KEY = /^[A-Za-z0-9_-]{43}=$/;
/** HS256 needs a secret at least as long as its 256-bit output to be worth its name. */
const MIN_JWT_SECRET_BYTES = 32;
const BACKENDS: readonly BackendName[] = ['base64', 'fernet', 'jwt'];

/**
 * Reads epdb's configuration from `env`.
 *
 * @param inClusterWorker whether this process is a cluster worker, where a single `EPDB_PORT`
 *   widens to the 100 ports above it; asked only then (default: `node:cluster`'s `isWorker`).
 * @returns `null` when `EPDB_BACKEND` is unset, empty or `off`: epdb stays out of the way.
 * @throws {ConfigError} naming the first variable that cannot be used.
 */
export function readConfig(env: NodeJS.ProcessEnv, inClusterWorker: () => boolean = isClusterWorker): EpdbConfig | null {
  const backendValue = (env['EPDB_BACKEND'] ?? '').trim().toLowerCase();
  if (backendValue === '' || backendValue === 'off') return null;
  if (!(BACKENDS as readonly string[]).includes(backendValue)) {
    throw new ConfigError('EPDB_BACKEND', `unknown backend "${env['EPDB_BACKEND']}" (expected base64, fernet, jwt or off)`);
  }
  const backend = backendValue as BackendName;
  return {
    backend,
    key: readKey(backend, env['EPDB_KEY']),
    host: readHost(env['EPDB_HOST']),
    port: readPortRange(env['EPDB_PORT'], inClusterWorker),
    exemptMethods: readMethods(env['EPDB_EXEMPT_METHODS']),
    waitTimeoutMs: readNumber(env, 'EPDB_WAIT_TIMEOUT', DEFAULTS.waitTimeoutSeconds, { min: 0 }) * 1000,
    maxAgeSeconds: readNumber(env, 'EPDB_MAX_AGE', DEFAULTS.maxAgeSeconds, { min: 1 }),
    ...readConnect(env['EPDB_CONNECT']),
    maxHeld: readNumber(env, 'EPDB_MAX_HELD', DEFAULTS.maxHeld, { integer: true, min: 1, max: 10_000 }),
    stopAt: readStopAt(env['EPDB_STOP_AT']),
    maxPauseMs: readNumber(env, 'EPDB_MAX_PAUSE', DEFAULTS.maxPauseSeconds, { min: 0 }) * 1000,
    redact: readRedactedNames(env['EPDB_REDACT']),
    follow: readFollow(env['EPDB_FOLLOW']),
    ...readService(env['EPDB_SERVICE']),
  };
}

function readFollow(value: string | undefined): FollowHosts {
  const hosts = FollowHosts.parse(value);
  if (typeof hosts === 'string') throw new ConfigError('EPDB_FOLLOW', hosts);
  return hosts;
}

/** `EPDB_SERVICE`: a short printable name (it is shown in titles and log lines). */
function readService(value: string | undefined): { service?: string } {
  const service = (value ?? '').trim();
  if (service === '') return {};
  if (service.length > 60 || !/^[\x21-\x7e]+$/.test(service)) {
    throw new ConfigError('EPDB_SERVICE', `"${service.slice(0, 60)}" is not a name (printable ASCII without spaces, at most 60 characters)`);
  }
  return { service };
}

/** `EPDB_CONNECT` as a `connect` field, or nothing when it is unset or empty. */
function readConnect(value: string | undefined): { connect?: DialAddress } {
  if (value === undefined || value.trim() === '') return {};
  const address = parseDialAddress(value);
  if (typeof address === 'string') throw new ConfigError('EPDB_CONNECT', address);
  return { connect: address };
}

function readKey(backend: BackendName, key: string | undefined): string | undefined {
  if (backend === 'base64') return undefined;
  if (key === undefined || key === '') {
    throw new ConfigError('EPDB_KEY', `is required for the ${backend} backend`);
  }
  if (backend === 'fernet' && !FERNET_KEY.test(key)) {
    throw new ConfigError(
      'EPDB_KEY',
      `a Fernet key is 32 url-safe base64-encoded bytes (44 characters ending in "="), as Fernet.generate_key() makes; got ${key.length} characters`,
    );
  }
  if (backend === 'jwt' && Buffer.byteLength(key, 'utf8') < MIN_JWT_SECRET_BYTES) {
    throw new ConfigError(
      'EPDB_KEY',
      `a JWT secret must be at least ${MIN_JWT_SECRET_BYTES} bytes (uuid.uuid4().hex is); got ${Buffer.byteLength(key, 'utf8')}`,
    );
  }
  return key;
}

function readStopAt(value: string | undefined): StopAt {
  const stopAt = (value ?? '').trim().toLowerCase();
  if (stopAt === '') return DEFAULTS.stopAt;
  if (!(STOP_AT as readonly string[]).includes(stopAt)) {
    throw new ConfigError('EPDB_STOP_AT', `"${value}" is neither app nor entry`);
  }
  return stopAt as StopAt;
}

function readHost(value: string | undefined): string {
  const host = (value ?? '').trim();
  if (host === '') return DEFAULTS.host;
  // A name or an address; the bridge reports a failed bind itself, this only catches typos.
  if (isIP(host) === 0 && !/^[A-Za-z0-9.-]+$/.test(host)) {
    throw new ConfigError('EPDB_HOST', `"${value}" is neither an IP address nor a host name`);
  }
  return host;
}

function readPortRange(value: string | undefined, inClusterWorker: () => boolean): PortRange {
  const text = (value ?? '').trim();
  const parsed = parsePortRange(text === '' ? String(DEFAULTS.port) : text);
  if (typeof parsed === 'string') throw new ConfigError('EPDB_PORT', parsed);
  if (!parsed.single || !inClusterWorker()) return parsed.range;
  const widened = clusterWorkerRange(parsed.range.first);
  if (widened === null) {
    throw new ConfigError('EPDB_PORT', `${formatPortRange(parsed.range)} leaves no port above it for this cluster worker (a single port P means P+1-P+100 in a cluster)`);
  }
  return widened;
}

interface NumberRule {
  readonly integer?: boolean;
  readonly min: number;
  readonly max?: number;
}

function readNumber(env: NodeJS.ProcessEnv, variable: string, fallback: number, rule: NumberRule): number {
  const raw = (env[variable] ?? '').trim();
  if (raw === '') return fallback;
  const value = Number(raw);
  const kind = rule.integer ? 'a whole number' : 'a number';
  const range = rule.max === undefined ? `at least ${rule.min}` : `from ${rule.min} to ${rule.max}`;
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value))
    || value < rule.min || (rule.max !== undefined && value > rule.max)) {
    throw new ConfigError(variable, `"${raw}" is not ${kind} ${range}`);
  }
  return value;
}

function readMethods(value: string | undefined): ReadonlySet<string> {
  if (value === undefined) return new Set(DEFAULTS.exemptMethods);
  const methods = value.split(',').map((method) => method.trim().toUpperCase()).filter((method) => method !== '');
  for (const method of methods) {
    if (!/^[A-Z]+$/.test(method)) {
      throw new ConfigError('EPDB_EXEMPT_METHODS', `"${method}" is not an HTTP method`);
    }
  }
  return new Set(methods);
}

/** `EPDB_REDACT`: comma-separated names (identifiers, header names), as probes compare them. */
function readRedactedNames(value: string | undefined): readonly string[] {
  const names = (value ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of names) {
    if (name.length > 100 || !/^[\x21-\x7e]+$/.test(name)) {
      throw new ConfigError('EPDB_REDACT', `"${name.slice(0, 100)}" is not a name (printable ASCII without spaces, at most 100 characters)`);
    }
  }
  return names;
}
