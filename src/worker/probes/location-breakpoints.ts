import { probeHitCondition, type SimplePath } from '../../shared/probes/capture-protocol.js';
import type { ArmedProbe, LocationBreakpoint } from './armed-probe.js';
import type { PausedEvent, Post } from './cdp.js';
import type { ResolvedLocation } from './scripts.js';

/**
 * The probes' breakpoints: one a location, shared by every probe armed there (V8 takes one
 * breakpoint a place), set when its first probe comes and removed when its last goes. Callers
 * take turns (the service runs arming and disarming one at a time).
 */
export class LocationBreakpoints {
  private readonly locations = new Map<string, LocationBreakpoint>();
  private readonly byBreakpoint = new Map<string, LocationBreakpoint>();
  private nextLocation = 1;

  constructor(private readonly post: Post) {}

  /** How many locations have probes. */
  get size(): number {
    return this.locations.size;
  }

  /** The locations whose breakpoints a pause hit. */
  hitBy(event: PausedEvent): LocationBreakpoint[] {
    return (event.hitBreakpoints ?? []).map((id) => this.byBreakpoint.get(id)).filter((location): location is LocationBreakpoint => location !== undefined);
  }

  /** Adds `probe` at `resolved`, setting the location's breakpoint if it is the first there. */
  async add(probe: ArmedProbe, resolved: ResolvedLocation, paths: readonly SimplePath[] | null): Promise<void> {
    const key = `${resolved.url}:${resolved.lineNumber}:${resolved.columnNumber}`;
    let location = this.locations.get(key);
    if (location === undefined) {
      location = { key, number: this.nextLocation++, names: paths?.map((path) => path.root) ?? null, resolved, probes: new Set(), breakpointId: null };
      this.locations.set(key, location);
    }
    location.probes.add(probe);
    probe.location = location;
    try {
      await this.rearm(location);
    } catch (error) {
      location.probes.delete(probe);
      probe.location = null;
      if (location.probes.size === 0) this.locations.delete(key);
      throw error;
    }
  }

  /** Takes `probe` from its location, removing the breakpoint if it was the last there. */
  async remove(probe: ArmedProbe): Promise<void> {
    const location = probe.location;
    probe.location = null;
    if (location === null) return;
    location.probes.delete(probe);
    if (location.probes.size === 0) this.locations.delete(location.key);
    await this.rearm(location).catch(() => {});
  }

  /**
   * Sets the location's breakpoint when its first probe comes, removes it when its last goes.
   * Its condition is the same for every probe there (it names the location, and the main thread
   * tells which request is probed at it), so it never has to
   * be set again while a probe stays: no gap in which that probe's request passes unseen.
   */
  private async rearm(location: LocationBreakpoint): Promise<void> {
    if (location.probes.size > 0 && location.breakpointId === null) {
      // By URL: Node may compile one file under two script ids (a CommonJS main loaded through
      // the ES loader, with --import), and only one of them runs.
      const { breakpointId } = await this.post<{ breakpointId: string }>('Debugger.setBreakpointByUrl', {
        url: location.resolved.url,
        lineNumber: location.resolved.lineNumber,
        columnNumber: location.resolved.columnNumber,
        condition: probeHitCondition(location.number, location.names),
      });
      location.breakpointId = breakpointId;
      this.byBreakpoint.set(breakpointId, location);
    } else if (location.probes.size === 0 && location.breakpointId !== null) {
      const old = location.breakpointId;
      this.byBreakpoint.delete(old);
      location.breakpointId = null;
      await this.post('Debugger.removeBreakpoint', { breakpointId: old }).catch(() => {});
    }
  }
}
