/**
 * The command line was wrong (unknown subcommand or option, missing or malformed argument):
 * `epdb` prints the message and a pointer to `--help`, and exits with status 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The command was understood but cannot be carried out (bad configuration, port taken, wrong
 * key...): `epdb` prints the message on one line and exits with status 1.
 */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}
