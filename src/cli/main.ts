#!/usr/bin/env node
import { runningInstrumentation } from '../main/instrument/global-mark.js';
import type { Command, CommandIO } from './command.js';
import { connectCommand } from './connect/command.js';
import { CommandError, UsageError } from './errors.js';
import { keygenCommand } from './keygen-command.js';
import { knockCommand } from './knock-command.js';
import { listenCommand } from './listen/listen-command.js';
import { snapshotCommand } from './snapshot/command.js';

// Where the preload reaches every node process (NODE_OPTIONS=--require epdb/register with
// EPDB_BACKEND set, as in a container), it instruments epdb's own tool too: its outgoing knocks
// would be stripped as if an app passed them on, and its servers gated. The tool is not an app.
void runningInstrumentation()?.disable();

/** Every `epdb` subcommand, in the order `--help` lists them. */
const COMMANDS: readonly Command[] = [connectCommand, listenCommand, knockCommand, snapshotCommand, keygenCommand];

/** Exit statuses: success, a failed command, a wrong command line. */
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function toolHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return `Usage: epdb <command> [options]

Debug one chosen request of a Node.js app started with \`node --import epdb/register app.mjs\`.

Commands:
${lines.join('\n')}

Run \`epdb <command> --help\` for a command's options.
Configuration comes from the environment, as for the app: EPDB_BACKEND (base64, fernet, jwt),
EPDB_KEY, EPDB_MAX_AGE, EPDB_HOST, EPDB_PORT.
`;
}

/** Runs `epdb` with `argv` (the arguments after the program name) and resolves to the exit status. */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const asked = name !== undefined && rest.length === 0 ? undefined : COMMANDS.find((command) => command.name === rest[0]);
    io[name === undefined ? 'stderr' : 'stdout'].write(asked?.help ?? toolHelp());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  try {
    if (command === undefined) throw new UsageError(`unknown command "${name}"`);
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`epdb: ${error.message}\nRun \`epdb ${command?.name ?? ''}${command ? ' ' : ''}--help\` for usage.\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CommandError) {
      io.stderr.write(`epdb: ${error.message}\n`);
      return EXIT_FAILED;
    }
    io.stderr.write(`epdb: unexpected error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
    // Exit at once: an open debugger pipe must not keep `connect` alive after it is done.
    (status) => process.exit(status),
    () => process.exit(EXIT_FAILED),
  );
}
