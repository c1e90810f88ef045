import { MAX_REMEMBERED_NONCES } from './limits.js';

/**
 * The nonces of hop knocks this process has accepted, each until its knock expires: a hop knock
 * is for one request, and one seen again is a replay. Bounded: when full (after forgetting the
 * expired), it refuses new nonces rather than forget live ones, which would let their knocks be
 * replayed.
 */
export class NonceLedger {
  /** nonce → when its knock expires (Unix seconds); insertion order is roughly expiry order. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity = MAX_REMEMBERED_NONCES) {}

  /**
   * Records `nonce` until `expires`.
   *
   * @returns `'fresh'` when it was not seen before (now recorded), `'replayed'` when it was,
   *   `'full'` when it cannot be recorded.
   */
  record(nonce: string, expires: number, now: number): 'fresh' | 'replayed' | 'full' {
    const known = this.seen.get(nonce);
    if (known !== undefined && known >= now) return 'replayed';
    if (this.seen.size >= this.capacity) this.forgetExpired(now);
    if (this.seen.size >= this.capacity) return 'full';
    this.seen.set(nonce, expires);
    return 'fresh';
  }

  /** How many nonces are remembered now. */
  get size(): number {
    return this.seen.size;
  }

  private forgetExpired(now: number): void {
    for (const [nonce, expires] of this.seen) if (expires < now) this.seen.delete(nonce);
  }
}
