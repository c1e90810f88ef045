/**
 * The debug bridge's worker thread. It runs the bridge server and relays CDP to the main thread
 * through inspector sessions; being off the main thread, it keeps running while the main thread
 * is paused. Started by the gate on the first knock, with the {@link BridgeWorkerData} it needs.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { log } from '../shared/log.js';
import { PauseArmer } from './arm.js';
import { probesAnswer } from './probes/http.js';
import { ProbeService } from './probes/service.js';
import { createBridgeGuard } from './auth.js';
import { ClientHold } from './client-hold.js';
import type { HeldSummary } from './target-process.js';
import { listenOnFirstFree } from './listen-range.js';
import type { BridgeWorkerData, FromBridge, ToBridge } from '../shared/thread-messages.js';
import { dialListener } from './dial.js';
import { formatSeconds } from './pause-limit.js';
import { Relay, type RelayedClient, type RelaySocket } from './relay.js';
import { createBridgeServer } from './server.js';
import { StopLabel } from './walk/stop-label.js';
import { Walker } from './walk/walker.js';

const data = workerData as BridgeWorkerData;
/** epdb's own code: never a probe's target (the main thread's copy of it runs in dist/src/). */
const BRIDGE_DIR_URL = pathToFileURL(join(__dirname, '..')).href;
const port = parentPort;
if (port === null) throw new Error('epdb: the bridge must run in a worker thread');
const tell = (message: FromBridge): void => port.postMessage(message);

const hold = new ClientHold();
const armer = new PauseArmer(hold);
let client: RelayedClient | null = null;
/** Whether a debugger is attached: its relay is the one place that knows. */
const clientAttached = (): boolean => client?.attached === true;
let held: HeldSummary | null = null;
const stopLabel = new StopLabel();
const walker = new Walker(hold, data.walkShared, {
  done: (id, outcome) => tell({ type: 'walk-done', id, outcome }),
  warnClient: (text) => client?.warn(text),
}, stopLabel);
const probes = new ProbeService({
  clientAttached,
  hiddenScript: (url) => url.startsWith(BRIDGE_DIR_URL),
});

/** Relays CDP between `ws`, a debugger's connection however it came, and the main thread. */
function serveClient(ws: RelaySocket): void {
  client = new Relay(ws, hold, {
    attached() {
      probes.clientAttached();
      // With EPDB_STOP_AT=entry the walk's breakpoints wait for a knock that asks for the walk.
      if (data.walkAhead) walker.clientAttached();
      tell({ type: 'attached' });
    },
    detached() {
      walker.clientGone();
      tell({ type: 'detached' });
    },
    closed(wasAttached) {
      client = null;
      walker.clientGone();
      if (wasAttached) tell({ type: 'detached' });
    },
    pausedTooLong(limitMs) {
      log(`paused for ${formatSeconds(limitMs)} (EPDB_MAX_PAUSE); resumed and detached the debugger`);
    },
  }, { maxPauseMs: data.maxPauseMs, stopLabel });
}

// The transport: dial an `epdb listen` (no port opened here), or listen as `node --inspect` does.
const dialled = data.dial === null ? null : dialListener(data.dial, {
  connected: serveClient,
  ended: (reason, again) => tell({ type: 'ended', reason, again }),
});
// Over a dialled connection, probe results go to `epdb listen` as they settle.
if (dialled !== null) probes.results.onPublished((result) => dialled.publishProbe(result));
if (data.dial === null) {
  const server = createBridgeServer({
    data,
    guard: createBridgeGuard(data.bridgeAuth),
    held: () => (held === null ? null : { ...held, walking: walker.armed }),
    hasClient: () => client !== null,
    extraAnswer: (req) => probesAnswer(req.method, req.url ?? '/', probes.results, () => probes.status()),
    onClient: serveClient,
  });
  listenOnFirstFree(server, data.host, data.ports).then(
    (bound) => tell({ type: 'listening', host: data.host, port: bound }),
    (error: Error) => tell({ type: 'listen-failed', reason: error.message }),
  );
}

port.on('message', (message: ToBridge) => {
  switch (message.type) {
    case 'arm':
      if (!clientAttached()) tell({ type: 'armed', id: message.id, ok: false });
      else armer.arm(message.id, (ok) => tell({ type: 'armed', id: message.id, ok }));
      break;
    case 'pause-done':
      armer.pauseDone(message.id);
      break;
    case 'held':
      // Kept while the same request stays held, so its `heldSince` says how long it has waited.
      if (message.summary === null) held = null;
      else if (held?.summary !== message.summary) held = { summary: message.summary, since: Date.now() };
      dialled?.describeHeld(message.summary);
      break;
    case 'walk':
      if (!clientAttached()) tell({ type: 'walk-armed', id: message.id, ok: false });
      else walker.arm(message, (ok) => tell({ type: 'walk-armed', id: message.id, ok }));
      break;
    case 'walk-end':
      walker.end(message.id, message.outcome);
      break;
    case 'probe-arm':
      probes.arm(message.probe, (error, armed) => tell({ type: 'probe-armed', id: message.probe.id, error, armed: armed ?? null }));
      break;
    case 'probe-report':
      probes.report(message.id, message.outcome);
      break;
    case 'probe-end':
      probes.end(message.id);
      break;
  }
});
