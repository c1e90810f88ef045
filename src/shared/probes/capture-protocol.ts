import type { CapturedValue } from './captured-value.js';

/**
 * What crosses between the probes' two halves: the bridge worker sets breakpoints whose
 * conditions call the main thread's hooks (src/main/probes/probe-hits.ts), and on a pause calls
 * them through `Runtime.callFunctionOn`; both sides agree here on the expressions, the layout of
 * a pause's objects and the answers. Plain data and strings only: these cross threads.
 */

/**
 * A logpoint hole that is only a name and property reads (`order.items[0].sku`, `this.id`,
 * `req?.params.id`): it can be read inside a breakpoint's condition without running any code
 * of the app, so such a logpoint never stops the main thread. Made in the bridge worker
 * (src/worker/probes/simple-paths.ts), read on the main thread; plain data, it crosses threads.
 */
export interface SimplePath {
  /** The variable it starts from, or `this`. */
  readonly root: string;
  readonly keys: readonly SimpleKey[];
}

/** One property read; `optional` for `?.`, after which an undefined or null value stops the read. */
export interface SimpleKey {
  readonly key: string | number;
  readonly optional: boolean;
}

/** Where the worker set a probe's breakpoint, as the condition needs to know it. */
export interface ArmedLocation {
  /** The location's number in its breakpoint's condition; null for a throw probe (no breakpoint). */
  readonly location: number | null;
  /** A logpoint's holes as plain reads, when they all are (formatted in the condition); else null. */
  readonly paths: readonly SimplePath[] | null;
}

/** How a probe ended on the main thread, told to the worker (which keeps the results). */
export type ProbeOutcome =
  | { readonly taken: true; readonly message: string; readonly truncated: boolean; readonly bytes: number; readonly stoppedMs: number }
  | { readonly taken: false; readonly reason: string };

/**
 * Where a breakpoint condition finds the main thread's probe-hit check: a property of the
 * `Object` constructor, reached from a literal (`({}).constructor`). V8 evaluates a condition
 * in the paused frame, where each free name (`globalThis`, `Symbol`) is looked up through the
 * frame's scopes: ~25 µs a name on every run of the line by every request (figure 11 measures
 * it); a property read costs next to nothing. Non-enumerable; the dot keeps the key clear of
 * any name an app would use.
 */
export const PROBE_HIT_KEY = 'epdb.probeHit';

/**
 * The breakpoint condition of probe location `location`. With `names` (the first names of a
 * logpoint's plain reads), it passes the hook a reader of the frame's variables, made in the
 * paused frame: those names are read directly, any other through a direct `eval` (a name
 * only: tens of microseconds more). Without, there is no reader, and a logpoint armed there
 * later is formatted on a pause. It never throws, even where the hook is not installed.
 */
export function probeHitCondition(location: number, names: readonly string[] | null): string {
  const hook = `({}).constructor[${JSON.stringify(PROBE_HIT_KEY)}]`;
  if (names === null) return `(${hook}?.(${Number(location)}) === true)`;
  const cases = [...new Set(names)].filter((name) => name === 'this' || /^[A-Za-z_$][\w$]*$/.test(name)).map((name) => `case ${JSON.stringify(name)}: return ${name};`).join(' ');
  return `(${hook}?.(${Number(location)}, (epdb$name) => { switch (epdb$name) { ${cases} default: return eval(epdb$name); } }) === true)`;
}

/** The function the worker calls on a probe's pause, with the frames' scopes and the values to capture. */
export const CAPTURE_ON_PAUSE = "function (probeId, layout, ...objects) { return globalThis[Symbol.for('epdb.probeCapture')]?.(probeId, layout, objects) ?? null; }";
/**
 * The function the worker calls on an exception pause while throw probes are armed: the
 * capture, if the code that threw runs for one of their requests (else {@link NotThisPause}).
 */
export const CAPTURE_ON_THROW = "function (probeIds, layout, ...objects) { return globalThis[Symbol.for('epdb.probeThrow')]?.(probeIds, layout, objects) ?? null; }";
/** What the worker evaluates on a pause to learn which probe it is for (when several are armed there). */
export const PAUSED_FOR_EXPRESSION = "globalThis[Symbol.for('epdb.probePausedFor')]?.() ?? null";

/**
 * How the worker lays out a pause's objects for {@link captureOnPause}: the scope objects of
 * each frame whose locals are captured (`scopes[i]` of them for frame i, innermost first), then
 * the top frame's whole scope chain (`names` objects, where a plain path's first name is looked
 * up), then the values of expressions V8 evaluated.
 */
export interface PauseLayout {
  readonly scopes: readonly number[];
  readonly names: number;
  /** Expressions that are plain reads, read here from the scope chain (no evaluation at all). */
  readonly paths: readonly SimplePath[];
  readonly values: number;
  /** How deep the values unfold: a snapshot's expressions as deep as the top frame; a logpoint's less. */
  readonly valueDepth: number;
  /** Epoch ms past which no more objects are unfolded: the capture's share of the 10 ms stop. */
  readonly deadline: number;
}

/** A plain path's outcome: its value, the error V8 would have thrown, or "ask V8" (a getter on the way). */
export type PathOutcome = { readonly value: CapturedValue } | { readonly error: string } | { readonly needsEvaluation: true };

/** What {@link captureOnPause} answers, as JSON: every frame's locals and every value, captured. */
export interface PauseCapture {
  readonly frames: readonly Record<string, CapturedValue>[];
  readonly paths: readonly PathOutcome[];
  readonly values: readonly CapturedValue[];
  readonly truncated: boolean;
  /** When the condition let the pause happen (epoch ms), for the stop's length. */
  readonly hitAt: number;
  /** On an exception pause: the throw probe whose request threw. */
  readonly probeId?: string;
}

/** What a capture call answers, as JSON, when the pause is not the probe's (or no throw probe's request threw). */
export interface NotThisPause {
  readonly notThisPause: true;
}

/** What a capture call answers, as JSON. */
export type CaptureAnswer = PauseCapture | NotThisPause;

