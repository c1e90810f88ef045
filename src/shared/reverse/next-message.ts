import type { RawData, WebSocket } from 'ws';

/** Why a WebSocket handshake step did not get its message. */
export class HandshakeStepError extends Error {
  /** The peer closed (with this code and reason), or `null` for a timeout or socket error. */
  constructor(message: string, readonly closeCode: number | null, readonly closeReason: string) {
    super(message);
    this.name = 'HandshakeStepError';
  }
}

/**
 * The next frame `ws` receives, within `timeoutMs`; rejects with a {@link HandshakeStepError}
 * when the peer closes, the socket fails or time runs out. Removes its listeners either way, so
 * whatever reads the socket next (the relay) is alone on it.
 */
export function nextMessage(ws: WebSocket, timeoutMs: number): Promise<RawData> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      ws.off('error', onError);
    };
    const onMessage = (data: RawData): void => {
      cleanup();
      resolve(data);
    };
    const onClose = (code: number, reason: Buffer): void => {
      cleanup();
      reject(new HandshakeStepError(`closed (${code})`, code, reason.toString('utf8').slice(0, 200)));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new HandshakeStepError(error.message, null, ''));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new HandshakeStepError(`no answer within ${timeoutMs / 1000} s`, null, ''));
    }, timeoutMs);
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', onError);
  });
}
