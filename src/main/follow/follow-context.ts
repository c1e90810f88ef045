import { AsyncLocalStorage } from 'node:async_hooks';
import type { FollowedRequest } from './followed-request.js';

/**
 * Which followed request the running code works for, across async continuations, so that an
 * outgoing request can be told apart as one of its hops.
 *
 * The storage is enabled only while some followed request lives: AsyncLocalStorage makes every
 * new async resource of the process pay for propagation, and an outgoing request looks at it
 * only while {@link active} is true (one counter check for every other request).
 */
export class FollowContext {
  private readonly storage = new AsyncLocalStorage<FollowedRequest>();
  private living = 0;

  /** Whether some followed request lives (accepted, or handled by the app). */
  get active(): boolean {
    return this.living > 0;
  }

  /** Counts one more followed request as living, until {@link end} is called for it. */
  add(): void {
    this.living++;
  }

  /** Runs `fn` (which hands the request to the app) in `followed`'s context. */
  run(followed: FollowedRequest, fn: () => void): void {
    followed.started();
    this.storage.run(followed, fn);
  }

  /** The followed request the running code works for, if it is still running. */
  current(): FollowedRequest | undefined {
    if (this.living === 0) return undefined;
    const followed = this.storage.getStore();
    return followed?.state === 'running' ? followed : undefined;
  }

  /** `followed` is over; the storage is disabled once none lives. */
  end(followed: FollowedRequest): void {
    if (!followed.end()) return;
    this.living--;
    if (this.living === 0) this.storage.disable();
  }
}
