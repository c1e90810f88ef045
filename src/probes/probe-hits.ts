import { isInRequestContext, type RequestContextId } from '../context/request-context.js';
import type { CapturedValue } from './captured-value.js';
import { CAPTURE_LIMITS, CaptureRateLimit, MAX_CAPTURES_PER_SECOND } from './limits.js';
import { LiveCapture } from './live-capture.js';
import { formatMessage, type HoleOutcome, thrownText } from './log-line.js';
import type { Redactor } from './redaction.js';
import { type FrameReader, NeedsEvaluation, readSimplePath, type SimplePath } from './simple-path.js';
import { messageParts, type ProbeSpec } from './spec.js';

/**
 * The main thread's side of a probe's breakpoint: every probe location's condition calls
 * {@link probeHit}, which decides, without leaving the condition, whether this run of the line
 * is the probed request's first one, spends the process's capture budget (10 a second), and
 * then either formats a logpoint right there (its holes are plain property reads: the main
 * thread never stops) or lets V8 pause so that the bridge worker captures (a snapshot, or a
 * logpoint whose holes need V8's side-effect-free evaluation). On that pause the worker calls
 * {@link captureOnPause} once, which reads the paused frames' scopes and values here, on the
 * main thread, in one round trip.
 */

/** How a probe ended on the main thread, told to the worker (which keeps the results). */
export type ProbeOutcome =
  | { readonly taken: true; readonly message: string; readonly truncated: boolean; readonly bytes: number; readonly stoppedMs: number }
  | { readonly taken: false; readonly reason: string };

/** A probe of one running request, as the condition sees it. */
export interface RunningProbe {
  readonly id: string;
  readonly contextId: RequestContextId;
  readonly spec: ProbeSpec;
  readonly redactor: Redactor;
  /** The worker's number for the probe's breakpoint location; null until it is armed. */
  location: number | null;
  /** A logpoint whose holes are all plain reads: formatted in the condition. Null: on a pause. */
  paths: readonly SimplePath[] | null;
  /** `armed` until its request first runs the line; then `hit`, and the line is ignored. */
  state: 'armed' | 'hit';
  /** Tells the worker a probe settled here (a logpoint formatted, the rate limit spent). */
  report(outcome: ProbeOutcome): void;
}

/** The probes whose requests are running, by request context (one probe a request). */
const running = new Map<RequestContextId, RunningProbe>();
const rateLimit = new CaptureRateLimit();
/** The probe a pause was let happen for, and when (epoch ms), until the worker captures it. */
let pausedFor: { readonly probe: RunningProbe; readonly hitAt: number } | null = null;

const HIT_HOOK = Symbol.for('epdb.probeHit');
const CAPTURE_HOOK = Symbol.for('epdb.probeCapture');
const THROW_HOOK = Symbol.for('epdb.probeThrow');
const PAUSED_FOR_HOOK = Symbol.for('epdb.probePausedFor');
type GlobalWithHooks = typeof globalThis & {
  [HIT_HOOK]?: typeof probeHit;
  [CAPTURE_HOOK]?: typeof captureOnPause;
  [THROW_HOOK]?: typeof captureOnThrow;
  [PAUSED_FOR_HOOK]?: () => string | null;
};

/**
 * The breakpoint condition of probe location `location`. With `names` (the first names of a
 * logpoint's plain reads), it passes the hook a reader of the frame's variables, made in the
 * paused frame: those names are read directly, any other through a direct `eval` (a name
 * only: tens of microseconds more). Without, there is no reader, and a logpoint armed there
 * later is formatted on a pause. It never throws, even where the hook is not installed.
 */
export function probeHitCondition(location: number, names: readonly string[] | null): string {
  const hook = `globalThis[Symbol.for('epdb.probeHit')]`;
  if (names === null) return `(${hook}?.(${Number(location)}) === true)`;
  const cases = [...new Set(names)].filter((name) => name === 'this' || /^[A-Za-z_$][\w$]*$/.test(name)).map((name) => `case ${JSON.stringify(name)}: return ${name};`).join(' ');
  return `(${hook}?.(${Number(location)}, (epdb$name) => { switch (epdb$name) { ${cases} default: return eval(epdb$name); } }) === true)`;
}

