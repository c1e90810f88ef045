/**
 * The bounds of one capture (as README's "Snapshots and logpoints" states them), and the
 * per-process rate limit. One place, so the tests, the bench and the README quote one set.
 */
export const CAPTURE_LIMITS = {
  /** Call frames listed in a snapshot's stack. */
  maxFrames: 20,
  /** Frames whose arguments and locals are captured, from the top. */
  framesWithLocals: 5,
  /**
   * How deep objects are expanded: a local is at depth 1, its fields at 2, theirs at 3; an
   * object at depth 3 is shown without its fields (`notCapturedReason: "depth"`).
   */
  maxDepth: 3,
  /**
   * How deep instances of classes (a framework's req and res, sockets, servers) are unfolded:
   * their own fields are listed when they are a local or an expression's value, but below that
   * only plain objects and arrays (the app's data) go on to {@link maxDepth}. A request's
   * object graph is large, and every object unfolded stops the main thread a little longer.
   */
  instanceDepth: 1,
  /** The depth of the locals of the frames below the top one (1: listed, objects not unfolded). */
  lowerFrameDepth: 1,
  /** Fields (or elements) captured per object. */
  maxFields: 20,
  /** Characters kept of a string. */
  maxStringLength: 256,
  /** Bytes of JSON in one capture. */
  maxBytes: 64 * 1024,
  /** Main-thread stop for one capture, in ms: past it, nothing more is fetched. */
  maxStopMs: 10,
  /** Arrays, typed arrays, maps and sets larger than this are not listed at all (V8 would list them whole). */
  maxListedCollection: 1_000,
  /** A logpoint's values are expanded this deep (a message is one line). */
  logDepth: 2,
} as const;

/** Captures a second per process, at most. */
export const MAX_CAPTURES_PER_SECOND = 10;

/** A sliding one-second window of capture times: at most `limit` in any second. */
export class CaptureRateLimit {
  private readonly times: number[] = [];

  constructor(private readonly limit = MAX_CAPTURES_PER_SECOND, private readonly now: () => number = () => performance.now()) {}

  /** Takes one capture from this second's budget; false when it is spent. */
  take(): boolean {
    const now = this.now();
    while (this.times.length > 0 && now - (this.times[0] as number) >= 1_000) this.times.shift();
    if (this.times.length >= this.limit) return false;
    this.times.push(now);
    return true;
  }
}
