import type { Node, Options } from 'acorn';
import { onlyCalledDirectly } from './direct-calls.js';

/** A position as the inspector counts (0-based line and column). */
export interface Position {
  readonly lineNumber: number;
  readonly columnNumber: number;
}

/** Where a function's body starts, and where its first statements start (at most 3). */
export interface FunctionEntry extends Position {
  readonly statements: readonly Position[];
}

/** How many first statements an entry names: enough to pass a compiler's own declarations. */
const STATEMENTS_KEPT = 3;

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
 * Functions that only the script's own code can call are left out ({@link onlyCalledDirectly}):
 * the request reaches the app through a function that Node or a framework holds.
 *
 * Compiler output is read as its author wrote it: TypeScript's helpers (`var __awaiter = (this
 * && this.__awaiter) || function ...`) are not the app's, and an async function compiled to an
 * older target (`return __awaiter(this, ..., function* () { body })`) is entered at its
 * generator, whose body is the original one, not at the wrapper.
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
    collect(program, entries, onlyCalledDirectly(program));
    return entries;
  }
  return [];
}

type AnyNode = Node & { body?: unknown; loc?: { start: { line: number; column: number } } };

function collect(root: Node, entries: FunctionEntry[], skipped: ReadonlySet<Node>): void {
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
    if (isCompilerHelper(typed)) continue;
    if (typed.type === 'FunctionDeclaration' || typed.type === 'FunctionExpression' || typed.type === 'ArrowFunctionExpression') {
      const body = typed.body as AnyNode | undefined;
      if (body?.loc !== undefined && !skipped.has(typed) && !isAwaiterWrapper(body)) {
        const statements = Array.isArray(body.body) ? (body.body as AnyNode[]).slice(0, STATEMENTS_KEPT).flatMap((statement) => (statement.loc === undefined ? [] : [positionOf(statement.loc.start)])) : [];
        // A plain literal, not `{ ...position, statements }`: V8 gave each object made by that
        // spread a map of its own (50,000 entries held 24 MB of the worker's heap, 14 MB so).
        const { lineNumber, columnNumber } = positionOf(body.loc.start);
        entries.push({ lineNumber, columnNumber, statements });
      }
    }
    for (const key in typed) {
      if (key === 'loc' || key === 'start' || key === 'end' || key === 'type') continue;
      const value = (typed as unknown as Record<string, unknown>)[key];
      if (typeof value === 'object' && value !== null) pending.push(value);
    }
  }
}

function positionOf(start: { line: number; column: number }): Position {
  return { lineNumber: start.line - 1, columnNumber: start.column };
}

type Loose = { readonly [key: string]: Loose | undefined } & { readonly type?: string; readonly name?: string };

/** `var __name = (this && this.__name) || function ...`: a helper tsc writes into each file. */
function isCompilerHelper(node: AnyNode): boolean {
  if (node.type !== 'VariableDeclarator') return false;
  const { id, init } = node as unknown as Loose;
  if (id?.type !== 'Identifier' || !(id.name ?? '').startsWith('__')) return false;
  return init?.type === 'LogicalExpression' && init['left']?.type === 'LogicalExpression' && init['left']['left']?.type === 'ThisExpression';
}

/** A body that is only `return __awaiter(this, _, _, function* () {...})` (`tslib.__awaiter` too). */
function isAwaiterWrapper(body: AnyNode): boolean {
  const statements = (body as unknown as { body?: unknown }).body;
  if (!Array.isArray(statements) || statements.length !== 1) return false;
  const [only] = statements as Loose[];
  const call = only?.type === 'ReturnStatement' ? only['argument'] : undefined;
  if (call?.type !== 'CallExpression') return false;
  const callee = call['callee'];
  const name = callee?.type === 'Identifier' ? callee.name : callee?.type === 'MemberExpression' ? callee['property']?.name : undefined;
  const args = (call as unknown as { arguments?: Loose[] }).arguments ?? [];
  const last = args[args.length - 1] as (Loose & { generator?: boolean }) | undefined;
  return name === '__awaiter' && last?.type === 'FunctionExpression' && last.generator === true;
}