/** The function the worker calls on a probe's pause, with the frames' scopes and the values to capture. */
export const CAPTURE_ON_PAUSE = "function (probeId, layout, ...objects) { return globalThis[Symbol.for('epdb.probeCapture')]?.(probeId, layout, objects) ?? null; }";
/**
 * The function the worker calls on an exception pause while throw probes are armed: the
 * capture, if the code that threw runs for one of their requests (else null, and the worker
 * resumes at once).
 */
export const CAPTURE_ON_THROW = "function (probeIds, layout, ...objects) { return globalThis[Symbol.for('epdb.probeThrow')]?.(probeIds, layout, objects) ?? null; }";
/** What the worker evaluates on a pause to learn which probe it is for (when several are armed there). */
export const PAUSED_FOR_EXPRESSION = "globalThis[Symbol.for('epdb.probePausedFor')]?.() ?? null";

/** Starts watching for `probe`'s request at its line. */
export function watchProbe(probe: RunningProbe): void {
  const hooks = globalThis as GlobalWithHooks;
  hooks[HIT_HOOK] ??= probeHit;
  hooks[CAPTURE_HOOK] ??= captureOnPause;
  hooks[THROW_HOOK] ??= captureOnThrow;
  hooks[PAUSED_FOR_HOOK] ??= () => pausedFor?.probe.id ?? null;
  running.set(probe.contextId, probe);
}

/** `probe`'s request has ended. */
export function unwatchProbe(probe: RunningProbe): void {
  running.delete(probe.contextId);
  if (pausedFor?.probe === probe) pausedFor = null;
}

/**
 * The condition's check: true only to let V8 pause for the bridge worker's capture. Every
 * other request that runs the line returns here after a map size check (none running) or a
 * look at its async context.
 */
export function probeHit(location: number, read?: FrameReader): boolean {
  if (running.size === 0) return false;
  for (const probe of running.values()) {
    if (probe.location !== location || probe.state !== 'armed' || !isInRequestContext(probe.contextId)) continue;
    return hit(probe, read);
  }
  return false;
}

function hit(probe: RunningProbe, read: FrameReader | undefined): boolean {
  const started = performance.now();
  probe.state = 'hit';
  if (!rateLimit.take()) {
    probe.report({ taken: false, reason: `not taken: more than ${MAX_CAPTURES_PER_SECOND} captures a second in this process (rate limit)` });
    return false;
  }
  if (probe.paths !== null && read !== undefined) {
    const line = formatInCondition(probe, probe.paths, read, started);
    if (line !== null) {
      const stoppedMs = performance.now() - started;
      probe.report({ taken: true, ...line, stoppedMs: Math.round(stoppedMs * 1000) / 1000 });
      return false;
    }
  }
  pausedFor = { probe, hitAt: performance.timeOrigin + started };
  return true;
}

/** The logpoint's line from plain reads, or null when one of them needs V8's evaluation (then it pauses). */
function formatInCondition(probe: RunningProbe, paths: readonly SimplePath[], read: FrameReader, started: number): { message: string; truncated: boolean; bytes: number } | null {
  const capture = new LiveCapture(probe.redactor, started + CAPTURE_LIMITS.maxStopMs);
  const outcomes: HoleOutcome[] = [];
  const exprs = holeExpressions(probe.spec);
  for (const [i, path] of paths.entries()) {
    let value: unknown;
    try {
      value = readSimplePath(path, read);
    } catch (error) {
      if (error instanceof NeedsEvaluation) return null;
      outcomes.push({ error: thrownText(error) });
      continue;
    }
    const secret = probe.redactor.isSecretExpression(exprs[i] ?? '');
    outcomes.push({ value: secret ? { type: value === null ? 'null' : typeof value, value: '[redacted]', redacted: true } : capture.value(value, null, 1, CAPTURE_LIMITS.logDepth) });
  }
  capture.drain();
  const message = formatMessage(probe.spec.message ?? '', outcomes);
  return { message, truncated: capture.truncated, bytes: Buffer.byteLength(JSON.stringify(message)) };
}

