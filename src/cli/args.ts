import { UsageError } from './errors.js';

/** A subcommand's arguments: its positionals, and its `--name value` options by long name. */
export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly options: ReadonlyMap<string, string>;
  readonly help: boolean;
}

/**
 * One option a subcommand takes: it takes a value (`--port 9229` or `--port=9229`), unless it is
 * a `flag` (`--follow`), which takes none and reads as `"true"`.
 */
export interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  readonly flag?: boolean;
}

/**
 * Splits `argv` into positionals and options. `-h`/`--help` anywhere asks for help; `--` ends
 * the options. Unknown options and missing values are usage errors, so a typo never runs.
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command: string): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const [flag, inlineValue] = splitInlineValue(arg);
    const spec = specs.find((s) => `--${s.name}` === flag || (s.short !== undefined && `-${s.short}` === flag));
    if (spec === undefined) throw new UsageError(`${command}: unknown option ${flag}`);
    if (spec.flag === true) {
      if (inlineValue !== undefined) throw new UsageError(`${command}: ${flag} takes no value`);
      options.set(spec.name, 'true');
      continue;
    }
    const value = inlineValue ?? argv[++i];
    if (value === undefined) throw new UsageError(`${command}: ${flag} needs a value`);
    options.set(spec.name, value);
  }
  return { positionals, options, help };
}

function splitInlineValue(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

/** Reads a TCP port number (1-65535), or throws a usage error naming what it is for. */
export function parsePort(text: string, what: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${what}: "${text}" is not a port number (1-65535)`);
  }
  return port;
}
