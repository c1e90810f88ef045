import { processLabel } from '../shared/process-identity.js';
import type { BridgeWorkerData } from '../shared/thread-messages.js';

/** The request the target holds, as the gate described it, and since when (ms since the epoch). */
export interface HeldSummary {
  readonly summary: string;
  readonly since: number;
  /** Whether it runs towards the app's code now, the bridge's breakpoints set (`EPDB_STOP_AT=app`). */
  readonly walking?: boolean;
}

/**
 * What the bridge's `/json/list` target says about its process beyond `node --inspect`'s fields,
 * under the key `epdb`: a forward over a port range (`epdb connect 9001-9100`) lists the target
 * that holds a knocked request first. Debuggers ignore keys they do not know.
 */
export interface TargetProcess {
  readonly pid: number;
  readonly worker: number | null;
  /** `GET /orders/42` while a knocked request waits or is paused here, else `null`. */
  readonly held: string | null;
  readonly heldSince: number | null;
  /** Whether the held request runs towards its first statement of app code now (the walk). */
  readonly walking: boolean;
}

/**
 * The target's title: the held request first, when there is one, then the script and the
 * process (`GET /orders/42 - /srv/app.js (pid 4242, worker 3)`), so a list of a cluster's
 * bridges says which process got the knock.
 */
export function targetTitle(data: BridgeWorkerData, held: HeldSummary | null): string {
  const process = `${data.title} (${processLabel(data.pid, data.clusterWorkerId)})`;
  return held === null ? process : `${held.summary} - ${process}`;
}

/** The `epdb` key of the target in `/json/list`. */
export function targetProcess(data: BridgeWorkerData, held: HeldSummary | null): TargetProcess {
  return { pid: data.pid, worker: data.clusterWorkerId ?? null, held: held?.summary ?? null, heldSince: held?.since ?? null, walking: held?.walking === true };
}
