import { defaultBridgeAddress, parseBridgeAddress, type Address } from '../connect/bridge-address.js';
import { parseArgs, type OptionSpec } from '../args.js';
import { UsageError } from '../errors.js';
import { parseLocation, ProbeSpecError } from '../../shared/probes/spec.js';

/** `epdb snapshot`'s command line, checked. */
export interface SnapshotArgs {
  readonly url: URL;
  /** `--at FILE:LINE`, or `throw` for `--on-throw`. */
  readonly at: string;
  /** `--on-throw`: a snapshot where the request first throws, instead of at a line. */
  readonly onThrow: boolean;
  /** `--follow`: every process the request reaches (with `EPDB_FOLLOW`) takes the probe too. */
  readonly follow: boolean;
  /** `--accept [HOST:]PORT`: where the followed processes push their results (default 127.0.0.1, any port). */
  readonly accept: string | null;
  readonly expressions: readonly string[];
  /** `--log MESSAGE`: a logpoint instead of a snapshot. */
  readonly logMessage: string | null;
  readonly method: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string | null;
  readonly json: boolean;
  /** `--bridge [HOST:]PORT`, or null for the app's EPDB_HOST:EPDB_PORT. */
  readonly bridge: Address | null;
  readonly help: boolean;
}

/** What `epdb snapshot` takes besides the URL; `-X` has curl's long name `--request` too. */
const OPTIONS: readonly OptionSpec[] = [
  { name: 'at' }, { name: 'on-throw', flag: true }, { name: 'expr', short: 'e', repeatable: true }, { name: 'log' },
  { name: 'follow', flag: true }, { name: 'accept' }, { name: 'method', short: 'X' }, { name: 'request' },
  { name: 'header', short: 'H', repeatable: true }, { name: 'data', short: 'd' }, { name: 'json', flag: true }, { name: 'bridge' },
];

/**
 * Parses `epdb snapshot URL (--at FILE:LINE | --on-throw) [--expr E]... [--log MESSAGE]
 * [--follow [--accept [HOST:]PORT]] [-X METHOD] [-H 'K: V']... [-d BODY] [--json]
 * [--bridge [HOST:]PORT]`.
 *
 * @throws {UsageError} naming what is wrong.
 */
export function parseSnapshotArgs(argv: readonly string[]): SnapshotArgs {
  const { positionals, options, repeated, help } = parseArgs(argv, OPTIONS, 'snapshot');
  const json = options.has('json');
  const onThrow = options.has('on-throw');
  const follow = options.has('follow');
  if (options.has('method') && options.has('request')) throw new UsageError('snapshot: -X and --request name the same thing: give one');
  const one = (name: string): string | undefined => options.get(name);
  if (help) return { url: new URL('http://127.0.0.1/'), at: '', onThrow, follow, accept: null, expressions: [], logMessage: null, method: 'GET', headers: [], body: null, json, bridge: null, help };
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'snapshot: the URL to request is missing' : `snapshot: unexpected argument "${positionals[1]}"`);
  }
  const url = parseUrl(positionals[0] as string);
  const at = onThrow ? 'throw' : one('at');
  if (onThrow && one('at') !== undefined) throw new UsageError('snapshot: --at and --on-throw do not go together (--on-throw is taken where the request throws)');
  if (at === undefined) throw new UsageError('snapshot: --at FILE:LINE (or --on-throw) is required');
  if (!onThrow) {
    try {
      parseLocation(at);
    } catch (error) {
      if (error instanceof ProbeSpecError) throw new UsageError(`snapshot: --at ${error.message}`);
      throw error;
    }
  }
  const logMessage = one('log') ?? null;
  if (onThrow && logMessage !== null) throw new UsageError('snapshot: --on-throw takes a snapshot; it does not go with --log');
  const expressions = repeated.get('expr') ?? [];
  if (logMessage !== null && expressions.length > 0) throw new UsageError('snapshot: --log and --expr do not go together (put expressions in the message: "total is {order.total}")');
  const body = one('data') ?? null;
  const method = (one('method') ?? one('request') ?? (body !== null ? 'POST' : 'GET')).toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new UsageError(`snapshot: -X "${method}" is not an HTTP method`);
  const bridgeText = one('bridge');
  const accept = one('accept') ?? null;
  if (accept !== null && !follow) throw new UsageError('snapshot: --accept is where followed processes push their results: it goes with --follow');
  if (follow && bridgeText !== undefined) throw new UsageError('snapshot: with --follow every process pushes its result here; --bridge is not asked');
  return {
    url, at, onThrow, follow, accept, expressions, logMessage, method, body, json, help,
    headers: (repeated.get('header') ?? []).map(parseHeader),
    bridge: bridgeText === undefined ? null : parseBridgeAddress(bridgeText),
  };
}

/** The bridge to ask for the result: `--bridge`, else where the app's variables put it. */
export function bridgeAddressOf(args: SnapshotArgs, host: string, port: number): Address {
  return args.bridge ?? defaultBridgeAddress(host, port);
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`snapshot: "${text}" is not a URL (http://HOST:PORT/path)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`snapshot: "${text}" is not an http: or https: URL`);
  return url;
}

function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon === -1 ? '' : text.slice(0, colon).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError(`snapshot: -H "${text}" is not 'Name: value'`);
  if (/^(http-)?x-epdb$/i.test(name)) throw new UsageError('snapshot: the X-EPDB header is made by epdb snapshot itself');
  return [name, text.slice(colon + 1).trim()];
}
