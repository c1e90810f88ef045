import { CAPTURE_LIMITS } from '../../shared/probes/limits.js';
import { formatMessage } from '../../shared/probes/log-line.js';
import type { Redactor } from '../../shared/probes/redaction.js';
import { messageParts } from '../../shared/probes/spec.js';
import type { CallFrame, Post } from './cdp.js';
import { captureOnPausedFrames, type NotThisPause } from './pause-capture.js';

/** A logpoint's outcome: its message with every `{expr}` filled in. */
export interface LogLine {
  readonly message: string;
  readonly truncated: boolean;
  /** When the main thread let the pause happen (epoch ms). */
  readonly hitAt: number;
}

/**
 * Fills a logpoint's `{expr}` holes on the paused frame, each evaluated as a snapshot's
 * expressions are (side-effect free, redacted, bounded), and renders them on one line. Only a
 * logpoint whose holes are not all plain reads comes here: the others are formatted in their
 * breakpoint's condition, without a pause (src/main/probes/probe-hits.ts).
 *
 * @returns {@link NotThisPause} when the pause is not probe `probeId`'s
 */
export async function formatLogLine(post: Post, probeId: string, top: CallFrame, message: string, redactor: Redactor, deadline: number): Promise<LogLine | NotThisPause> {
  const expressions = messageParts(message).flatMap((part) => ('expr' in part ? [part.expr] : []));
  const captured = await captureOnPausedFrames(post, top, { probeId, frames: [], expressions, valueDepth: CAPTURE_LIMITS.logDepth, deadline }, redactor);
  if ('notThisPause' in captured) return captured;
  const outcomes = captured.expressions.map((e) => (e.value !== undefined ? { value: e.value } : { error: e.error ?? 'not evaluated' }));
  return { message: formatMessage(message, outcomes), truncated: captured.truncated, hitAt: captured.hitAt };
}
