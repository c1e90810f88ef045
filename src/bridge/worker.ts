/**
 * The debug bridge's worker thread. It runs the bridge server and relays CDP to the main thread
 * through inspector sessions; being off the main thread, it keeps running while the main thread
 * is paused. Started by the gate on the first knock, with the {@link BridgeWorkerData} it needs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { WebSocket } from 'ws';
import { PauseArmer } from './arm.js';
import { createBridgeGuard } from './auth.js';
import type { BridgeWorkerData, FromBridge, ToBridge } from './messages.js';
import { relayClient } from './relay.js';
import { dialListener } from './dial.js';
import { createBridgeServer } from './server.js';

const data = workerData as BridgeWorkerData;
const port = parentPort;
if (port === null) throw new Error('epdb: the bridge must run in a worker thread');
const tell = (message: FromBridge): void => port.postMessage(message);

const armer = new PauseArmer();
let client: object | null = null;
let attached = false;

/** Relays CDP between `ws`, a debugger's connection however it came, and the main thread. */
function serveClient(ws: WebSocket): void {
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
}

// The transport: dial an `epdb listen` (no port opened here), or listen as `node --inspect` does.
if (data.dial !== null) {
  dialListener(data.dial, { connected: serveClient, ended: (reason) => tell({ type: 'ended', reason }) });
} else {
  const server = createBridgeServer({
    data,
    guard: createBridgeGuard(data.bridgeAuth),
    hasClient: () => client !== null,
    onClient: serveClient,
  });
  server.once('error', (error: NodeJS.ErrnoException) => {
    tell({ type: 'listen-failed', reason: error.code === 'EADDRINUSE' ? 'the port is already in use' : error.message });
  });
  server.listen(data.port, data.host, () => {
    const address = server.address();
    tell({ type: 'listening', host: data.host, port: typeof address === 'object' && address !== null ? address.port : data.port });
  });
}

port.on('message', (message: ToBridge) => {
  switch (message.type) {
    case 'arm':
      if (!attached) tell({ type: 'armed', id: message.id, ok: false });
      else armer.arm(message.id, (ok) => tell({ type: 'armed', id: message.id, ok }));
      break;
    case 'pause-done':
      armer.pauseDone(message.id);
      break;
  }
});
