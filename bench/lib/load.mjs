// Load generation with autocannon's programmatic API, in the bench's own process (never in a
// server's).
import autocannon from 'autocannon';

/**
 * Requests per second that `port` serves on `path` over `durationS` seconds.
 * @param {number} port
 * @param {{ path?: string, durationS: number, connections?: number, amount?: number }} options `amount`: stop after that many
 * @returns {Promise<number>}
 */
export async function requestsPerSecond(port, { path = '/hello/ada', durationS, connections = 10, amount }) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections,
    pipelining: 1,
    duration: durationS,
    ...(amount === undefined ? {} : { amount }),
  });
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(`load on port ${port}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`);
  }
  return result.requests.total / result.duration;
}
