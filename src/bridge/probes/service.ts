import { log } from '../../log.js';
import { PROBED_REQUEST_CONDITION } from '../../probes/probed-requests.js';
import type { ProbeArm } from '../../probes/spec.js';
import type { PausedEvent } from './cdp.js';
import { CAPTURE_LIMITS, CaptureRateLimit, MAX_CAPTURES_PER_SECOND } from './limits.js';
import { formatLogLine } from './logpoint.js';
import { Redactor } from './redaction.js';
import { ProbeResults, type ProbeResult } from './results.js';
import { type ResolvedLocation, UnresolvedLocation } from './scripts.js';
import { CaptureBudget } from './serialize.js';
import { ProbeSession } from './session.js';
import { captureSnapshot, displayPath } from './snapshot.js';

/** A probe from its arming to its result. */
interface ArmedProbe {
  readonly arm: ProbeArm;
  readonly result: ProbeResult;
  readonly redactor: Redactor;
  /** `armed` until its line is reached (or its request ends); then `settled`. */
  phase: 'armed' | 'capturing' | 'settled';
  location: LocationBreakpoint | null;
}

/** One breakpoint location, shared by every probe armed there (V8 takes one breakpoint a place). */
interface LocationBreakpoint {
  readonly key: string;
  readonly resolved: ResolvedLocation;
  readonly probes: Set<ArmedProbe>;
  breakpointId: string | null;
}

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
 * The bridge worker's probes: arms a breakpoint for one request's async context, captures when
 * it is hit (then resumes at once), and keeps the results. Arming and disarming run one at a
 * time; captures run as the pauses come.
 */
