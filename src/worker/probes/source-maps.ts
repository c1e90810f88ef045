import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generatedPositionFor, LEAST_UPPER_BOUND, TraceMap } from '@jridgewell/trace-mapping';

/** A generated position: 1-based line, 0-based column (as trace-mapping gives them). */
export interface GeneratedPosition {
  readonly line: number;
  readonly column: number;
}

/** A source map file larger than this is not read (a map that size is not an app file's). */
const MAX_MAP_BYTES = 20 * 1024 * 1024;

/**
 * Reads the source map a script names in its `sourceMappingURL` (V8 reports it in
 * `Debugger.scriptParsed`): a `data:` URL inline, or a file relative to the script's URL.
 * Null when there is none that can be read and parsed.
 */
export async function loadSourceMap(scriptUrl: string, sourceMapURL: string): Promise<TraceMap | null> {
  try {
    if (sourceMapURL.startsWith('data:')) {
      const comma = sourceMapURL.indexOf(',');
      if (comma === -1) return null;
      const meta = sourceMapURL.slice(5, comma);
      const data = sourceMapURL.slice(comma + 1);
      const text = meta.endsWith(';base64') ? Buffer.from(data, 'base64').toString('utf8') : decodeURIComponent(data);
      return new TraceMap(text, scriptUrl);
    }
    const mapUrl = new URL(sourceMapURL, scriptUrl);
    if (mapUrl.protocol !== 'file:') return null;
    const text = await readFile(fileURLToPath(mapUrl), 'utf8');
    if (text.length > MAX_MAP_BYTES) return null;
    return new TraceMap(text, mapUrl.href);
  } catch {
    return null;
  }
}

/** The map's sources (resolved to URLs) whose path ends with `file`. */
export function sourcesMatching(map: TraceMap, file: string): string[] {
  return map.resolvedSources.filter((source) => pathEndsWith(pathOfUrl(source), file));
}

/** Where `line` (1-based) of `source` starts in the generated code, or null when no code maps to it. */
export function generatedLine(map: TraceMap, source: string, line: number): GeneratedPosition | null {
  const position = generatedPositionFor(map, { source, line, column: 0, bias: LEAST_UPPER_BOUND });
  return position.line === null ? null : { line: position.line, column: position.column };
}

/** A URL's path (`file:///app/src/a.ts` -> `/app/src/a.ts`); other strings as they are. */
export function pathOfUrl(url: string): string {
  if (!url.startsWith('file://')) return url;
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

/**
 * Whether `path` is `suffix` or ends with it at a path separator (`routes/orders.js` matches
 * `/app/routes/orders.js`, not `/app/myroutes/orders.js`).
 */
export function pathEndsWith(path: string, suffix: string): boolean {
  const wanted = suffix.replace(/\\/g, '/').replace(/^\.\//, '');
  const have = path.replace(/\\/g, '/');
  return have === wanted || have.endsWith(wanted.startsWith('/') ? wanted : `/${wanted}`);
}
