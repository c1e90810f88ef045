// Child processes for the bench: servers that print `listening <port>`, one-shot runs, and
// cleanup of everything started, even when the bench fails half-way.
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The repository root: children run there so that `epdb/register` resolves to this package. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every child still running, killed if the bench exits first. */
const running = new Set();
process.on('exit', () => {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

/**
 * The environment of every child: PATH and HOME, plus `extra` (no NODE_OPTIONS or EPDB_* leaks in).
 * @param {Record<string, string | undefined>} [extra]
 */
export function benchEnv(extra = {}) {
  /** @type {Record<string, string>} */
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) env[name] = value;
  return env;
}

/**
 * Waits until `predicate` matches a line of `lines` (already seen or still to come).
 * @param {{ lines: string[], waiters: Set<() => void> }} stream
 * @param {RegExp} pattern @param {number} timeoutMs @param {string} what
 * @param {number} [from] index of the first line to consider
 * @returns {Promise<{ line: string, index: number }>}
 */
function waitForLine(stream, pattern, timeoutMs, what, from = 0) {
  return new Promise((resolve, reject) => {
    const check = () => {
      for (let i = from; i < stream.lines.length; i++) {
        if (pattern.test(stream.lines[i])) {
          stream.waiters.delete(check);
          clearTimeout(timer);
          resolve({ line: stream.lines[i], index: i });
          return true;
        }
      }
      return false;
    };
    const timer = setTimeout(() => {
      stream.waiters.delete(check);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${pattern})\n${stream.lines.slice(-20).join('\n')}`));
    }, timeoutMs);
    if (!check()) stream.waiters.add(check);
  });
}

/** @param {import('node:stream').Readable} readable */
function lineStream(readable) {
  const stream = { lines: /** @type {string[]} */ ([]), waiters: new Set(), partial: '' };
  readable.setEncoding('utf8');
  readable.on('data', (chunk) => {
    const parts = (stream.partial + chunk).split('\n');
    stream.partial = parts.pop() ?? '';
    stream.lines.push(...parts);
    for (const waiter of [...stream.waiters]) waiter();
  });
  return stream;
}

/**
 * Starts a server child and resolves once it printed `listening <port>`.
 * @param {string[]} args node's arguments
 * @param {Record<string, string>} env
 * @param {{ listenTimeoutMs?: number }} [options] how long it may take to listen (a large app loads for a while)
 */
export async function startServer(args, env, { listenTimeoutMs = 20_000 } = {}) {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => { running.delete(child); resolve({ code, signal }); }));
  const stdout = lineStream(child.stdout);
  const stderr = lineStream(child.stderr);
  const server = {
    child,
    pid: /** @type {number} */ (child.pid),
    stderr,
    port: 0,
    /** ms from spawn to its `listening` line */
    startMs: 0,
    /** @param {RegExp} pattern @param {number} [timeoutMs] @param {number} [from] */
    waitForStderr: (pattern, timeoutMs = 15_000, from = 0) => waitForLine(stderr, pattern, timeoutMs, `stderr of ${args.join(' ')}`, from),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    const { line } = await Promise.race([
      waitForLine(stdout, /^listening \d+$/, listenTimeoutMs, `\`node ${args.join(' ')}\` to listen`),
      exited.then(({ code, signal }) => { throw new Error(`node ${args.join(' ')} exited (${code ?? signal}) before listening:\n${stderr.lines.join('\n')}`); }),
    ]);
    server.startMs = performance.now() - spawnedAt;
    server.port = Number(line.split(' ')[1]);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * Runs node to completion, synchronously (nothing else runs meanwhile, so the wall time is
 * the child's own), and returns its wall time in ms and its stdout.
 * @param {string[]} args @param {Record<string, string>} env
 */
export function runNodeTimed(args, env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(`node ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stderr}`);
  }
  return { wallMs, stdout: result.stdout, stderr: result.stderr };
}

/** Reads `Name:  value kB` fields of /proc/<pid>/status (Linux). @param {number} pid */
export async function procStatus(pid) {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  /** @type {Record<string, string>} */
  const fields = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}