export class ProbeService {
  readonly results = new ProbeResults();
  private readonly session: ProbeSession;
  private readonly probes = new Map<string, ArmedProbe>();
  private readonly locations = new Map<string, LocationBreakpoint>();
  private readonly byBreakpoint = new Map<string, LocationBreakpoint>();
  private readonly rateLimit = new CaptureRateLimit();
  private serial: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ProbeServiceOptions) {
    this.session = new ProbeSession((event) => void this.onPaused(event), options.hiddenScript);
  }

  /** Arms `arm`; `done(null)` once its breakpoint is set, else `done(reason)` (also logged). */
  arm(arm: ProbeArm, done: (error: string | null) => void): void {
    const result: ProbeResult = {
      id: arm.id, kind: arm.spec.kind, at: arm.spec.at, request: arm.request,
      armedAt: new Date().toISOString(), state: 'armed', taken: false,
    };
    this.results.add(result);
    const probe: ArmedProbe = { arm, result, redactor: new Redactor(arm.redact, arm.knock), phase: 'armed', location: null };
    this.probes.set(arm.id, probe);
    void this.inTurn(async () => {
      try {
        await this.session.enable();
        await this.session.warm();
        const resolved = await this.session.scripts.resolve(arm.spec.location.file, arm.spec.location.line);
        await this.addToLocation(probe, resolved);
        result.location = {
          file: displayPath(resolved.url),
          line: resolved.lineNumber + 1,
          ...(resolved.source !== null ? { source: displayPath(resolved.source) } : {}),
        };
        done(null);
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
      if (probe.phase === 'armed') this.markNotTaken(probe, 'not reached: the request ended without running the line');
      await this.forget(probe);
      this.publish(probe);
    });
  }

  /** How many probes are armed, and whether the probe session's debugger is on (for `GET /epdb/probes`). */
  status(): { readonly armed: number; readonly debuggerEnabled: boolean } {
    return { armed: [...this.probes.values()].filter((probe) => probe.phase === 'armed').length, debuggerEnabled: this.session.isEnabled };
  }

  /** Drops the session (the worker is stopping). */
  close(): void {
    this.session.close();
  }

  private async onPaused(event: PausedEvent): Promise<void> {
    const pausedAt = performance.now();
    const locations = (event.hitBreakpoints ?? []).map((id) => this.byBreakpoint.get(id)).filter((l): l is LocationBreakpoint => l !== undefined);
    if (locations.length === 0) {
      // Not a probe's pause (a `debugger;` statement, the gate's own pause): the client's, if
      // one is attached; else nobody's, and the main thread must not stay stopped for it.
      if (!this.options.clientAttached()) await this.session.resume();
      return;
    }
    let probe: ArmedProbe | undefined;
    try {
      probe = await this.probeOf(locations, event);
      if (probe === undefined) return;
      probe.phase = 'capturing';
      if (!this.rateLimit.take()) {
        this.markNotTaken(probe, `not taken: more than ${MAX_CAPTURES_PER_SECOND} captures a second in this process (rate limit)`);
        return;
      }
      await this.capture(probe, event, pausedAt);
    } catch (error) {
      if (probe !== undefined && probe.phase !== 'settled') {
        this.markNotTaken(probe, `not taken: the capture failed (${error instanceof Error ? error.message : String(error)})`);
      }
    } finally {
      await this.session.resume(true);
      if (probe !== undefined) {
        const settled = probe;
        if (settled.result.taken) settled.result.stoppedMs = round(performance.now() - pausedAt, 2);
        // Disarmed before it is published: a settled result means its breakpoint is gone.
        void this.inTurn(async () => {
          await this.forget(settled);
          this.publish(settled);
        });
      }
    }
  }

  /** Which armed probe this pause is for: the one whose request's context the code runs in. */
  private async probeOf(locations: readonly LocationBreakpoint[], event: PausedEvent): Promise<ArmedProbe | undefined> {
    const candidates = locations.flatMap((location) => [...location.probes]).filter((p) => p.phase === 'armed');
    if (candidates.length === 0) return undefined;
    // The only probe of the process: the line's condition (a probed request) can only be its own.
    if (this.probes.size === 1 && candidates.length === 1) return candidates[0];
    const top = event.callFrames[0];
    if (top === undefined) return undefined;
    const { result } = await this.session.post<{ result: { value?: unknown } }>('Debugger.evaluateOnCallFrame', {
      callFrameId: top.callFrameId,
      expression: `[${candidates.map((p) => p.arm.condition).join(',')}].indexOf(true)`,
      returnByValue: true,
      silent: true,
    });
    return typeof result.value === 'number' ? candidates[result.value] : undefined;
  }

  private async capture(probe: ArmedProbe, event: PausedEvent, pausedAt: number): Promise<void> {
    const budget = new CaptureBudget(pausedAt + CAPTURE_LIMITS.maxStopMs - RESUME_MARGIN_MS);
    const { result, arm, redactor } = probe;
    if (arm.spec.kind === 'log') {
      const top = event.callFrames[0];
      const line = top === undefined ? { message: '', truncated: false } : await formatLogLine(this.session.post, top.callFrameId, arm.spec.message ?? '', redactor, budget);
      result.message = line.message;
      result.truncated = line.truncated;
      result.bytes = Buffer.byteLength(JSON.stringify(line.message));
    } else {
      const snapshot = await captureSnapshot(this.session.post, event.callFrames, arm.spec.expressions, this.session.scripts, redactor, budget);
      const frames = [...snapshot.frames];
      let truncated = snapshot.truncated;
      // The estimate kept it under the bound; should it not have, drop the deepest frames' locals.
      while (frames.length > 0 && jsonBytes(snapshot.stack, frames, snapshot.expressions) > CAPTURE_LIMITS.maxBytes) {
        frames.pop();
        truncated = true;
      }
      result.stack = snapshot.stack;
      result.frames = frames;
      result.expressions = snapshot.expressions;
      result.truncated = truncated;
      result.bytes = jsonBytes(snapshot.stack, frames, snapshot.expressions);
    }
    result.taken = true;
    result.state = 'taken';
    probe.phase = 'settled';
  }

  /** Logs a settled probe's one line (without values) and hands its result to waiters and listeners, once. */
  private publish(probe: ArmedProbe): void {
    const { result } = probe;
    if (probe.phase !== 'settled' || result.settledAt !== undefined) return;
    if (result.taken) {
      const detail = result.kind === 'snapshot'
        ? `${result.stack?.length ?? 0} frames, ${((result.bytes ?? 0) / 1024).toFixed(1)} KB`
        : `${((result.bytes ?? 0) / 1024).toFixed(1)} KB`;
      log(`${result.kind} ${result.id} taken at ${result.at} for ${result.request} (${detail}${result.truncated === true ? ', truncated' : ''}, stopped ${(result.stoppedMs ?? 0).toFixed(1)} ms)`);
    } else {
      log(`${result.kind} ${result.id} at ${result.at} for ${result.request} ${result.reason ?? 'not taken'}`);
    }
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

  private async addToLocation(probe: ArmedProbe, resolved: ResolvedLocation): Promise<void> {
    const key = `${resolved.url}:${resolved.lineNumber}:${resolved.columnNumber}`;
    let location = this.locations.get(key);
    if (location === undefined) {
      location = { key, resolved, probes: new Set(), breakpointId: null };
      this.locations.set(key, location);
    }
    location.probes.add(probe);
    probe.location = location;
    try {
      await this.rearm(location);
    } catch (error) {
      location.probes.delete(probe);
      probe.location = null;
      if (location.probes.size === 0) this.locations.delete(key);
      throw error;
    }
  }

  /**
   * Sets the location's breakpoint when its first probe comes, removes it when its last goes.
   * Its condition is the same for every probe (any request being probed), so it never has to
   * be set again while a probe stays: no gap in which that probe's request passes unseen.
   */
  private async rearm(location: LocationBreakpoint): Promise<void> {
    if (location.probes.size > 0 && location.breakpointId === null) {
      // By URL: Node may compile one file under two script ids (a CommonJS main loaded through
      // the ES loader, with --import), and only one of them runs.
      const { breakpointId } = await this.session.post<{ breakpointId: string }>('Debugger.setBreakpointByUrl', {
        url: location.resolved.url,
        lineNumber: location.resolved.lineNumber,
        columnNumber: location.resolved.columnNumber,
        condition: PROBED_REQUEST_CONDITION,
      });
      location.breakpointId = breakpointId;
      this.byBreakpoint.set(breakpointId, location);
    } else if (location.probes.size === 0 && location.breakpointId !== null) {
      const old = location.breakpointId;
      this.byBreakpoint.delete(old);
      location.breakpointId = null;
      await this.session.post('Debugger.removeBreakpoint', { breakpointId: old }).catch(() => {});
    }
  }

  /** Disarms a settled probe; the session's Debugger goes off with the last one. */
  private async forget(probe: ArmedProbe): Promise<void> {
    if (!this.probes.has(probe.arm.id)) return;
    this.probes.delete(probe.arm.id);
    const location = probe.location;
    probe.location = null;
    if (location !== null) {
      location.probes.delete(probe);
      if (location.probes.size === 0) this.locations.delete(location.key);
      await this.rearm(location).catch(() => {});
    }
    await this.disableWhenIdle();
  }

  private async disableWhenIdle(): Promise<void> {
    if (this.probes.size > 0 && [...this.probes.values()].some((probe) => probe.phase !== 'settled')) return;
    if (this.locations.size > 0) return;
    await this.session.disable().catch(() => {});
  }
}

function jsonBytes(...parts: unknown[]): number {
  return Buffer.byteLength(JSON.stringify(parts));
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
