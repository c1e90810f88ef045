/** What a {@link PauseLimit} does when a stop lasts too long. */
export interface PauseLimitActions {
  /** A line for the debugger's console. */
  warn(text: string): void;
  /** The limit is reached: detach the debugger (which resumes the main thread). */
  detach(): void;
}

/** How long before the limit the debugger's console is warned. */
const WARNINGS_BEFORE_MS: readonly number[] = [30_000, 10_000];

/**
 * `EPDB_MAX_PAUSE`: the longest the main thread may stay stopped in one go (at a breakpoint, a
 * step, `debugger;`). A debugger left paused (lunch, a closed laptop) would otherwise hold the
 * process stopped for ever, failing its health checks until the orchestrator kills it. Every
 * resume (a step included) starts the clock again.
 */
export class PauseLimit {
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly limitMs: number, private readonly actions: PauseLimitActions) {}

  /** The main thread stopped. */
  paused(): void {
    this.clear();
    if (this.limitMs <= 0) return;
    const seconds = this.limitMs / 1000;
    for (const beforeMs of WARNINGS_BEFORE_MS) {
      if (beforeMs >= this.limitMs) continue;
      this.timers.push(setTimeout(() => {
        this.actions.warn(`epdb: this process has been paused for ${formatSeconds(this.limitMs - beforeMs)}; in ${beforeMs / 1000} s (EPDB_MAX_PAUSE=${seconds}) epdb resumes it and detaches this debugger. Step or resume to keep it.`);
      }, this.limitMs - beforeMs));
    }
    this.timers.push(setTimeout(() => {
      this.timers = [];
      this.actions.detach();
    }, this.limitMs));
  }

  /** The main thread runs again. */
  resumed(): void {
    this.clear();
  }

  /** The debugger is gone: nothing to watch. */
  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }
}

/** `300 s`, `2.5 s`. */
export function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
