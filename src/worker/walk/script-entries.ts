import type { Position } from './function-entries.js';

/** A script's function entries where the walk may stop, packed: line, column, line, column, ... (0-based). */
export type PackedEntries = Int32Array;

const NONE: PackedEntries = new Int32Array(0);

/**
 * Where the walk may stop in each app script, kept from one attached debugger to the next.
 * Finding them costs the worker a script's source from the main thread, an acorn parse and, for
 * a bundle, its source map: ~3 s of the worker's time at 50,000 functions, which the first knock
 * of every attach would wait for again. Kept packed they cost 8 bytes a function (~0.4 MB at
 * 50,000); as parsed objects they held ~14 MB of the worker's heap for as long as a debugger
 * stayed attached, and were never read again (each script is covered once per attach).
 *
 * Keyed by V8's script id, which V8 never gives to another script in the process's life.
 */
export class ScriptEntries {
  private readonly byScript = new Map<string, Promise<PackedEntries>>();

  /** The entries of `scriptId`, found by `find` the first time (none if it fails). */
  get(scriptId: string, find: () => Promise<readonly Position[]>): Promise<PackedEntries> {
    let entries = this.byScript.get(scriptId);
    if (entries === undefined) {
      entries = find().then(pack, () => {
        // Not kept: the next attach tries again.
        this.byScript.delete(scriptId);
        return NONE;
      });
      this.byScript.set(scriptId, entries);
    }
    return entries;
  }

  /**
   * Forgets every script but `living` (the scripts V8 reported while the debugger was on): one
   * the app's code dropped since (a `vm` script) is not reported again.
   */
  keepOnly(living: { has(scriptId: string): boolean }): void {
    for (const scriptId of this.byScript.keys()) {
      if (!living.has(scriptId)) this.byScript.delete(scriptId);
    }
  }

  /** How many scripts are kept (for tests). */
  get size(): number {
    return this.byScript.size;
  }
}

function pack(entries: readonly Position[]): PackedEntries {
  if (entries.length === 0) return NONE;
  const packed = new Int32Array(entries.length * 2);
  entries.forEach(({ lineNumber, columnNumber }, i) => {
    packed[2 * i] = lineNumber;
    packed[2 * i + 1] = columnNumber;
  });
  return packed;
}
