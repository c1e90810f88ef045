import type { Instrumentation } from '../options.js';

/** Marks the process as instrumented, across every copy of epdb that may be loaded in it. */
const ACTIVE = Symbol.for('epdb.instrumentation.active');
type GlobalWithMark = typeof globalThis & { [ACTIVE]?: Instrumentation };

/** Whether some copy of epdb already instruments this process. */
export function isInstrumented(): boolean {
  return (globalThis as GlobalWithMark)[ACTIVE] !== undefined;
}

/** Records `instrumentation` as the one running in this process. */
export function markInstrumented(instrumentation: Instrumentation): void {
  (globalThis as GlobalWithMark)[ACTIVE] = instrumentation;
}

/** Forgets the running instrumentation, so that a new one may start. */
export function clearInstrumentedMark(): void {
  delete (globalThis as GlobalWithMark)[ACTIVE];
}

/** The instrumentation running in this process (some copy of epdb's), if any. */
export function runningInstrumentation(): Instrumentation | undefined {
  return (globalThis as GlobalWithMark)[ACTIVE];
}
