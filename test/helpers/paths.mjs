import { fileURLToPath } from 'node:url';

/** The repository root (`/work/main`): the cwd of every child, so `epdb/register` self-resolves. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The folder of the fixture apps (one small server per kind). */
export const FIXTURE_APPS_DIR = fileURLToPath(new URL('../fixtures/apps/', import.meta.url));

/**
 * The absolute path of a fixture app.
 * @param {string} name file name inside test/fixtures/apps, e.g. `express.cjs`
 * @returns {string}
 */
export function fixtureApp(name) {
  return fileURLToPath(new URL(`../fixtures/apps/${name}`, import.meta.url));
}

/** The Python with Debian's python3-cryptography and python3-jwt (the pyenv one on PATH has neither). */
export const SYSTEM_PYTHON = '/usr/bin/python3';
