import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: the kernel picks it with listen(0),
 * then the listener is closed.
 *
 * Such a port lies in the kernel's ephemeral range, where any outgoing connection may take it
 * as its local port before the child binds it. For a port a child must be told in advance
 * (EPDB_PORT), prefer {@link freePortBelowEphemeralRange}.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** The first port of the kernel's ephemeral range (32768 on Linux unless configured). */
function ephemeralRangeStart() {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/** Ports handed out by this process, so two callers never get the same one. */
const handedOut = new Set();

/**
 * A free port on 127.0.0.1 below the kernel's ephemeral range, for ports a child is told in
 * advance (EPDB_PORT): the kernel never gives those to outgoing connections or listen(0), so it
 * stays free until the child binds it (DESIGN.md, "Platform facts"). Picked at random from the
 * 10,000 ports below the range and checked with a bind; falls back to {@link freePort}.
 * @returns {Promise<number>}
 */
export async function freePortBelowEphemeralRange() {
  const top = ephemeralRangeStart();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = top - 1 - Math.floor(Math.random() * 10_000);
    if (port < 1024 || handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return freePort();
}

/** @param {number} port */
function canListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
