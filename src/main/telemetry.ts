import type * as OpenTelemetry from '@opentelemetry/api';

/** How a knocked request left the gate. */
export interface GateOutcome {
  /** Milliseconds it waited for a debugger. */
  readonly waitedMs: number;
  /** Whether it ran paused under a debugger. */
  readonly debugged: boolean;
  /**
   * Why it went on: a debugger was there, the wait timed out, the bridge could not serve, epdb
   * was disabled, its client went away, its server is closing, or `EPDB_MAX_HELD` requests were
   * already held.
   */
  readonly reason: 'debugger' | 'timeout' | 'bridge-unavailable' | 'closed' | 'client-gone' | 'server-closing' | 'max-held';
}

/** Reports a knocked request's outcome on its trace; does nothing without an active span. */
export type GateSpanMarker = (outcome: GateOutcome) => void;

const NO_SPAN: GateSpanMarker = () => {};
let api: typeof OpenTelemetry | null | undefined;

/**
 * Finds the span active for the knocked request (the one an OpenTelemetry HTTP instrumentation
 * opened for it) and returns a marker that records on it how the gate treated the request:
 * event `epdb.gate` and attributes `epdb.debugged`, `epdb.wait_ms`, `epdb.gate.outcome`.
 *
 * `@opentelemetry/api` is loaded on the first knock, never before; without an SDK registered
 * there is no active span and this costs one lookup.
 */
export function markKnockedRequest(): GateSpanMarker {
  const span = activeSpan();
  if (span === undefined || !span.isRecording()) return NO_SPAN;
  span.addEvent('epdb.knock', { 'epdb.gate.state': 'held' });
  return (outcome) => {
    const attributes = {
      'epdb.debugged': outcome.debugged,
      'epdb.wait_ms': Math.round(outcome.waitedMs),
      'epdb.gate.outcome': outcome.reason,
    };
    try {
      span.setAttributes(attributes);
      span.addEvent('epdb.gate', attributes);
    } catch {
      // Telemetry must never break the request.
    }
  };
}

function activeSpan(): OpenTelemetry.Span | undefined {
  if (api === undefined) {
    try {
      api = require('@opentelemetry/api') as typeof OpenTelemetry;
    } catch {
      api = null;
    }
  }
  try {
    return api?.trace.getActiveSpan();
  } catch {
    return undefined;
  }
}
