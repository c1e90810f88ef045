import { isKnockHeaderName as isKnockName } from '../../shared/knock/header.js';

/**
 * Whether `name` is the knock header's (`x-epdb`, or its alias `http-x-epdb`) in any case.
 * Runs for every header of every outgoing request: rejected by length first, allocating nothing.
 */
export function isKnockHeaderName(name: unknown): boolean {
  return typeof name === 'string' && isKnockName(name);
}

/** Whether a headers object or a flat `[name, value, ...]` array has a knock header. */
export function hasKnockHeader(headers: unknown): boolean {
  if (typeof headers !== 'object' || headers === null) return false;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (isKnockHeaderName(headers[i])) return true;
    return false;
  }
  for (const name in headers) if (isKnockHeaderName(name)) return true;
  return false;
}

/** A copy of `headers` (object or flat array) without any knock header. */
export function withoutKnockHeader(headers: object): object {
  if (Array.isArray(headers)) {
    const kept: unknown[] = [];
    for (let i = 0; i < headers.length; i += 2) if (!isKnockHeaderName(headers[i])) kept.push(headers[i], headers[i + 1]);
    return kept;
  }
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) if (!isKnockHeaderName(name)) kept[name] = value;
  return kept;
}

/** Removes every knock header from a flat `[name, value, ...]` array in place; returns how many. */
export function removeKnockHeaders(headers: unknown[]): number {
  let removed = 0;
  for (let i = 0; i < headers.length;) {
    if (isKnockHeaderName(headers[i])) {
      headers.splice(i, 2);
      removed++;
    } else {
      i += 2;
    }
  }
  return removed;
}
