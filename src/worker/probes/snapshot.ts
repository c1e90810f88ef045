import { CAPTURE_LIMITS } from '../../shared/probes/limits.js';
import type { Redactor } from '../../shared/probes/redaction.js';
import type { CallFrame, Post } from './cdp.js';
import type { EvaluatedExpression, FrameState, StackFrame } from '../../shared/probes/probe-result.js';
import { type CaptureRequest, captureOnPausedFrames, type FramesCapture, type NotThisPause } from './pause-capture.js';
import type { ScriptRegistry } from './scripts.js';

export { PROBE_OBJECT_GROUP } from './pause-capture.js';
export type { EvaluatedExpression, FrameState, StackFrame } from '../../shared/probes/probe-result.js';

/** What a snapshot captures. */
export interface Snapshot {
  readonly stack: readonly StackFrame[];
  readonly frames: readonly FrameState[];
  readonly expressions: readonly EvaluatedExpression[];
  /** Something was cut: by depth, field count, the 64 KB or the 10 ms bound. */
  readonly truncated: boolean;
}

/** What a snapshot read from the paused main thread, and its frames; {@link completeSnapshot} makes it whole once it runs again. */
export interface PausedCapture extends FramesCapture {
  readonly callFrames: readonly CallFrame[];
}

/**
 * Captures the top frames' arguments and locals and each expression from a paused main
 * thread, within the capture's deadline (epoch ms). The caller resumes it, then completes the
 * snapshot with {@link completeSnapshot} (which needs only the pause's own event).
 *
 * @returns {@link NotThisPause} when the pause is not probe `probeId`'s
 */
export async function captureSnapshot(
  post: Post,
  probeId: CaptureRequest['probeId'],
  callFrames: readonly CallFrame[],
  expressions: readonly string[],
  redactor: Redactor,
  deadline: number,
): Promise<PausedCapture | NotThisPause> {
  const top = callFrames[0];
  if (top === undefined) return { notThisPause: true };
  const frames = callFrames.slice(0, CAPTURE_LIMITS.framesWithLocals);
  const captured = await captureOnPausedFrames(post, top, { probeId, frames, expressions, valueDepth: CAPTURE_LIMITS.maxDepth, deadline }, redactor);
  if ('notThisPause' in captured) return captured;
  return { callFrames, locals: captured.locals, expressions: captured.expressions, truncated: captured.truncated, hitAt: captured.hitAt, probeId: captured.probeId };
}

/** The snapshot of a capture: its stack (up to 20 frames) and the top frames with their locals. */
export function completeSnapshot(capture: PausedCapture, scripts: ScriptRegistry): Snapshot {
  const stack = capture.callFrames.slice(0, CAPTURE_LIMITS.maxFrames).map((frame) => stackFrame(frame, scripts));
  const frames = capture.locals.map((locals, i) => ({ ...(stack[i] as StackFrame), locals }));
  const truncated = capture.truncated || capture.callFrames.length > CAPTURE_LIMITS.maxFrames;
  return { stack, frames, expressions: capture.expressions, truncated };
}

/** Where a paused frame is, for people: a path for file: URLs, 1-based line and column. */
export function stackFrame(frame: CallFrame, scripts: ScriptRegistry): StackFrame {
  const url = scripts.urlOf(frame.location.scriptId) ?? frame.url ?? '';
  return {
    function: frame.functionName !== '' ? frame.functionName : '(anonymous)',
    file: displayPath(url),
    line: frame.location.lineNumber + 1,
    column: (frame.location.columnNumber ?? 0) + 1,
  };
}

/** A file: URL as its path; anything else (node:internal/...) as it is. */
export function displayPath(url: string): string {
  if (!url.startsWith('file://')) return url;
  try {
    return decodeURIComponent(new URL(url).pathname);
  } catch {
    return url;
  }
}
