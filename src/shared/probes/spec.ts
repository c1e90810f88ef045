/**
 * What a probe knock asks for, shared by the main thread (which reads it from the knock), the
 * bridge worker (which arms it) and `epdb snapshot` (which writes it). Plain data only: it
 * crosses the worker boundary.
 */

/** A probe's kind: a snapshot of the state, or a logpoint's formatted message. */
export type ProbeKind = 'snapshot' | 'log';

/** A `FILE:LINE` location as the knock names it: a path suffix and a 1-based line. */
export interface ProbeLocation {
  readonly file: string;
  readonly line: number;
}

/**
 * What takes a probe: the request reaching a line (`at`), or the request's first exception
 * (`{"snapshot": {"on": "throw"}}`), captured where it is thrown.
 */
export type ProbeTrigger = 'line' | 'throw';

/** A probe as a knock asks for it, validated. */
export interface ProbeSpec {
  readonly kind: ProbeKind;
  readonly trigger: ProbeTrigger;
  /** The `at` text as given (`src/orders.ts:17`), or `throw`, for log lines and results. */
  readonly at: string;
  /** Where a line probe is set; null for a throw probe. */
  readonly location: ProbeLocation | null;
  /** Snapshot: the expressions to evaluate at the line (none for a logpoint). */
  readonly expressions: readonly string[];
  /** Logpoint: the message with its `{expr}` holes. */
  readonly message: string | null;
  /** An id chosen by the knock's maker (`epdb snapshot`), so it can fetch the result; else null. */
  readonly id: string | null;
}

/** At most this many `expr` in one snapshot. */
export const MAX_EXPRESSIONS = 20;
/** At most this many characters in one expression. */
export const MAX_EXPRESSION_LENGTH = 500;
/** At most this many characters in a logpoint's message. */
export const MAX_MESSAGE_LENGTH = 2_000;
/** A probe id a knock may choose: lowercase hex, short enough for a log line and a URL. */
const PROBE_ID = /^[0-9a-f]{4,32}$/;

/** Why a probe knock cannot be used; the request is then served as without a knock. */
export class ProbeSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeSpecError';
  }
}

/**
 * The probe a knock's options ask for: `undefined` when they ask for none (a debugger knock).
 *
 * @throws {ProbeSpecError} when they ask for one that cannot be armed (bad `at`, both kinds...).
 */
export function probeSpecOf(options: Readonly<Record<string, unknown>>): ProbeSpec | undefined {
  const snapshot = options['snapshot'];
  const log = options['log'];
  if (snapshot === undefined && log === undefined) return undefined;
  if (snapshot !== undefined && log !== undefined) throw new ProbeSpecError('a knock asks for a snapshot or a log, not both');
  const kind: ProbeKind = snapshot !== undefined ? 'snapshot' : 'log';
  const body = snapshot ?? log;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ProbeSpecError(`"${kind}" must be an object`);
  const fields = body as Record<string, unknown>;
  const id = fields['id'];
  if (id !== undefined && (typeof id !== 'string' || !PROBE_ID.test(id))) {
    throw new ProbeSpecError(`"${kind}.id" must be 4 to 32 lowercase hex digits`);
  }
  const on = fields['on'];
  if (on !== undefined) {
    if (kind !== 'snapshot' || on !== 'throw') throw new ProbeSpecError(`"${kind}.on" may only be "throw", for a snapshot`);
    if (fields['at'] !== undefined) throw new ProbeSpecError('"snapshot.on": "throw" is taken where the request throws: it takes no "at"');
    return { kind, trigger: 'throw', at: 'throw', location: null, id: typeof id === 'string' ? id : null, expressions: expressionsOf(fields['expr']), message: null };
  }
  const at = fields['at'];
  if (typeof at !== 'string') throw new ProbeSpecError(`"${kind}.at" must be a string "FILE:LINE"`);
  const location = parseLocation(at);
  const base = { kind, trigger: 'line' as const, at, location, id: typeof id === 'string' ? id : null };
  if (kind === 'snapshot') {
    return { ...base, expressions: expressionsOf(fields['expr']), message: null };
  }
  const message = fields['message'];
  if (typeof message !== 'string' || message === '') throw new ProbeSpecError('"log.message" must be a non-empty string');
  if (message.length > MAX_MESSAGE_LENGTH) throw new ProbeSpecError(`"log.message" is longer than ${MAX_MESSAGE_LENGTH} characters`);
  messageParts(message);
  return { ...base, expressions: [], message };
}

/**
 * Parses `FILE:LINE` (the last colon splits, so a Windows-style `C:` prefix survives).
 *
 * @throws {ProbeSpecError} naming what is wrong.
 */
export function parseLocation(at: string): ProbeLocation {
  const colon = at.lastIndexOf(':');
  const file = colon === -1 ? '' : at.slice(0, colon).trim();
  const lineText = colon === -1 ? '' : at.slice(colon + 1).trim();
  const line = Number(lineText);
  if (file === '' || !/^\d+$/.test(lineText) || !Number.isSafeInteger(line) || line < 1) {
    throw new ProbeSpecError(`"${at.slice(0, 200)}" is not FILE:LINE (a path suffix and a line number from 1)`);
  }
  if (file.length > 1_000) throw new ProbeSpecError('the FILE of FILE:LINE is longer than 1000 characters');
  // It goes into log lines: no control characters, which could forge lines.
  if (/[\x00-\x1f\x7f]/.test(at)) throw new ProbeSpecError('FILE:LINE has control characters');
  return { file, line };
}

function expressionsOf(value: unknown): readonly string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((item): item is string => typeof item === 'string' && item.trim() !== '')) {
    throw new ProbeSpecError('"snapshot.expr" must be a list of non-empty strings');
  }
  if (list.length > MAX_EXPRESSIONS) throw new ProbeSpecError(`"snapshot.expr" has more than ${MAX_EXPRESSIONS} expressions`);
  if (list.some((item) => item.length > MAX_EXPRESSION_LENGTH)) {
    throw new ProbeSpecError(`an expression of "snapshot.expr" is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  return list;
}

/** A message's parts: literal text and `{expr}` holes (`{{` and `}}` stand for braces). */
export type MessagePart = { readonly text: string } | { readonly expr: string };

/**
 * Splits a logpoint message into text and `{expr}` holes.
 *
 * @throws {ProbeSpecError} for an unclosed or empty hole.
 */
export function messageParts(message: string): MessagePart[] {
  const parts: MessagePart[] = [];
  let text = '';
  for (let i = 0; i < message.length; i++) {
    const c = message[i] as string;
    if ((c === '{' || c === '}') && message[i + 1] === c) {
      text += c;
      i++;
    } else if (c === '{') {
      const end = message.indexOf('}', i + 1);
      const expr = end === -1 ? '' : message.slice(i + 1, end).trim();
      if (end === -1 || expr === '') throw new ProbeSpecError('"log.message" has an unclosed or empty {expression}');
      if (text !== '') parts.push({ text });
      text = '';
      parts.push({ expr });
      i = end;
    } else {
      text += c;
    }
  }
  if (text !== '') parts.push({ text });
  return parts;
}

/** What the main thread asks the bridge worker to arm for one knocked request. */
export interface ProbeArm {
  /** The result's id (the knock's, or one made by the main thread). */
  readonly id: string;
  readonly spec: ProbeSpec;
  /** `GET /orders/42`, for the log line and the result. */
  readonly request: string;
  /** The knock header's value, redacted wherever it appears in a capture. */
  readonly knock: string;
  /** Extra names to redact (`EPDB_REDACT`). */
  readonly redact: readonly string[];
}
