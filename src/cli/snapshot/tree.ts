import { leafText, type CapturedValue as Value } from '../../shared/probes/captured-value.js';
import type { ProbeResult } from '../../shared/probes/probe-result.js';

/** What of a result the tree shows. */
export type SnapshotView = Pick<ProbeResult, 'exception' | 'stack' | 'frames' | 'expressions' | 'truncated'>;

const INDENT = '  ';

/**
 * A snapshot as an indented tree for a terminal: the expressions, the top frames' locals
 * (objects unfolded as far as they were captured), then the stack.
 *
 * @example
 * ```
 * expressions
 *   order.total = 99.5
 * frame 0: handler (/app/routes/orders.js:17)
 *   order: Object {2}
 *     id: 42
 *     password: [redacted]
 * stack
 *   handler  /app/routes/orders.js:17:5
 * ```
 */
export function snapshotTree(view: SnapshotView): string {
  const lines: string[] = [];
  if (view.exception !== undefined) {
    const where = view.stack?.[0];
    lines.push(`thrown: ${view.exception.className}${view.exception.message !== '' ? `: ${view.exception.message}` : ''}${view.exception.uncaught ? ' (uncaught)' : ''}`);
    if (where !== undefined) lines.push(`${INDENT}at ${where.function} (${where.file}:${where.line}:${where.column})`);
  }
  if ((view.expressions ?? []).length > 0) {
    lines.push('expressions');
    for (const expression of view.expressions ?? []) {
      if (expression.value === undefined) lines.push(`${INDENT}${expression.expr}: <${expression.error ?? 'not evaluated'}>`);
      else valueLines(lines, `${expression.expr} =`, expression.value, 1);
    }
  }
  for (const [i, frame] of (view.frames ?? []).entries()) {
    lines.push(`frame ${i}: ${frame.function} (${frame.file}:${frame.line})`);
    const locals = Object.entries(frame.locals ?? {});
    if (locals.length === 0) lines.push(`${INDENT}(no locals)`);
    for (const [name, value] of locals) valueLines(lines, `${name}:`, value, 1);
  }
  if ((view.stack ?? []).length > 0) {
    lines.push('stack');
    for (const frame of view.stack ?? []) lines.push(`${INDENT}${frame.function}  ${frame.file}:${frame.line}:${frame.column}`);
  }
  if (view.truncated === true) lines.push('(truncated: some values were cut by the capture limits; "…" marks where)');
  return `${lines.join('\n')}\n`;
}

function valueLines(lines: string[], label: string, value: Value, depth: number): void {
  const pad = INDENT.repeat(depth);
  lines.push(`${pad}${label} ${headOf(value)}`);
  if (value.redacted === true) return;
  if (value.elements !== undefined) value.elements.forEach((element, i) => valueLines(lines, `[${i}]:`, element, depth + 1));
  if (value.fields !== undefined) for (const [name, field] of Object.entries(value.fields)) valueLines(lines, `${name}:`, field, depth + 1);
  if (value.truncated === true && (value.elements !== undefined || value.fields !== undefined)) lines.push(`${pad}${INDENT}…`);
}

/** One value's own line: a primitive in full, an object by its class and size. */
function headOf(value: Value): string {
  const leaf = leafText(value, 'quoted');
  if (leaf !== null) return leaf;
  const size = value.size !== undefined ? (value.elements !== undefined || value.className === 'Array' ? `(${value.size})` : ` {${value.size}}`) : '';
  const description = value.description !== undefined ? ` ${value.description}` : '';
  const why = value.notCapturedReason !== undefined && value.fields === undefined && value.elements === undefined ? ` …(${value.notCapturedReason})` : '';
  return `${value.className ?? 'Object'}${size}${description}${why}`;
}
