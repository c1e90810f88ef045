/** Where a subcommand writes: its result to `stdout`, `epdb: ...` progress lines to `stderr`. */
export interface CommandIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** One `epdb <name>` subcommand, in a module of its own. */
export interface Command {
  readonly name: string;
  /** One line for the tool's `--help`. */
  readonly summary: string;
  /** The full `epdb <name> --help` text. */
  readonly help: string;
  /**
   * Runs the subcommand with the arguments after its name and resolves to the exit status.
   * Throws a `UsageError` (status 2) or a `CommandError` (status 1) with a one-line message.
   */
  run(argv: readonly string[], io: CommandIO): Promise<number>;
}
