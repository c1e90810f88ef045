import { setTimeout as sleep } from 'node:timers/promises';
import { walkConditionFor, WalkShared } from '../../shared/walk-protocol.js';
import type { MainThreadSession } from '../main-thread-session.js';
import { isAppScript } from './app-code.js';
import { appEntries } from './app-entries.js';
import type { Position } from './function-entries.js';
import { ScriptEntries } from './script-entries.js';
import { postFromCheaperEnd, postInSlices, type SlicedCommand } from './sliced-posts.js';

/** Main-thread time one slice of breakpoint commands may take, ms. */
const SLICE_MS = 4;
/**
 * At most this many breakpoint removals in a slice: one costs V8 0.03 ms or, from the wrong end,
 * ~0.4-10 ms at 50,000 functions; a slice of 256 stalled the app for 109 ms on Node 26 when the
 * cost changed half-way.
 */
const MAX_REMOVALS_IN_SLICE = 16;
/** How often, between knocks, the worker looks which breakpoints other requests passed. */
const PASSES_CHECK_MS = 25;
/**
 * After the walk's stop is resumed, the hot functions' breakpoints are removed only once the
 * app has run for as long as it was stopped (at most this long, ms): removing one that was set
 * at the attach costs V8 ~15 ms at 50,000 functions (it scans its list of them), and posted at
 * once after the resume it ran back to back with the pause, one stop of both lengths for every
 * other request (figure 8: 43 ms where the pause alone is 26).
 */
const MAX_RUN_AFTER_PAUSE_MS = 100;

/** The start of one app function, where the walk may stop. */
interface Spot {
  /** Its number in conditions and in the passes the main thread reports (1-based). */
  readonly index: number;
  readonly scriptId: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
  /** Its breakpoint now, if it has one (on the spot itself, not an object each: 50,000 of them). */
  breakpointId: string | null;
  /** When that was set, which decides how fast V8 removes it. */
  setOrder: number;
  /** Code of other requests runs it: it has a breakpoint only while a walk is under way. */
  hot: boolean;
}

/**
 * The walk's breakpoints: one at the start of every function of the app's own code, each with a
 * condition true only in the request the walk looks for (whichever it is), in two tiers:
 *
 * - **cold** functions (no other request ran them since the debugger attached) keep their
 *   breakpoint from the attach until the debugger leaves: set once, in slices that never stop
 *   the main thread for more than a few milliseconds, so a knock finds them set;
 * - **hot** functions (the condition reported that another request passed them) get theirs only
 *   for a walk: set when the knock comes and removed once the process runs on after the stop,
 *   because a breakpoint's condition costs every call tens to hundreds of microseconds.
 *
 * States: `off` (the session's debugger off, nothing set) and `on`; every main-thread command
 * runs on one chain, one after another; {@link release} ends a generation and removes them all.
 * Each pause and step of the process costs V8 time in proportion to the functions that have
 * breakpoints (~15 ms at 50,000): they are only ever set while a debugger is attached.
 */
export class WalkBreakpoints {
  private state: 'off' | 'on' = 'off';
  private generation = 0;
  private chain: Promise<void> = Promise.resolve();
  private walking = false;
  /** Counts the walks prepared: a removal delayed past the start of the next walk is that walk's to make. */
  private walksPrepared = 0;
  /** scriptId -> where it came from, for every script reported while the debugger is on. */
  private readonly scripts = new Map<string, { readonly url: string; readonly sourceMapURL: string }>();
  /** Scripts whose spots exist (or that have none: not the app's). */
  private readonly covered = new Set<string>();
  private readonly spots: Spot[] = [];
  private readonly byBreakpoint = new Map<string, Spot>();
  /** Where the walk may stop in each script, found here (off the main thread), kept across attaches. */
  private readonly entries = new ScriptEntries();
  private setOrder = 0;
  private passesRead = 0;
  private passesCheck: NodeJS.Timeout | null = null;
  /** Whether the main thread is paused (as this session sees it), and who waits for it to run. */
  private paused = false;
  /** When the main thread last paused (performance.now()), and how long it then stayed paused. */
  private pausedAt = 0;
  private lastPauseMs = 0;
  private readonly waitingToRun: (() => void)[] = [];

  constructor(private readonly session: MainThreadSession, private readonly shared: Int32Array) {
    session.on<{ scriptId: string; url: string; sourceMapURL?: string }>('Debugger.scriptParsed', (params) => {
      if (this.state === 'on') this.scripts.set(params.scriptId, { url: params.url, sourceMapURL: params.sourceMapURL ?? '' });
    });
    session.on('Debugger.paused', () => {
      this.paused = true;
      this.pausedAt = performance.now();
    });
    session.on('Debugger.resumed', () => {
      this.paused = false;
      this.lastPauseMs = performance.now() - this.pausedAt;
      for (const run of this.waitingToRun.splice(0)) run();
    });
  }

