import { processLabel } from '../../shared/process-identity.js';
import { startAcceptServer, type AcceptServer } from '../listen/accept-server.js';
import type { DebuggeeTarget } from '../listen/debuggee-target.js';
import type { ListenerKey } from '../listen/listener-handshake.js';

/** One hop's settled probe result, with the process that pushed it. */
export interface HopResult {
  /** 1 for the request `epdb snapshot` sent, 2 for the request it made, and so on. */
  readonly hop: number;
  readonly target: DebuggeeTarget;
  readonly result: Readonly<Record<string, unknown>>;
}

/** The hop a result names in its request title (`GET /bill/42 [hop 2: checkout → billing]`); 1 without. */
function hopOf(result: Readonly<Record<string, unknown>>): number {
  const match = /\[hop (\d+)/.exec(typeof result['request'] === 'string' ? result['request'] : '');
  return match === null ? 1 : Number(match[1]);
}

/**
 * `epdb snapshot --follow`'s own small `epdb listen`: every process of the followed chain dials it
 * (its knock names it in `connect`, which each hop's knock keeps) and pushes its probe's result
 * when its request ends; they are kept by hop. The processes prove the key, as to `epdb listen`.
 */
export class HopResults {
  private readonly results: HopResult[] = [];
  private readonly targets = new Set<DebuggeeTarget>();
  private accept: AcceptServer | null = null;
  private changed: (() => void) | null = null;

  constructor(private readonly probeId: string) {}

  /** Listens on `host:port` (0: any free port) for the chain's processes; resolves with the port. */
  async start(host: string, port: number, key: ListenerKey, tls: { readonly cert: string; readonly key: string } | null): Promise<number> {
    this.accept = await startAcceptServer({
      host, port, key, tls,
      onTarget: (target) => {
        this.targets.add(target);
        target.onProbeResult((result) => {
          if (result['id'] !== this.probeId) return;
          this.results.push({ hop: hopOf(result), target, result });
          this.changed?.();
        });
        this.changed?.();
      },
    });
    return this.accept.port;
  }

  /**
   * Waits until every process that dialled in has pushed its result (each dials as its probe is
   * armed, before its request runs, so once the first request is answered every hop has dialled),
   * or `timeoutMs` passed; answers the results in hop order.
   */
  async settled(timeoutMs: number): Promise<readonly HopResult[]> {
    const done = (): boolean => this.targets.size > 0 && [...this.targets].every((target) => this.results.some((r) => r.target === target));
    if (!done()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.changed = () => {
          if (!done()) return;
          clearTimeout(timer);
          resolve();
        };
      });
      this.changed = null;
    }
    return [...this.results].sort((a, b) => a.hop - b.hop);
  }

  /** Processes that dialled in but pushed nothing (their line never came in time), for the report. */
  silent(): readonly string[] {
    return [...this.targets].filter((target) => !this.results.some((r) => r.target === target))
      .map((target) => `${target.process.hostname} (${processLabel(target.process.pid, target.process.worker ?? undefined)})`);
  }

  /** Closes every connection (each process's bridge ends) and the listening socket. */
  close(): void {
    for (const target of this.targets) target.close(1000, 'epdb snapshot is done');
    this.accept?.server.close();
    this.accept?.server.closeAllConnections?.();
  }
}
