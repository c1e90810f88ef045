import type { WebSocket } from 'ws';
import type { TargetConnection } from './target.js';

/** A {@link TargetConnection} over an open `ws` WebSocket, for sources whose targets speak CDP over WebSocket. */
export function webSocketConnection(socket: WebSocket): TargetConnection {
  return {
    send: (message) => socket.send(message),
    close: () => socket.close(),
    onMessage: (listener) => socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) listener(data.toString('utf8'));
    }),
    onClose: (listener) => {
      let called = false;
      const once = (): void => {
        if (called) return;
        called = true;
        listener();
      };
      socket.once('close', once);
      socket.once('error', once);
    },
  };
}

/**
 * Relays text messages between a debugger's WebSocket and a target's conversation until either
 * ends; `end` runs on the first end of either (it closes both).
 */
export function relayDebugger(client: WebSocket, connection: TargetConnection, end: () => void): void {
  client.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) connection.send(data.toString('utf8'));
  });
  client.once('close', end);
  client.once('error', end);
  connection.onMessage((message) => {
    if (client.readyState === client.OPEN) client.send(message);
  });
  connection.onClose(end);
}
