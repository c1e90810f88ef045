import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** epdb's own compiled files (this file is dist/src/bridge/walk/app-code.js). */
const EPDB_DIST = resolve(__dirname, '..', '..', '..') + sep;

/**
 * Whether a script is the app's own code: a file on disk that is neither Node's (`node:`, or no
 * file at all: `eval`, `vm`, wasm), nor a dependency's (`/node_modules/`), nor epdb's own
 * (its `dist/`, wherever epdb is installed).
 */
export function isAppScript(url: string): boolean {
  const path = pathOf(url);
  if (path === null) return false;
  if (path.includes(`${sep}node_modules${sep}`)) return false;
  return !path.startsWith(EPDB_DIST);
}

function pathOf(url: string): string | null {
  if (url.startsWith('file://')) {
    try {
      return fileURLToPath(url);
    } catch {
      return null;
    }
  }
  // CommonJS scripts may be reported by path.
  return url.startsWith(sep) ? url : null;
}

