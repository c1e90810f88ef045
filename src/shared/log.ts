import { writeSync } from 'node:fs';
import { onWorkerThread } from './thread.js';

/**
 * Writes one `epdb: ...` line to stderr. Never throws into the app.
 *
 * Off the main thread it writes with `fs.writeSync(2)`: a worker's `process.stderr` is relayed
 * through the main thread, which is frozen while a debugger holds it paused.
 */
export function log(line: string): void {
  const text = `epdb: ${line}\n`;
  try {
    if (onWorkerThread()) writeSync(2, text);
    else process.stderr.write(text);
  } catch {
    // A closed or full stderr must not break the request being served.
  }
}

/**
 * A log that lets through at most `burst` lines per `windowMs`, then one line counting what it
 * held back (`N more <subject> were not logged ...`), so a flood of knocks, bad or good, cannot
 * fill the log.
 */
export class RateLimitedLog {
  private windowStart = 0;
  private written = 0;
  private suppressed = 0;

  constructor(
    private readonly burst = 10,
    private readonly windowMs = 60_000,
    private readonly write: (line: string) => void = log,
    private readonly now: () => number = Date.now,
    /** What the held-back lines were about, for the counting line. */
    private readonly subject = 'refused knocks',
  ) {}

  /** Logs `line` unless this window's budget is spent. */
  log(line: string): void {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) {
        this.write(`${this.suppressed} more ${this.subject} were not logged in the last ${Math.round(this.windowMs / 1000)} s`);
      }
      this.windowStart = now;
      this.written = 0;
      this.suppressed = 0;
    }
    if (this.written < this.burst) {
      this.written++;
      this.write(line);
    } else {
      this.suppressed++;
    }
  }
}
