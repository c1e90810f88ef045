import { log } from '../../shared/log.js';
import { authorityOf, type Address } from './bridge-address.js';
import { probeBridge } from './bridge-probe.js';
import { CommandError } from '../errors.js';

/** How `epdb connect` reaches the bridge and how long it keeps trying. */
export interface BridgeWatchOptions {
  readonly target: Address;
  /** Makes a fresh `X-EPDB` value, or `null` when the bridge needs none (base64). */
  readonly knock: () => Promise<string | null>;
  /** How long to keep retrying while nothing answers, in ms; 0 retries forever. */
  readonly retryBoundMs: number;
  /** Per-attempt timeout, in ms. */
  readonly attemptTimeoutMs?: number;
}

type State = 'idle' | 'waiting' | 'up' | 'failed';

/** The longest pause between two attempts while nobody is waiting for the bridge. */
const IDLE_RETRY_MS = 1000;
/** The pause between two attempts while a debugger's request is waiting for the bridge. */
const EAGER_RETRY_MS = 50;

/**
 * Tracks whether the remote bridge is up. The bridge only starts on the app's first valid knock,
 * so "connection refused" means "not yet": the watch retries (with a bound) and forwarded
 * requests wait for it with {@link whenUp} instead of failing. A 401 (wrong key), something that
 * is not a bridge, or the bound running out are fatal and end up in {@link failure}.
 */
export class BridgeWatch {
  private state: State = 'idle';
  private readonly upWaiters: Array<{ resolve: () => void; reject: (error: CommandError) => void }> = [];
  /** Ends the current pause between two attempts early. */
  private wake: (() => void) | undefined;
  private failureError: CommandError | undefined;
  private resolveFailure!: (error: CommandError) => void;
  /** Settles with the fatal error, if one happens; never rejects. */
  readonly failure: Promise<CommandError> = new Promise((resolve) => { this.resolveFailure = resolve; });
  private readonly authority: string;

  constructor(private readonly options: BridgeWatchOptions) {
    this.authority = authorityOf(options.target);
  }

  /** Whether the bridge answers now (as far as the watch knows). */
  get up(): boolean {
    return this.state === 'up';
  }

  /** Starts looking for the bridge. */
  start(): void {
    if (this.state === 'idle') this.lookForBridge(false);
  }

  /** Stops retrying; pending {@link whenUp} calls reject. */
  stop(): void {
    this.fail(new CommandError('stopped'), false);
    this.wake?.();
  }

  /** Resolves once the bridge answers; rejects with the fatal error if it never will. */
  whenUp(): Promise<void> {
    if (this.state === 'up') return Promise.resolve();
    if (this.failureError !== undefined) return Promise.reject(this.failureError);
    // A debugger is asking: it has probably just knocked, so look again now, not after the pause.
    this.wake?.();
    return new Promise((resolve, reject) => this.upWaiters.push({ resolve, reject }));
  }

  /** A forwarded connection was refused: the bridge has gone (the app exited?); wait for it again. */
  reportGone(): void {
    if (this.state !== 'up') return;
    log(`the bridge on ${this.authority} has closed (did the app exit or restart?)`);
    this.lookForBridge(true);
  }

  /** The bridge answered a forwarded request with 401: our key is not the app's. */
  reportUnauthorized(): void {
    this.fail(this.wrongKeyError(), true);
  }

  private lookForBridge(again: boolean): void {
    this.state = 'waiting';
    void this.retryUntilUp(again);
  }

  private async retryUntilUp(again: boolean): Promise<void> {
    const { target, knock, retryBoundMs, attemptTimeoutMs = 5000 } = this.options;
    const started = Date.now();
    let announced = false;
    let delayMs = 100;
    while (this.state === 'waiting') {
      let knockValue: string | null;
      try {
        knockValue = await knock();
      } catch (error) {
        this.fail(new CommandError(`cannot make a knock: ${error instanceof Error ? error.message : String(error)}`), true);
        return;
      }
      const result = await probeBridge(target, knockValue, attemptTimeoutMs);
      if (this.state !== 'waiting') return;
      switch (result.kind) {
        case 'up':
          this.state = 'up';
          log(`the bridge on ${this.authority} is up`);
          for (const waiter of this.upWaiters.splice(0)) waiter.resolve();
          return;
        case 'unauthorized':
          this.fail(this.wrongKeyError(), true);
          return;
        case 'not-a-bridge':
          this.fail(new CommandError(`cannot use the bridge on ${this.authority}: ${result.detail} (is ${target.port} the app's EPDB_PORT?)`), true);
          return;
        case 'unreachable':
          break;
      }
      const waitedMs = Date.now() - started;
      if (retryBoundMs > 0 && waitedMs >= retryBoundMs) {
        this.fail(new CommandError(
          `no bridge on ${this.authority} after ${seconds(retryBoundMs)} s (${result.detail}): `
          + `is the app running under epdb with EPDB_PORT=${target.port}, and has it had a valid knock?`,
        ), true);
        return;
      }
      if (!announced) {
        announced = true;
        const bound = retryBoundMs > 0 ? `, for up to ${seconds(retryBoundMs)} s` : '';
        log(`waiting for the bridge on ${this.authority} (send a knock to the app${again ? ' again' : ''})${bound}`);
      }
      // Idle, back off to one attempt a second; with a debugger waiting, look every 50 ms (the
      // bridge is most likely starting). The last pause ends at the bound, so the error is on time.
      const pauseMs = this.upWaiters.length > 0 ? EAGER_RETRY_MS : delayMs;
      await this.pause(retryBoundMs > 0 ? Math.min(pauseMs, retryBoundMs - waitedMs) : pauseMs);
      delayMs = Math.min(delayMs * 2, IDLE_RETRY_MS);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private wrongKeyError(): CommandError {
    return new CommandError(
      `the bridge on ${this.authority} refused the knock (401): EPDB_KEY is wrong `
      + '(it must be the key the app runs with, for the same EPDB_BACKEND, and both clocks must agree)',
    );
  }

  private fail(error: CommandError, fatal: boolean): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    this.failureError = error;
    for (const waiter of this.upWaiters.splice(0)) waiter.reject(error);
    if (fatal) this.resolveFailure(error);
  }
}

/** Milliseconds as seconds for a message: `1`, `0.5`, `300`. */
function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
