import { log } from '../../shared/log.js';
import type { DialSettings, WalkOutcome } from '../../shared/thread-messages.js';
import { BridgeHandle, bridgeAddressOfProcess } from './bridge-handle.js';
import type { SessionSettings } from './debug-gate.js';
import { exposureWarning } from './exposure.js';

/** What the gate decides when its bridge's state changes. */
export interface BridgeOwner {
  /** A debugger attached: the requests that wait for one queue for their stop. */
  debuggerAttached(): void;
  /** The bridge cannot serve (port taken, worker died): every held request goes on. */
  bridgeGone(bridge: RunningBridge): void;
  /** A dialled session ended as it should: a request that still waits may dial again. */
  sessionOver(bridge: RunningBridge): void;
  /** The walk with this id is over. */
  walkDone(id: number, outcome: WalkOutcome): void;
  /** Whether some request waits for a debugger now (the listening line then says so). */
  someoneWaits(): boolean;
}

/**
 * The bridge worker as the gate sees it, from the knock that started it until it is gone: where
 * it listens, and whether a debugger is attached through it. It says so in the log as it goes.
 *
 * States: `starting` (the worker is coming up), `listening` (no debugger; or, dialling, the
 * session is set up), `attached`, `gone`.
 */
export class RunningBridge {
  private state: 'starting' | 'listening' | 'attached' | 'gone' = 'starting';
  /** `host:port` once it listens (null while starting, and for a bridge that dials out). */
  address: string | null = null;
  readonly handle: BridgeHandle;

  /**
   * @param purpose a debug knock's bridge says a debugger is awaited; a probe knock's holds no
   *   request, so its line says only where it listens (a debug knock later says "waiting for a
   *   debugger" on it).
   */
  constructor(private readonly settings: SessionSettings, private readonly owner: BridgeOwner, dial: DialSettings | null, private readonly purpose: 'debugger' | 'probes') {
    this.handle = new BridgeHandle(settings, {
      listening: (host, port) => this.listening(host, port),
      attached: () => this.attachedNow(),
      detached: () => this.detached(),
      gone: (reason) => this.gone(reason, false),
      sessionOver: (reason) => this.gone(reason, true),
      walkDone: (id, outcome) => owner.walkDone(id, outcome),
    }, dial);
  }

  /** Whether a debugger is attached through it now. */
  get attached(): boolean {
    return this.state === 'attached';
  }

  private listening(host: string, port: number): void {
    if (this.state === 'gone') return;
    this.state = 'listening';
    this.address = bridgeAddressOfProcess(host, port);
    // Always: even when the knock that started the bridge has already timed out, the person
    // who knocked needs to know where to attach (or, for probes, to ask for results).
    const waiting = this.purpose === 'debugger' || this.owner.someoneWaits();
    log(waiting ? `waiting for a debugger on ${this.address}` : `debug bridge listening on ${this.address} for probes`);
    const exposed = exposureWarning(host, this.settings.bridgeAuth !== null);
    if (exposed !== null) log(exposed);
  }

  private attachedNow(): void {
    if (this.state === 'gone') return;
    this.state = 'attached';
    log('debugger attached');
    this.owner.debuggerAttached();
  }

  private detached(): void {
    if (this.state !== 'attached') return;
    this.state = 'listening';
    log('debugger detached');
  }

  /** `asItShould`: a dialled session that ended (the debugger on `epdb listen` left), not a failure. */
  private gone(reason: string, asItShould: boolean): void {
    this.state = 'gone';
    log(reason);
    if (asItShould) this.owner.sessionOver(this);
    else this.owner.bridgeGone(this);
  }
}
