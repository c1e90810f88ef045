/**
 * The few V8 inspector protocol shapes the probes read, and a promise-returning `post`.
 * (Typed by hand from the protocol: node:inspector's own types are loose where we read.)
 */

/** `Runtime.RemoteObject`. */
export interface RemoteObject {
  readonly type: string;
  readonly subtype?: string;
  readonly className?: string;
  readonly value?: unknown;
  readonly unserializableValue?: string;
  readonly description?: string;
  readonly objectId?: string;
}

/** `Runtime.PropertyDescriptor`. */
export interface PropertyDescriptor {
  readonly name: string;
  readonly value?: RemoteObject;
  readonly get?: RemoteObject;
  readonly set?: RemoteObject;
  readonly isOwn?: boolean;
  readonly symbol?: RemoteObject;
}

/** `Debugger.CallFrame`, as far as the probes read it. */
export interface CallFrame {
  readonly callFrameId: string;
  readonly functionName: string;
  readonly location: { readonly scriptId: string; readonly lineNumber: number; readonly columnNumber?: number };
  /**
   * Deprecated in the protocol (and empty on Node 20): a frame's script is known by its
   * `location.scriptId`, looked up in what `Debugger.scriptParsed` reported.
   */
  readonly url?: string;
  readonly scopeChain: readonly { readonly type: string; readonly object: RemoteObject }[];
}

/** `Debugger.paused`'s parameters. */
export interface PausedEvent {
  readonly callFrames: readonly CallFrame[];
  readonly reason: string;
  readonly hitBreakpoints?: readonly string[];
  /** For an exception pause: the exception, as a RemoteObject (with `uncaught`). */
  readonly data?: unknown;
}

/** `Debugger.scriptParsed`'s parameters, as far as the probes read them. */
export interface ScriptParsedEvent {
  readonly scriptId: string;
  readonly url: string;
  readonly sourceMapURL?: string;
}

/** Sends one protocol command and resolves with its result. */
export type Post = <T = unknown>(method: string, params?: object) => Promise<T>;
