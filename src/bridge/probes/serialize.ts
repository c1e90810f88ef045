import type { CapturedValue } from '../../probes/captured-value.js';
import type { Post, PropertyDescriptor, RemoteObject } from './cdp.js';
import { CAPTURE_LIMITS } from './limits.js';
import { REDACTED, type Redactor } from './redaction.js';

/** The captured values this module makes (their type lives beside `epdb snapshot`'s printer). */
export type { CapturedValue, NotCapturedReason } from '../../probes/captured-value.js';

/** What one capture may still spend: its deadline, its bytes, and whether it cut anything. */
export class CaptureBudget {
  private bytes = 0;
  truncated = false;

  constructor(readonly deadline: number, private readonly maxBytes: number = CAPTURE_LIMITS.maxBytes) {}

  /** Whether the time is up. */
  get timeUp(): boolean {
    return performance.now() >= this.deadline;
  }

  /** Spends `n` bytes; false (and nothing spent) when they do not fit. */
  spend(n: number): boolean {
    if (this.bytes + n > this.maxBytes) {
      this.truncated = true;
      return false;
    }
    this.bytes += n;
    return true;
  }

  /** Bytes spent so far (an estimate of the capture's JSON size). */
  get spent(): number {
    return this.bytes;
  }
}

/** An object whose fields are still to be fetched. */
interface Pending {
  readonly objectId: string;
  readonly target: CapturedValue;
  readonly depth: number;
  readonly isList: boolean;
  /** A plain `Object` or `Array`, as app data mostly is. */
  readonly plain: boolean;
}

/** How many `Runtime.getProperties` are in flight at once (they queue on the paused main thread). */
const CONCURRENCY = 8;

/**
 * Turns remote objects into {@link CapturedValue}s within the capture's limits, fetching
 * fields breadth first (nearest first) with `Runtime.getProperties` on own properties only:
 * accessors are listed, never called, and proxies are never looked into.
 */
export class Serializer {
  private readonly queue: Pending[] = [];

  constructor(
    private readonly post: Post,
    private readonly budget: CaptureBudget,
    private readonly redactor: Redactor,
    private readonly maxDepth: number = CAPTURE_LIMITS.maxDepth,
  ) {}

  /**
   * The captured form of `remote`, named `name` (null for an element), at `depth` (1 for a
   * local); an object's fields are filled in by {@link drain}.
   */
  value(remote: RemoteObject, name: string | null, depth: number): CapturedValue {
    if (name !== null && this.redactor.isSecretName(name)) return redacted(remote);
    const captured = this.shallow(remote);
    if (captured.type === 'string' && typeof remote.value === 'string' && this.redactor.carriesKnock(remote.value)) {
      return redacted(remote);
    }
    if (remote.type === 'object' && remote.objectId !== undefined && captured.notCapturedReason === undefined) {
      const plain = remote.className === 'Object' || remote.className === 'Array';
      if (depth >= this.maxDepth || (!plain && depth > CAPTURE_LIMITS.instanceDepth)) {
        captured.notCapturedReason = 'depth';
      } else {
        this.queue.push({ objectId: remote.objectId, target: captured, depth, isList: isList(remote), plain });
      }
    }
    return captured;
  }

  /** Fetches the fields of every queued object (and theirs), until done or out of budget. */
  async drain(): Promise<void> {
    while (this.queue.length > 0) {
      if (this.budget.timeUp) {
        for (const pending of this.queue.splice(0)) pending.target.notCapturedReason = 'timeout';
        this.budget.truncated = true;
        return;
      }
      const batch = this.nextBatch();
      const answers = await Promise.all(batch.map((pending) => this.properties(pending.objectId)));
      batch.forEach((pending, i) => this.fill(pending, answers[i] ?? null));
    }
  }

  /**
   * The nearest queued objects, the app's own data first: plain objects and arrays before
   * instances of classes (a framework's req, res, sockets), so a capture cut short by its
   * time bound has unfolded what the app itself made.
   */
  private nextBatch(): Pending[] {
    const rank = (pending: Pending): number => pending.depth * 2 + (pending.plain ? 0 : 1);
    this.queue.sort((a, b) => rank(a) - rank(b));
    return this.queue.splice(0, CONCURRENCY);
  }

  /** The own properties of an object, or null when V8 would not list them. */
  async properties(objectId: string): Promise<readonly PropertyDescriptor[] | null> {
    try {
      const { result } = await this.post<{ result: PropertyDescriptor[] }>('Runtime.getProperties', {
        objectId,
        ownProperties: true,
        accessorPropertiesOnly: false,
        generatePreview: false,
      });
      return result;
    } catch {
      return null;
    }
  }

