import { runToCompletion } from './child.mjs';
import { SYSTEM_PYTHON } from './paths.mjs';

/**
 * Runs a Python script with Debian's /usr/bin/python3 (which has `cryptography` and `jwt`),
 * passing `input` as JSON on stdin (read it with `json.load(sys.stdin)`), and parses the one
 * JSON document the script prints. Python is slow to start: batch everything a test file
 * needs into one call.
 *
 * @param {string} script Python source
 * @param {unknown} [input] JSON-serialisable; keys travel here, never on the command line
 * @param {{ timeoutMs?: number }} [options] default 20 s
 * @returns {Promise<any>}
 */
export async function runPythonJson(script, input = null, { timeoutMs = 20_000 } = {}) {
  const { stdout } = await runToCompletion(SYSTEM_PYTHON, ['-c', script], { input: JSON.stringify(input), timeoutMs });
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`python did not print JSON:\n${stdout}`);
  }
}