  /** Whether `breakpointId` is one of the walk's. */
  owns(breakpointId: string): boolean {
    return this.byBreakpoint.has(breakpointId);
  }

  /** A debugger attached: cover the app's code now, ahead of the knocks. */
  warm(): void {
    void this.enqueue((generation) => this.cover(generation));
  }

  /** Before a walked request runs: resolves once every app function has its breakpoint. */
  prepareWalk(): Promise<void> {
    this.walking = true;
    this.walksPrepared++;
    return this.enqueue(async (generation) => {
      await this.cover(generation);
      this.readPasses();
      await this.post(generation, this.spots.filter((spot) => spot.hot && spot.breakpointId === null).map((spot) => this.setCommand(spot, generation)));
    });
  }

  /**
   * The walk is over: the hot functions' breakpoints go once the main thread has run again for
   * as long as it was paused (a removal can take milliseconds: while it is paused at the walk's
   * stop, the client's resume would wait behind them, and right after it they would add to the
   * stop other requests see). A walk that starts meanwhile keeps them.
   */
  walkOver(): void {
    this.walking = false;
    const generation = this.generation;
    const walk = this.walksPrepared;
    void (async () => {
      if (this.paused) await new Promise<void>((resolve) => this.waitingToRun.push(resolve));
      // Outside the chain, so the next knock's walk does not wait for it. A walk prepared
      // meanwhile removes them when it is over (by then its own stop may hold the main thread).
      await sleep(Math.min(MAX_RUN_AFTER_PAUSE_MS, Math.max(SLICE_MS, this.lastPauseMs)));
      if (this.walksPrepared !== walk || this.generation !== generation) return;
      await this.enqueue(async (current) => {
        if (!this.walking) await this.removeHot(current);
      });
    })();
  }

  /**
   * The debugger left: every breakpoint goes, in slices, from whichever end V8 removes faster
   * ({@link postFromCheaperEnd}; `Debugger.disable` removing 50,000 in one go stopped the app
   * for 18 s), then the session's debugger is turned off. A walk armed after this waits
   * until it is done.
   */
  release(): void {
    this.generation++;
    this.walking = false;
    if (this.passesCheck !== null) clearInterval(this.passesCheck);
    this.passesCheck = null;
    const wasOn = this.state === 'on';
    const removals = this.releasedRemovals();
    this.state = 'off';
    this.paused = false;
    for (const run of this.waitingToRun.splice(0)) run();
    if (wasOn) this.entries.keepOnly(this.scripts);
    this.scripts.clear();
    this.covered.clear();
    this.spots.length = 0;
    if (!wasOn) return;
    const removing = this.chain
      .then(() => postFromCheaperEnd(this.session, removals, { sliceMs: SLICE_MS, maxSlice: MAX_REMOVALS_IN_SLICE, cancelled: () => false }))
      // What a cancelled slice set after the release is removed with the debugger.
      .then(() => this.session.post('Debugger.disable'));
    this.chain = removing.then(() => {}, () => {});
  }

  /** Runs `step` after every command posted before it, unless a release comes first. */
  private enqueue(step: (generation: number) => Promise<void>): Promise<void> {
    const generation = this.generation;
    const run = this.chain.then(() => (this.generation === generation ? step(generation) : undefined));
    this.chain = run.then(() => {}, () => {});
    return run;
  }

  private async turnOn(): Promise<void> {
    this.state = 'on';
    // Enabling reports every script (Debugger.scriptParsed) before it answers. A pause this
    // session takes part in must still heed the client's ignore list, which V8 applies only to
    // scripts that every enabled session ignore-lists: this one ignore-lists them all.
    await this.session.post('Debugger.enable');
    await this.session.post('Debugger.setBlackboxPatterns', { patterns: ['.*'] });
    this.passesRead = Atomics.load(this.shared, WalkShared.PASSES);
    this.passesCheck = setInterval(() => this.checkPasses(), PASSES_CHECK_MS);
    this.passesCheck.unref();
  }

  /** Makes spots for the app scripts not covered yet, and sets their (cold) breakpoints. */
  private async cover(generation: number): Promise<void> {
    if (this.state === 'off') await this.turnOn();
    // Scripts may arrive while a slice is under way: go round until none is left.
    for (;;) {
      if (this.generation !== generation) return;
      const pending = [...this.scripts].filter(([scriptId]) => !this.covered.has(scriptId));
      if (pending.length === 0) return;
      const fresh: Spot[] = [];
      for (const [scriptId, script] of pending) {
        this.covered.add(scriptId);
        if (!isAppScript(script.url)) continue;
        const entries = await this.entries.get(scriptId, () => this.findEntries(scriptId, script));
        for (let i = 0; i < entries.length; i += 2) {
          const spot: Spot = { index: this.spots.length + 1, scriptId, lineNumber: entries[i] ?? 0, columnNumber: entries[i + 1] ?? 0, breakpointId: null, setOrder: 0, hot: false };
          this.spots.push(spot);
          fresh.push(spot);
        }
      }
      await this.post(generation, fresh.map((spot) => this.setCommand(spot, generation)));
    }
  }

