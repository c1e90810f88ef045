import { isIP } from 'node:net';

/** One entry of `EPDB_FOLLOW`: a host (or every subdomain of a domain), on any port or one. */
interface HostRule {
  /** Lower-case, without a trailing dot or IPv6 brackets; for a wildcard, the domain after `*.`. */
  readonly host: string;
  readonly wildcard: boolean;
  /** `undefined`: any port. */
  readonly port: number | undefined;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The hosts a followed knock may be passed on to (`EPDB_FOLLOW`): `host`, `host:port`,
 * `*.domain` (every name under `domain`, not `domain` itself) and `*.domain:port`, compared
 * case-insensitively. Empty: nobody. Matched against where the request is sent (the URL's or
 * options' host and port), never against a `Host` header the app may have set.
 */
export class FollowHosts {
  /** Follows to nobody: `EPDB_FOLLOW` unset. */
  static readonly NOBODY = new FollowHosts([]);

  private constructor(private readonly rules: readonly HostRule[]) {}

  /**
   * Parses `EPDB_FOLLOW`'s value.
   *
   * @returns the hosts, or a sentence saying what is wrong (the caller names the variable).
   */
  static parse(text: string | undefined): FollowHosts | string {
    const entries = (text ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
    const rules: HostRule[] = [];
    for (const entry of entries) {
      const rule = parseRule(entry);
      if (typeof rule === 'string') return rule;
      rules.push(rule);
    }
    return rules.length === 0 ? FollowHosts.NOBODY : new FollowHosts(rules);
  }

  /** Whether nobody is allowed: then no outgoing request ever gets a knock. */
  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** Whether a request sent to `host` on `port` may carry a hop knock. */
  allows(host: string, port: number): boolean {
    const name = normalHost(host);
    for (const rule of this.rules) {
      if (rule.port !== undefined && rule.port !== port) continue;
      if (rule.wildcard ? name.endsWith(`.${rule.host}`) : name === rule.host) return true;
    }
    return false;
  }
}

/** Lower case, without IPv6 brackets or the root's trailing dot. */
function normalHost(host: string): string {
  let name = host.toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (name.endsWith('.')) name = name.slice(0, -1);
  return name;
}

function parseRule(entry: string): HostRule | string {
  const shown = entry.length > 80 ? `${entry.slice(0, 80)}...` : entry;
  // [v6]:port, [v6], name:port, name; a bare IPv6 address has several colons and no port.
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(entry);
  const bareV6 = match === null && isIP(entry) === 6 ? entry : undefined;
  if (match === null && bareV6 === undefined) return `"${shown}" is not host, host:port or *.domain`;
  const port = match?.[3] === undefined ? undefined : Number(match[3]);
  if (port !== undefined && (port < 1 || port > 65535)) return `"${shown}" has no valid port (1-65535)`;
  const host = normalHost(bareV6 ?? match?.[1] ?? match?.[2] ?? '');
  if (match?.[1] !== undefined || bareV6 !== undefined) {
    if (isIP(host) !== 6) return `"${shown}" has no valid IPv6 address in brackets`;
    return { host, wildcard: false, port };
  }
  const wildcard = host.startsWith('*.');
  const name = wildcard ? host.slice(2) : host;
  if (host === '*' || name === '') return `"${shown}": a bare * would pass knocks to every host; name the hosts, or *.domain`;
  if (isIP(name) === 4) {
    if (wildcard) return `"${shown}": * goes with a domain name, not an address`;
    return { host: name, wildcard: false, port };
  }
  const labels = name.split('.');
  if (!labels.every((label) => LABEL.test(label))) return `"${shown}" has no valid host name`;
  // `*.com` would follow to anyone who registers a name there.
  if (wildcard && labels.length < 2) return `"${shown}": *. needs a domain of at least two labels (*.example.com)`;
  return { host: name, wildcard, port };
}
