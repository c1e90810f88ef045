import { isInRequestContext, type RequestContextId } from '../request-context.js';
import { type NotThisPause, type PathOutcome, type PauseCapture, type PauseLayout, PROBE_HIT_KEY, type ProbeOutcome, type SimplePath } from '../../shared/probes/capture-protocol.js';
import { CAPTURE_LIMITS, CaptureRateLimit, MAX_CAPTURES_PER_SECOND } from '../../shared/probes/limits.js';
import { DeferredReports } from './deferred-reports.js';
import { LiveCapture } from './live-capture.js';
import { formatParts, type HoleOutcome, thrownText } from '../../shared/probes/log-line.js';
import type { Redactor } from '../../shared/probes/redaction.js';
import { type FrameReader, NeedsEvaluation, readSimplePath } from './simple-path.js';
import { type MessagePart, messageParts, type ProbeSpec } from '../../shared/probes/spec.js';

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
/**
 * A logpoint formatted in its condition: its holes' plain reads, its message split into text and
 * holes, and which holes must not be shown; worked out when it starts running, not in the
 * condition, where every microsecond is the app's.
 */
interface LogTemplate {
  readonly paths: readonly SimplePath[];
  readonly parts: readonly MessagePart[];
  readonly secret: readonly boolean[];
}
const templates = new Map<RunningProbe, LogTemplate>();
const rateLimit = new CaptureRateLimit();
/** Outcomes settled in a condition, posted once it has returned. */
const reports = new DeferredReports();
/** What a capture call answers on a pause that is not its probe's. */
const NOT_THIS_PAUSE = JSON.stringify({ notThisPause: true } satisfies NotThisPause);
/** The probe a pause was let happen for, and when (epoch ms), until the worker captures it. */
let pausedFor: { readonly probe: RunningProbe; readonly hitAt: number } | null = null;

const CAPTURE_HOOK = Symbol.for('epdb.probeCapture');
const THROW_HOOK = Symbol.for('epdb.probeThrow');
const PAUSED_FOR_HOOK = Symbol.for('epdb.probePausedFor');
type GlobalWithHooks = typeof globalThis & {
  [CAPTURE_HOOK]?: typeof captureOnPause;
  [THROW_HOOK]?: typeof captureOnThrow;
  [PAUSED_FOR_HOOK]?: () => string | null;
};

/** Starts watching for `probe`'s request at its line. */
export function watchProbe(probe: RunningProbe): void {
  const hooks = globalThis as GlobalWithHooks;
  // Where the conditions look for it (see PROBE_HIT_KEY): not a global, which costs them a name look-up.
  if (!Object.hasOwn(Object, PROBE_HIT_KEY)) Object.defineProperty(Object, PROBE_HIT_KEY, { value: probeHit, configurable: true });
  hooks[CAPTURE_HOOK] ??= captureOnPause;
  hooks[THROW_HOOK] ??= captureOnThrow;
  hooks[PAUSED_FOR_HOOK] ??= () => pausedFor?.probe.id ?? null;
  if (probe.paths !== null) {
    const parts = messageParts(probe.spec.message ?? '');
    const secret = parts.flatMap((part) => ('expr' in part ? [probe.redactor.isSecretExpression(part.expr)] : []));
    templates.set(probe, { paths: probe.paths, parts, secret });
  }
  running.set(probe.contextId, probe);
}

/** `probe`'s request has ended. */
export function unwatchProbe(probe: RunningProbe): void {
  // Its outcome, if it settled in a condition this tick, goes before the end its caller posts.
  reports.flush();
  running.delete(probe.contextId);
  templates.delete(probe);
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
    reports.add(probe, { taken: false, reason: `not taken: more than ${MAX_CAPTURES_PER_SECOND} captures a second in this process (rate limit)` });
    return false;
  }
  const template = templates.get(probe);
  if (template !== undefined && read !== undefined) {
    const line = formatInCondition(probe, template, read, started);
    if (line !== null) {
      const stoppedMs = performance.now() - started;
      reports.add(probe, { taken: true, ...line, stoppedMs: Math.round(stoppedMs * 1000) / 1000 });
      return false;
    }
  }
  pausedFor = { probe, hitAt: performance.timeOrigin + started };
  return true;
}

/** The logpoint's line from plain reads, or null when one of them needs V8's evaluation (then it pauses). */
function formatInCondition(probe: RunningProbe, template: LogTemplate, read: FrameReader, started: number): { message: string; truncated: boolean; bytes: number } | null {
  const capture = new LiveCapture(probe.redactor, started + CAPTURE_LIMITS.maxStopMs);
  const outcomes: HoleOutcome[] = [];
  const { paths } = template;
  for (let i = 0; i < paths.length; i++) {
    let value: unknown;
    try {
      value = readSimplePath(paths[i] as SimplePath, read);
    } catch (error) {
      if (error instanceof NeedsEvaluation) return null;
      outcomes.push({ error: thrownText(error) });
      continue;
    }
    outcomes.push({ value: template.secret[i] === true ? { type: value === null ? 'null' : typeof value, value: '[redacted]', redacted: true } : capture.value(value, null, 1, CAPTURE_LIMITS.logDepth) });
  }
  capture.drain();
  const message = formatParts(template.parts, outcomes);
  return { message, truncated: capture.truncated, bytes: Buffer.byteLength(JSON.stringify(message)) };
}

/**
 * On an exception pause: whether the code that threw runs for the request of one of the throw
 * probes `probeIds` (armed, first exception only), and if so its capture, as
 * {@link captureOnPause} makes it, with the probe's id. For any other request's exception,
 * {@link NotThisPause}: that check (a map look-up and the async context) is all another
 * request's exception costs here. The rate limit is spent as a line probe spends it.
 */
export function captureOnThrow(probeIds: readonly string[], layout: PauseLayout, objects: readonly unknown[]): string {
  for (const probe of running.values()) {
    if (probe.state !== 'armed' || probe.location !== null || !probeIds.includes(probe.id) || !isInRequestContext(probe.contextId)) continue;
    probe.state = 'hit';
    if (!rateLimit.take()) {
      reports.add(probe, { taken: false, reason: `not taken: more than ${MAX_CAPTURES_PER_SECOND} captures a second in this process (rate limit)` });
      break;
    }
    pausedFor = { probe, hitAt: performance.timeOrigin + performance.now() };
    return JSON.stringify({ ...capturePaused(pausedFor, layout, objects), probeId: probe.id });
  }
  // Another request's exception: nothing more is wanted of this pause.
  return NOT_THIS_PAUSE;
}

/**
 * Captures, for probe `probeId` on its pause, the paused frames' locals, the plain-read
 * expressions (looked up in the scope chain by descriptors) and the values of the expressions
 * the worker had V8 evaluate, as JSON (one string crosses back: the cheapest answer V8
 * returns). The worker resumes the thread (see ProbeService.onPaused).
 * {@link NotThisPause} when this pause is not that probe's. It may be called again on the same
 * pause.
 */
export function captureOnPause(probeId: string, layout: PauseLayout, objects: readonly unknown[]): string {
  const paused = pausedFor;
  // Not this probe's pause: someone else's (a debugger client's, say).
  if (paused === null || paused.probe.id !== probeId) return NOT_THIS_PAUSE;
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
