/**
 * One value as a capture holds it, shared by the bridge worker (which makes them) and
 * `epdb snapshot` (which prints them). Primitives carry `value`; objects their `className` and,
 * when unfolded, `fields` (or `elements` for arrays) and `size`; whatever was cut says so.
 */
export interface CapturedValue {
  type: string;
  value?: string | number | boolean;
  className?: string;
  description?: string;
  fields?: Record<string, CapturedValue>;
  elements?: CapturedValue[];
  /** A string's full length, an object's count of own properties, a collection's size. */
  size?: number;
  truncated?: true;
  notCapturedReason?: NotCapturedReason;
  redacted?: true;
}

/** Why part of a value is missing from a capture. */
/**
 * `unavailable`: a variable V8 cannot show the debugger (optimized out, or not yet initialised).
 * V8 12 and later (Node 22+) throw `ReferenceError: Cannot access 'x' from debugger` when such a
 * binding is read from a scope object, where V8 11 (Node 20) gave `undefined`.
 */
export type NotCapturedReason = 'depth' | 'fieldCount' | 'collectionSize' | 'timeout' | 'size' | 'proxy' | 'getter' | 'unavailable';

/**
 * The text of a value that is not an object, or null for an object. Strings are quoted for a
 * tree (`"ada"`, with the full length when cut) and bare in a logpoint's message.
 */
export function leafText(value: CapturedValue, strings: 'quoted' | 'bare'): string | null {
  if (value.redacted === true) return '[redacted]';
  if (value.notCapturedReason === 'unavailable') return '(value unavailable)';
  switch (value.type) {
    case 'undefined':
    case 'null':
      return value.type;
    case 'string': {
      const text = String(value.value ?? '');
      if (strings === 'bare') return `${text}${value.truncated === true ? '…' : ''}`;
      return `${JSON.stringify(text)}${value.truncated === true ? `… (${value.size ?? '?'} characters)` : ''}`;
    }
    case 'function':
      return `ƒ ${value.description ?? ''}`.trimEnd();
    case 'accessor':
      return '(getter, not called)';
    case 'object':
      return null;
    default:
      return String(value.value);
  }
}
