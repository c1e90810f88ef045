/** Where a pause's top frame is, as `Debugger.paused` says. */
export interface PauseLocation {
  readonly scriptId: string;
  readonly lineNumber: number;
  readonly columnNumber?: number | undefined;
}

/** The id a relabelled stop names in `hitBreakpoints`: epdb's, never one of V8's. */
export const FIRST_STATEMENT_BREAKPOINT = 'epdb:first-statement';

interface PausedParams {
  readonly reason?: unknown;
  readonly callFrames?: ReadonlyArray<{ readonly location?: PauseLocation }>;
  readonly [key: string]: unknown;
}

/**
 * Makes the walk's stop read as what it is. The client's session gets that pause with reason
 * `other` and no `hitBreakpoints` (the breakpoint was the bridge's own session's), which VS Code
 * shows as "Paused on debugger statement" (js-debug's src/adapter/threads.ts: a pause with no
 * breakpoint hit and no step under way). Relabelled, it names epdb's own breakpoint id (a client
 * ignores ids it did not set: js-debug then shows "Paused on breakpoint", DevTools "Paused") and
 * says in `data` which request it is.
 *
 * States: nothing `marked`, or one stop marked (by the walker, when its breakpoint is hit) until
 * the client's copy of that pause has been relabelled or the main thread resumed.
 */
export class StopLabel {
  private marked: { readonly location: PauseLocation; readonly request: string } | null = null;

  /** The walk stopped request `request` (`GET /orders/42`) at `location`. */
  mark(location: PauseLocation, request: string): void {
    this.marked = { location, request };
  }

  /** The main thread resumed: a mark not used by now belongs to no pause. */
  clear(): void {
    this.marked = null;
  }

  /** `params` of a client's `Debugger.paused`, relabelled when it is the marked stop. */
  relabel(params: object): object {
    const marked = this.marked;
    const top = (params as PausedParams).callFrames?.[0]?.location;
    if (marked === null || top === undefined || !sameLocation(top, marked.location)) return params;
    this.marked = null;
    return { ...params, reason: 'other', hitBreakpoints: [FIRST_STATEMENT_BREAKPOINT], data: { epdb: { stop: 'app', request: marked.request } } };
  }
}

function sameLocation(a: PauseLocation, b: PauseLocation): boolean {
  return a.scriptId === b.scriptId && a.lineNumber === b.lineNumber && (a.columnNumber ?? 0) === (b.columnNumber ?? 0);
}
