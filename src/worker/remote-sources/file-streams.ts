import { isAscii } from 'node:buffer';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { MAX_CHUNK_BYTES, MAX_OPEN_STREAMS, MAX_SERVED_BYTES } from './limits.js';

/** One open stream: a file to read from `position` on, as it was when opened. */
interface Stream {
  readonly path: string;
  readonly size: number;
  readonly ino: number;
  readonly mtimeMs: number;
  position: number;
}

/** Why a file was not opened as a stream. */
export type OpenFailure = 'not-found' | 'not-a-file' | 'too-big' | 'too-many';

/** An `IO.read` result. */
export interface Chunk {
  readonly data: string;
  readonly base64Encoded: boolean;
  readonly eof: boolean;
}

/** A read or close that names no open stream, or of a file that changed: the client gets a protocol error. */
export class StreamError extends Error {}

/**
 * The `IO` streams of one client, each over one file: opened by `Network.loadNetworkResource`,
 * read in chunks by `IO.read`, released by `IO.close` or when the client leaves. No file stays
 * open between reads (the app's descriptors are its own); each read checks that the file is
 * still the one opened, so a deploy in the middle fails the read instead of mixing two files.
 */
export class FileStreams {
  private readonly streams = new Map<string, Stream>();
  private next = 1;

  /** Opens `path` (a real path, no symlink in it) as a stream; its handle, or why not. */
  async open(path: string): Promise<{ handle: string; size: number } | { failure: OpenFailure }> {
    if (this.streams.size >= MAX_OPEN_STREAMS) return { failure: 'too-many' };
    let file: FileHandle;
    try {
      file = await openNoFollow(path);
    } catch {
      return { failure: 'not-found' };
    }
    try {
      const stats = await file.stat();
      if (!stats.isFile()) return { failure: 'not-a-file' };
      if (stats.size > MAX_SERVED_BYTES) return { failure: 'too-big' };
      if (this.streams.size >= MAX_OPEN_STREAMS) return { failure: 'too-many' };
      const handle = String(this.next++);
      this.streams.set(handle, { path, size: stats.size, ino: stats.ino, mtimeMs: stats.mtimeMs, position: 0 });
      return { handle, size: stats.size };
    } catch {
      return { failure: 'not-found' };
    } finally {
      await file.close().catch(() => {});
    }
  }

  /**
   * The next chunk of a stream: at most `size` bytes (and {@link MAX_CHUNK_BYTES}) from `offset`,
   * or from where the last read ended. Text is sent as it is when it is ASCII, else base64 (a
   * chunk may end inside a UTF-8 character). `eof` comes on its own, with no data: DevTools
   * drops the data of a read that says `eof` (its `IOModel.read`), as Chrome never sends both.
   */
  async read(handle: string, offset?: number, size?: number): Promise<Chunk> {
    const stream = this.streams.get(handle);
    if (stream === undefined) throw new StreamError('Invalid stream handle');
    const from = offset ?? stream.position;
    if (from >= stream.size) return { data: '', base64Encoded: false, eof: true };
    const length = Math.min(size ?? MAX_CHUNK_BYTES, MAX_CHUNK_BYTES, stream.size - from);
    const buffer = Buffer.alloc(length);
    let bytesRead: number;
    let file: FileHandle;
    try {
      file = await openNoFollow(stream.path);
    } catch {
      throw new StreamError('the file is gone since it was opened');
    }
    try {
      const stats = await file.stat();
      if (stats.ino !== stream.ino || stats.size !== stream.size || stats.mtimeMs !== stream.mtimeMs) {
        throw new StreamError('the file changed since it was opened');
      }
      ({ bytesRead } = await file.read(buffer, 0, length, from));
    } finally {
      await file.close().catch(() => {});
    }
    if (bytesRead === 0) throw new StreamError('the file changed since it was opened');
    stream.position = from + bytesRead;
    const chunk = buffer.subarray(0, bytesRead);
    return isAscii(chunk)
      ? { data: chunk.toString('latin1'), base64Encoded: false, eof: false }
      : { data: chunk.toString('base64'), base64Encoded: true, eof: false };
  }

  /** Releases a stream; false when `handle` names none. */
  close(handle: string): boolean {
    return this.streams.delete(handle);
  }

  /** Releases every stream (the client left). */
  closeAll(): void {
    this.streams.clear();
  }

  /** How many streams are open. */
  get size(): number {
    return this.streams.size;
  }
}

/** Opens for reading, refusing a symlink put in the path's last place since it was resolved. */
function openNoFollow(path: string): Promise<FileHandle> {
  return open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
}
