import { log } from '../../shared/log.js';
import { portsOf, type PortRange } from '../../shared/port-range.js';
import type { HubTarget, TargetSink, TargetSource } from '../hub/target.js';
import { authorityOf } from './bridge-address.js';
import { probeBridge } from './bridge-probe.js';
import { bridgeEntry, dialBridgeTarget, type BridgeEntry } from './bridge-socket.js';

/** Where the bridges are and how to knock on them. */
export interface BridgeRangeOptions {
  /** An IP address or `localhost` (the bridges' Host check accepts nothing else). */
  readonly host: string;
  readonly ports: PortRange;
  /** Makes a fresh `X-EPDB` value, or `null` when the bridges need none (base64). */
  readonly knock: () => Promise<string | null>;
  /** How often to look over the whole range while nobody asks. Default 1000 ms. */
  readonly intervalMs?: number;
  /** How many ports are probed at once. Default 64. */
  readonly concurrency?: number;
  /** Per-port timeout. Default 1000 ms. */
  readonly attemptTimeoutMs?: number;
}

/** A bridge found on one port of the range. */
interface FoundBridge {
  readonly target: HubTarget;
  /** `127.0.0.1:9003 (pid 4242, worker 3)`, for log lines. */
  readonly where: string;
}

/**
 * The {@link TargetSource} of `epdb connect FIRST-LAST`: looks over a range of ports for epdb
 * bridges (one per process of a cluster), all ports at once but a bounded number at a time, each
 * with a knock; every bridge it finds becomes a target of the hub, with its own authentication
 * and `Host` (each debugger WebSocket is dialled to its bridge with a fresh knock). A bridge
 * that starts later appears at the next look; one that stops answering disappears.
 */
export class BridgeRangeSource implements TargetSource {
  private sink: TargetSink | undefined;
  private readonly found = new Map<number, FoundBridge>();
  /** Ports whose bridge refused our knock, logged once each. */
  private readonly refused = new Set<number>();
  private scanning: Promise<void> | undefined;
  private again: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: BridgeRangeOptions) {}

  start(sink: TargetSink): void {
    this.sink = sink;
    void this.lookPeriodically();
  }

  /** Looks over the range once more, after any look already under way (which may predate a knock). */
  refresh(): Promise<void> {
    if (this.scanning === undefined) return this.scan();
    this.again ??= this.scanning.then(() => {
      this.again = undefined;
      return this.scan();
    });
    return this.again;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async lookPeriodically(): Promise<void> {
    if (this.stopped) return;
    await this.refresh();
    if (!this.stopped) this.timer = setTimeout(() => void this.lookPeriodically(), this.options.intervalMs ?? 1000);
  }

  private scan(): Promise<void> {
    const done = this.scanPorts().finally(() => {
      if (this.scanning === done) this.scanning = undefined;
    });
    this.scanning = done;
    return done;
  }

  private async scanPorts(): Promise<void> {
    let knock: string | null;
    try {
      knock = await this.options.knock();
    } catch (error) {
      log(`cannot make a knock: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const queue = portsOf(this.options.ports);
    const worker = async (): Promise<void> => {
      for (let port = queue.shift(); port !== undefined && !this.stopped; port = queue.shift()) await this.look(port, knock);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 64, queue.length) }, worker));
  }

  private async look(port: number, knock: string | null): Promise<void> {
    const address = { host: this.options.host, port };
    const result = await probeBridge(address, knock, this.options.attemptTimeoutMs ?? 1000, '/json/list');
    if (this.stopped) return;
    if (result.kind === 'unauthorized' && !this.refused.has(port)) {
      this.refused.add(port);
      log(`the bridge on ${authorityOf(address)} refused the knock (401): EPDB_KEY is wrong `
        + '(it must be the key the app runs with, for the same EPDB_BACKEND); it is left out');
    }
    // A slow answer is no departure (a loaded host): only a port that refuses, or that something
    // else now answers, loses its bridge, and with it the debugger attached through it.
    if (result.kind === 'unreachable' && result.code === 'ETIMEDOUT') return;
    const entry = result.kind === 'up' ? bridgeEntry(result.body) : null;
    if (entry === null) {
      this.lose(port);
      return;
    }
    this.refused.delete(port);
    const found = this.describe(port, entry);
    const before = this.found.get(port);
    if (before !== undefined && before.target.id !== found.target.id) this.lose(port);
    if (before === undefined || before.target.id !== found.target.id) log(`found the bridge on ${found.where}`);
    this.found.set(port, found);
    this.sink?.add(found.target);
  }

  private lose(port: number): void {
    const before = this.found.get(port);
    if (before === undefined) return;
    this.found.delete(port);
    this.sink?.remove(before.target.id);
    log(`the bridge on ${before.where} has gone`);
  }

  private describe(port: number, entry: BridgeEntry & { readonly id: string }): FoundBridge {
    const authority = authorityOf({ host: this.options.host, port });
    const pid = typeof entry.epdb?.pid === 'number' ? entry.epdb.pid : undefined;
    const worker = typeof entry.epdb?.worker === 'number' ? entry.epdb.worker : undefined;
    const process = pid === undefined ? '' : ` (pid ${pid}${worker === undefined ? '' : `, worker ${worker}`})`;
    const heldSince = entry.epdb?.heldSince;
    return {
      where: `${authority}${process}`,
      target: {
        id: entry.id,
        title: typeof entry.title === 'string' ? entry.title : authority,
        url: typeof entry.url === 'string' ? entry.url : '',
        heldSince: typeof heldSince === 'number' ? heldSince : null,
        connect: async () => dialBridgeTarget(authority, entry.id, await this.options.knock()),
      },
    };
  }
}
