import { parseArgs as parseNodeArgs } from 'node:util';
import { UsageError } from './errors.js';

/** A subcommand's arguments: its positionals, and its options by long name. */
export interface ParsedArgs {
  readonly positionals: readonly string[];
  /** Each option given, with its value (a flag's is `"true"`). */
  readonly options: ReadonlyMap<string, string>;
  /** Every value of each repeatable option, in order. */
  readonly repeated: ReadonlyMap<string, readonly string[]>;
  readonly help: boolean;
}

/**
 * One option a subcommand takes: it takes a value (`--port 9229` or `--port=9229`), unless it is
 * a `flag` (`--follow`), which takes none and reads as `"true"`. Only a `repeatable` one may be
 * given more than once (`-H 'A: 1' -H 'B: 2'`).
 */
export interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  readonly flag?: boolean;
  readonly repeatable?: boolean;
}

/**
 * Splits `argv` into positionals and options with Node's `util.parseArgs`, then checks them
 * against `specs` with messages that name `command`: unknown options, missing values and
 * repeats are usage errors, so a typo never runs. `-h`/`--help` anywhere asks for help; `--`
 * ends the options. (Node's own strict mode would refuse too, but in words about its API, and
 * it also refuses a value that starts with `-`, which `-d -1` needs.)
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command: string): ParsedArgs {
  const config = Object.fromEntries(specs.map((spec) => [spec.name, {
    type: spec.flag === true ? 'boolean' as const : 'string' as const,
    ...(spec.short !== undefined ? { short: spec.short } : {}),
  }]));
  const { tokens } = parseNodeArgs({ args: [...argv], options: { ...config, help: { type: 'boolean', short: 'h' } }, strict: false, allowPositionals: true, tokens: true });
  const positionals: string[] = [];
  const options = new Map<string, string>();
  const repeated = new Map<string, string[]>();
  let help = false;
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    if (token.name === 'help' && token.value === undefined) {
      help = true;
      continue;
    }
    const spec = specs.find((candidate) => candidate.name === token.name);
    if (spec === undefined) throw new UsageError(`${command}: unknown option ${token.rawName}`);
    if (spec.flag === true && token.value !== undefined) throw new UsageError(`${command}: ${token.rawName} takes no value`);
    if (spec.flag !== true && token.value === undefined) throw new UsageError(`${command}: ${token.rawName} needs a value`);
    const value = token.value ?? 'true';
    const values = repeated.get(spec.name) ?? [];
    if (values.length > 0 && spec.repeatable !== true && spec.flag !== true) throw new UsageError(`${command}: ${token.rawName} given twice`);
    values.push(value);
    repeated.set(spec.name, values);
    if (!options.has(spec.name)) options.set(spec.name, value);
  }
  return { positionals, options, repeated, help };
}

/** Reads a TCP port number (1-65535), or throws a usage error naming what it is for. */
export function parsePort(text: string, what: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${what}: "${text}" is not a port number (1-65535)`);
  }
  return port;
}
