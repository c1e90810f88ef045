import type { Server } from 'node:net';
import { formatPortRange, type PortRange } from '../shared/port-range.js';

/** Why no port of the range could be bound: one phrase for the main thread's log line. */
export class ListenRangeError extends Error {}

/**
 * Binds `server` to the first port of `ports` that is free on `host`, trying them in order
 * and moving on only when one is taken (EADDRINUSE): the workers of a cluster share a range,
 * and each bridge gets a port of its own.
 *
 * `exclusive`: in a cluster worker a plain `listen()` is handed to the primary, which would
 * share one port among every worker's bridge; the bridge must own its port.
 *
 * @returns the port bound.
 * @throws {ListenRangeError} when every port is taken, or binding fails another way.
 */
export async function listenOnFirstFree(server: Server, host: string, ports: PortRange): Promise<number> {
  for (let port = ports.first; port <= ports.last; port++) {
    const outcome = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      const onError = (error: NodeJS.ErrnoException): void => resolve(error);
      server.once('error', onError);
      server.listen({ port, host, exclusive: true }, () => {
        server.removeListener('error', onError);
        resolve(null);
      });
    });
    if (outcome === null) {
      const address = server.address();
      return typeof address === 'object' && address !== null ? address.port : port;
    }
    if (outcome.code !== 'EADDRINUSE') throw new ListenRangeError(outcome.message);
  }
  throw new ListenRangeError(ports.first === ports.last ? 'the port is already in use' : `every port of ${formatPortRange(ports)} is already in use`);
}
