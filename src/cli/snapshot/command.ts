import { randomBytes } from 'node:crypto';
import type { Command } from '../command.js';
import { configuredBackend, freshKnock } from '../configured-backend.js';
import { bridgeAddressOf, parseSnapshotArgs } from './args.js';
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
                     [-X METHOD] [-H 'K: V']... [-d BODY] [--json] [--bridge [HOST:]PORT]

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

Environment: EPDB_BACKEND, EPDB_KEY, EPDB_MAX_AGE, EPDB_HOST, EPDB_PORT (the app's values).
Exit status: 0 taken, 3 the request never reached the line (or, with --on-throw, never
threw), 2 bad usage, 1 anything else.
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
