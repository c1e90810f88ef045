/**
 * Whether this code runs on a worker thread, told without loading `node:worker_threads`, which
 * pulls in the streams and costs the preload ~2-3 ms of every process's start-up.
 *
 * On a worker thread Node replaces what only the process's main thread may do (`process.abort`,
 * `process.chdir`, ...) by stubs it marks `disabled` (lib/internal/bootstrap/switches/
 * does_not_own_process_state.js, on every line from 20 to 26). That is Node's internal, so
 * test/thread.test.mjs checks it against `worker_threads.isMainThread` on each line CI runs.
 */
export function onWorkerThread(): boolean {
  return (process.abort as { disabled?: unknown }).disabled === true;
}
