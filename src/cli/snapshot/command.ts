import { randomBytes } from 'node:crypto';
import type { EPDBBackend } from '../../shared/backends/backend.js';
import { deriveHandshakeKey } from '../../shared/reverse/handshake.js';
import type { CommandIO } from '../command.js';
import { CommandError } from '../errors.js';
import { parseAccept, reachableHost } from '../listen/accept-address.js';
import { pushedProbeText } from '../listen/probe-output.js';
import { HopResults } from './hop-results.js';
import type { Command } from '../command.js';
import { configuredBackend, freshKnock } from '../configured-backend.js';
import { bridgeAddressOf, parseSnapshotArgs, type SnapshotArgs } from './args.js';
import { fetchResult } from './result.js';
import { sendKnockedRequest } from './send.js';
import { snapshotTree, type SnapshotView } from './tree.js';

/** Exit statuses beyond main's: the probe's line was never reached by the request. */
const EXIT_TAKEN = 0;
const EXIT_FAILED = 1;
const EXIT_NOT_REACHED = 3;

/** `epdb snapshot URL --at FILE:LINE ...`: one request, its state at one line, the process never held. */
export const snapshotCommand: Command = {
  name: 'snapshot',
  summary: 'send one request and show its locals at FILE:LINE or where it throws (the process does not stop)',
  help: `Usage: epdb snapshot URL (--at FILE:LINE | --on-throw) [--expr E]... [--log MESSAGE]
                     [--follow [--accept [HOST:]PORT]] [-X METHOD] [-H 'K: V']... [-d BODY]
                     [--json] [--bridge [HOST:]PORT]

Sends one request to URL with an X-EPDB knock (made with EPDB_BACKEND and EPDB_KEY, as
\`epdb knock\` does) that asks the app for a snapshot at FILE:LINE. The request is not held:
the first time code running for it reaches the line, the app's debug bridge captures the
call stack, the top frames' arguments and locals and each --expr (evaluated without side
effects), then lets it go on. Prints the response's status line, then the snapshot.

FILE is a path suffix (routes/orders.js, src/orders.ts: TypeScript and other compiled
files are found through their source maps); LINE counts from 1.

With --on-throw, the snapshot is taken where the request first throws (caught or not, in
the app's code or a library's; not in Node's own): the exception (class, message, stack),
the frames' arguments and locals at the throw site, and each --expr evaluated there. Other
requests' exceptions are never captured.

Options:
  --at FILE:LINE        where to capture (this, or --on-throw, is required)
  --on-throw            capture where the request first throws instead
  --follow              also in every service the request calls (those whose EPDB_FOLLOW
                        allows the next host): each takes the probe for its own part of the
                        request and sends its result here; printed in hop order (fernet/jwt)
  --accept [HOST:]PORT  with --follow, where the services send their results (default
                        127.0.0.1, any free port; a HOST they reach for services elsewhere)
  -e, --expr E          an expression to evaluate there (repeat for more)
  --log MESSAGE         a logpoint instead: print MESSAGE with its {expr}s filled in
  -X, --request METHOD  the request's method (default GET, POST with -d)
  -H, --header 'K: V'   a request header (repeat for more)
  -d, --data BODY       the request's body
  --json                print the result as the bridge serves it (the status line goes to stderr)
  --bridge [HOST:]PORT  the app's debug bridge (default EPDB_HOST:EPDB_PORT, 127.0.0.1:9000)

Example:
  epdb snapshot http://127.0.0.1:3000/orders/42 --at routes/orders.js:17 --expr order.total

  HTTP/1.1 200 OK
  expressions
    order.total = 99.5
  frame 0: showOrder (/app/routes/orders.js:17)
    req: IncomingMessage {30}
    ...

  epdb snapshot http://127.0.0.1:3000/orders/42 --on-throw --expr order
  epdb snapshot http://127.0.0.1:3000/orders/42 --on-throw --follow

Environment: EPDB_BACKEND, EPDB_KEY, EPDB_MAX_AGE, EPDB_HOST, EPDB_PORT (the app's values).
Exit status: 0 taken (with --follow: by any hop), 3 the request never reached the line (or,
with --on-throw, never threw), 2 bad usage, 1 anything else.
`,
  async run(argv, io) {
    const args = parseSnapshotArgs(argv);
    if (args.help) {
      io.stdout.write(this.help);
      return 0;
    }
    const { config, backend } = configuredBackend(io.env);
    const id = randomBytes(8).toString('hex');
    const probe = args.logMessage !== null
      ? { log: { at: args.at, message: args.logMessage, id } }
      : { snapshot: { ...(args.onThrow ? { on: 'throw' } : { at: args.at }), expr: args.expressions, id } };
    if (args.follow) return runFollowed(args, backend, probe, id, io);
    const knock = `${backend.scheme} ${await backend.encode({ epdb: probe })}`;
    const statusLine = await sendKnockedRequest({ url: args.url, method: args.method, headers: args.headers, body: args.body, knock });
    (args.json ? io.stderr : io.stdout).write(`${statusLine}\n`);

    const bridgeKnock = backend.authenticates ? () => freshKnock(backend) : () => Promise.resolve(null);
    const { result, json } = await fetchResult(bridgeAddressOf(args, config.host, config.port.first), id, bridgeKnock);
    if (args.json) io.stdout.write(`${json}\n`);
    if (result.taken) {
      if (!args.json) io.stdout.write(result.kind === 'log' ? `${String(result['message'] ?? '')}\n` : snapshotTree(result as unknown as SnapshotView));
      return EXIT_TAKEN;
    }
    const reason = result.state === 'armed' ? 'still armed: the request has not ended yet' : result.reason ?? 'not taken';
    io.stderr.write(`epdb: ${result.kind} at ${result.at} ${reason}\n`);
    return reason.startsWith('not reached') ? EXIT_NOT_REACHED : EXIT_FAILED;
  },
};