  /** Marks hot every function whose breakpoint another request passed since the last look. */
  private readPasses(): void {
    const written = Atomics.load(this.shared, WalkShared.PASSES);
    // The ring may have wrapped: what was overwritten is reported again on the next pass.
    const from = Math.max(this.passesRead, written - WalkShared.RING_SIZE);
    this.passesRead = written;
    for (let pass = from; pass < written; pass++) {
      const spot = this.spots[Atomics.load(this.shared, WalkShared.RING + (pass % WalkShared.RING_SIZE)) - 1];
      if (spot !== undefined) spot.hot = true;
    }
  }

  /**
   * Between walks: functions other requests run lose their breakpoint (until the next walk).
   * Not while the main thread is paused (a client's stop): the removals would run inside the
   * pause, ahead of the client's resume.
   */
  private checkPasses(): void {
    if (this.walking || this.paused || Atomics.load(this.shared, WalkShared.PASSES) === this.passesRead) return;
    void this.enqueue(async (generation) => {
      if (!this.walking && !this.paused) await this.removeHot(generation);
    });
  }

  /** Removes the hot functions' breakpoints; a walk that starts meanwhile keeps the rest set. */
  private async removeHot(generation: number): Promise<void> {
    this.readPasses();
    const removals = this.removals(this.spots.filter((spot) => spot.hot));
    await postFromCheaperEnd(this.session, removals, { sliceMs: SLICE_MS, maxSlice: MAX_REMOVALS_IN_SLICE, cancelled: () => this.generation !== generation || this.walking });
  }

  /**
   * The commands that remove the breakpoints of `spots`, the oldest first (for
   * {@link postFromCheaperEnd}). A spot forgets its breakpoint as its removal is posted: a pause
   * there from then on is not the walk's.
   */
  private removals(spots: readonly Spot[]): SlicedCommand<unknown>[] {
    return withBreakpoints(spots).map(({ spot, breakpointId }) => ({
      method: 'Debugger.removeBreakpoint',
      params: { breakpointId },
      posting: () => {
        spot.breakpointId = null;
        this.byBreakpoint.delete(breakpointId);
      },
    }));
  }

  /**
   * At the release: the commands that remove every breakpoint, the oldest first, holding nothing
   * but the breakpoints' ids, so that the spots go at once rather than after the removal's
   * 10-60 s in the background at 50,000 (commands that each held their spot kept ~19 MB of the
   * worker's heap that long). No walk runs until the removal is over, so none asks
   * {@link owns} meanwhile.
   */
  private releasedRemovals(): SlicedCommand<unknown>[] {
    this.byBreakpoint.clear();
    return withBreakpoints(this.spots).map(({ breakpointId }) => ({ method: 'Debugger.removeBreakpoint', params: { breakpointId } }));
  }

  private setCommand(spot: Spot, generation: number): SlicedCommand<{ breakpointId: string }> {
    const { scriptId, lineNumber, columnNumber } = spot;
    return {
      method: 'Debugger.setBreakpoint',
      params: { location: { scriptId, lineNumber, columnNumber }, condition: walkConditionFor(spot.index) },
      answered: ({ breakpointId }) => {
        if (this.generation !== generation) return;
        spot.breakpointId = breakpointId;
        spot.setOrder = this.setOrder++;
        this.byBreakpoint.set(breakpointId, spot);
      },
    };
  }

  private post<T>(generation: number, commands: readonly SlicedCommand<T>[]): Promise<number> {
    return postInSlices(this.session, commands, { sliceMs: SLICE_MS, cancelled: () => this.generation !== generation });
  }

  private async findEntries(scriptId: string, { url, sourceMapURL }: { url: string; sourceMapURL: string }): Promise<readonly Position[]> {
    const { scriptSource } = await this.session.post<{ scriptSource: string }>('Debugger.getScriptSource', { scriptId });
    return appEntries(url, sourceMapURL, scriptSource);
  }
}

/** The spots of `spots` that have a breakpoint, with its id, the oldest breakpoint first. */
function withBreakpoints(spots: readonly Spot[]): { readonly spot: Spot; readonly breakpointId: string }[] {
  const set = spots.flatMap((spot) => (spot.breakpointId === null ? [] : [{ spot, breakpointId: spot.breakpointId }]));
  return set.sort((a, b) => a.spot.setOrder - b.spot.setOrder);
}
