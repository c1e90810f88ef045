import { types } from 'node:util';
import type { CapturedValue } from '../../shared/probes/captured-value.js';
import { CAPTURE_LIMITS } from '../../shared/probes/limits.js';
import { REDACTED, type Redactor } from '../../shared/probes/redaction.js';

/**
 * Turns the app's live values into {@link CapturedValue}s on the main thread, within a
 * capture's limits, without running any of the app's code: properties are read by their
 * descriptors (a getter is listed, never called), proxies are never looked into, and nothing
 * of the app's (`toString`, `constructor`, `Symbol.toStringTag`) is invoked; what a value says
 * of itself comes from V8's own intrinsics (a Date's text, a Map's size).
 *
 * It runs inside a capture, while the main thread is stopped (from the bridge worker's
 * `Runtime.callFunctionOn` on a paused frame) or inside a breakpoint's condition (a logpoint),
 * so that a capture costs one round trip instead of one per object.
 */
export class LiveCapture {
  private readonly buckets: Pending[][] = [];
  private bytes = 0;
  /** Something was cut: by depth, field count, the byte bound or the deadline. */
  truncated = false;

  /**
   * @param redactor what must not be shown (secret names, the knock)
   * @param deadline `performance.now()` past which no more objects are unfolded
   */
  constructor(
    private readonly redactor: Redactor,
    private readonly deadline: number,
    private readonly maxBytes: number = CAPTURE_LIMITS.maxBytes,
  ) {}

  /**
   * The captured form of `value`, named `name` (null for an element or an expression), at
   * `depth` (1 for a local), unfolded to `maxDepth`; its fields are filled in by {@link drain}.
   */
  value(value: unknown, name: string | null, depth: number, maxDepth: number): CapturedValue {
    if (name !== null && this.redactor.isSecretName(name)) return redacted(value);
    if (typeof value === 'string' && this.redactor.carriesKnock(value)) return redacted(value);
    const captured = shallow(value);
    if (isObject(value) && captured.notCapturedReason === undefined) {
      const plain = captured.className === 'Object' || captured.className === 'Array';
      if (depth >= maxDepth || (!plain && depth > CAPTURE_LIMITS.instanceDepth)) {
        captured.notCapturedReason = 'depth';
      } else {
        // Nearest first, and the app's own data (plain objects, arrays) before a framework's instances.
        const rank = depth * 2 + (plain ? 0 : 1);
        (this.buckets[rank] ??= []).push({ object: value, target: captured, depth, maxDepth, list: isList(value) });
      }
    }
    return captured;
  }

  /** The variables of a frame's scopes (innermost first, whose bindings win), captured to `maxDepth`. */
  locals(scopes: readonly object[], maxDepth: number): Record<string, CapturedValue> {
    const locals: Record<string, CapturedValue> = {};
    for (const scope of scopes) {
      for (const key of Reflect.ownKeys(scope)) {
        if (typeof key !== 'string' || key in locals) continue;
        const descriptor = scopeBinding(scope, key);
        if (descriptor === UNAVAILABLE) locals[key] = { type: 'undefined', notCapturedReason: 'unavailable' };
        else if (descriptor !== undefined && 'value' in descriptor) locals[key] = this.value(descriptor.value, key, 1, maxDepth);
      }
    }
    return locals;
  }

  /** Unfolds every queued object (and theirs), nearest first, until done, out of bytes or out of time. */
  drain(): void {
    for (let rank = 0; rank < this.buckets.length; rank++) {
      const bucket = this.buckets[rank];
      if (bucket === undefined) continue;
      for (let i = 0; i < bucket.length; i++) {
        const pending = bucket[i] as Pending;
        if (performance.now() >= this.deadline) {
          this.timeUp(rank, i);
          return;
        }
        this.fill(pending);
      }
    }
  }

  private timeUp(fromRank: number, fromIndex: number): void {
    this.truncated = true;
    for (let rank = fromRank; rank < this.buckets.length; rank++) {
      const bucket = this.buckets[rank] ?? [];
      for (let i = rank === fromRank ? fromIndex : 0; i < bucket.length; i++) (bucket[i] as Pending).target.notCapturedReason = 'timeout';
    }
  }

  private spend(n: number): boolean {
    if (this.bytes + n > this.maxBytes) {
      this.truncated = true;
      return false;
    }
    this.bytes += n;
    return true;
  }

