import { log } from '../../shared/log.js';
import { CAPTURE_LIMITS } from '../../shared/probes/limits.js';
import { type ArmedLocation, PAUSED_FOR_EXPRESSION, type ProbeOutcome } from '../../shared/probes/capture-protocol.js';
import type { ArmedProbe, LocationBreakpoint } from './armed-probe.js';
import { LocationBreakpoints } from './location-breakpoints.js';
import { Redactor } from '../../shared/probes/redaction.js';
import type { ProbeArm } from '../../shared/probes/spec.js';
import type { PausedEvent } from './cdp.js';
import { formatLogLine } from './logpoint.js';
import { ProbeResults, type ProbeResult } from './results.js';
import { settledLine } from './settled-line.js';
import { UnresolvedLocation } from './scripts.js';
import { ProbeSession } from './session.js';
import { simplePathsOf } from './simple-paths.js';
import { captureSnapshot, completeSnapshot, displayPath, type PausedCapture } from './snapshot.js';
import { thrownException } from './thrown-exception.js';

/** What the service needs to know of the rest of the bridge. */
export interface ProbeServiceOptions {
  /** Whether a debugger client is attached: a pause that is not a probe's is then the client's. */
  clientAttached(): boolean;
  /** Scripts never probed nor listed (the bridge's own). */
  hiddenScript(url: string): boolean;
}

/** Time kept back from the 10 ms stop for the last answers and the resume itself. */
const RESUME_MARGIN_MS = 2;
/**
 * How long the probe session's debugger stays on after the last probe, while no debugger
 * client is attached. Turning it on makes V8 report every loaded script on the main thread
 * (7-80 ms for an Express app); a developer probing sends the next knock within this.
 */
export const PROBE_DEBUGGER_LINGER_MS = 60_000;

/**
 * The bridge worker's probes: arms a breakpoint for one request's async context, captures when
 * it is hit (then resumes at once), and keeps the results. Arming and disarming run one at a
 * time; captures run as the pauses come.
 */
export class ProbeService {
  readonly results = new ProbeResults();
  private readonly session: ProbeSession;
  private readonly probes = new Map<string, ArmedProbe>();
  private readonly breakpoints: LocationBreakpoints;
  private serial: Promise<unknown> = Promise.resolve();
  /** Pauses the probe session has seen (each a stop of the main thread), for `GET /epdb/probes`. */
  private pauses = 0;
  private linger: NodeJS.Timeout | undefined;
  /** Whether the probe session pauses on exceptions (while throw probes are armed). */
  private pausingOnExceptions = false;

  constructor(private readonly options: ProbeServiceOptions) {
    this.session = new ProbeSession((event) => void this.onPaused(event), options.hiddenScript);
    this.breakpoints = new LocationBreakpoints(this.session.post);
  }

  /** Arms `arm`; `done(null, where)` once its breakpoint is set, else `done(reason)` (also logged). */
  arm(arm: ProbeArm, done: (error: string | null, armed?: ArmedLocation) => void): void {
    const result: ProbeResult = {
      id: arm.id, kind: arm.spec.kind, at: arm.spec.at, request: arm.request,
      armedAt: new Date().toISOString(), state: 'armed', taken: false,
    };
    this.results.add(result);
    const probe: ArmedProbe = { arm, result, redactor: new Redactor(arm.redact, arm.knock), phase: 'armed', location: null };
    this.probes.set(arm.id, probe);
    clearTimeout(this.linger);
    void this.inTurn(async () => {
      try {
        await this.session.enable();
        await this.session.warm();
        if (arm.spec.location === null) {
          await this.pauseOnExceptions();
          done(null, { location: null, paths: null });
          return;
        }
        const resolved = await this.session.scripts.resolve(arm.spec.location.file, arm.spec.location.line);
        const paths = arm.spec.kind === 'log' ? simplePathsOf(arm.spec.message ?? '') : null;
        await this.breakpoints.add(probe, resolved, paths);
        result.location = {
          file: displayPath(resolved.url),
          line: resolved.lineNumber + 1,
          ...(resolved.source !== null ? { source: displayPath(resolved.source) } : {}),
        };
        const location = probe.location as LocationBreakpoint | null;
        if (location === null) throw new Error('its location went');
        // A logpoint at a line whose condition has no reader (a snapshot's first) is formatted on a pause.
        done(null, { location: location.number, paths: location.names === null ? null : paths });
      } catch (error) {
        const reason = error instanceof UnresolvedLocation ? error.message : `could not set the breakpoint (${error instanceof Error ? error.message : String(error)})`;
        this.markNotTaken(probe, `not armed: ${reason}`);
        await this.forget(probe);
        this.publish(probe);
        done(reason);
      }
    });
  }

