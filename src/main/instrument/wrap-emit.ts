import { wrap } from 'shimmer';

/** `EventEmitter#emit` as a server prototype has it. */
export type Emit = (this: unknown, ...args: unknown[]) => boolean;

/** A prototype whose `emit` sees a server's incoming requests. */
export interface EmitterPrototype { emit: Emit }

/** What shimmer leaves on a wrapper. */
type ShimmerWrapped = Emit & { __wrapped?: boolean; __unwrap(): void };

/**
 * Wraps `prototype.emit` with shimmer, and returns what undoes exactly this wrap.
 *
 * OpenTelemetry's http instrumentation unwraps any shimmer-marked `emit` before wrapping its own,
 * which would silently remove epdb; without the mark it wraps on top of epdb instead. So epdb
 * keeps its own unwrap, which restores the original only while epdb's wrapper is outermost (if
 * another wrap went on top, epdb's stays in the chain, inert once stopped).
 */
export function wrapEmit(prototype: EmitterPrototype, wrapper: (original: Emit) => Emit): () => void {
  wrap(prototype, 'emit', wrapper);
  const wrapped = prototype.emit as ShimmerWrapped;
  wrapped.__wrapped = false;
  return () => wrapped.__unwrap();
}