  private fill({ object, target, depth, maxDepth, list }: Pending): void {
    const keys = list ? indexKeys(object, target.size ?? 0) : orderedKeys(object);
    if (target.size === undefined) target.size = keys.length;
    const kept = keys.slice(0, CAPTURE_LIMITS.maxFields);
    if (keys.length > kept.length) {
      target.truncated = true;
      target.notCapturedReason = 'fieldCount';
      this.truncated = true;
    }
    if (list) target.elements = [];
    else target.fields = {};
    // A header list (`rawHeaders`: name, value, name, value...): a value after a secret name goes too.
    let previousWasSecretName = false;
    for (const key of kept) {
      const name = typeof key === 'symbol' ? `Symbol(${key.description ?? ''})` : key;
      const descriptor = Reflect.getOwnPropertyDescriptor(object, key);
      let captured: CapturedValue;
      if (descriptor !== undefined && 'value' in descriptor) {
        const value: unknown = descriptor.value;
        captured = previousWasSecretName && list ? redacted(value) : this.value(value, list ? null : name, depth + 1, maxDepth);
        previousWasSecretName = list && typeof value === 'string' && this.redactor.isSecretName(value);
      } else {
        captured = { type: 'accessor', notCapturedReason: 'getter' };
        previousWasSecretName = false;
      }
      if (!this.spend(estimateBytes(name, captured))) {
        target.truncated = true;
        target.notCapturedReason = 'size';
        break;
      }
      if (target.elements !== undefined) target.elements.push(captured);
      else if (target.fields !== undefined) target.fields[name] = captured;
    }
  }
}

const UNAVAILABLE = Symbol('unavailable');

/**
 * A scope object's binding `key`, or {@link UNAVAILABLE} where V8 will not show it: from V8 12
 * (Node 22) on, reading an optimized-out or uninitialised variable through a debugger scope
 * object throws a ReferenceError ("Cannot access 'x' from debugger") instead of giving
 * `undefined`. One such variable must not cost the whole capture.
 */
function scopeBinding(scope: object, key: string): PropertyDescriptor | undefined | typeof UNAVAILABLE {
  try {
    return Reflect.getOwnPropertyDescriptor(scope, key);
  } catch {
    return UNAVAILABLE;
  }
}

