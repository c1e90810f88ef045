// The preload tells a worker thread from the main thread without loading node:worker_threads
// (src/shared/thread.ts reads a mark Node leaves on process.abort in workers, an internal): it must
// agree with worker_threads.isMainThread on every Node line CI runs.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const THREAD = require.resolve('../dist/src/shared/thread.js');

test('onWorkerThread() agrees with worker_threads.isMainThread, on the main thread and in a worker', { timeout: 20_000 }, async () => {
  const { onWorkerThread } = require(THREAD);
  assert.equal(onWorkerThread(), false, 'the main thread');
  const worker = new Worker(`
    const { parentPort, isMainThread } = require('node:worker_threads');
    parentPort.postMessage({ onWorkerThread: require(${JSON.stringify(THREAD)}).onWorkerThread(), isMainThread });
  `, { eval: true });
  try {
    const [answer] = await once(worker, 'message');
    assert.deepEqual(answer, { onWorkerThread: true, isMainThread: false });
  } finally {
    await worker.terminate();
  }
});
