import type { CapturedValue } from './captured-value.js';
import type { ProbeKind } from './spec.js';

/**
 * A probe's result: the one shape the bridge worker keeps and serves (`GET /epdb/probes/ID`),
 * pushes to `epdb listen`, and the CLI prints (`epdb snapshot`, `epdb listen`).
 */
export interface ProbeResult {
  readonly id: string;
  readonly kind: ProbeKind;
  /** `FILE:LINE` as the knock gave it. */
  readonly at: string;
  /** `GET /orders/42`. */
  readonly request: string;
  readonly armedAt: string;
  state: ProbeState;
  taken: boolean;
  /** Why it was not taken: not reached, not armed (no such file), rate limit. */
  reason?: string;
  /** Where the breakpoint was set: the generated script, 1-based line; `source` for a mapped file. */
  location?: { readonly file: string; readonly line: number; readonly source?: string };
  settledAt?: string;
  /** When the line was reached and the capture let the main thread stop (a capture on a pause). */
  takenAt?: string;
  /**
   * Main-thread time stopped for the capture, in ms: from the condition letting the pause
   * happen to the resume, or the condition's own time for a logpoint formatted in it.
   */
  stoppedMs?: number;
  /** Where it was captured: in the breakpoint's condition (no pause), or on a pause. */
  capturedIn?: 'condition' | 'pause';
  /** Size of the capture's JSON. */
  bytes?: number;
  truncated?: boolean;
  stack?: readonly StackFrame[];
  frames?: readonly FrameState[];
  expressions?: readonly EvaluatedExpression[];
  /** A logpoint's formatted message. */
  message?: string;
  /** An on-throw snapshot's exception (its throw site is `location` and the top of `stack`). */
  exception?: ThrownException;
}

/** Where a probe stands: armed and waiting for its line, or settled one way or the other. */
export type ProbeState = 'armed' | 'taken' | 'not-taken';

/** One frame of a snapshot's stack; `file` is a path for files, the URL otherwise. 1-based line. */
export interface StackFrame {
  readonly function: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A frame with its arguments and locals (V8 keeps both in the frame's local scope). */
export interface FrameState extends StackFrame {
  readonly locals: Record<string, CapturedValue>;
}

/** A snapshot's expression: its value, or why it has none (the error it threw, not evaluated). */
export interface EvaluatedExpression {
  readonly expr: string;
  readonly value?: CapturedValue;
  readonly error?: string;
}

/** What an on-throw snapshot says of the exception. */
export interface ThrownException {
  /** `TypeError`, `Error`, a class of the app's; `string`, `number`... for a thrown non-object. */
  readonly className: string;
  /** Its message (an Error's), or the thrown value's text. */
  readonly message: string;
  /** The stack V8 recorded for it, when it is an Error. */
  readonly stack?: string;
  /** Whether V8 saw nothing that would catch it (an unhandled rejection for an async function's throw). */
  readonly uncaught: boolean;
}

/**
 * A result as another process sent it (pushed to `epdb listen`): the same fields, unchecked, for
 * code that prints what it can and trusts nothing.
 */
export type ReceivedProbeResult = { readonly [Field in keyof ProbeResult]?: unknown };