/** How long the hops' results may take to arrive once the first request is answered. */
const HOP_RESULTS_MS = 10_000;

/**
 * `--follow`: the knock also asks every process the request reaches (as `EPDB_FOLLOW` allows) to
 * take the probe, and names this command as the `epdb listen` each pushes its result to; the
 * results are printed in hop order, each with its process, as `epdb listen` prints them.
 */
async function runFollowed(args: SnapshotArgs, backend: EPDBBackend, probe: object, id: string, io: CommandIO): Promise<number> {
  const sharedKey = backend.authenticates ? backend.sharedKey?.() : undefined;
  if (sharedKey === undefined) throw new CommandError(`snapshot --follow: the ${backend.scheme} backend cannot be followed (its knocks prove nothing; use fernet or jwt)`);
  const accept = parseAccept(args.accept ?? '127.0.0.1:0', 'snapshot --accept');
  const hops = new HopResults(id);
  try {
    const port = await hops.start(accept.host, accept.port, { scheme: backend.scheme, handshakeKey: deriveHandshakeKey(sharedKey) }, null);
    const knock = `${backend.scheme} ${await backend.encode({ epdb: { ...probe, follow: true, connect: `${reachableHost(accept.host)}:${port}` } })}`;
    const statusLine = await sendKnockedRequest({ url: args.url, method: args.method, headers: args.headers, body: args.body, knock });
    (args.json ? io.stderr : io.stdout).write(`${statusLine}\n`);
    const results = await hops.settled(HOP_RESULTS_MS);
    if (args.json) io.stdout.write(`${JSON.stringify(results.map(({ hop, result }) => ({ hop, ...result })))}\n`);
    else for (const { target, result } of results) io.stdout.write(pushedProbeText(target, result));
    for (const process of hops.silent()) io.stderr.write(`epdb: ${process} dialled in but sent no result within ${HOP_RESULTS_MS / 1000} s\n`);
    if (results.length === 0) {
      io.stderr.write('epdb: no process sent a result (is EPDB_FOLLOW set on the services, and can they reach this machine? --accept names where)\n');
      return EXIT_FAILED;
    }
    return results.some(({ result }) => result['taken'] === true) ? EXIT_TAKEN : EXIT_NOT_REACHED;
  } finally {
    hops.close();
  }
}
