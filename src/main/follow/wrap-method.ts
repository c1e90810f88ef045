import { wrap } from 'shimmer';

/** A function as shimmer wraps it. */
type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type ShimmerWrapped = AnyFunction & { __wrapped?: boolean };

/**
 * Wraps `target[name]` with shimmer and returns what undoes exactly this wrap: it restores the
 * original only while epdb's wrapper is outermost (under another wrap epdb's stays, inert once
 * stopped), and a method the target only inherited is inherited again.
 *
 * The shimmer mark is cleared for the reason `wrapEmit` gives: OpenTelemetry's instrumentations
 * unwrap a shimmer-marked `request`/`get` before wrapping theirs, which would remove epdb's.
 */
export function wrapMethod<T extends object>(target: T, name: string & keyof T, wrapper: (original: AnyFunction) => AnyFunction): () => void {
  const owned = Object.hasOwn(target, name);
  const original = target[name];
  wrap(target, name, wrapper as never);
  const wrapped = target[name] as unknown as ShimmerWrapped;
  wrapped.__wrapped = false;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (target[name] !== (wrapped as unknown)) return;
    if (owned) {
      Object.defineProperty(target, name, { value: original, writable: true, enumerable: isEnumerable(target, name), configurable: true });
    } else {
      delete target[name];
    }
  };
}

function isEnumerable(target: object, name: string): boolean {
  return Object.getOwnPropertyDescriptor(target, name)?.enumerable ?? false;
}
