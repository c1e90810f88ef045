import { once } from 'node:events';
import type { CommandIO } from '../command.js';
import { TargetHub } from '../hub/hub.js';
import { rangeAuthorityOf, type BridgeRange } from './bridge-address.js';
import { BridgeRangeSource } from './bridge-range-source.js';
import { listenError } from './forward.js';
import { nextSteps } from './next-steps.js';

/** What `epdb connect FIRST-LAST` needs to serve a cluster's bridges. */
export interface RangeForwardOptions {
  readonly range: BridgeRange;
  readonly localPort: number;
  readonly knock: () => Promise<string | null>;
  readonly authenticated: boolean;
}

/**
 * `epdb connect [HOST:]FIRST-LAST`: one target hub on `127.0.0.1:LOCAL` serving every bridge
 * found on the range as a target of its own, until SIGINT or SIGTERM. Unlike the one-bridge
 * forward it never gives up waiting: the processes of a cluster come and go.
 */
export async function runRangeForward(options: RangeForwardOptions, io: CommandIO): Promise<number> {
  const { range, localPort, knock, authenticated } = options;
  const source = new BridgeRangeSource({ host: range.host, ports: range.ports, knock });
  const hub = new TargetHub({
    port: localPort,
    sources: [source],
    describeListenError: (error) => listenError(error, localPort),
    waitingTitle: `waiting for a knock: ${rangeAuthorityOf(range)}`,
  });
  await hub.start();
  // Listening for the signals before saying so: one sent on the first line must end us gently.
  const stopped = new AbortController();
  const signalled = Promise.race([
    once(process, 'SIGINT', { signal: stopped.signal }),
    once(process, 'SIGTERM', { signal: stopped.signal }),
  ]).finally(() => stopped.abort());
  const destination = `every debug bridge on ${rangeAuthorityOf(range)} (each process is a target of its own)`;
  io.stdout.write(nextSteps(localPort, destination, authenticated));
  await signalled;
  hub.stop();
  return 0;
}
