import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FlattenMap, TraceMap, type EncodedSourceMap, type SectionedSourceMap } from '@jridgewell/trace-mapping';
import { MAX_SERVED_BYTES } from './limits.js';

/**
 * The files one client may load through the bridge: the source maps that the scripts it was
 * told about name (their `sourceMapURL` resolved against their URL, when that is a file), and
 * the sources those maps name (resolved against the map). Nothing else. A map is read for its
 * sources only when the client asks for a file that is not a map; each map at most once.
 */
export class ServedFiles {
  private readonly maps = new Set<string>();
  private readonly sources = new Set<string>();
  /** Maps whose sources are read or being read. */
  private readonly read = new Map<string, Promise<void>>();

  /**
   * Notes a script the client is told about (`Debugger.scriptParsed`). Returns the `file:` URL
   * of its source map when that is a file (not inline, not elsewhere), else null.
   */
  noteScript(scriptUrl: string, sourceMapURL: string): string | null {
    if (sourceMapURL === '' || sourceMapURL.startsWith('data:')) return null;
    let mapUrl: URL;
    try {
      mapUrl = new URL(sourceMapURL, scriptUrl);
    } catch {
      return null; // a script without a URL (eval) and a relative map URL
    }
    if (mapUrl.protocol !== 'file:' || mapUrl.host !== '') return null;
    try {
      this.maps.add(fileURLToPath(mapUrl));
    } catch {
      return null;
    }
    return mapUrl.href;
  }

  /** Whether `path` (absolute, normalised) is a map or a map's source that a loaded script names. */
  async names(path: string): Promise<boolean> {
    if (this.maps.has(path) || this.sources.has(path)) return true;
    // Sequentially: one map in memory at a time, whatever the number of scripts.
    for (const map of [...this.maps]) {
      await this.readSources(map);
      if (this.sources.has(path)) return true;
    }
    return false;
  }

  private readSources(map: string): Promise<void> {
    let pending = this.read.get(map);
    if (pending === undefined) {
      pending = sourcesOf(map).then((sources) => {
        for (const source of sources) this.sources.add(source);
      });
      this.read.set(map, pending);
    }
    return pending;
  }
}

/** The paths of the file sources that the map at `mapPath` names; none when it cannot be read. */
async function sourcesOf(mapPath: string): Promise<string[]> {
  try {
    if ((await stat(mapPath)).size > MAX_SERVED_BYTES) return [];
    const json = JSON.parse(await readFile(mapPath, 'utf8')) as EncodedSourceMap | SectionedSourceMap;
    const mapUrl = pathToFileURL(mapPath).href;
    // An index map (`sections`) is flattened only here, for its sources' names.
    const map = 'sections' in json ? FlattenMap(json, mapUrl) : new TraceMap(json, mapUrl);
    return map.resolvedSources.flatMap((source) => {
      if (!source.startsWith('file:')) return [];
      try {
        return [fileURLToPath(source)];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}