/** An object whose fields are still to be read. */
interface Pending {
  readonly object: object;
  readonly target: CapturedValue;
  readonly depth: number;
  readonly maxDepth: number;
  readonly list: boolean;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function isList(value: object): boolean {
  return Array.isArray(value) || types.isTypedArray(value);
}

/** The captured form of a redacted value: its type, and `[redacted]` instead of anything else. */
function redacted(value: unknown): CapturedValue {
  return { type: value === null ? 'null' : typeof value, value: REDACTED, redacted: true };
}

/** The intrinsics a capture asks instead of the value itself (an app may have replaced the value's own). */
const intrinsic = {
  dateText: Date.prototype.toString,
  regExpSource: getterOf(RegExp.prototype, 'source'),
  regExpFlags: getterOf(RegExp.prototype, 'flags'),
  mapSize: getterOf(Map.prototype, 'size'),
  setSize: getterOf(Set.prototype, 'size'),
  typedArrayLength: getterOf(Object.getPrototypeOf(Uint8Array.prototype) as object, 'length'),
  functionText: Function.prototype.toString,
  symbolText: Symbol.prototype.toString,
};

function getterOf(prototype: object, name: string): (this: unknown) => unknown {
  const getter = Reflect.getOwnPropertyDescriptor(prototype, name)?.get;
  if (getter === undefined) throw new Error(`no intrinsic getter ${name}`);
  return getter;
}

/** A value without its fields: a primitive whole, an object as its class and what V8 knows of it. */
function shallow(value: unknown): CapturedValue {
  switch (typeof value) {
    case 'undefined':
      return { type: 'undefined' };
    case 'string':
      if (value.length <= CAPTURE_LIMITS.maxStringLength) return { type: 'string', value };
      return { type: 'string', value: value.slice(0, CAPTURE_LIMITS.maxStringLength), size: value.length, truncated: true };
    case 'number':
      // NaN, the infinities and -0 as text: JSON has no form for them.
      if (Object.is(value, -0)) return { type: 'number', value: '-0' };
      return { type: 'number', value: Number.isFinite(value) ? value : String(value) };
    case 'boolean':
      return { type: 'boolean', value };
    case 'bigint':
      return { type: 'bigint', value: `${value}n` };
    case 'symbol':
      return { type: 'symbol', value: cut(intrinsic.symbolText.call(value) as string) };
    case 'function':
      return { type: 'function', className: types.isProxy(value) ? 'Function' : classNameOf(value, 'Function'), description: functionHead(value) };
    default:
      return value === null ? { type: 'null' } : shallowObject(value as object);
  }
}

function shallowObject(value: object): CapturedValue {
  if (types.isProxy(value)) return { type: 'object', className: 'Proxy', notCapturedReason: 'proxy' };
  const captured: CapturedValue = { type: 'object', className: classNameOf(value, 'Object') };
  // Their text says what matters; their fields (an error's stack...) would cost.
  if (types.isDate(value)) return { ...captured, description: cut(String(intrinsic.dateText.call(value))), notCapturedReason: 'depth' };
  if (types.isRegExp(value)) {
    return { ...captured, description: cut(`/${String(intrinsic.regExpSource.call(value))}/${String(intrinsic.regExpFlags.call(value))}`), notCapturedReason: 'depth' };
  }
  if (types.isNativeError(value)) return { ...captured, description: cut(errorText(value)), notCapturedReason: 'depth' };
  if (Array.isArray(value) || types.isTypedArray(value)) {
    const size = Array.isArray(value) ? arrayLength(value) : (intrinsic.typedArrayLength.call(value) as number);
    captured.size = size;
    if (size > CAPTURE_LIMITS.maxListedCollection) {
      captured.notCapturedReason = 'collectionSize';
      captured.truncated = true;
    }
    return captured;
  }
  if (types.isMap(value) || types.isSet(value)) {
    captured.size = (types.isMap(value) ? intrinsic.mapSize : intrinsic.setSize).call(value) as number;
    // Their entries are not fields; listing them is left out, as the worker's capture did.
    captured.notCapturedReason = 'collectionSize';
    return captured;
  }
  if (types.isWeakMap(value) || types.isWeakSet(value)) return { ...captured, notCapturedReason: 'collectionSize' };
  return captured;
}

/** An array's length by its descriptor (an own data property of every array). */
function arrayLength(value: readonly unknown[]): number {
  const descriptor = Reflect.getOwnPropertyDescriptor(value, 'length');
  return typeof descriptor?.value === 'number' ? descriptor.value : 0;
}

/**
 * The name of the class that made `value`, read by descriptors along its prototype chain
 * (`value.constructor.name` could run a getter or a proxy's trap).
 */
function classNameOf(value: object, fallback: string): string {
  for (let prototype = Reflect.getPrototypeOf(value); prototype !== null; prototype = Reflect.getPrototypeOf(prototype)) {
    if (types.isProxy(prototype)) return fallback;
    const constructor = Reflect.getOwnPropertyDescriptor(prototype, 'constructor');
    if (constructor === undefined) continue;
    const ctor: unknown = constructor.value;
    if (typeof ctor !== 'function' || types.isProxy(ctor)) return fallback;
    const name: unknown = Reflect.getOwnPropertyDescriptor(ctor, 'name')?.value;
    return typeof name === 'string' && name !== '' ? name : fallback;
  }
  return fallback;
}

/** `TypeError: boom`, from the error's own data properties and its prototypes' `name`. */
function errorText(error: object): string {
  const message: unknown = Reflect.getOwnPropertyDescriptor(error, 'message')?.value;
  let name: unknown;
  for (let at: object | null = error; at !== null && name === undefined; at = Reflect.getPrototypeOf(at)) {
    if (types.isProxy(at)) break;
    name = Reflect.getOwnPropertyDescriptor(at, 'name')?.value;
  }
  const head = typeof name === 'string' ? name : 'Error';
  return typeof message === 'string' && message !== '' ? `${head}: ${message}` : head;
}

/** A function's first line (its signature), not its whole source. */
function functionHead(fn: unknown): string {
  let text = 'function';
  try {
    text = String(intrinsic.functionText.call(fn));
  } catch {
    // A proxy around a function, or a host function V8 will not print.
  }
  return cut(text.split('\n', 1)[0] ?? '', 120);
}

/** The index keys of an array (holes skipped) or a typed array, up to one past the field limit. */
function indexKeys(value: object, size: number): string[] {
  const keys: string[] = [];
  const end = Math.min(size, CAPTURE_LIMITS.maxFields + 1);
  const typed = types.isTypedArray(value);
  for (let i = 0; i < end; i++) if (typed || Object.prototype.hasOwnProperty.call(value, i)) keys.push(String(i));
  return keys;
}

/** Own keys, public names before `_private` and symbol-keyed ones (the app's own fields first). */
function orderedKeys(value: object): (string | symbol)[] {
  const keys = Reflect.ownKeys(value).filter((key) => key !== '__proto__');
  const internal = (key: string | symbol): boolean => typeof key === 'symbol' || key.startsWith('_');
  return [...keys.filter((key) => !internal(key)), ...keys.filter(internal)];
}

function cut(text: string, length: number = CAPTURE_LIMITS.maxStringLength): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

/** About how many bytes a field adds to the capture's JSON (exact for leaves, a floor for objects). */
function estimateBytes(name: string, value: CapturedValue): number {
  const leaf = value.fields === undefined && value.elements === undefined;
  return name.length + 4 + (leaf ? JSON.stringify(value).length : 64);
}
