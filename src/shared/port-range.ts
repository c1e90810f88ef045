/** A run of TCP ports, both ends included; a single port is a range of one. */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** The most ports a range may hold: a bridge tries them in order, and a forward probes them all. */
export const MAX_RANGE_PORTS = 1000;

/** How many ports a single `EPDB_PORT=P` gives a cluster worker: `P+1`..`P+100`. */
export const CLUSTER_WORKER_PORTS = 100;

/** A port range as read from text; `single` when it was one port (`9000`, not `9000-9000`). */
export interface ParsedPortRange {
  readonly range: PortRange;
  readonly single: boolean;
}

const PORT_TEXT = /^\d+$/;

/**
 * Reads `P` or `FIRST-LAST` (each 1-65535, FIRST <= LAST, at most {@link MAX_RANGE_PORTS} ports).
 *
 * @returns the range, or a sentence saying what is wrong with `text` (without naming a variable).
 */
export function parsePortRange(text: string): ParsedPortRange | string {
  const dash = text.indexOf('-');
  if (dash === -1) {
    const port = portNumber(text);
    return port === null ? `"${text}" is not a whole number from 1 to 65535` : { range: { first: port, last: port }, single: true };
  }
  const first = portNumber(text.slice(0, dash).trim());
  const last = portNumber(text.slice(dash + 1).trim());
  if (first === null || last === null) return `"${text}" is not a port (1-65535) or a range FIRST-LAST of them`;
  if (first > last) return `"${text}" is reversed: the first port must not be above the last`;
  if (last - first + 1 > MAX_RANGE_PORTS) return `"${text}" holds ${last - first + 1} ports; a range holds at most ${MAX_RANGE_PORTS}`;
  return { range: { first, last }, single: false };
}

/**
 * The range a cluster worker (`node:cluster`, pm2's cluster mode) uses for a single port `P`:
 * `P+1`..`P+100`, so that every worker of the cluster can bind a bridge of its own. Cut at 65535.
 */
export function clusterWorkerRange(port: number): PortRange | null {
  if (port >= 65535) return null;
  return { first: port + 1, last: Math.min(port + CLUSTER_WORKER_PORTS, 65535) };
}

/** `9000` or `9001-9100`, as a user writes it. */
export function formatPortRange(range: PortRange): string {
  return range.first === range.last ? String(range.first) : `${range.first}-${range.last}`;
}

/** Every port of `range`, in order. */
export function portsOf(range: PortRange): number[] {
  const ports: number[] = [];
  for (let port = range.first; port <= range.last; port++) ports.push(port);
  return ports;
}

function portNumber(text: string): number | null {
  if (!PORT_TEXT.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}
