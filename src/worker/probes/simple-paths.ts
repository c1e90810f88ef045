import type { Node } from 'acorn';
import type { SimpleKey, SimplePath } from '../../shared/probes/capture-protocol.js';
import { messageParts } from '../../shared/probes/spec.js';

type AnyNode = Node & Record<string, unknown>;

/**
 * The `{expr}` holes of a logpoint's message as {@link SimplePath}s, when every one of them is
 * a name followed by property reads with literal keys; else null (the logpoint is then
 * formatted on a pause, by V8's side-effect-free evaluation, as a snapshot's expressions are).
 */
export function simplePathsOf(message: string): SimplePath[] | null {
  const paths: SimplePath[] = [];
  for (const part of messageParts(message)) {
    if (!('expr' in part)) continue;
    const path = simplePathOf(part.expr);
    if (path === null) return null;
    paths.push(path);
  }
  return paths;
}

/** `order.items[0].sku` -> { root: 'order', keys: items, 0, sku }; null for anything else. */
export function simplePathOf(expression: string): SimplePath | null {
  // Loaded with the first logpoint (the walk loads it too): most bridges never parse.
  const { parseExpressionAt } = require('acorn') as typeof import('acorn');
  let node: AnyNode;
  try {
    node = parseExpressionAt(expression, 0, { ecmaVersion: 'latest' }) as AnyNode;
  } catch {
    return null;
  }
  if (expression.slice(node.end).trim() !== '') return null;
  if (node.type === 'ChainExpression') node = node['expression'] as AnyNode;
  const keys: SimpleKey[] = [];
  while (node.type === 'MemberExpression') {
    const property = node['property'] as AnyNode;
    let key: string | number;
    if (node['computed'] !== true && property.type === 'Identifier') key = property['name'] as string;
    else if (node['computed'] === true && property.type === 'Literal' && (typeof property['value'] === 'string' || typeof property['value'] === 'number')) {
      key = property['value'] as string | number;
    } else return null;
    keys.unshift({ key, optional: node['optional'] === true });
    node = node['object'] as AnyNode;
  }
  if (node.type === 'ThisExpression') return { root: 'this', keys };
  if (node.type === 'Identifier') return { root: node['name'] as string, keys };
  return null;
}