  /** The request of probe `id` has ended: a probe still armed was not reached. */
  end(id: string): void {
    const probe = this.probes.get(id);
    if (probe === undefined) return;
    void this.inTurn(async () => {
      if (probe.phase === 'armed') {
        this.markNotTaken(probe, probe.arm.spec.trigger === 'throw' ? 'not reached: the request ended without throwing' : 'not reached: the request ended without running the line');
      }
      await this.forget(probe);
      this.publish(probe);
    });
  }

  /** Probe `id` settled on the main thread, in its breakpoint's condition (it never paused). */
  report(id: string, outcome: ProbeOutcome): void {
    const probe = this.probes.get(id);
    if (probe === undefined || probe.phase !== 'armed') return;
    if (outcome.taken) {
      const { result } = probe;
      probe.phase = 'settled';
      settle(result, { taken: true, state: 'taken', capturedIn: 'condition', message: outcome.message, truncated: outcome.truncated, bytes: outcome.bytes, stoppedMs: outcome.stoppedMs });
    } else {
      this.markNotTaken(probe, outcome.reason);
    }
    void this.inTurn(async () => {
      await this.forget(probe);
      this.publish(probe);
    });
  }

  /**
   * How many probes are armed, at how many breakpoints, whether the probe session's debugger
   * is on and how many pauses it has seen (for `GET /epdb/probes`).
   */
  status(): { readonly armed: number; readonly breakpoints: number; readonly debuggerEnabled: boolean; readonly pauses: number } {
    const armed = [...this.probes.values()].filter((probe) => probe.phase === 'armed').length;
    return { armed, breakpoints: this.breakpoints.size, debuggerEnabled: this.session.isEnabled, pauses: this.pauses };
  }

  /** A debugger client attached: a lingering probe debugger goes off (it would cancel the client's ignore list). */
  clientAttached(): void {
    void this.inTurn(() => this.disableWhenIdle());
  }

  /** Drops the session (the worker is stopping). */
  close(): void {
    clearTimeout(this.linger);
    this.session.close();
  }

  private async onPaused(event: PausedEvent): Promise<void> {
    const pausedAt = performance.now();
    this.pauses++;
    const locations = this.breakpoints.hitBy(event);
    if (locations.length === 0 && (event.reason === 'exception' || event.reason === 'promiseRejection') && this.throwProbes().length > 0) {
      await this.onThrow(event, pausedAt);
      return;
    }
    if (locations.length === 0) {
      // Not a probe's pause (a `debugger;` statement, the gate's own pause): the client's, if
      // one is attached; else nobody's, and the main thread must not stay stopped for it. Either
      // way this session lets go of the frames V8 handed it, which it would keep for ever.
      if (this.options.clientAttached()) await this.session.releasePausedObjects();
      else await this.session.resume(true);
      return;
    }
    let probe: ArmedProbe | undefined;
    let complete: (() => void) | null = null;
    try {
      probe = await this.probeOf(locations, event);
      if (probe === undefined) return;
      probe.phase = 'capturing';
      complete = await this.capture(probe, event, pausedAt);
    } catch (error) {
      if (probe !== undefined && probe.phase !== 'settled') {
        this.markNotTaken(probe, `not taken: the capture failed (${error instanceof Error ? error.message : String(error)})`);
      }
    } finally {
      // Resumed from here, never by the main thread itself: V8 keeps every pause's frames in one
      // object group per session (`backtrace`), which only that session's Debugger.resume
      // releases without a race (a release sent after another session's resume can land in the
      // next pause and take its objects). What needs nothing more of the main thread is done once it runs again.
      await this.session.resume(true);
      this.finishCapture(probe, complete);
    }
  }

  /** Makes a line probe's capture whole (`complete`), stamps it, and publishes it once disarmed. */
  private finishCapture(probe: ArmedProbe | undefined, complete: (() => void) | null): void {
    if (probe === undefined) return;
    complete?.();
    if (probe.result.taken && probe.hitAt !== undefined) stampTaken(probe.result, probe.hitAt);
    // Disarmed before it is published: a settled result means its breakpoint is gone.
    void this.inTurn(async () => {
      await this.forget(probe);
      this.publish(probe);
    });
  }

  /** Which armed probe this pause is for: the one the main thread's condition let pause. */
  private async probeOf(locations: readonly LocationBreakpoint[], event: PausedEvent): Promise<ArmedProbe | undefined> {
    const candidates = locations.flatMap((location) => [...location.probes]).filter((p) => p.phase === 'armed');
    if (candidates.length <= 1) return candidates[0];
    const top = event.callFrames[0];
    if (top === undefined) return undefined;
    const { result } = await this.session.post<{ result: { value?: unknown } }>('Debugger.evaluateOnCallFrame', {
      callFrameId: top.callFrameId, expression: PAUSED_FOR_EXPRESSION, returnByValue: true, silent: true,
    });
    return candidates.find((p) => p.arm.id === result.value);
  }

