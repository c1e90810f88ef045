import type { ThrownException } from '../../shared/probes/probe-result.js';
import type { Redactor } from '../../shared/probes/redaction.js';
import type { PausedEvent, RemoteObject } from './cdp.js';

/** Longest message and stack kept: an exception's text can be anything, and a capture is bounded. */
const MAX_TEXT = 4_096;

/**
 * The exception of an exception pause, from the pause's own event (V8 describes it: an Error's
 * description is its stack, whose first line is `Class: message`), so reading it costs the
 * stopped main thread nothing. The knock is redacted from it, as from every capture.
 */
export function thrownException(event: PausedEvent, redactor: Redactor): ThrownException {
  const data = (event.data ?? {}) as RemoteObject & { readonly uncaught?: boolean };
  const uncaught = data.uncaught === true;
  const description = data.description ?? (data.value !== undefined ? String(data.value) : data.unserializableValue ?? data.type);
  const clean = (text: string): string => redactor.carriesKnock(text) ? '[redacted]' : text.slice(0, MAX_TEXT);
  if (data.subtype === 'error') {
    const className = data.className ?? 'Error';
    const firstLine = description.split('\n', 1)[0] ?? '';
    const message = firstLine.startsWith(`${className}: `) ? firstLine.slice(className.length + 2) : firstLine === className ? '' : firstLine;
    return { className, message: clean(message), stack: clean(description), uncaught };
  }
  return { className: data.className ?? data.type, message: clean(description), uncaught };
}
