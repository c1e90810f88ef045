import { parseArgs } from './args.js';
import type { Command } from './command.js';
import { configuredBackend, freshKnock } from './configured-backend.js';
import { UsageError } from './errors.js';

/** `epdb knock`: prints a fresh `X-EPDB` header value for the configured backend. */
export const knockCommand: Command = {
  name: 'knock',
  summary: 'print a fresh X-EPDB header value for the configured backend',
  help: `Usage: epdb knock

Prints the value of an X-EPDB header that the app accepts, made now for the backend
in EPDB_BACKEND with EPDB_KEY:

  Base64 <base64 of {"epdb": {}}>
  Fernet <token carrying the current time>
  JWT <HS256 token with iat and exp = iat + EPDB_MAX_AGE (default 3600 s)>

Example:
  curl -H "X-EPDB: $(npx epdb knock)" http://127.0.0.1:3000/some/path

Environment: EPDB_BACKEND, EPDB_KEY, EPDB_MAX_AGE (the same values as the app's).
`,
  async run(argv, io) {
    const args = parseArgs(argv, [], 'knock');
    if (args.help) {
      io.stdout.write(this.help);
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`knock: unexpected argument "${args.positionals[0]}"`);
    const { backend } = configuredBackend(io.env);
    io.stdout.write(`${await freshKnock(backend)}\n`);
    return 0;
  },
};