  /**
   * Reads what the probe captures from the paused main thread; returns what is left to do
   * once it runs again (the stack, from the pause's own event; the size bound).
   */
  private async capture(probe: ArmedProbe, event: PausedEvent, pausedAt: number): Promise<() => void> {
    const deadline = performance.timeOrigin + pausedAt + CAPTURE_LIMITS.maxStopMs - RESUME_MARGIN_MS;
    const { result, arm, redactor } = probe;
    const top = event.callFrames[0];
    if (top === undefined) throw new Error('the pause has no frame');
    if (arm.spec.kind === 'log') {
      const line = await formatLogLine(this.session.post, arm.id, top, arm.spec.message ?? '', redactor, deadline);
      if ('notThisPause' in line) throw new Error('the main thread did not recognise the pause');
      probe.hitAt = line.hitAt;
      settle(result, { message: line.message, truncated: line.truncated, bytes: Buffer.byteLength(JSON.stringify(line.message)), taken: true, state: 'taken', capturedIn: 'pause' });
      probe.phase = 'settled';
      return () => {};
    }
    const captured = await captureSnapshot(this.session.post, arm.id, event.callFrames, arm.spec.expressions, redactor, deadline);
    if ('notThisPause' in captured) throw new Error('the main thread did not recognise the pause');
    probe.hitAt = captured.hitAt;
    settle(result, { taken: true, state: 'taken', capturedIn: 'pause' });
    probe.phase = 'settled';
    return () => this.completeCapture(probe, captured);
  }

  /** Makes a snapshot's capture whole once the main thread runs again: the stack, the 64 KB bound. */
  private completeCapture(probe: ArmedProbe, captured: PausedCapture): void {
    const snapshot = completeSnapshot(captured, this.session.scripts);
    const frames = [...snapshot.frames];
    let truncated = snapshot.truncated;
    // The estimate kept it under the bound; should it not have, drop the deepest frames' locals.
    while (frames.length > 0 && jsonBytes(snapshot.stack, frames, snapshot.expressions) > CAPTURE_LIMITS.maxBytes) {
      frames.pop();
      truncated = true;
    }
    settle(probe.result, { stack: snapshot.stack, frames, expressions: snapshot.expressions, truncated, bytes: jsonBytes(snapshot.stack, frames, snapshot.expressions) });
  }

  /** The throw probes still waiting for their request's first exception. */
  private throwProbes(): ArmedProbe[] {
    return [...this.probes.values()].filter((probe) => probe.phase === 'armed' && probe.arm.spec.trigger === 'throw');
  }

  /**
   * An exception paused the main thread while throw probes are armed. Node's own code throws
   * and catches as it works (module resolution, streams): those never count, and cost only this
   * pause. Otherwise one call asks the main thread whether the code that threw runs for a
   * probed request, and captures there if it does; any other request's exception is resumed.
   */
  private async onThrow(event: PausedEvent, pausedAt: number): Promise<void> {
    const top = event.callFrames[0];
    const url = top === undefined ? undefined : this.session.scripts.urlOf(top.location.scriptId);
    if (top === undefined || url === undefined || url.startsWith('node:') || this.options.hiddenScript(url)) {
      await this.session.resume(true);
      return;
    }
    const deadline = performance.timeOrigin + pausedAt + CAPTURE_LIMITS.maxStopMs - RESUME_MARGIN_MS;
    const candidates = this.throwProbes();
    let probe: ArmedProbe | undefined;
    let captured: PausedCapture | null = null;
    try {
      // Each probe its own redactor: the main thread's capture applies the one of the probe it matches.
      const answer = await captureSnapshot(this.session.post, { throwProbes: candidates.map((p) => p.arm.id) }, event.callFrames, expressionsOf(candidates), redactorOf(candidates), deadline);
      captured = 'notThisPause' in answer ? null : answer;
      probe = captured === null ? undefined : candidates.find((p) => p.arm.id === captured?.probeId);
      if (probe !== undefined && captured !== null) {
        probe.phase = 'settled';
        probe.hitAt = performance.timeOrigin + pausedAt;
        settle(probe.result, { taken: true, state: 'taken', capturedIn: 'pause', exception: thrownException(event, probe.redactor) });
      }
    } catch (error) {
      if (probe !== undefined) this.markNotTaken(probe, `not taken: the capture failed (${error instanceof Error ? error.message : String(error)})`);
    } finally {
      // As for a line probe: resumed from here, then made whole.
      await this.session.resume(true);
      this.finishThrowCapture(probe, captured);
    }
  }

