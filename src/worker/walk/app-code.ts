import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** epdb's own compiled files (this file is dist/src/worker/walk/app-code.js). */
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

/**
 * Whether an original source named by a script's source map is the app's own: as
 * {@link isAppScript} for files; for a bundler's own scheme (`webpack://app/./src/a.js`),
 * anything but a dependency (`/node_modules/`) or the bundler's runtime.
 */
export function isAppSource(url: string): boolean {
  if (url.startsWith('file://') || url.startsWith(sep)) return isAppScript(url);
  if (url.startsWith('node:') || url === '') return false;
  return !url.includes('/node_modules/') && !url.includes('webpack/runtime') && !url.includes('(webpack)');
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

