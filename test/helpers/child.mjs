import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { LineLog } from './lines.mjs';
import { REPO_ROOT } from './paths.mjs';

/** Every child still running, killed with SIGKILL if the test process exits first. */
const running = new Set();
function killRunning() {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
process.on('exit', killRunning);
// A runner stopped by Ctrl-C or a CI timeout signals its test files: their default action ends
// the process without an 'exit' event, which would leave every child (apps, browsers, pm2)
// running. Kill them, then die of the same signal as before.
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.once(signal, () => {
    killRunning();
    process.kill(process.pid, signal);
  });
}

/**
 * The environment every child starts from: PATH and HOME only, so nothing leaks in from the
 * test runner (NODE_OPTIONS, NODE_TEST_CONTEXT, EPDB_*).
 * @param {Record<string, string | undefined>} [extra] added on top; `undefined` values are dropped
 * @returns {Record<string, string>}
 */
export function cleanEnv(extra = {}) {
  /** @type {Record<string, string>} */
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) env[name] = value;
  return env;
}

/**
 * A running child process with its stdout and stderr collected line by line.
 * @typedef {object} Child
 * @property {import('node:child_process').ChildProcess} process
 * @property {LineLog} stdout
 * @property {LineLog} stderr
 * @property {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} exited
 * @property {(gracefulMs?: number) => Promise<void>} stop SIGTERM, then SIGKILL after `gracefulMs`
 * @property {import('node:stream').Writable | null} stdin a pipe when spawned with `stdin: 'pipe'`, else null
 */

/**
 * Spawns a child with an explicit environment, cwd the repo root, and registers its cleanup
 * with `t.after` (when `t` is given) so it never outlives the test.
 *
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: Record<string, string>, cwd?: string, stdin?: 'ignore' | 'pipe', t?: { after: (fn: () => any) => void } }} [options]
 *   `env` defaults to {@link cleanEnv}(); it is used as it is, not merged into process.env.
 *   `stdin: 'pipe'` gives the child a stdin to talk to (default: none).
 * @returns {Child}
 */
export function spawnChild(command, args, { env = cleanEnv(), cwd = REPO_ROOT, stdin = 'ignore', t } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: [stdin, 'pipe', 'pipe'] });
  running.add(child);
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
    child.on('error', () => {
      running.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  const stdout = new LineLog(child.stdout, `stdout of ${describe(command, args)}`);
  const stderr = new LineLog(child.stderr, `stderr of ${describe(command, args)}`);
  stdout.context = () => `its stderr:\n${stderr.text()}`;
  stderr.context = () => `its stdout:\n${stdout.text()}`;

  /** @param {number} [gracefulMs] */
  async function stop(gracefulMs = 1000) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), gracefulMs);
    await exited;
    clearTimeout(timer);
  }
  t?.after(() => stop());
  return { process: child, stdout, stderr, exited, stop, stdin: child.stdin };
}

/**
 * Runs a command to completion and returns what it printed; rejects on a non-zero exit or
 * after `timeoutMs` (the child is killed).
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: Record<string, string>, cwd?: string, input?: string, timeoutMs?: number }} [options]
 * @returns {Promise<{ stdout: string, stderr: string }>}
 */
export async function runToCompletion(command, args, { env = cleanEnv(), cwd = REPO_ROOT, input, timeoutMs = 20_000 } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  child.stdin.end(input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code, signal] = await once(child, 'close');
    if (code !== 0) {
      throw new Error(`${describe(command, args)} exited with ${code ?? signal}${signal === 'SIGKILL' ? ` (killed after ${timeoutMs} ms)` : ''}\nstderr:\n${stderr}\nstdout:\n${stdout}`);
    }
    return { stdout, stderr };
  } finally {
    clearTimeout(timer);
    running.delete(child);
  }
}

/** @param {string} command @param {string[]} args */
function describe(command, args) {
  const shown = [command, ...args].map((a) => (a.length > 60 ? `${a.slice(0, 57)}...` : a)).join(' ');
  return `\`${shown}\``;
}