  /** Makes a throw probe's capture whole (the stack, where it threw), stamps it, and publishes it once disarmed. */
  private finishThrowCapture(probe: ArmedProbe | undefined, captured: PausedCapture | null): void {
    if (probe === undefined || captured === null) return;
    // One call served every armed throw probe: keep this one's own expressions.
    const own = new Set(probe.arm.spec.expressions);
    this.completeCapture(probe, { ...captured, expressions: captured.expressions.filter((e) => own.has(e.expr)) });
    if (probe.hitAt !== undefined) stampTaken(probe.result, probe.hitAt);
    const thrownAt = probe.result.stack?.[0];
    if (thrownAt !== undefined) settle(probe.result, { location: { file: thrownAt.file, line: thrownAt.line } });
    void this.inTurn(async () => {
      await this.forget(probe);
      this.publish(probe);
    });
  }

  /** Pauses on every exception while throw probes are armed (V8 has no per-request condition for them). */
  private async pauseOnExceptions(): Promise<void> {
    if (this.pausingOnExceptions) return;
    await this.session.post('Debugger.setPauseOnExceptions', { state: 'all' });
    this.pausingOnExceptions = true;
  }

  /** Stops pausing on exceptions once no throw probe is left. */
  private async stopPausingOnExceptionsWhenNoneLeft(): Promise<void> {
    if (!this.pausingOnExceptions || [...this.probes.values()].some((probe) => probe.arm.spec.trigger === 'throw')) return;
    this.pausingOnExceptions = false;
    if (this.session.isEnabled) await this.session.post('Debugger.setPauseOnExceptions', { state: 'none' }).catch(() => {});
  }

  /** Logs a settled probe's one line (without values) and hands its result to waiters and listeners, once. */
  private publish(probe: ArmedProbe): void {
    const { result } = probe;
    if (probe.phase !== 'settled' || result.settledAt !== undefined) return;
    log(settledLine(result));
    this.results.settle(result);
  }

  /** Settles a probe as not taken (it will never capture), to be published once disarmed. */
  private markNotTaken(probe: ArmedProbe, reason: string): void {
    if (probe.phase === 'settled') return;
    probe.phase = 'settled';
    const { result } = probe;
    result.state = 'not-taken';
    result.taken = false;
    result.reason = reason;
  }

  /** Runs `step` after every arming and disarming before it, one at a time. */
  private inTurn(step: () => Promise<void>): Promise<void> {
    const next = this.serial.then(step, step);
    this.serial = next.catch(() => {});
    return next.catch(() => {});
  }

  /** Disarms a settled probe; the session's Debugger goes off with the last one. */
  private async forget(probe: ArmedProbe): Promise<void> {
    if (!this.probes.has(probe.arm.id)) return;
    this.probes.delete(probe.arm.id);
    await this.stopPausingOnExceptionsWhenNoneLeft();
    await this.breakpoints.remove(probe);
    await this.disableWhenIdle();
  }

  /**
   * Turns the probe session's debugger off once no probe is left: at once while a debugger
   * client is attached, else after {@link PROBE_DEBUGGER_LINGER_MS} (turning it on again would
   * stop the main thread for V8's report of every script).
   */
  private async disableWhenIdle(): Promise<void> {
    if (!this.idle()) return;
    clearTimeout(this.linger);
    if (this.options.clientAttached()) {
      await this.session.disable().catch(() => {});
      return;
    }
    this.linger = setTimeout(() => {
      void this.inTurn(async () => {
        if (this.idle()) await this.session.disable().catch(() => {});
      });
    }, PROBE_DEBUGGER_LINGER_MS);
    this.linger.unref();
  }

  private idle(): boolean {
    return this.breakpoints.size === 0 && ![...this.probes.values()].some((probe) => probe.phase !== 'settled');
  }
}

/** The expressions every candidate throw probe asks for (one capture call serves whichever matches). */
function expressionsOf(probes: readonly ArmedProbe[]): readonly string[] {
  return [...new Set(probes.flatMap((probe) => probe.arm.spec.expressions))];
}

/** The redactor for a capture that may be any of `probes`': the first's names and every probe's knock. */
function redactorOf(probes: readonly ArmedProbe[]): Redactor {
  const [first] = probes;
  return first === undefined ? new Redactor([], '') : first.redactor;
}

/** When the main thread let the capture's pause happen (epoch ms `hitAt`), and how long it stayed stopped until now. */
function stampTaken(result: ProbeResult, hitAt: number): void {
  result.takenAt = new Date(hitAt).toISOString();
  result.stoppedMs = round(performance.timeOrigin + performance.now() - hitAt, 2);
}

/** Fills in a result's fields (typed: a misspelt field does not compile). */
function settle(result: ProbeResult, fields: Partial<ProbeResult>): void {
  Object.assign(result, fields);
}

function jsonBytes(...parts: unknown[]): number {
  return Buffer.byteLength(JSON.stringify(parts));
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
