import { AsyncResource } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { openRequestContext, runInRequestContext, untrack } from '../request-context.js';
import { knockHeaderOf, knockHeaderOfHeaders } from '../../shared/knock/header.js';
import { log } from '../../shared/log.js';
import type { KnockedRequest } from '../knocked-request.js';
import { type RunningProbe, unwatchProbe, watchProbe } from './probe-hits.js';
import type { ArmedLocation, ProbeOutcome } from '../../shared/probes/capture-protocol.js';
import { Redactor } from '../../shared/probes/redaction.js';
import type { ProbeArm, ProbeSpec } from '../../shared/probes/spec.js';

/** What the main thread needs from the bridge worker to run a probe (the gate's BridgeHandle). */
export interface ProbeBridge {
  /** Asks the worker to arm `arm`; `done(null, armed)` once its breakpoint is set, else `done(why)`. */
  armProbe(arm: ProbeArm, done: (error: string | null, armed?: ArmedLocation) => void): void;
  /** Probe `id` settled on the main thread (a logpoint formatted in its condition, the rate limit). */
  reportProbe(id: string, outcome: ProbeOutcome): void;
  /** The request of probe `id` has ended: the worker disarms it and settles its result. */
  endProbe(id: string): void;
}

/** How long a request waits for its probe to be armed (the first knock also starts the bridge). */
const ARM_TIMEOUT_MS = 5_000;
/** A request that never ends disarms its probe after this long: an armed probe costs others a check. */
const MAX_PROBE_LIFE_MS = 60_000;

/** Handles a knock that asks for a probe. */
export type ProbeHandler = (request: KnockedRequest, spec: ProbeSpec) => void;

/**
 * The main thread's side of probes. The request is not held for anyone: it waits only until
 * the bridge worker has set the probe's breakpoint (milliseconds), then goes on in a request
 * context of its own, which the breakpoint's condition recognises; when it ends, the worker
 * is told, so the probe is disarmed and a line never reached is reported as such.
 */
export function createProbeHandler(bridgeOf: (request: KnockedRequest) => ProbeBridge | null, redact: readonly string[]): ProbeHandler {
  return (request, spec) => {
    const bridge = bridgeOf(request);
    const id = spec.id ?? randomBytes(4).toString('hex');
    // A followed request's hop names itself in its result (`GET /bill/42 [hop 2: checkout → billing]`).
    const summary = request.title ?? `${request.method} ${request.path}`;
    if (bridge === null) {
      log(`${spec.kind} ${id} at ${spec.at} for ${summary} not armed: the debug bridge is not available`);
      request.proceed();
      return;
    }
    new ProbedRequest(request, spec, id, summary, bridge, redact).arm();
  };
}

/**
 * One knocked request with a probe, from arming to its end. States: `arming` (the request waits
 * for the worker to set the breakpoint, at most {@link ARM_TIMEOUT_MS}), `running` (it goes on,
 * watched by the breakpoint's condition, at most {@link MAX_PROBE_LIFE_MS}), `ended`.
 */
class ProbedRequest {
  private state: 'arming' | 'running' | 'ended' = 'arming';
  /** The knock's own async context (OpenTelemetry's, the app's), for the request to go on in. */
  private readonly context = new AsyncResource('epdb.probe', { requireManualDestroy: true });
  private readonly contextId = openRequestContext();
  private readonly probe: RunningProbe;
  private readonly knock: string;
  private armTimer: NodeJS.Timeout | undefined;
  private lifeTimer: NodeJS.Timeout | undefined;
  private stopWatchingEnd = (): void => {};

  constructor(
    private readonly request: KnockedRequest,
    private readonly spec: ProbeSpec,
    private readonly id: string,
    private readonly summary: string,
    private readonly bridge: ProbeBridge,
    private readonly redact: readonly string[],
  ) {
    const header = request.kind === 'stream' ? knockHeaderOfHeaders(request.headers) : knockHeaderOf(request.req);
    this.knock = typeof header === 'string' ? header : '';
    this.probe = {
      id, contextId: this.contextId, spec, redactor: new Redactor(redact, this.knock), location: null, paths: null, state: 'armed',
      report: (outcome) => bridge.reportProbe(id, outcome),
    };
  }

  /** Asks the worker to set the probe's breakpoint; the request waits for it (bounded). */
  arm(): void {
    this.armTimer = setTimeout(() => {
      log(`${this.spec.kind} ${this.id}: the debug bridge did not arm it within ${ARM_TIMEOUT_MS / 1000} s; ${this.summary} goes on`);
      this.armed('not armed in time');
    }, ARM_TIMEOUT_MS).unref();
    // Whatever the entry point: the response sent, the handshake answered, the stream closed.
    this.stopWatchingEnd = this.request.onEnd(() => this.end());
    this.bridge.armProbe({ id: this.id, spec: this.spec, request: this.summary, knock: this.knock, redact: this.redact }, (error, armed) => this.armed(error, armed));
  }

  private armed(error: string | null, armed?: ArmedLocation): void {
    if (this.state !== 'arming') return;
    this.state = 'running';
    clearTimeout(this.armTimer);
    if (error !== null) {
      // The worker has logged why; the request goes on as if it had no knock.
      this.end();
      this.request.proceed();
      return;
    }
    this.probe.location = armed?.location ?? null;
    this.probe.paths = armed?.paths ?? null;
    watchProbe(this.probe);
    this.lifeTimer = setTimeout(() => this.end(), MAX_PROBE_LIFE_MS).unref();
    this.context.runInAsyncScope(() => runInRequestContext(this.contextId, this.request.proceed));
  }

  private end(): void {
    if (this.state === 'ended') return;
    const wasArming = this.state === 'arming';
    this.state = 'ended';
    clearTimeout(this.armTimer);
    clearTimeout(this.lifeTimer);
    this.stopWatchingEnd();
    unwatchProbe(this.probe);
    untrack(this.contextId);
    this.bridge.endProbe(this.id);
    this.context.emitDestroy();
    // A client that left while its probe was being armed still gets its request handled.
    if (wasArming) this.request.proceed();
  }
}