function holeExpressions(spec: ProbeSpec): string[] {
  return messageParts(spec.message ?? '').flatMap((part) => ('expr' in part ? [part.expr] : []));
}

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

/**
 * On an exception pause: whether the code that threw runs for the request of one of the throw
 * probes `probeIds` (armed, first exception only), and if so its capture, as
 * {@link captureOnPause} makes it, with the probe's id. Null for any other request's exception:
 * that check (a map look-up and the async context) is all another request's exception costs
 * here. The rate limit is spent as a line probe spends it.
 */
export function captureOnThrow(probeIds: readonly string[], layout: PauseLayout, objects: readonly unknown[]): string | null {
  for (const probe of running.values()) {
    if (probe.state !== 'armed' || probe.location !== null || !probeIds.includes(probe.id) || !isInRequestContext(probe.contextId)) continue;
    probe.state = 'hit';
    if (!rateLimit.take()) {
      probe.report({ taken: false, reason: `not taken: more than ${MAX_CAPTURES_PER_SECOND} captures a second in this process (rate limit)` });
      return null;
    }
    pausedFor = { probe, hitAt: performance.timeOrigin + performance.now() };
    return JSON.stringify({ ...capturePaused(pausedFor, layout, objects), probeId: probe.id });
  }
  return null;
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

/**
 * Captures, for probe `probeId` on its pause, the paused frames' locals, the plain-read
 * expressions (looked up in the scope chain by descriptors) and the values of the expressions
 * the worker had V8 evaluate, as JSON (one string crosses back: the cheapest answer V8
 * returns). Null when this pause is not that probe's. It may be called again on the same pause.
 */
export function captureOnPause(probeId: string, layout: PauseLayout, objects: readonly unknown[]): string | null {
  const paused = pausedFor;
  if (paused === null || paused.probe.id !== probeId) return null;
  return JSON.stringify(capturePaused(paused, layout, objects));
}

function capturePaused(paused: { readonly probe: RunningProbe; readonly hitAt: number }, layout: PauseLayout, objects: readonly unknown[]): PauseCapture {
  const deadline = layout.deadline - performance.timeOrigin;
  const capture = new LiveCapture(paused.probe.redactor, deadline);
  const objectsAt = (from: number, count: number): object[] => objects.slice(from, from + count).filter((o): o is object => typeof o === 'object' && o !== null);
  let next = 0;
  const frames = layout.scopes.map((count, frame) => {
    const scopes = objectsAt(next, count);
    next += count;
    return capture.locals(scopes, frame === 0 ? CAPTURE_LIMITS.maxDepth : CAPTURE_LIMITS.lowerFrameDepth);
  });
  const chain = objectsAt(next, layout.names);
  next += layout.names;
  const paths = layout.paths.map((path): PathOutcome => {
    try {
      return { value: capture.value(readSimplePath(path, scopeReader(chain)), null, 1, layout.valueDepth) };
    } catch (error) {
      return error instanceof NeedsEvaluation ? { needsEvaluation: true } : { error: thrownText(error) };
    }
  });
  const values = objects.slice(next, next + layout.values).map((value) => capture.value(value, null, 1, layout.valueDepth));
  capture.drain();
  return { frames, paths, values, truncated: capture.truncated, hitAt: paused.hitAt };
}

/** Reads a name from a frame's scope chain (innermost first) by descriptors, as the code would resolve it. */
function scopeReader(chain: readonly object[]): FrameReader {
  return (name) => {
    if (name === 'this') throw new NeedsEvaluation('this');
    for (const scope of chain) {
      const descriptor = Reflect.getOwnPropertyDescriptor(scope, name);
      if (descriptor === undefined) continue;
      if (!('value' in descriptor)) throw new NeedsEvaluation('an accessor');
      return descriptor.value;
    }
    throw new ReferenceError(`${name} is not defined`);
  };
}
