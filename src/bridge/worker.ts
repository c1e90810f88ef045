/**
 * The debug bridge's worker thread. It runs the bridge server and relays CDP to the main thread
 * through inspector sessions; being off the main thread, it keeps running while the main thread
 * is paused. Started by the gate on the first knock, with the {@link BridgeWorkerData} it needs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PauseArmer } from './arm.js';
import { createBridgeGuard } from './auth.js';
import type { HeldRequest } from './held-request.js';
import { listenOnFirstFree } from './listen-range.js';
import type { BridgeWorkerData, FromBridge, ToBridge } from './messages.js';
import { relayClient } from './relay.js';
import { createBridgeServer } from './server.js';

const data = workerData as BridgeWorkerData;
const port = parentPort;
if (port === null) throw new Error('epdb: the bridge must run in a worker thread');
const tell = (message: FromBridge): void => port.postMessage(message);

const armer = new PauseArmer();
let client: object | null = null;
let attached = false;
let held: HeldRequest | null = null;

const server = createBridgeServer({
  data,
  guard: createBridgeGuard(data.bridgeAuth),
  held: () => held,
  hasClient: () => client !== null,
  onClient(ws) {
    client = ws;
    relayClient(ws, armer, {
      attached() {
        attached = true;
        tell({ type: 'attached' });
      },
      detached() {
        attached = false;
        tell({ type: 'detached' });
      },
      closed(wasAttached) {
        client = null;
        attached = false;
        if (wasAttached) tell({ type: 'detached' });
      },
    });
  },
});

listenOnFirstFree(server, data.host, data.ports).then(
  (bound) => tell({ type: 'listening', host: data.host, port: bound }),
  (error: Error) => tell({ type: 'listen-failed', reason: error.message }),
);

port.on('message', (message: ToBridge) => {
  switch (message.type) {
    case 'arm':
      if (!attached) tell({ type: 'armed', id: message.id, ok: false });
      else armer.arm(message.id, (ok) => tell({ type: 'armed', id: message.id, ok }));
      break;
    case 'pause-done':
      armer.pauseDone(message.id);
      break;
    case 'held':
      // Kept while the same request stays held, so its `heldSince` says how long it has waited.
      if (message.summary === null) held = null;
      else if (held?.summary !== message.summary) held = { summary: message.summary, since: Date.now() };
      break;
  }
});
