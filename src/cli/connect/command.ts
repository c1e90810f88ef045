import { lookup } from 'node:dns/promises';
import { once } from 'node:events';
import { isIP } from 'node:net';
import { parseArgs, parsePort } from '../args.js';
import { authorityOf, defaultBridgeAddress, parseBridgeAddress, parseBridgeRange, type Address, type BridgeRange } from './bridge-address.js';
import { BridgeWatch } from './bridge-watch.js';
import type { Command } from '../command.js';
import { BRIDGE_ONLY_OPTIONS } from '../../shared/knock/bridge-only.js';
import { configuredBackend, freshKnock } from '../configured-backend.js';
import { CommandError, UsageError } from '../errors.js';
import { startForward } from './forward.js';
import { nextSteps } from './next-steps.js';
import { runRangeForward } from './range-forward.js';

const DEFAULT_LOCAL_PORT = 9229;
const DEFAULT_WAIT_SECONDS = 300;

/**
 * `epdb connect [HOST:]PORT [--port LOCAL] [--wait SECONDS]`: the authenticated debugger forward;
 * `epdb connect [HOST:]FIRST-LAST`: one forward serving every bridge of a cluster.
 */
export const connectCommand: Command = {
  name: 'connect',
  summary: 'forward 127.0.0.1:9229 to the app\'s debug bridge (or every bridge on a port range), adding the knock',
  help: `Usage: epdb connect [HOST:]PORT [--port LOCAL] [--wait SECONDS]
       epdb connect [HOST:]FIRST-LAST [--port LOCAL]

Opens a forward on 127.0.0.1:LOCAL (default ${DEFAULT_LOCAL_PORT}) to the epdb debug bridge at
HOST:PORT (HOST defaults to 127.0.0.1; without an argument, EPDB_HOST:EPDB_PORT, i.e.
127.0.0.1:9000). Every request and WebSocket upgrade gets a fresh X-EPDB knock (fernet,
jwt), its Host set to the bridge's, and the advertised webSocketDebuggerUrl points back at
the forward, so these work unchanged:

  node inspect 127.0.0.1:${DEFAULT_LOCAL_PORT}
  chrome://inspect with localhost:${DEFAULT_LOCAL_PORT}
  a VS Code "attach" configuration on port ${DEFAULT_LOCAL_PORT}

The bridge only starts on the app's first valid knock: until then connect keeps retrying,
for up to --wait SECONDS (default ${DEFAULT_WAIT_SECONDS}; 0 waits forever), and lists a
stand-in target ("waiting for a knock: HOST:PORT"): a debugger may attach to it first, and
gets the knocked request's pause once the bridge is up (a range does the same).

A cluster (node:cluster, pm2 cluster mode) gives each worker a bridge of its own on a range
of ports (a single EPDB_PORT=9000 means 9001-9100 in a worker). Give connect the range and
127.0.0.1:LOCAL serves every bridge it finds there as a target of its own /json/list, the
one holding a knocked request first (so node inspect attaches to the worker that got the
knock); bridges that start later appear, those that stop disappear. For example:

  epdb connect 9001-9100
  epdb connect 10.0.0.5:9001-9100 --port 9230

Options:
  -p, --port LOCAL     local port to listen on (127.0.0.1 only)
  --wait SECONDS       how long to wait for the bridge to come up (one port only: a range
                       is watched until Ctrl-C)

Environment: EPDB_BACKEND, EPDB_KEY (the same values as the app's).
Exit status: 0 after Ctrl-C, 1 on an error (wrong key, port taken, no bridge), 2 on bad usage.
`,
  async run(argv, io) {
    const args = parseArgs(argv, [{ name: 'port', short: 'p' }, { name: 'wait' }], 'connect');
    if (args.help) {
      io.stdout.write(this.help);
      return 0;
    }
    if (args.positionals.length > 1) throw new UsageError(`connect: unexpected argument "${args.positionals[1]}"`);
    const addressArgument = args.positionals[0];
    const localPort = parsePort(args.options.get('port') ?? String(DEFAULT_LOCAL_PORT), 'connect --port');
    const retryBoundMs = parseSeconds(args.options.get('wait') ?? String(DEFAULT_WAIT_SECONDS)) * 1000;
    const givenRange = addressArgument === undefined ? null : parseBridgeRange(addressArgument);
    const { config, backend } = configuredBackend(io.env);
    const knock = backend.authenticates ? () => freshKnock(backend) : () => Promise.resolve(null);
    const range = givenRange ?? (addressArgument === undefined && config.port.first !== config.port.last
      ? { host: defaultBridgeAddress(config.host, config.port.first).host, ports: config.port }
      : null);
    if (range !== null) {
      // Knocks for the bridges only: the range may hold the app's own port, which must not hold them.
      const bridgeKnock = backend.authenticates ? () => freshKnock(backend, BRIDGE_ONLY_OPTIONS) : () => Promise.resolve(null);
      await bridgeKnock(); // a backend that cannot make a knock fails here, before anything listens
      return runRangeForward({ range: await resolveRange(range), localPort, knock: bridgeKnock, authenticated: backend.authenticates }, io);
    }
    const target = await resolveAddress(
      addressArgument === undefined ? defaultBridgeAddress(config.host, config.port.first) : parseBridgeAddress(addressArgument),
    );

    await knock(); // a backend that cannot make a knock fails here, before anything listens
    const watch = new BridgeWatch({ target, knock, retryBoundMs });
    const bridgeAuthority = authorityOf(target);
    const server = await startForward({ target, bridgeAuthority, localAuthority: `127.0.0.1:${localPort}`, watch, knock }, localPort);
    // Listening for the signals before saying so: one sent on the first line must end us gently.
    const stopped = new AbortController();
    const ended = Promise.race([
      watch.failure,
      once(process, 'SIGINT', { signal: stopped.signal }).then(() => null),
      once(process, 'SIGTERM', { signal: stopped.signal }).then(() => null),
    ]).finally(() => stopped.abort());
    io.stdout.write(nextSteps(localPort, `the debug bridge on ${bridgeAuthority}`, backend.authenticates));
    watch.start();
    const outcome = await ended;
    watch.stop();
    server.closeAllConnections();
    server.close();
    if (outcome !== null) throw outcome;
    return 0;
  },
};

function parseSeconds(text: string): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(seconds)) {
    throw new UsageError(`connect --wait: "${text}" is not a number of seconds`);
  }
  return seconds;
}

/**
 * The bridge by IP address: its `Host` check (a DNS-rebinding defence, as in Node's inspector)
 * only lets through an IP address or `localhost`, so a host name is resolved once, here.
 */
async function resolveAddress(address: Address): Promise<Address> {
  return { host: await resolveHost(address.host), port: address.port };
}

async function resolveRange(range: BridgeRange): Promise<BridgeRange> {
  return { host: await resolveHost(range.host), ports: range.ports };
}

async function resolveHost(host: string): Promise<string> {
  if (isIP(host) !== 0 || host === 'localhost') return host;
  try {
    return (await lookup(host)).address;
  } catch (error) {
    throw new CommandError(`cannot resolve the bridge's host "${host}": ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
