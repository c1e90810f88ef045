import type { CapturedValue } from '../../shared/probes/captured-value.js';
import type { EvaluatedExpression } from '../../shared/probes/probe-result.js';
import { CAPTURE_ON_PAUSE, CAPTURE_ON_THROW, type CaptureAnswer, type NotThisPause, type PathOutcome, type PauseLayout, type SimplePath } from '../../shared/probes/capture-protocol.js';
import type { Redactor } from '../../shared/probes/redaction.js';
import type { CallFrame, Post, RemoteObject } from './cdp.js';
import { simplePathOf } from './simple-paths.js';

/** The object group probes evaluate in, released after each capture as `backtrace` is. */
export const PROBE_OBJECT_GROUP = 'epdb-probe';

/** What one capture on a pause read: the frames' locals and the expressions. */
export interface FramesCapture {
  readonly locals: readonly Record<string, CapturedValue>[];
  readonly expressions: readonly EvaluatedExpression[];
  readonly truncated: boolean;
  /** When the main thread let the pause happen (epoch ms). */
  readonly hitAt: number;
  /** The probe it was for: the line probe asked for, or the throw probe whose request threw. */
  readonly probeId: string;
}

export type { NotThisPause } from '../../shared/probes/capture-protocol.js';

/** What a capture on a pause reads. */
export interface CaptureRequest {
  /**
   * A line probe's pause: its id (its condition let V8 pause). An exception pause: the throw
   * probes armed, of which the main thread finds the one whose request threw, if any.
   */
  readonly probeId: string | { readonly throwProbes: readonly string[] };
  /** The frames whose locals are captured (the top ones); none for a logpoint. */
  readonly frames: readonly CallFrame[];
  /** Evaluated side-effect free on the top frame. */
  readonly expressions: readonly string[];
  readonly valueDepth: number;
  /** Epoch ms past which the main thread unfolds no more objects. */
  readonly deadline: number;
}

/**
 * Captures on a paused main thread, in one round trip when every expression is a plain read:
 * one call of the main thread's capture (src/main/probes/probe-hits.ts) with every scope object,
 * which reads the frames' locals and the plain-read expressions there and answers one JSON
 * string. Other expressions are evaluated by V8 side-effect free (`throwOnSideEffect`), sent
 * alongside, and their values captured by a second call. Every round trip stops the main thread
 * a little longer; the caller resumes it.
 *
 * @returns {@link NotThisPause} when the main thread says the pause is not this probe's
 */
export async function captureOnPausedFrames(post: Post, top: CallFrame, request: CaptureRequest, redactor: Redactor): Promise<FramesCapture | NotThisPause> {
  const planned = request.expressions.map((expr) => ({ expr, path: simplePathOf(expr) }));
  const plain = planned.filter((p): p is { expr: string; path: SimplePath } => p.path !== null);
  const scopes = request.frames.map(ownScopes);
  const chain = top.scopeChain.filter((scope) => scope.object.objectId !== undefined);
  const first = callCapture(post, top, request, {
    scopes: scopes.map((s) => s.length), names: chain.length, paths: plain.map((p) => p.path), values: 0,
  }, [...scopes.flat(), ...chain].map((scope) => scope.object));
  const evaluations = new Map<string, Promise<Evaluation>>();
  const planEvaluations = (): void => {
    for (const { expr, path } of planned) if (path === null) evaluations.set(expr, evaluate(post, top.callFrameId, expr));
  };
  // A line probe's pause is its own (its condition said so): evaluate alongside. An exception
  // may be any request's: nothing is evaluated on its frames until the main thread says whose.
  if (typeof request.probeId === 'string') planEvaluations();
  const captured = await first;
  if ('notThisPause' in captured) {
    await Promise.all(evaluations.values());
    return captured;
  }
  const probeId = typeof request.probeId === 'string' ? request.probeId : captured.probeId;
  if (probeId === undefined) return { notThisPause: true };
  if (typeof request.probeId !== 'string') planEvaluations();
  const pathOutcomes = new Map<string, PathOutcome>(plain.map((p, i) => [p.expr, captured.paths[i] ?? { needsEvaluation: true }]));
  // A plain read with a getter (or a proxy) on the way: V8 evaluates it, refusing a side effect.
  for (const [expr, outcome] of pathOutcomes) if ('needsEvaluation' in outcome) evaluations.set(expr, evaluate(post, top.callFrameId, expr));
  const evaluated = new Map<string, Evaluation>();
  for (const [expr, evaluation] of evaluations) evaluated.set(expr, await evaluation);
  const passed = [...evaluated.values()].filter((e) => e.remote !== undefined && !redactor.isSecretExpression(e.expr));
  const answer = passed.length === 0 ? null : await callCapture(post, top, { ...request, probeId }, { scopes: [], names: 0, paths: [], values: passed.length }, passed.map((e) => e.remote as RemoteObject));
  const second = answer === null || 'notThisPause' in answer ? null : answer;
  const valueOf = new Map(passed.map((e, i) => [e.expr, second?.values[i]]));
  const expressions = request.expressions.map((expr): EvaluatedExpression => {
    const outcome = evaluated.get(expr) ?? pathOutcomes.get(expr);
    if (outcome === undefined || 'needsEvaluation' in outcome) return { expr, error: 'not evaluated' };
    if ('error' in outcome && outcome.error !== undefined) return { expr, error: outcome.error };
    const value = 'remote' in outcome ? valueOf.get(expr) : (outcome as { value: CapturedValue }).value;
    if (redactor.isSecretExpression(expr)) {
      const type = 'remote' in outcome ? (outcome.remote as RemoteObject).type : value?.type ?? 'undefined';
      return { expr, value: { type, value: '[redacted]', redacted: true } };
    }
    return { expr, value: value ?? { type: 'undefined' } };
  });
  return { locals: captured.frames, expressions, truncated: captured.truncated || second?.truncated === true, hitAt: captured.hitAt, probeId };
}

