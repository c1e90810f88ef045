import type { CallFrame, Post, RemoteObject } from './cdp.js';
import { CAPTURE_LIMITS } from './limits.js';
import type { Redactor } from './redaction.js';
import type { ScriptRegistry } from './scripts.js';
import { CaptureBudget, type CapturedValue, Serializer } from './serialize.js';

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

/** One `expr` of a snapshot and what it evaluated to, or why not. */
export interface EvaluatedExpression {
  readonly expr: string;
  readonly value?: CapturedValue;
  readonly error?: string;
}

/** What a snapshot captures. */
export interface Snapshot {
  readonly stack: readonly StackFrame[];
  readonly frames: readonly FrameState[];
  readonly expressions: readonly EvaluatedExpression[];
  /** Something was cut: by depth, field count, the 64 KB or the 10 ms bound. */
  readonly truncated: boolean;
}

/** The object group probes evaluate in, released after each capture as `backtrace` is. */
export const PROBE_OBJECT_GROUP = 'epdb-probe';

/**
 * The scopes whose variables are a frame's arguments and locals: the function's own (`local`)
 * and the blocks inside it, which V8 lists before it (blocks after it belong to outer code).
 */
function ownScopes(frame: CallFrame): CallFrame['scopeChain'] {
  const local = frame.scopeChain.findIndex((scope) => scope.type === 'local');
  const own = local === -1 ? frame.scopeChain.filter((scope) => scope.type === 'block' || scope.type === 'catch') : frame.scopeChain.slice(0, local + 1);
  return own.filter((scope) => scope.object.objectId !== undefined);
}

/**
 * Captures the stack, the top frames' arguments and locals and each expression, from a
 * paused main thread, within the capture's budget. The caller resumes it afterwards.
 */
export async function captureSnapshot(
  post: Post,
  callFrames: readonly CallFrame[],
  expressions: readonly string[],
  scripts: ScriptRegistry,
  redactor: Redactor,
  budget: CaptureBudget,
): Promise<Snapshot> {
  const stack = callFrames.slice(0, CAPTURE_LIMITS.maxFrames).map((frame) => stackFrame(frame, scripts));
  const withLocals = callFrames.slice(0, CAPTURE_LIMITS.framesWithLocals);
  // The top frame (and the expressions, which run in it) unfold to the full depth; the frames
  // below it list their arguments and locals one level deep, so that the frames of a framework,
  // which hold the same req and res again, do not spend the capture's time on them.
  const top = new Serializer(post, budget, redactor, CAPTURE_LIMITS.maxDepth);
  const below = new Serializer(post, budget, redactor, CAPTURE_LIMITS.lowerFrameDepth);
  const topFrame = callFrames[0];
  // Every round trip stops the main thread a little longer: send what does not depend on an
  // answer at once (the expressions and every frame's scopes), then unfold.
  const [evaluated, locals] = await Promise.all([
    topFrame === undefined ? [] : Promise.all(expressions.map((expr) => evaluate(post, topFrame.callFrameId, expr, top, redactor))),
    Promise.all(withLocals.map((frame, i) => frameLocals(frame, i === 0 ? top : below))),
  ]);
  await Promise.all([top.drain(), below.drain()]);
  const frames = withLocals.map((_, i) => ({ ...(stack[i] as StackFrame), locals: locals[i] ?? {} }));
  if (callFrames.length > CAPTURE_LIMITS.maxFrames) budget.truncated = true;
  return { stack, frames, expressions: evaluated, truncated: budget.truncated };
}

/** Where a paused frame is, for people: a path for file: URLs, 1-based line and column. */
export function stackFrame(frame: CallFrame, scripts: ScriptRegistry): StackFrame {
  const url = frame.url !== '' ? frame.url : scripts.urlOf(frame.location.scriptId) ?? '';
  return {
    function: frame.functionName !== '' ? frame.functionName : '(anonymous)',
    file: displayPath(url),
    line: frame.location.lineNumber + 1,
    column: (frame.location.columnNumber ?? 0) + 1,
  };
}

async function frameLocals(frame: CallFrame, serializer: Serializer): Promise<Record<string, CapturedValue>> {
  const locals: Record<string, CapturedValue> = {};
  const scopes = ownScopes(frame);
  const listed = await Promise.all(scopes.map((scope) => serializer.properties(scope.object.objectId as string)));
  for (const descriptors of listed) {
    for (const descriptor of descriptors ?? []) {
      // The innermost scope's binding wins, as in the code (block scopes come first).
      if (descriptor.name in locals || descriptor.value === undefined) continue;
      locals[descriptor.name] = serializer.value(descriptor.value, descriptor.name, 1);
    }
  }
  return locals;
}

/**
 * Evaluates `expr` on a paused frame without side effects (V8's `throwOnSideEffect`: a write to
 * anything that existed before, or a call that might make one, is refused before it runs).
 */
export async function evaluate(post: Post, callFrameId: string, expr: string, serializer: Serializer, redactor: Redactor): Promise<EvaluatedExpression> {
  try {
    const answer = await post<{ result: RemoteObject; exceptionDetails?: { exception?: RemoteObject; text?: string } }>(
      'Debugger.evaluateOnCallFrame',
      { callFrameId, expression: expr, objectGroup: PROBE_OBJECT_GROUP, throwOnSideEffect: true, silent: true },
    );
    if (answer.exceptionDetails !== undefined) return { expr, error: evaluationError(answer.exceptionDetails) };
    if (redactor.isSecretExpression(expr)) return { expr, value: { type: answer.result.type, value: '[redacted]', redacted: true } };
    return { expr, value: serializer.value(answer.result, null, 1) };
  } catch (error) {
    return { expr, error: error instanceof Error ? error.message : String(error) };
  }
}

function evaluationError(details: { exception?: RemoteObject; text?: string }): string {
  const description = details.exception?.description ?? details.text ?? 'it threw';
  const first = description.split('\n', 1)[0] ?? description;
  if (/Possible side-effect/i.test(first)) return 'not evaluated: it could have a side effect (throwOnSideEffect)';
  return `it threw: ${first.slice(0, 200)}`;
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
