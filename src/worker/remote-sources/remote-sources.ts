import { realpath } from 'node:fs/promises';
import { extname } from 'node:path';
import { isDevToolsFrontEnd } from './devtools-client.js';
import { FileStreams, StreamError, type OpenFailure } from './file-streams.js';
import { MAX_URL_LENGTH } from './limits.js';
import { pathOfRequestedUrl, remoteUrlOf } from './remote-url.js';
import { ServedFiles } from './served-files.js';

/** A CDP notification on its way to the client. */
interface Notification {
  readonly method: string;
  readonly params?: unknown;
}

/** The body of a CDP reply: a result or an error. */
export type Reply = { readonly result: object } | { readonly error: { readonly code: number; readonly message: string } };

/** `Network.LoadNetworkResourcePageResult`. */
interface Resource {
  readonly success: boolean;
  readonly netError?: number;
  readonly netErrorName?: string;
  readonly httpStatusCode?: number;
  readonly stream?: string;
  readonly headers?: Record<string, string>;
}

/** The commands the bridge answers itself: never forwarded to V8 (Node 22+ has its own, behind a flag). */
const ANSWERED = new Set(['Network.loadNetworkResource', 'IO.read', 'IO.close']);

/** Chromium's net errors (net/base/net_error_list.h) for a load that is refused or fails. */
const NET_ERRORS = {
  'access-denied': { netError: -10, netErrorName: 'net::ERR_ACCESS_DENIED' },
  'not-found': { netError: -6, netErrorName: 'net::ERR_FILE_NOT_FOUND' },
  'not-a-file': { netError: -10, netErrorName: 'net::ERR_ACCESS_DENIED' },
  'too-big': { netError: -8, netErrorName: 'net::ERR_FILE_TOO_BIG' },
  'too-many': { netError: -12, netErrorName: 'net::ERR_INSUFFICIENT_RESOURCES' },
} as const satisfies Record<OpenFailure | 'access-denied', { netError: number; netErrorName: string }>;

/**
 * Makes the source maps of the app's loaded scripts, and the sources they name, loadable by a
 * debugger on another machine through its inspector connection, as DevTools asks a target for
 * resources: `Network.loadNetworkResource`, then `IO.read` until `eof`, then `IO.close`. One per
 * relayed client; what it serves is what the scripts that client was told about name
 * ({@link ServedFiles}), after symlinks, and nothing else.
 */
export class RemoteSources {
  private readonly files = new ServedFiles();
  private readonly streams = new FileStreams();
  /** The client is DevTools: its scripts' map URLs are given under the remote origin. */
  private remoteMapUrls = false;
  private closed = false;

  /** Whether the bridge answers `method` itself, with {@link answer}. */
  static answers(method: string): boolean {
    return ANSWERED.has(method);
  }

  /** Notes a command the client sends on to V8 (its `Debugger.enable` says which client it is). */
  noteCommand(method: string, params: object | undefined): void {
    if (method === 'Debugger.enable') this.remoteMapUrls = isDevToolsFrontEnd(params);
  }

  /**
   * A notification as the client gets it: each `Debugger.scriptParsed` notes the script's map;
   * for DevTools, a map that is a file is named by its remote URL, the only kind it loads
   * through the target (its sources, relative to it, then resolve there too).
   */
  outgoing<N extends Notification>(notification: N): N {
    if (notification.method !== 'Debugger.scriptParsed') return notification;
    const params = notification.params as { url?: unknown; sourceMapURL?: unknown } | undefined;
    if (typeof params?.url !== 'string' || typeof params.sourceMapURL !== 'string') return notification;
    const mapUrl = this.files.noteScript(params.url, params.sourceMapURL);
    const remote = mapUrl !== null && this.remoteMapUrls ? remoteUrlOf(mapUrl) : null;
    return remote === null ? notification : { ...notification, params: { ...params, sourceMapURL: remote } };
  }

  /** The reply to one of the commands {@link answers} names; null once the client is gone. */
  async answer(method: string, params: object | undefined): Promise<Reply | null> {
    let reply: Reply;
    try {
      reply = await this.reply(method, (params ?? {}) as Record<string, unknown>);
    } catch (error) {
      reply = error instanceof StreamError
        ? { error: { code: -32000, message: error.message } }
        : { error: { code: -32603, message: error instanceof Error ? error.message : String(error) } };
    }
    return this.closed ? null : reply;
  }

  /** How many streams the client has open (what {@link close} releases). */
  get openStreams(): number {
    return this.streams.size;
  }

  /** The client left: every stream is released. */
  close(): void {
    this.closed = true;
    this.streams.closeAll();
  }

  private async reply(method: string, params: Record<string, unknown>): Promise<Reply> {
    if (method === 'Network.loadNetworkResource') {
      const { url } = params;
      if (typeof url !== 'string' || url.length > MAX_URL_LENGTH) return invalid('url: a string of at most 8 KiB expected');
      return { result: { resource: await this.load(url) } };
    }
    const { handle } = params;
    if (typeof handle !== 'string') return invalid('handle: string value expected');
    if (method === 'IO.close') {
      if (!this.streams.close(handle)) throw new StreamError('Invalid stream handle');
      return { result: {} };
    }
    const { offset, size } = params;
    if (offset !== undefined && !(Number.isSafeInteger(offset) && (offset as number) >= 0)) return invalid('offset: a non-negative integer expected');
    if (size !== undefined && !(Number.isSafeInteger(size) && (size as number) > 0)) return invalid('size: a positive integer expected');
    return { result: await this.streams.read(handle, offset as number | undefined, size as number | undefined) };
  }

  private async load(url: string): Promise<Resource> {
    const path = pathOfRequestedUrl(url);
    if (path === null || !(await this.files.names(path))) return failed('access-denied');
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      return failed('not-found');
    }
    // A symlink is followed only to a file that the loaded scripts name too.
    if (real !== path && !(await this.files.names(real))) return failed('access-denied');
    const opened = await this.streams.open(real);
    if ('failure' in opened) return failed(opened.failure);
    return {
      success: true,
      httpStatusCode: 200,
      stream: opened.handle,
      headers: { 'Content-Length': String(opened.size), 'Content-Type': extname(real) === '.map' ? 'application/json' : 'text/plain' },
    };
  }
}

function failed(why: keyof typeof NET_ERRORS): Resource {
  return { success: false, ...NET_ERRORS[why] };
}

function invalid(message: string): Reply {
  return { error: { code: -32602, message: `Invalid parameters: ${message}` } };
}
