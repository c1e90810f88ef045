/** A file larger than this is not served (nor read for the sources its map names). */
export const MAX_SERVED_BYTES = 20 * 1024 * 1024;

/** The most one `IO.read` returns (DevTools asks for 1 MiB at a time). */
export const MAX_CHUNK_BYTES = 1024 * 1024;

/**
 * Streams one client may have open at once. DevTools loads up to 500 resources at a time and
 * closes each when read; a stream is a few numbers (no file stays open between reads).
 */
export const MAX_OPEN_STREAMS = 1024;

/** The longest URL a client may ask for. */
export const MAX_URL_LENGTH = 8 * 1024;
