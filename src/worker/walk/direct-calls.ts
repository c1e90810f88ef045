import type { Node } from 'acorn';

type Loose = Node & { readonly [key: string]: unknown };

/**
 * The functions of a parsed script that only the script's own code can call, so that none of
 * them can be the first code of the app that runs for a request (the request starts in Node's
 * and a framework's code, which can only call a function it holds): function declarations and
 * `const f = function/arrow` whose name is used nowhere in the file but as the callee of a
 * direct call (`f(...)`, `new f(...)`), not exported; and functions called where they are
 * written (`(function () {...})()`). Names are matched file-wide, whatever their scope: any
 * other use of the name anywhere keeps every function of that name. A file that uses `eval`,
 * `with` or `arguments.callee` keeps them all.
 *
 * @returns the function nodes (declarations, expressions, arrows) to leave out.
 */
export function onlyCalledDirectly(program: Node): Set<Node> {
  const otherUses = new Set<string>();
  const named: { readonly name: string; readonly fn: Node }[] = [];
  const skipped = new Set<Node>();
  let dynamic = false;
  // Iterative, with each node's parent and key: generated code nests deeper than the stack allows.
  const pending: [unknown, Loose | null, string][] = [[program, null, '']];
  while (pending.length > 0) {
    const [value, parent, key] = pending.pop() as [unknown, Loose | null, string];
    if (Array.isArray(value)) {
      for (const child of value) pending.push([child, parent, key]);
      continue;
    }
    if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') continue;
    const node = value as Loose;
    switch (node.type) {
      case 'Identifier':
        if (node['name'] === 'eval') dynamic = true;
        if (isUse(node, parent, key)) otherUses.add(node['name'] as string);
        break;
      case 'WithStatement':
        dynamic = true;
        break;
      case 'MemberExpression':
        if (isNamed(node['object'], 'arguments') && isNamed(node['property'], 'callee')) dynamic = true;
        break;
      case 'FunctionDeclaration':
        if (!isExport(parent) && isIdentifier(node['id'])) named.push({ name: node['id']['name'] as string, fn: node });
        break;
      case 'VariableDeclarator': {
        const init = node['init'] as Loose | null;
        if (isIdentifier(node['id']) && isFunction(init)) named.push({ name: node['id']['name'] as string, fn: init });
        break;
      }
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if (key === 'callee' && (parent?.type === 'CallExpression' || parent?.type === 'NewExpression')) skipped.add(node);
        break;
      case 'ExportNamedDeclaration':
      case 'ExportDefaultDeclaration':
        // `export const f = ...`: its declarators are exported.
        for (const name of exportedNames(node)) otherUses.add(name);
        break;
    }
    for (const child in node) {
      if (child === 'loc' || child === 'start' || child === 'end' || child === 'type') continue;
      const next = node[child];
      if (typeof next === 'object' && next !== null) pending.push([next, node, child]);
    }
  }
  if (dynamic) return new Set();
  for (const { name, fn } of named) if (!otherUses.has(name)) skipped.add(fn);
  return skipped;
}

/** Whether an identifier is a use of a name other than as a direct callee or a binding's name. */
function isUse(identifier: Loose, parent: Loose | null, key: string): boolean {
  if (parent === null) return true;
  switch (parent.type) {
    case 'CallExpression':
    case 'NewExpression':
      return key !== 'callee';
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ClassDeclaration':
    case 'ClassExpression':
      return key !== 'id';
    case 'VariableDeclarator':
      return key !== 'id';
    case 'MemberExpression':
      return key !== 'property' || parent['computed'] === true;
    case 'Property':
    case 'MethodDefinition':
    case 'PropertyDefinition':
      // A shorthand `{ f }` has its own value node, a use.
      return key !== 'key' || parent['computed'] === true;
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
      return false;
    default:
      void identifier;
      return true;
  }
}

function exportedNames(node: Loose): string[] {
  const declaration = node['declaration'] as Loose | null | undefined;
  if (declaration === null || declaration === undefined) return [];
  if (isIdentifier(declaration['id'])) return [declaration['id']['name'] as string];
  const declarations = declaration['declarations'];
  if (!Array.isArray(declarations)) return [];
  return (declarations as Loose[]).flatMap((d) => (isIdentifier(d['id']) ? [d['id']['name'] as string] : []));
}

function isExport(parent: Loose | null): boolean {
  return parent?.type === 'ExportNamedDeclaration' || parent?.type === 'ExportDefaultDeclaration';
}

function isFunction(node: Loose | null | undefined): node is Loose {
  return node?.type === 'FunctionExpression' || node?.type === 'ArrowFunctionExpression';
}

function isIdentifier(node: unknown): node is Loose & { readonly name: string } {
  return typeof node === 'object' && node !== null && (node as { type?: unknown }).type === 'Identifier';
}

function isNamed(node: unknown, name: string): boolean {
  return isIdentifier(node) && node.name === name;
}
