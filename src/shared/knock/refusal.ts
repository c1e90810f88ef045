import { KnockError, type KnockErrorCode } from '../errors.js';

/**
 * A {@link KnockError} made without a stack trace. Refusals are routine and attacker-driven,
 * and only their code and message are ever used; capturing the stack was half the cost of
 * refusing a malformed knock (bench figure 3).
 */
export function refusal(code: KnockErrorCode, message: string): KnockError {
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 0;
  } catch {
    // Frozen intrinsics: make it the ordinary way.
    return new KnockError(code, message);
  }
  try {
    return new KnockError(code, message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
