import type { Node, Options } from 'acorn';

/** Where a function's body starts, as the inspector counts (0-based line and column). */
export interface FunctionEntry {
  readonly lineNumber: number;
  readonly columnNumber: number;
}

const COMMON: Options = {
  ecmaVersion: 'latest',
  locations: true,
  allowHashBang: true,
  allowReserved: true,
  allowAwaitOutsideFunction: true,
};
/** CommonJS first (top-level `return` and sloppy mode), then an ES module. */
const ATTEMPTS: readonly Options[] = [
  { ...COMMON, sourceType: 'script', allowReturnOutsideFunction: true },
  { ...COMMON, sourceType: 'module' },
];

/**
 * The start of every function body in `source`: declarations, expressions, arrows (their
 * expression body), methods, getters and setters. The app's own code is entered through one of
 * them whenever a framework or Node calls it, so a breakpoint on each catches the first
 * statement of the app that runs for a request, wherever the framework dispatches from.
 *
 * @returns an empty list when the source does not parse (then the walk cannot stop in it).
 */
export function functionEntries(source: string): FunctionEntry[] {
  // Loaded on the first walk, not when the bridge starts: most bridges never walk.
  const { parse } = require('acorn') as typeof import('acorn');
  for (const options of ATTEMPTS) {
    let program: Node;
    try {
      program = parse(source, options);
    } catch {
      continue;
    }
    const entries: FunctionEntry[] = [];
    collect(program, entries);
    return entries;
  }
  return [];
}

type AnyNode = Node & { body?: unknown; loc?: { start: { line: number; column: number } } };

function collect(root: Node, entries: FunctionEntry[]): void {
  // Iterative: generated code can nest deeper than the stack allows.
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (Array.isArray(node)) {
      for (const child of node) pending.push(child);
      continue;
    }
    if (typeof node !== 'object' || node === null || typeof (node as { type?: unknown }).type !== 'string') continue;
    const typed = node as AnyNode;
    if (typed.type === 'FunctionDeclaration' || typed.type === 'FunctionExpression' || typed.type === 'ArrowFunctionExpression') {
      const body = typed.body as AnyNode | undefined;
      if (body?.loc !== undefined) entries.push({ lineNumber: body.loc.start.line - 1, columnNumber: body.loc.start.column });
    }
    for (const key in typed) {
      if (key === 'loc' || key === 'start' || key === 'end' || key === 'type') continue;
      const value = (typed as unknown as Record<string, unknown>)[key];
      if (typeof value === 'object' && value !== null) pending.push(value);
    }
  }
}
