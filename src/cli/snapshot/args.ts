import { defaultBridgeAddress, parseBridgeAddress, type Address } from '../connect/bridge-address.js';
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

/** Options that take a value, by every spelling; `expr` and `header` may repeat. */
const VALUE_OPTIONS: Readonly<Record<string, string>> = {
  '--at': 'at', '--expr': 'expr', '-e': 'expr', '--log': 'log', '-X': 'method', '--request': 'method',
  '-H': 'header', '--header': 'header', '-d': 'data', '--data': 'data', '--bridge': 'bridge', '--accept': 'accept',
};
const REPEATABLE: ReadonlySet<string> = new Set(['expr', 'header']);

/**
 * Parses `epdb snapshot URL (--at FILE:LINE | --on-throw) [--expr E]... [--log MESSAGE]
 * [--follow [--accept [HOST:]PORT]] [-X METHOD] [-H 'K: V']... [-d BODY] [--json]
 * [--bridge [HOST:]PORT]`.
 *
 * @throws {UsageError} naming what is wrong.
 */
export function parseSnapshotArgs(argv: readonly string[]): SnapshotArgs {
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  let json = false;
  let onThrow = false;
  let follow = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (arg === '--json') {
      json = true;
      continue;
    }
    if (arg === '--on-throw') {
      onThrow = true;
      continue;
    }
    if (arg === '--follow') {
      follow = true;
      continue;
    }
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const name = VALUE_OPTIONS[flag];
    if (name === undefined) throw new UsageError(`snapshot: unknown option ${flag}`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`snapshot: ${flag} needs a value`);
    const list = values.get(name) ?? [];
    if (list.length > 0 && !REPEATABLE.has(name)) throw new UsageError(`snapshot: ${flag} given twice`);
    list.push(value);
    values.set(name, list);
  }
  const one = (name: string): string | undefined => values.get(name)?.[0];
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
  const expressions = values.get('expr') ?? [];
  if (logMessage !== null && expressions.length > 0) throw new UsageError('snapshot: --log and --expr do not go together (put expressions in the message: "total is {order.total}")');
  const body = one('data') ?? null;
  const method = (one('method') ?? (body !== null ? 'POST' : 'GET')).toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new UsageError(`snapshot: -X "${method}" is not an HTTP method`);
  const bridgeText = one('bridge');
  const accept = one('accept') ?? null;
  if (accept !== null && !follow) throw new UsageError('snapshot: --accept is where followed processes push their results: it goes with --follow');
  if (follow && bridgeText !== undefined) throw new UsageError('snapshot: with --follow every process pushes its result here; --bridge is not asked');
  return {
    url, at, onThrow, follow, accept, expressions, logMessage, method, body, json, help,
    headers: (values.get('header') ?? []).map(parseHeader),
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
