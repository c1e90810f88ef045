/**
 * The one message a dialled-in process sends `epdb listen` besides CDP: which request it holds
 * now, so the listener's title and order follow it (`node inspect` takes the target holding the
 * knock). Told apart from CDP, whose messages are objects with `id` or `method`, by its first
 * bytes, so the listener never parses a CDP message to find it.
 */
const PREFIX = '{"epdb":"held"';

/** The notice for `request` (`GET /orders/42`), or for none. */
export function heldNotice(request: string | null): string {
  return `${PREFIX},"request":${JSON.stringify(request)}}`;
}

/**
 * The request a notice names (`null`: none), or `undefined` when `text` is not a notice (CDP).
 */
export function parseHeldNotice(text: string): string | null | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  try {
    const { request } = JSON.parse(text) as { request?: unknown };
    if (request === null) return null;
    return typeof request === 'string' ? request : undefined;
  } catch {
    return undefined;
  }
}
