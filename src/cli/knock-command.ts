import { parseArgs } from './args.js';
import type { Command } from './command.js';
import { configuredBackend, freshKnock } from './configured-backend.js';
import { CommandError, UsageError } from './errors.js';
import { parseDialAddress } from '../shared/reverse/address.js';

/** `epdb knock`: prints a fresh `X-EPDB` header value for the configured backend. */
export const knockCommand: Command = {
  name: 'knock',
  summary: 'print a fresh X-EPDB header value for the configured backend',
  help: `Usage: epdb knock [--connect [ws://|wss://]HOST:PORT] [--follow]

Prints the value of an X-EPDB header that the app accepts, made now for the backend
in EPDB_BACKEND with EPDB_KEY:

  Base64 <base64 of {"epdb": {}}>
  Fernet <token carrying the current time>
  JWT <HS256 token with iat and exp = iat + EPDB_MAX_AGE (default 3600 s)>

With --connect (fernet, jwt), the knock asks the process that gets it to dial the
epdb listen at HOST:PORT instead of opening a bridge port (see epdb listen --help).

With --follow (fernet, jwt), the request is followed downstream: the requests its
process sends while handling it (node:http/https, fetch) to hosts in that process's
EPDB_FOLLOW carry a fresh knock for the next hop (valid 60 s, for that one request, up to
8 hops), and every process of the chain under epdb with the same key does what the first
does: with --connect, each dials the same epdb listen, which lists them in hop order
("GET /bill/42 [hop 2: checkout → billing]").

Example:
  curl -H "X-EPDB: $(npx epdb knock)" http://127.0.0.1:3000/some/path
  curl -H "X-EPDB: $(npx epdb knock --connect 10.0.0.5:9230)" https://app.example/orders/42
  curl -H "X-EPDB: $(npx epdb knock --follow --connect 10.0.0.5:9230)" https://app.example/orders/42

Environment: EPDB_BACKEND, EPDB_KEY, EPDB_MAX_AGE (the same values as the app's).
`,
  async run(argv, io) {
    const args = parseArgs(argv, [{ name: 'connect' }, { name: 'follow', flag: true }], 'knock');
    if (args.help) {
      io.stdout.write(this.help);
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`knock: unexpected argument "${args.positionals[0]}"`);
    const { backend } = configuredBackend(io.env);
    const connect = args.options.get('connect');
    if (connect !== undefined) {
      const address = parseDialAddress(connect);
      if (typeof address === 'string') throw new UsageError(`knock --connect: ${address}`);
      if (!backend.authenticates) {
        throw new CommandError(`knock --connect: a ${backend.scheme} knock proves nothing, so the app refuses its "connect"; use fernet or jwt, or run the app with EPDB_CONNECT`);
      }
    }
    const follow = args.options.has('follow');
    if (follow && !backend.authenticates) {
      throw new CommandError(`knock --follow: a ${backend.scheme} knock proves nothing, so the app refuses to follow it; use fernet or jwt`);
    }
    const options = { ...(connect === undefined ? {} : { connect }), ...(follow ? { follow: true } : {}) };
    io.stdout.write(`${await freshKnock(backend, options)}\n`);
    return 0;
  },
};
