import type { HopPlace } from './hop.js';

/**
 * A knocked request whose outgoing requests carry the next hop's knock:
 * - `accepted`: its knock is accepted, the app has not got it yet (it may wait for a debugger);
 * - `running`: the app handles it; requests it sends may be followed;
 * - `over`: its exchange ended; requests still sent from its async context get no knock.
 */
export type FollowedState = 'accepted' | 'running' | 'over';

/** One followed request, from its accepted knock to the end of its exchange. */
export class FollowedRequest {
  private current: FollowedState = 'accepted';

  constructor(
    /** The options of the knock it came with. */
    readonly options: Readonly<Record<string, unknown>>,
    readonly place: HopPlace,
    /** `GET /orders/42` of this request (safe to log). */
    readonly summary: string,
    /** This service's name (`EPDB_SERVICE`, or the app script's). */
    readonly service: string,
  ) {}

  get state(): FollowedState {
    return this.current;
  }

  /** `GET /orders/42 on checkout`: the chain's first request, which every hop names. */
  get origin(): string {
    return this.place.origin === undefined ? `${this.summary} on ${this.service}` : oneLine(this.place.origin);
  }

  /**
   * `GET /bill/42 [hop 2: checkout → billing]`: how a debugger's target list and the log name
   * it (`GET /orders/42 [hop 1: checkout]` for the first).
   */
  get title(): string {
    const from = this.place.from === undefined ? '' : `${oneLine(this.place.from).slice(0, 60)} → `;
    return `${this.summary} [hop ${this.place.hop}: ${from}${this.service}]`;
  }

  /** The app got it. */
  started(): void {
    if (this.current === 'accepted') this.current = 'running';
  }

  /** Its exchange is over (answered, or its client gone). Returns whether it was not over before. */
  end(): boolean {
    if (this.current === 'over') return false;
    this.current = 'over';
    return true;
  }
}

/**
 * A label from a hop knock, for log lines and titles: the knock is authenticated, but what it
 * names came from another service, so nothing in it may break a line (printable ASCII and the
 * hop's arrow only).
 */
function oneLine(text: string): string {
  return text.replace(/[^\x20-\x7e\u2192]/g, '?');
}