/** One call of the main thread's capture with `objects`. */
async function callCapture(post: Post, top: CallFrame, request: CaptureRequest, layout: Omit<PauseLayout, 'valueDepth' | 'deadline'>, objects: readonly RemoteObject[]): Promise<CaptureAnswer> {
  const full: PauseLayout = { ...layout, valueDepth: request.valueDepth, deadline: request.deadline };
  const target = objects.find((remote) => remote.objectId !== undefined)?.objectId;
  const onThrow = typeof request.probeId !== 'string';
  const capture = onThrow ? CAPTURE_ON_THROW : CAPTURE_ON_PAUSE;
  const which = typeof request.probeId === 'string' ? request.probeId : request.probeId.throwProbes;
  const args = [{ value: which }, { value: full }, ...objects.map(callArgument)];
  const answer = target !== undefined
    ? await post<{ result: RemoteObject }>('Runtime.callFunctionOn', {
      functionDeclaration: capture, objectId: target, arguments: args, returnByValue: true, silent: true, objectGroup: PROBE_OBJECT_GROUP,
    })
    // Nothing to call it on (no scope, no object value): the same call, written out on the frame.
    : await post<{ result: RemoteObject }>('Debugger.evaluateOnCallFrame', {
      callFrameId: top.callFrameId, expression: `(${capture})(${args.map(literalOf).join(', ')})`, returnByValue: true, silent: true, objectGroup: PROBE_OBJECT_GROUP,
    });
  // No string: the main thread's hooks are not there (it never ran a probe), so not its pause.
  return typeof answer.result.value === 'string' ? (JSON.parse(answer.result.value) as CaptureAnswer) : { notThisPause: true };
}

/**
 * The scopes whose variables are a frame's arguments and locals: the function's own (`local`)
 * and the blocks inside it, which V8 lists before it (blocks after it belong to outer code).
 */
function ownScopes(frame: CallFrame): CallFrame['scopeChain'] {
  const local = frame.scopeChain.findIndex((scope) => scope.type === 'local');
  const own = local === -1 ? frame.scopeChain.filter((scope) => scope.type === 'block' || scope.type === 'catch') : frame.scopeChain.slice(0, local + 1);
  return own.filter((scope) => scope.object.objectId !== undefined);
}

/** A remote value as an argument of `Runtime.callFunctionOn`. */
function callArgument(remote: RemoteObject): object {
  if (remote.objectId !== undefined) return { objectId: remote.objectId };
  if (remote.unserializableValue !== undefined) return { unserializableValue: remote.unserializableValue };
  if (remote.type === 'undefined') return {};
  return { value: remote.value ?? null };
}

/** A call argument without an object, as source text. */
function literalOf(argument: { value?: unknown; unserializableValue?: string }): string {
  if (argument.unserializableValue !== undefined) return argument.unserializableValue;
  return 'value' in argument ? JSON.stringify(argument.value) : 'undefined';
}

interface Evaluation {
  readonly expr: string;
  readonly remote?: RemoteObject;
  readonly error?: string;
}

/**
 * Evaluates `expr` on a paused frame without side effects (V8's `throwOnSideEffect`: a write to
 * anything that existed before, or a call that might make one, is refused before it runs).
 */
async function evaluate(post: Post, callFrameId: string, expr: string): Promise<Evaluation> {
  try {
    const answer = await post<{ result: RemoteObject; exceptionDetails?: { exception?: RemoteObject; text?: string } }>(
      'Debugger.evaluateOnCallFrame',
      { callFrameId, expression: expr, objectGroup: PROBE_OBJECT_GROUP, throwOnSideEffect: true, silent: true },
    );
    if (answer.exceptionDetails !== undefined) return { expr, error: evaluationError(answer.exceptionDetails) };
    return { expr, remote: answer.result };
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
