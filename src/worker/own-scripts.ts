import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** epdb's own compiled files (`dist/`: register.js and src/), of which this file is one. */
const OWN_DIR_URL = `${pathToFileURL(join(__dirname, '..', '..')).href}/`;

/**
 * The ignore-list pattern (`Debugger.setBlackboxPatterns`, a regular expression on script URLs)
 * for epdb's own scripts. Where epdb is installed under `node_modules`, a client's ignore list
 * (`skipFiles: ["**\/node_modules/**"]`, DevTools' default) keeps its frames out of the way; an
 * `npm link`ed epdb lives elsewhere, and its source maps lead to `/path/to/epdb/src/...`, which
 * no such list names. So the relay adds this pattern to the client's own: stepping never goes
 * into epdb, whatever the client lists (the entry pause still happens: the bridge's own session,
 * enabled around it, lists nothing, and V8 skips a pause only when every session ignores it).
 */
export function ownScriptsPattern(): string {
  const escaped = OWN_DIR_URL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `^${escaped}`;
}

/** A client's `Debugger.setBlackboxPatterns` params with epdb's own pattern added. */
export function withOwnScripts(params: object | undefined): object {
  const given = (params ?? {}) as { patterns?: unknown };
  const patterns = Array.isArray(given.patterns) ? given.patterns.filter((p): p is string => typeof p === 'string') : [];
  return { ...given, patterns: [...patterns, ownScriptsPattern()] };
}
