import { BlockList, isIP } from 'node:net';

/**
 * Addresses Node's inspector refuses although they are IP literals: `[::]` and `0.0.0.0/8` are
 * not routable, and some systems (macOS) resolve them through DNS or route them to this host,
 * which reopens DNS rebinding (Node's `IsIPAddress` in src/inspector_socket.cc).
 */
const UNSPECIFIED_IPV6 = new BlockList();
UNSPECIFIED_IPV6.addAddress('::', 'ipv6');

/** Why a request whose `Host` {@link isAllowedHost} refuses is turned away (403). */
export const FOREIGN_HOST_REASON = 'the Host header must be localhost or an IP address';

/**
 * Whether a `Host` header may reach the bridge: `localhost` or a routable IP literal, with an
 * optional port, or no header at all; never looser than what Node's own inspector accepts. A page
 * on a DNS name that rebinds to 127.0.0.1 sends its own name, so it is refused (DNS-rebinding
 * defence).
 */
export function isAllowedHost(host: string | undefined): boolean {
  if (host === undefined || host === '') return true;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return false;
    const rest = host.slice(end + 1);
    return (rest === '' || /^:\d*$/.test(rest)) && isRoutableIPv6(host.slice(1, end));
  }
  const colon = host.lastIndexOf(':');
  const name = colon >= 0 && /^\d*$/.test(host.slice(colon + 1)) ? host.slice(0, colon) : host;
  return isRoutableIPv4(name) || name.toLowerCase() === 'localhost';
}

/** Dotted decimal only (isIP refuses octal and hex spellings), outside 0.0.0.0/8. */
function isRoutableIPv4(address: string): boolean {
  return isIP(address) === 4 && !address.startsWith('0.');
}

/** A literal without a zone id (`%eth0`: isIP allows it, Node's inspector does not), not `::`. */
function isRoutableIPv6(address: string): boolean {
  return !address.includes('%') && isIP(address) === 6 && !UNSPECIFIED_IPV6.check(address, 'ipv6');
}
