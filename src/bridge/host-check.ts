import { isIP } from 'node:net';

/**
 * Whether a `Host` header may reach the bridge: `localhost` or an IP literal, with an optional
 * port, or no header at all, exactly what Node's own inspector accepts. A page on a DNS name
 * that rebinds to 127.0.0.1 sends its own name, so it is refused (DNS-rebinding defence).
 */
export function isAllowedHost(host: string | undefined): boolean {
  if (host === undefined || host === '') return true;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return false;
    const rest = host.slice(end + 1);
    return (rest === '' || /^:\d*$/.test(rest)) && isIP(host.slice(1, end)) === 6;
  }
  const colon = host.lastIndexOf(':');
  const name = colon >= 0 && /^\d*$/.test(host.slice(colon + 1)) ? host.slice(0, colon) : host;
  return isIP(name) === 4 || name.toLowerCase() === 'localhost';
}
