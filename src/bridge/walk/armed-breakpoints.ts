import type { Session } from 'node:inspector';
import { WALK_CONDITION } from '../../context/request-context.js';
import { postAsync } from '../session-post.js';
import { isAppScript } from './app-code.js';
import { functionEntries, type FunctionEntry } from './function-entries.js';
import { postInSlices, type SlicedCommand } from './sliced-posts.js';

/** Main-thread time one slice of breakpoints may take, ms. */
const SLICE_MS = 4;

/** A script V8 reported to the walk's session. */
interface KnownScript {
  readonly url: string;
  readonly sourceMapURL: string;
}

/**
 * The walk's breakpoints: one at the start of every function of the app's own code, each with
 * {@link WALK_CONDITION} (true only in the request the walk looks for, whichever it is). They are
 * set once, in slices that never stop the main thread for more than a few milliseconds, and kept
 * while a debugger stays attached, so a knock finds them set and runs at once; scripts loaded
 * later are added at the next knock. {@link release} removes them all.
 *
 * States: `empty` (none set, the session's debugger off), `arming` (slices being posted),
 * `armed` (every app script known so far has its breakpoints).
 */
export class ArmedBreakpoints {
  private state: 'empty' | 'arming' | 'armed' = 'empty';
  /** Bumped by {@link release}: an arming of an older generation stops. */
  private generation = 0;
  private arming: Promise<void> | null = null;
  /** Whether the session's debugger is on (enabled by the first arm, off after a release). */
  private enabled = false;
  /** scriptId -> what V8 said of it, for every script reported while the debugger is on. */
  private readonly scripts = new Map<string, KnownScript>();
  /** Scripts whose breakpoints are set (or not needed: not the app's, or nothing to set). */
  private readonly done = new Set<string>();
  private readonly ids = new Set<string>();
  /** scriptId -> its function entries, parsed here (off the main thread) once per script. */
  private readonly entries = new Map<string, Promise<readonly FunctionEntry[]>>();

  constructor(private readonly session: Session) {
    session.on('Debugger.scriptParsed', ({ params }) => {
      this.scripts.set(params.scriptId, { url: params.url, sourceMapURL: params.sourceMapURL ?? '' });
    });
  }

  /** How many breakpoints are set now. */
  get count(): number {
    return this.ids.size;
  }

  /** Whether `breakpointId` is one of the walk's. */
  owns(breakpointId: string): boolean {
    return this.ids.has(breakpointId);
  }

  /** Sets the breakpoints of every app script not yet covered; resolves once they all are. */
  arm(): Promise<void> {
    if (this.arming !== null) return this.arming;
    const generation = this.generation;
    this.state = 'arming';
    const arming = this.armAll(generation).finally(() => {
      if (this.arming === arming) this.arming = null;
      if (this.generation === generation) this.state = 'armed';
    });
    this.arming = arming;
    return arming;
  }

  /**
   * Removes every breakpoint (turning the session's debugger off); `done` once it is off. Posted
   * at once, in order, so an `arm` right after comes after it.
   */
  release(done: () => void = () => {}): void {
    this.generation++;
    this.arming = null;
    const wasEmpty = this.state === 'empty';
    this.state = 'empty';
    this.done.clear();
    this.ids.clear();
    this.scripts.clear();
    this.entries.clear();
    this.enabled = false;
    if (wasEmpty) {
      done();
      return;
    }
    try {
      this.session.post('Debugger.disable', () => done());
    } catch {
      done();
    }
  }

  private async armAll(generation: number): Promise<void> {
    const cancelled = (): boolean => this.generation !== generation;
    if (!this.enabled) {
      this.enabled = true;
      // Enabling reports every script (Debugger.scriptParsed) before it answers. Every pause the
      // walk's session takes part in must still heed the client's ignore list, which V8 applies
      // only to scripts every enabled session ignore-lists: this session ignore-lists them all.
      await postAsync(this.session, 'Debugger.enable');
      await postAsync(this.session, 'Debugger.setBlackboxPatterns', { patterns: ['.*'] });
    }
    // Scripts may arrive while a slice is under way: go round until none is left.
    for (;;) {
      if (cancelled()) return;
      const pending = [...this.scripts.keys()].filter((scriptId) => !this.done.has(scriptId));
      if (pending.length === 0) return;
      const commands: SlicedCommand<{ breakpointId: string }>[] = [];
      for (const scriptId of pending) {
        this.done.add(scriptId);
        const script = this.scripts.get(scriptId);
        if (script === undefined || !isAppScript(script.url)) continue;
        for (const { lineNumber, columnNumber } of await this.entriesOf(scriptId)) {
          commands.push({
            method: 'Debugger.setBreakpoint',
            params: { location: { scriptId, lineNumber, columnNumber }, condition: WALK_CONDITION },
            answered: ({ breakpointId }) => {
              if (!cancelled()) this.ids.add(breakpointId);
            },
          });
        }
      }
      await postInSlices(this.session, commands, { sliceMs: SLICE_MS, cancelled });
    }
  }

  private entriesOf(scriptId: string): Promise<readonly FunctionEntry[]> {
    let entries = this.entries.get(scriptId);
    if (entries === undefined) {
      entries = postAsync<{ scriptSource: string }>(this.session, 'Debugger.getScriptSource', { scriptId })
        .then(({ scriptSource }) => functionEntries(scriptSource), () => []);
      this.entries.set(scriptId, entries);
    }
    return entries;
  }
}
