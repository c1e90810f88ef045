import { GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, originalPositionFor, type TraceMap } from '@jridgewell/trace-mapping';
import { loadSourceMap } from '../probes/source-maps.js';
import { isAppSource } from './app-code.js';
import { functionEntries, type FunctionEntry, type Position } from './function-entries.js';

/**
 * The function entries of an app script where the walk may stop. A script with a source map
 * (a bundle, compiled TypeScript) is classified by its map: only functions whose original source
 * is the app's own count, so a bundle's copy of Express, a bundler's runtime and a compiler's
 * helpers (which map to nothing) are passed through like `node_modules`. A map that cannot be
 * read leaves the script whole, as one without a map.
 */
export async function appEntries(url: string, sourceMapURL: string, source: string): Promise<FunctionEntry[]> {
  const entries = functionEntries(source);
  if (sourceMapURL === '' || entries.length === 0) return entries;
  const map = await loadSourceMap(url, sourceMapURL);
  if (map === null) return entries;
  return entries.filter((entry) => isAppSourceAt(map, entry));
}

/**
 * Classified by the original source of its body's start or, when a compiler wrote that line
 * itself (`return __awaiter(this, void 0, void 0, function* () {`, `var _a, _b;`), of its
 * first statement that maps to anything. A function of which none maps is a compiler's own.
 */
function isAppSourceAt(map: TraceMap, entry: FunctionEntry): boolean {
  for (const position of [entry, ...entry.statements]) {
    const source = originalSourceAt(map, position);
    if (source !== null) return isAppSource(source);
  }
  return false;
}

function originalSourceAt(map: TraceMap, { lineNumber, columnNumber }: Position): string | null {
  const at = { line: lineNumber + 1, column: columnNumber };
  // A `{` seldom has a mapping of its own: the closest one before it on its line, else after.
  const before = originalPositionFor(map, { ...at, bias: GREATEST_LOWER_BOUND });
  if (before.source !== null) return before.source;
  return originalPositionFor(map, { ...at, bias: LEAST_UPPER_BOUND }).source;
}
