import { randomBytes } from 'node:crypto';
import { parseArgs } from './args.js';
import type { Command } from './command.js';
import { UsageError } from './errors.js';

/** Backends that have a key to generate. */
const KEYED_BACKENDS = ['fernet', 'jwt'] as const;
type KeyedBackend = (typeof KEYED_BACKENDS)[number];

/**
 * A new random key: for fernet 32 bytes in padded url-safe base64 (44 characters, what Python's
 * `Fernet.generate_key()` makes); for jwt 32 bytes as 64 hex characters (an HS256 secret as long
 * as its output).
 */
export function generateKey(backend: KeyedBackend): string {
  const bytes = randomBytes(32);
  return backend === 'fernet' ? `${bytes.toString('base64url')}=` : bytes.toString('hex');
}

/** `epdb keygen [fernet|jwt]`: prints a new EPDB_KEY. */
export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'print a new random EPDB_KEY for fernet or jwt',
  help: `Usage: epdb keygen [fernet|jwt]

Prints a new random key for EPDB_KEY (default backend: EPDB_BACKEND):

  fernet  32 random bytes, url-safe base64 (44 characters), like Python's Fernet.generate_key()
  jwt     32 random bytes as 64 hex characters (an HS256 secret)

Example:
  export EPDB_BACKEND=jwt EPDB_KEY=$(npx epdb keygen jwt)
`,
  async run(argv, io) {
    const args = parseArgs(argv, [], 'keygen');
    if (args.help) {
      io.stdout.write(this.help);
      return 0;
    }
    if (args.positionals.length > 1) throw new UsageError(`keygen: unexpected argument "${args.positionals[1]}"`);
    io.stdout.write(`${generateKey(chooseBackend(args.positionals[0], io.env['EPDB_BACKEND']))}\n`);
    return 0;
  },
};

// Reads EPDB_BACKEND itself rather than through readConfig: the key it would demand is the one
// being generated.
function chooseBackend(argument: string | undefined, fromEnv: string | undefined): KeyedBackend {
  const chosen = (argument ?? fromEnv ?? '').trim().toLowerCase();
  if ((KEYED_BACKENDS as readonly string[]).includes(chosen)) return chosen as KeyedBackend;
  if (argument !== undefined) throw new UsageError(`keygen: unknown backend "${argument}" (expected fernet or jwt)`);
  if (chosen === '' || chosen === 'off') throw new UsageError('keygen: name a backend (fernet or jwt); EPDB_BACKEND is not set');
  throw new UsageError(`keygen: EPDB_BACKEND is "${fromEnv}", which has no key; name a backend: fernet or jwt`);
}
