// The main thread ends a capture's pause itself (src/main/probes/pause-resumer.ts): from inside
// a worker session's call on the paused thread, a same-thread session's Debugger.resume lets it
// go, with no resume from the worker; while it runs, V8 refuses the resume.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runToCompletion } from './helpers/child.mjs';

test('PauseResumer: resumes from inside a capture call; refused while the thread runs', async () => {
  // A resume that did not take would leave the child stopped until runToCompletion kills it.
  const { stdout } = await runToCompletion(process.execPath, ['test/fixtures/probes/resume-in-capture.cjs'], { timeoutMs: 20_000 });
  assert.deepEqual(JSON.parse(stdout), { notPaused: false, inCall: true, ran: true });
});
