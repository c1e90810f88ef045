import { readFileSync } from 'node:fs';

/**
 * The 1-based line of `file` that carries the marker `@probe NAME`, so probe tests name lines
 * by what they hold rather than by number.
 * @param {string} file @param {string} name @returns {number}
 */
export function lineOf(file, name) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes(`@probe ${name}`));
  if (index === -1) throw new Error(`no "@probe ${name}" marker in ${file}`);
  return index + 1;
}
