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
