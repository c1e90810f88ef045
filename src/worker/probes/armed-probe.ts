import type { Redactor } from '../../shared/probes/redaction.js';
import type { ProbeArm } from '../../shared/probes/spec.js';
import type { ProbeResult } from './results.js';
import type { ResolvedLocation } from './scripts.js';

/** A probe from its arming to its result. */
export interface ArmedProbe {
  readonly arm: ProbeArm;
  readonly result: ProbeResult;
  readonly redactor: Redactor;
  /** `armed` until its line is reached (or its request ends); then `settled`. */
  phase: 'armed' | 'capturing' | 'settled';
  location: LocationBreakpoint | null;
  /** When the main thread let its pause happen (epoch ms), once captured on a pause. */
  hitAt?: number;
}

/** One breakpoint location, shared by every probe armed there (V8 takes one breakpoint a place). */
export interface LocationBreakpoint {
  readonly key: string;
  /** Its number in its breakpoint's condition, by which the main thread knows the line. */
  readonly number: number;
  /** The first names of the logpoint that made it, read directly by its condition; null for a snapshot's. */
  readonly names: readonly string[] | null;
  readonly resolved: ResolvedLocation;
  readonly probes: Set<ArmedProbe>;
  breakpointId: string | null;
}