  private fill(pending: Pending, descriptors: readonly PropertyDescriptor[] | null): void {
    const { target, depth, isList: list } = pending;
    if (descriptors === null) return;
    const own = ordered(descriptors.filter((d) => d.isOwn !== false && d.name !== '__proto__' && !(list && d.name === 'length')), list);
    if (target.size === undefined) target.size = own.length;
    const kept = own.slice(0, CAPTURE_LIMITS.maxFields);
    if (own.length > kept.length) {
      target.truncated = true;
      target.notCapturedReason = 'fieldCount';
    }
    if (list) target.elements = [];
    else target.fields = {};
    // A header list (`rawHeaders`: name, value, name, value...): a value after a secret name goes too.
    let previousWasSecretName = false;
    for (const descriptor of kept) {
      let captured: CapturedValue;
      if (descriptor.value !== undefined) {
        captured = previousWasSecretName && list ? redacted(descriptor.value) : this.value(descriptor.value, list ? null : descriptor.name, depth + 1);
        previousWasSecretName = list && descriptor.value.type === 'string' && typeof descriptor.value.value === 'string'
          && this.redactor.isSecretName(descriptor.value.value);
      } else {
        captured = { type: 'accessor', notCapturedReason: 'getter' };
        previousWasSecretName = false;
      }
      if (!this.budget.spend(estimateBytes(descriptor.name, captured))) {
        target.truncated = true;
        target.notCapturedReason = 'size';
        break;
      }
      if (target.elements !== undefined) target.elements.push(captured);
      else if (target.fields !== undefined) target.fields[descriptor.name] = captured;
    }
  }

  private shallow(remote: RemoteObject): CapturedValue {
    switch (remote.type) {
      case 'undefined':
        return { type: 'undefined' };
      case 'string': {
        const text = typeof remote.value === 'string' ? remote.value : '';
        if (text.length <= CAPTURE_LIMITS.maxStringLength) return { type: 'string', value: text };
        return { type: 'string', value: text.slice(0, CAPTURE_LIMITS.maxStringLength), size: text.length, truncated: true };
      }
      case 'number':
        return remote.unserializableValue !== undefined
          ? { type: 'number', value: remote.unserializableValue }
          : { type: 'number', value: remote.value as number };
      case 'boolean':
        return { type: 'boolean', value: remote.value as boolean };
      case 'bigint':
        return { type: 'bigint', value: remote.unserializableValue ?? remote.description ?? '' };
      case 'symbol':
        return { type: 'symbol', value: cut(remote.description ?? 'Symbol()') };
      case 'function':
        return { type: 'function', className: remote.className ?? 'Function', description: functionHead(remote.description) };
      default:
        return this.shallowObject(remote);
    }
  }

  private shallowObject(remote: RemoteObject): CapturedValue {
    if (remote.subtype === 'null') return { type: 'null' };
    const className = remote.className ?? 'Object';
    const captured: CapturedValue = { type: 'object', className };
    switch (remote.subtype) {
      case 'proxy':
        captured.notCapturedReason = 'proxy';
        return captured;
      case 'date':
      case 'regexp':
      case 'error':
        captured.description = cut(remote.description ?? '');
        // Their description says what matters; their fields (an error's stack...) would cost.
        captured.notCapturedReason = 'depth';
        return captured;
      case 'array':
      case 'typedarray':
      case 'map':
      case 'set':
      case 'weakmap':
      case 'weakset': {
        const size = sizeOf(remote.description);
        if (size !== undefined) captured.size = size;
        // V8 lists an array whole; a map's or set's entries sit behind one more round trip.
        if (remote.subtype !== 'array' && remote.subtype !== 'typedarray') captured.notCapturedReason = 'collectionSize';
        else if (size !== undefined && size > CAPTURE_LIMITS.maxListedCollection) {
          captured.notCapturedReason = 'collectionSize';
          captured.truncated = true;
        }
        return captured;
      }
      default:
        return captured;
    }
  }
}

/** The captured form of a redacted value: its type, and `[redacted]` instead of anything else. */
function redacted(remote: RemoteObject): CapturedValue {
  return { type: remote.type === 'object' && remote.subtype === 'null' ? 'null' : remote.type, value: REDACTED, redacted: true };
}

function isList(remote: RemoteObject): boolean {
  return remote.subtype === 'array' || remote.subtype === 'typedarray';
}

/**
 * Array indices in order; for objects, public names before `_private` and symbol-keyed ones
 * (the app's own fields first, a library's internals last).
 */
function ordered(descriptors: readonly PropertyDescriptor[], list: boolean): PropertyDescriptor[] {
  if (list) return descriptors.filter((d) => /^\d+$/.test(d.name));
  const internal = (d: PropertyDescriptor): boolean => d.name.startsWith('_') || d.symbol !== undefined;
  return [...descriptors.filter((d) => !internal(d)), ...descriptors.filter(internal)];
}

/** `Array(3)`, `Map(2)`, `Uint8Array(16)` -> the number. */
function sizeOf(description: string | undefined): number | undefined {
  const match = /\((\d+)\)$/.exec(description ?? '');
  return match ? Number(match[1]) : undefined;
}

/** A function's first line (its signature), not its whole source. */
function functionHead(description: string | undefined): string {
  return cut((description ?? 'function').split('\n', 1)[0] ?? '', 120);
}

function cut(text: string, length: number = CAPTURE_LIMITS.maxStringLength): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

/** About how many bytes a field adds to the capture's JSON (exact for leaves, a floor for objects). */
function estimateBytes(name: string, value: CapturedValue): number {
  const leaf = value.fields === undefined && value.elements === undefined;
  return name.length + 4 + (leaf ? JSON.stringify(value).length : 64);
}
