/**
 * Rejects after `ms` with a message naming what did not happen; the timer never outlives the
 * promise, so a passing test does not wait for it.
 * @template T @param {Promise<T>} promise @param {number} ms @param {string} what @returns {Promise<T>}
 */
export function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * `Promise.all` for starting several things a test cleans up: waits until every one settled
 * before it rejects with the first failure. With plain `Promise.all`, one that fails at once (a
 * missing browser) ends the test while another is still starting, and that one registers its
 * cleanup after the test is over: its child outlives the test and keeps the file running.
 * @template {readonly unknown[]} T @param {T} promises
 * @returns {Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }>}
 */
export async function allStarted(promises) {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return /** @type {any} */ (settled.map((outcome) => /** @type {PromiseFulfilledResult<unknown>} */ (outcome).value));
}
