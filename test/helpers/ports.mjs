import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
 * Test files run as separate processes, two at a time: a port one of them has handed out but
 * its child has not bound yet looks free to the other. Each handed-out port is claimed with a
 * file created exclusively in a folder all test processes share; claims are dropped when this
 * process exits, and a claim whose process is gone (a killed run) is taken over.
 */
const CLAIMS = join(tmpdir(), 'epdb-test-ports');
const claimed = [];
process.once('exit', () => { for (const file of claimed) rmSync(file, { force: true }); });

/** Whether this process now holds port `port`'s claim. @param {number} port */
function claim(port) {
  mkdirSync(CLAIMS, { recursive: true });
  const file = join(CLAIMS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      claimed.push(file);
      return true;
    } catch {
      if (!claimantGone(file)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

/** Whether the process that claimed `file` has exited. @param {string} file */
function claimantGone(file) {
  let pid;
  try {
    pid = Number(readFileSync(file, 'utf8'));
  } catch {
    return true;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === 'ESRCH';
  }
}

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
    if (await canListen(port) && claim(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return freePort();
}

/**
 * `count` consecutive free ports below the kernel's ephemeral range, each claimed as
 * {@link freePortBelowEphemeralRange} claims one, for a child told a range (`EPDB_PORT=FIRST-LAST`,
 * `epdb connect FIRST-LAST`): a port of the range left unclaimed may be handed to another test,
 * whose listener the range then finds (a range's hub took another test's epdb listen for a bridge).
 * @param {number} count @returns {Promise<number>} the first of them
 */
export async function freePortRangeBelowEphemeralRange(count) {
  const top = ephemeralRangeStart();
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = top - count - Math.floor(Math.random() * 10_000);
    const ports = Array.from({ length: count }, (_, i) => first + i);
    if (first < 1024 || ports.some((port) => handedOut.has(port))) continue;
    if (!(await Promise.all(ports.map(canListen))).every(Boolean)) continue;
    const held = [];
    for (const port of ports) {
      if (!claim(port)) break;
      held.push(port);
    }
    if (held.length === count) {
      for (const port of ports) handedOut.add(port);
      return first;
    }
    for (const port of held) unclaim(port);
  }
  throw new Error(`no ${count} consecutive free ports below ${top} in 50 tries`);
}

/** Gives back this process's claim of `port`. @param {number} port */
function unclaim(port) {
  const file = join(CLAIMS, String(port));
  rmSync(file, { force: true });
  claimed.splice(claimed.indexOf(file), 1);
}

/**
 * Whether nothing listens on `127.0.0.1:port`: a bind there succeeds (and is closed at once).
 * @param {number} port @returns {Promise<boolean>}
 */
export function canListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Whether something accepts TCP connections on `127.0.0.1:port` (false on ECONNREFUSED); any
 * other error, or no answer within 5 s, rejects.
 * @param {number} port @returns {Promise<boolean>}
 */
export function portIsOpen(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(5000, () => { socket.destroy(); reject(new Error(`a connection to ${port} hung`)); });
    socket.on('connect', () => { socket.destroy(); resolve(true); });
    socket.on('error', (error) => (error.code === 'ECONNREFUSED' ? resolve(false) : reject(error)));
  });
}
