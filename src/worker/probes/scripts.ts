import type { ScriptParsedEvent } from './cdp.js';
import { generatedLine, loadSourceMap, pathEndsWith, pathOfUrl, sourcesMatching } from './source-maps.js';
import type { TraceMap } from '@jridgewell/trace-mapping';

/** Where a probe's breakpoint goes: a script and a 0-based line and column, as V8 counts. */
export interface ResolvedLocation {
  readonly scriptId: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
  /** The original source (a `.ts` file) when the line was found through a source map. */
  readonly source: string | null;
}

/** Why a `FILE:LINE` has no breakpoint location; the message is shown as it is. */
export class UnresolvedLocation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnresolvedLocation';
  }
}

interface Script {
  readonly scriptId: string;
  /** epdb's own scripts: listed in stacks, never a probe's target. */
  readonly hidden: boolean;
  readonly url: string;
  readonly path: string;
  readonly sourceMapURL: string;
}

/** How many scripts a message lists when a FILE is ambiguous. */
const LISTED = 3;

/**
 * The main thread's scripts as `Debugger.scriptParsed` reports them (V8 reports every loaded
 * script again on each `Debugger.enable`), and the resolution of `FILE:LINE` against them.
 */
export class ScriptRegistry {
  private readonly scripts = new Map<string, Script>();
  private readonly maps = new Map<string, Promise<TraceMap | null>>();

  constructor(private readonly hidden: (url: string) => boolean = () => false) {}

  /** Records one `Debugger.scriptParsed`. */
  add(event: ScriptParsedEvent): void {
    if (event.url === '') return;
    this.scripts.set(event.scriptId, {
      scriptId: event.scriptId,
      hidden: this.hidden(event.url),
      url: event.url,
      path: pathOfUrl(event.url),
      sourceMapURL: event.sourceMapURL ?? '',
    });
  }

  /** The URL of a script (paused frames carry an empty `url` on Node 20). */
  urlOf(scriptId: string): string | undefined {
    return this.scripts.get(scriptId)?.url;
  }

  /**
   * Finds the script and line for `file` (a path suffix) and `line` (1-based): a loaded
   * script whose path ends with `file`, else a source that a loaded script's source map names.
   *
   * @throws {UnresolvedLocation} when none matches, or several do.
   */
  async resolve(file: string, line: number): Promise<ResolvedLocation> {
    const probeable = [...this.scripts.values()].filter((script) => !script.hidden);
    const direct = preferApp(uniqueByUrl(probeable.filter((script) => pathEndsWith(script.path, file))));
    if (direct.length > 1) throw ambiguous(file, direct.map((script) => script.path));
    const script = direct[0];
    if (script !== undefined) return (await this.throughOwnMap(script, file, line)) ?? { scriptId: script.scriptId, url: script.url, lineNumber: line - 1, columnNumber: 0, source: null };
    const mapped = await this.resolveThroughSourceMaps(file, line);
    if (mapped !== null) return mapped;
    throw new UnresolvedLocation(`no loaded script matches "${file}" (nor any source in their source maps)`);
  }

  /**
   * A script loaded under its source's own name but compiled on the way (tsx, ts-node, a loader
   * with inline maps): its line numbers may differ from the file's, so go through its map when
   * the map names that file.
   */
  private async throughOwnMap(script: Script, file: string, line: number): Promise<ResolvedLocation | null> {
    if (script.sourceMapURL === '') return null;
    const map = await this.mapOf(script);
    const source = map === null ? undefined : sourcesMatching(map, file)[0];
    if (map === null || source === undefined) return null;
    const position = generatedLine(map, source, line);
    if (position === null) throw new UnresolvedLocation(`no code of ${pathOfUrl(source)} is at line ${line} (per its source map)`);
    return { scriptId: script.scriptId, url: script.url, lineNumber: position.line - 1, columnNumber: position.column, source };
  }

  private async resolveThroughSourceMaps(file: string, line: number): Promise<ResolvedLocation | null> {
    const stem = stemOf(file);
    // The script compiled from orders.ts is most likely orders.js: read its map first.
    const candidates = [...this.scripts.values()].filter((script) => !script.hidden && script.sourceMapURL !== '');
    const likely = candidates.filter((script) => stemOf(script.path) === stem);
    const others = preferApp(candidates.filter((script) => stemOf(script.path) !== stem), true);
    for (const group of [likely, others]) {
      const found: { script: Script; source: string; map: TraceMap }[] = [];
      for (const script of group) {
        const map = await this.mapOf(script);
        if (map === null) continue;
        for (const source of sourcesMatching(map, file)) {
          // V8 may report one file under two script ids (compiled twice): one place all the same.
          if (!found.some((match) => match.source === source && match.script.url === script.url)) found.push({ script, source, map });
        }
      }
      const app = found.filter((match) => !isDependency(match.source));
      const chosen = app.length > 0 ? app : found;
      if (chosen.length > 1) throw ambiguous(file, chosen.map((match) => pathOfUrl(match.source)));
      const match = chosen[0];
      if (match === undefined) continue;
      const position = generatedLine(match.map, match.source, line);
      if (position === null) throw new UnresolvedLocation(`no code of ${pathOfUrl(match.source)} is at line ${line} (per ${match.script.path}'s source map)`);
      return { scriptId: match.script.scriptId, url: match.script.url, lineNumber: position.line - 1, columnNumber: position.column, source: match.source };
    }
    return null;
  }

  private mapOf(script: Script): Promise<TraceMap | null> {
    let map = this.maps.get(script.scriptId);
    if (map === undefined) {
      map = loadSourceMap(script.url, script.sourceMapURL);
      this.maps.set(script.scriptId, map);
    }
    return map;
  }
}

/** One script a URL: Node may compile one file twice (a CommonJS main under the ES loader). */
function uniqueByUrl<T extends { readonly url: string }>(scripts: readonly T[]): T[] {
  return scripts.filter((script, i) => scripts.findIndex((other) => other.url === script.url) === i);
}

function isDependency(path: string): boolean {
  return path.includes('/node_modules/');
}

/** The app's own scripts when some match; dependencies only when nothing else does (or `keepAll`, reordered). */
function preferApp<T extends { readonly path: string }>(scripts: T[], keepAll = false): T[] {
  const app = scripts.filter((script) => !isDependency(script.path) && !script.path.startsWith('node:'));
  if (keepAll) return [...app, ...scripts.filter((script) => !app.includes(script))];
  return app.length > 0 ? app : scripts;
}

function ambiguous(file: string, paths: readonly string[]): UnresolvedLocation {
  const listed = paths.slice(0, LISTED).join(', ');
  return new UnresolvedLocation(`"${file}" matches ${paths.length} scripts (${listed}${paths.length > LISTED ? ', ...' : ''}); give more of the path`);
}

/** `/app/src/orders.ts` -> `orders`. */
function stemOf(path: string): string {
  const base = path.slice(path.replace(/\\/g, '/').lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return dot <= 0 ? base : base.slice(0, dot);
}
