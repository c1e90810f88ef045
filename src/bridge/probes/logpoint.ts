import { leafText } from '../../probes/captured-value.js';
import { messageParts } from '../../probes/spec.js';
import type { Post } from './cdp.js';
import { CAPTURE_LIMITS } from './limits.js';
import type { Redactor } from './redaction.js';
import { CaptureBudget, type CapturedValue, Serializer } from './serialize.js';
import { evaluate } from './snapshot.js';

/** A logpoint's outcome: its message with every `{expr}` filled in. */
export interface LogLine {
  readonly message: string;
  readonly truncated: boolean;
}

/**
 * Fills a logpoint's `{expr}` holes on the paused frame, each evaluated as a snapshot's
 * expressions are (side-effect free, redacted, bounded), and rendered on one line.
 */
export async function formatLogLine(post: Post, callFrameId: string, message: string, redactor: Redactor, budget: CaptureBudget): Promise<LogLine> {
  const parts = messageParts(message);
  const serializer = new Serializer(post, budget, redactor, CAPTURE_LIMITS.logDepth);
  const values = await Promise.all(parts.map((part) => ('expr' in part ? evaluate(post, callFrameId, part.expr, serializer, redactor) : null)));
  await serializer.drain();
  const text = parts.map((part, i) => {
    if ('text' in part) return part.text;
    const value = values[i];
    if (value?.value !== undefined) return inline(value.value);
    return `<${value?.error ?? 'not evaluated'}>`;
  }).join('');
  return { message: text, truncated: budget.truncated };
}

/** One value on one line: `42`, `ada`, `{id: 42, items: [1, 2]}`, `Map(3)`. */
export function inline(value: CapturedValue): string {
  return leafText(value, 'bare') ?? inlineObject(value);
}

function inlineObject(value: CapturedValue): string {
  const more = value.truncated === true ? ', …' : '';
  if (value.elements !== undefined) return `[${value.elements.map(quotedInline).join(', ')}${more}]`;
  if (value.fields !== undefined) {
    return `{${Object.entries(value.fields).map(([name, field]) => `${name}: ${quotedInline(field)}`).join(', ')}${more}}`;
  }
  if (value.description !== undefined) return value.description;
  return value.size !== undefined ? `${value.className ?? 'Object'}(${value.size})` : value.className ?? 'Object';
}

/** Inside an object, strings are quoted so `{a: "1"}` and `{a: 1}` differ. */
function quotedInline(value: CapturedValue): string {
  return leafText(value, 'quoted') ?? inlineObject(value);
}
