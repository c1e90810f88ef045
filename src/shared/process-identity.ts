/**
 * Which process of a cluster this is, for the lines that name a bridge address and for the
 * bridge's target title: under `node:cluster` or pm2's cluster mode several processes run one
 * app, each with a bridge of its own, and a port alone does not say which one spoke.
 */

/**
 * Whether this process is a `node:cluster` worker (pm2's cluster mode forks its instances with
 * `node:cluster` too). Every cluster worker has an IPC channel and has loaded `node:cluster`
 * before any preload runs, so the require costs nothing there; a process without a channel
 * never loads it (it costs ~2 MB and several ms).
 */
export function isClusterWorker(): boolean {
  if (typeof process.send !== 'function') return false;
  return (require('node:cluster') as typeof import('node:cluster').default).isWorker;
}

/** The cluster worker's id (`cluster.worker.id`, what `worker.id` is in the primary), or `undefined`. */
export function clusterWorkerId(): number | undefined {
  if (!isClusterWorker()) return undefined;
  return (require('node:cluster') as typeof import('node:cluster').default).worker?.id;
}

/** `pid 4242, worker 3` in a cluster worker, `pid 4242` elsewhere. */
export function processLabel(pid: number = process.pid, workerId: number | undefined = clusterWorkerId()): string {
  return workerId === undefined ? `pid ${pid}` : `pid ${pid}, worker ${workerId}`;
}

/**
 * The app's script: pm2 runs every instance through its own `ProcessContainer.js` and says
 * which script that container runs in `pm_exec_path`.
 */
export function appScript(): string | undefined {
  const fromPm2 = process.env['pm_exec_path'];
  return fromPm2 !== undefined && fromPm2 !== '' ? fromPm2 : process.argv[1];
}
