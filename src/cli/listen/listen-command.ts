import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { log } from '../../shared/log.js';
import { deriveHandshakeKey } from '../../shared/reverse/handshake.js';
import { parseArgs, parsePort } from '../args.js';
import type { Command } from '../command.js';
import { configuredBackend } from '../configured-backend.js';
import { CommandError, UsageError } from '../errors.js';
import { debuggerSteps } from '../connect/next-steps.js';
import { startAcceptServer } from './accept-server.js';
import { TargetHub } from '../hub/hub.js';
import { parseAccept, reachableHost } from './accept-address.js';
import { pushedProbeText } from './probe-output.js';
import { DebuggeeSource } from './debuggee-source.js';

const DEFAULT_LOCAL_PORT = 9229;
const DEFAULT_ACCEPT = '0.0.0.0:9230';

/** `epdb listen`: the developer's end of the reverse connect. */
export const listenCommand: Command = {
  name: 'listen',
  summary: 'wait for knocked processes to dial in (behind a load balancer), serve them on 127.0.0.1:9229',
  help: `Usage: epdb listen [--port LOCAL] [--accept [HOST:]PORT] [--cert FILE --key FILE]

The developer's end of a reverse connection: the process that gets a knock carrying
"connect" (or that runs with EPDB_CONNECT) dials here instead of opening a port, so
debugging works through any load balancer and in Kubernetes, whichever replica gets the
request. Both ends prove they hold EPDB_KEY (fernet, jwt) before anything is relayed.

Each connected process is a debugger target on 127.0.0.1:LOCAL (default ${DEFAULT_LOCAL_PORT}),
titled with its held request, host name and pid, for node inspect, DevTools and VS Code.
A request followed across services (epdb knock --follow --connect) brings every process of
its chain here, listed in hop order: "GET /bill/42 [hop 2: checkout → billing] on ...".
Ctrl-C stops listening; every process it holds resumes.

Options:
  -p, --port LOCAL       local port for debuggers (127.0.0.1 only)
  --accept [HOST:]PORT   where processes dial in (default ${DEFAULT_ACCEPT}; 0: any free port)
  --cert FILE --key FILE PEM certificate and key: accept wss:// (processes verify the
                         certificate with Node's CAs and NODE_EXTRA_CA_CERTS)

Example, on a machine the app's pods reach as 10.0.0.5:
  EPDB_BACKEND=jwt EPDB_KEY=... epdb listen
  curl -H "X-EPDB: $(EPDB_BACKEND=jwt EPDB_KEY=... npx epdb knock --connect 10.0.0.5:9230)" https://app.example/orders/42
  node inspect 127.0.0.1:${DEFAULT_LOCAL_PORT}

Environment: EPDB_BACKEND, EPDB_KEY (the same values as the app's).
Exit status: 0 after Ctrl-C, 1 on an error (port taken, unreadable certificate), 2 on bad usage.
`,
  async run(argv, io) {
    const args = parseArgs(argv, [{ name: 'port', short: 'p' }, { name: 'accept' }, { name: 'cert' }, { name: 'key' }], 'listen');
    if (args.help) {
      io.stdout.write(this.help);
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`listen: unexpected argument "${args.positionals[0]}"`);
    const localPort = parsePort(args.options.get('port') ?? String(DEFAULT_LOCAL_PORT), 'listen --port');
    const accept = parseAccept(args.options.get('accept') ?? DEFAULT_ACCEPT, 'listen --accept');
    const tls = readTls(args.options.get('cert'), args.options.get('key'));
    const { backend } = configuredBackend(io.env);
    const sharedKey = backend.authenticates ? backend.sharedKey?.() : undefined;
    if (backend.authenticates && sharedKey === undefined) throw new CommandError(`listen: the ${backend.scheme} backend cannot prove its key to a debuggee`);
    const key = { scheme: backend.scheme, handshakeKey: sharedKey === undefined ? null : deriveHandshakeKey(sharedKey) };

    const source = new DebuggeeSource();
    const hub = new TargetHub({
      port: localPort,
      sources: [source],
      waitingTitle: 'waiting for a knock: no process has dialled in yet',
      describeListenError: (error) => new CommandError(error.code === 'EADDRINUSE'
        ? `listen --port: 127.0.0.1:${localPort} is already in use (a debugger, node --inspect or epdb connect?); choose another with --port`
        : `listen --port: cannot listen on 127.0.0.1:${localPort}: ${error.message}`),
    });
    await hub.start();
    let acceptServer;
    try {
      acceptServer = await startAcceptServer({ host: accept.host, port: accept.port, key, tls, onTarget: (target) => {
        source.add(target);
        // Snapshots and logpoints taken in the process come here as they settle.
        target.onProbeResult((result) => io.stdout.write(pushedProbeText(target, result)));
      } });
    } catch (error) {
      hub.stop();
      throw error;
    }
    // Listening for Ctrl-C before the first line: a signal sent on that line must end it cleanly.
    const stopped = new AbortController();
    const signalled = Promise.race([
      once(process, 'SIGINT', { signal: stopped.signal }),
      once(process, 'SIGTERM', { signal: stopped.signal }),
    ]).catch(() => {}).finally(() => stopped.abort());
    io.stdout.write(listenSteps({
      accept: `${accept.host}:${acceptServer.port}`,
      dialAs: `${tls === null ? '' : 'wss://'}${reachableHost(accept.host)}:${acceptServer.port}`,
      localPort,
      scheme: backend.scheme,
      proves: key.handshakeKey !== null,
    }));
    if (key.handshakeKey === null) {
      log('listen: warning: base64 proves nothing either way: anyone who reaches the accept port is listed as a target, and only EPDB_CONNECT (never a knock) makes an app dial; use fernet or jwt across any network you do not trust');
    }

    await signalled;
    // Every held process resumes: closing its connection ends its session there.
    const leaving = source.targets;
    source.stop();
    await Promise.race([
      Promise.all(leaving.map((target) => new Promise<void>((resolve) => target.onceGone(resolve)))),
      new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
    ]);
    log(`listen: stopped; ${leaving.length} process${leaving.length === 1 ? '' : 'es'} released`);
    acceptServer.server.close();
    hub.stop();
    return 0;
  },
};

interface StepsText {
  readonly accept: string;
  readonly dialAs: string;
  readonly localPort: number;
  readonly scheme: string;
  readonly proves: boolean;
}

function listenSteps(steps: StepsText): string {
  const proof = steps.proves ? `${steps.scheme}: both ends prove EPDB_KEY` : 'base64: NOTHING is proved either way';
  return `epdb listen: accepting processes on ${steps.accept} (${proof}); debuggers attach to 127.0.0.1:${steps.localPort}.

1. Knock the app; whichever process gets the request dials here:
     curl -H "X-EPDB: $(npx epdb knock --connect ${steps.dialAs})" http://<your app>/<path>
   (or run the app with EPDB_CONNECT=${steps.dialAs}; use the name or address of this
   machine as the app's hosts reach it)

${debuggerSteps(2, steps.localPort)}
Ctrl-C stops listening; every process it holds resumes.
`;
}

function readTls(certPath: string | undefined, keyPath: string | undefined): { cert: string; key: string } | null {
  if (certPath === undefined && keyPath === undefined) return null;
  if (certPath === undefined || keyPath === undefined) throw new UsageError('listen: --cert and --key go together');
  const read = (path: string, what: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new CommandError(`listen --${what}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  };
  return { cert: read(certPath, 'cert'), key: read(keyPath, 'key') };
}
