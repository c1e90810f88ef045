import type { RawData, WebSocket } from 'ws';

/** Why a WebSocket handshake step did not get its message. */
export class HandshakeStepError extends Error {
  /** The peer closed (with this code and reason), or `null` for a timeout or socket error. */
  constructor(message: string, readonly closeCode: number | null, readonly closeReason: string) {
    super(message);
    this.name = 'HandshakeStepError';
  }
}

/** One frame as `ws` delivered it. */
export interface ReceivedFrame {
  readonly data: RawData;
  readonly isBinary: boolean;
}

/** A step waiting for its message. */
interface WaitingStep {
  resolve(data: RawData): void;
  reject(error: HandshakeStepError): void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Reads a reverse connection's handshake one message a step, with one listener on the socket
 * from before the first message until {@link handOver}. `ws` emits every frame of one TCP read
 * in the same tick, so the peer's last handshake message and its first message after it can
 * come together: `epdb listen` sends a debugger's held commands right after its welcome when
 * the debugger attached first. A listener added per step, or once the handshake's promise has
 * settled, would miss that message (the early debugger then waited for ever: issue #20); here
 * it is queued and handed over with the socket.
 *
 * States: `reading` (frames queued, one step may wait), `failed` (closed, errored or timed out:
 * later steps get the queued frames, then the failure), `handed-over` (its listeners are off).
 */
export class HandshakeReader {
  private state: 'reading' | 'failed' | 'handed-over' = 'reading';
  private readonly queue: ReceivedFrame[] = [];
  private step: WaitingStep | null = null;
  private failure: HandshakeStepError | null = null;

  constructor(private readonly ws: WebSocket) {
    ws.on('message', this.onMessage);
    ws.on('close', this.onClose);
    ws.on('error', this.onError);
  }

  /**
   * The next message, within `timeoutMs`; rejects with a {@link HandshakeStepError} when the
   * peer closes, the socket fails or time runs out.
   */
  next(timeoutMs: number): Promise<RawData> {
    if (this.state === 'handed-over') return Promise.reject(new Error('the handshake reader was handed over'));
    if (this.step !== null) return Promise.reject(new Error('one handshake step at a time'));
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued.data);
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new HandshakeStepError(`no answer within ${timeoutMs / 1000} s`, null, '')), timeoutMs);
      this.step = { resolve, reject, timer };
    });
  }

  /**
   * The handshake is over: removes its listeners and returns the frames that came after its
   * last step, in order, for the socket's next reader. Call it in the same tick as that reader
   * subscribes, so no frame falls between the two.
   */
  handOver(): ReceivedFrame[] {
    if (this.step !== null) {
      clearTimeout(this.step.timer);
      this.step = null;
    }
    this.state = 'handed-over';
    this.ws.off('message', this.onMessage);
    this.ws.off('close', this.onClose);
    this.ws.off('error', this.onError);
    return this.queue.splice(0);
  }

  private readonly onMessage = (data: RawData, isBinary: boolean): void => {
    if (this.state !== 'reading') return;
    const step = this.step;
    if (step === null) {
      this.queue.push({ data, isBinary });
      return;
    }
    this.step = null;
    clearTimeout(step.timer);
    step.resolve(data);
  };

  private readonly onClose = (code: number, reason: Buffer): void => {
    this.fail(new HandshakeStepError(`closed (${code})`, code, reason.toString('utf8').slice(0, 200)));
  };

  private readonly onError = (error: Error): void => {
    this.fail(new HandshakeStepError(error.message, null, ''));
  };

  private fail(error: HandshakeStepError): void {
    if (this.state !== 'reading') return;
    this.state = 'failed';
    this.failure = error;
    const step = this.step;
    this.step = null;
    if (step === null) return;
    clearTimeout(step.timer);
    step.reject(error);
  }
}
