import { types } from 'node:util';
import type { SimplePath } from '../../shared/probes/capture-protocol.js';
import { lazyNodeGetter } from './lazy-node-getters.js';

/** Reads a variable of the frame a condition runs in: `(name) => eval(name)` made in that frame. */
export type FrameReader = (name: string) => unknown;

/**
 * The path needs what a condition must not do (a getter, a proxy, a global's accessor): the
 * logpoint is then formatted on a pause instead, by V8's side-effect-free evaluation.
 */
export class NeedsEvaluation extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'NeedsEvaluation';
  }
}

/**
 * The value of `path` in the frame `read` reads from, by property descriptors only.
 *
 * @throws {NeedsEvaluation} where a read would run code (a getter, a proxy's trap)
 * @throws whatever V8 throws for the same read: a ReferenceError for an unknown name, a
 *   TypeError for a property of undefined (the logpoint shows it as the expression's error).
 */
export function readSimplePath(path: SimplePath, read: FrameReader): unknown {
  if (path.root !== 'this') {
    // An unresolved name is looked up on the global object, where it may be an accessor.
    const global = Reflect.getOwnPropertyDescriptor(globalThis, path.root);
    if (global !== undefined && !('value' in global)) throw new NeedsEvaluation('a global accessor');
  }
  let value = read(path.root);
  for (const { key, optional } of path.keys) {
    if (value === undefined || value === null) {
      if (optional) return undefined;
      throw new TypeError(`Cannot read properties of ${String(value)} (reading '${String(key)}')`);
    }
    value = ownOrInherited(value, key);
  }
  return value;
}

/**
 * `value[key]` by descriptors along the prototype chain; a primitive through its wrapper's
 * prototype. A getter is never called: Node's own lazy request getters (`req.headers`) are
 * answered as they would answer, without building anything (lazy-node-getters.ts); any other
 * needs V8's evaluation.
 */
export function ownOrInherited(value: unknown, key: string | number): unknown {
  if (typeof value === 'string' && (key === 'length' || typeof key === 'number')) return (value as unknown as Record<string | number, unknown>)[key];
  let at: unknown = typeof value === 'object' || typeof value === 'function' ? value : Object(value);
  while (at !== null && at !== undefined) {
    if (types.isProxy(at)) throw new NeedsEvaluation('a proxy');
    const descriptor = Reflect.getOwnPropertyDescriptor(at as object, key);
    if (descriptor !== undefined) {
      if ('value' in descriptor) return descriptor.value;
      const lazy = lazyNodeGetter(descriptor.get);
      if (lazy !== undefined && typeof value === 'object' && value !== null) return lazy(value);
      throw new NeedsEvaluation('a getter');
    }
    at = Reflect.getPrototypeOf(at as object);
  }
  return undefined;
}
