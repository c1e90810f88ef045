import { type CapturedValue, leafText } from './captured-value.js';
import { type MessagePart, messageParts } from './spec.js';

/** What one `{expr}` of a logpoint came to: its captured value, or why there is none. */
export type HoleOutcome = { readonly value: CapturedValue } | { readonly error: string };

/**
 * A logpoint's message with its holes filled, on one line: `outcomes` in the order of the
 * message's `{expr}`s (the main thread's condition and the worker's pause both format so).
 */
export function formatMessage(message: string, outcomes: readonly HoleOutcome[]): string {
  return formatParts(messageParts(message), outcomes);
}

/** {@link formatMessage} of a message split once beforehand ({@link messageParts}). */
export function formatParts(parts: readonly MessagePart[], outcomes: readonly HoleOutcome[]): string {
  let hole = 0;
  return parts.map((part) => {
    if ('text' in part) return part.text;
    const outcome = outcomes[hole++];
    if (outcome === undefined) return '<not evaluated>';
    return 'value' in outcome ? inline(outcome.value) : `<${outcome.error}>`;
  }).join('');
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

/** An error thrown by a read, as a hole shows it (the first line, as V8's evaluation does). */
export function thrownText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `it threw: ${(text.split('\n', 1)[0] ?? text).slice(0, 200)}`;
}
