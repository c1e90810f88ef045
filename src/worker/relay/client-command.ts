/** A command from a client, as CDP has it. */
export interface ClientCommand {
  readonly id: number;
  readonly method: string;
  readonly params: object | undefined;
}

/** The error reply a malformed message gets. */
export interface ProtocolErrorReply {
  readonly id?: number | undefined;
  readonly error: { readonly code: number; readonly message: string };
}

/**
 * Reads one WebSocket message of a client as a command, or the error reply Node's own inspector
 * gives for it: whatever a client sends (`null`, an array, broken JSON) gets one.
 */
export function readClientCommand(text: string): ClientCommand | ProtocolErrorReply {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { error: { code: -32700, message: 'Message must be a valid JSON' } };
  }
  const { id, method, params } = (typeof message === 'object' && message !== null ? message : {}) as
    { id?: unknown; method?: unknown; params?: unknown };
  if (typeof id !== 'number' || !Number.isInteger(id) || typeof method !== 'string') {
    // With an `id` key even when it is not one (it is dropped from the JSON): a reply, sent at once.
    return { id: typeof id === 'number' ? id : undefined, error: { code: -32600, message: 'Message must have integer id and string method' } };
  }
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
    return { id, error: { code: -32602, message: 'Invalid parameters: params must be an object' } };
  }
  return { id, method, params: params as object | undefined };
}

/** Node wraps CDP errors as `Inspector error <code>: <message>`; give the client the original. */
export function protocolErrorOf(error: unknown): { code: number; message: string } {
  const text = error instanceof Error ? error.message : String(error);
  const match = /^Inspector error (-?\d+): ([\s\S]*)$/.exec(text);
  return match ? { code: Number(match[1]), message: match[2] as string } : { code: -32603, message: text };
}
