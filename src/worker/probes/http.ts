import type { ProbeResults } from './results.js';

/** An answer of the bridge's HTTP server. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** The longest `?wait=` a client may ask for, in seconds. */
const MAX_WAIT_S = 30;

/**
 * Answers `GET /epdb/probes` (every kept result, newest first, with the probe service's status:
 * probes armed, breakpoints set, whether the probe session's debugger is on, pauses seen) and
 * `GET /epdb/probes/ID` (one;
 * `?wait=S` waits up to S seconds for it to settle first, so `epdb snapshot` need not poll).
 * Null for any other path. The caller has already checked authentication and `Host`.
 */
export function probesAnswer(method: string | undefined, url: string, results: ProbeResults, status: () => object): Promise<HttpAnswer> | null {
  const [path = '/', query = ''] = url.split('?', 2);
  if (path !== '/epdb/probes' && !path.startsWith('/epdb/probes/')) return null;
  if (method !== 'GET') return Promise.resolve({ status: 405, body: JSON.stringify({ error: 'only GET' }) });
  if (path === '/epdb/probes') return Promise.resolve({ status: 200, body: JSON.stringify({ ...status(), probes: results.list() }) });
  const id = decodeURIComponent(path.slice('/epdb/probes/'.length));
  const wait = Math.min(MAX_WAIT_S, Math.max(0, Number(new URLSearchParams(query).get('wait') ?? 0) || 0));
  return results.waitForSettled(id, wait * 1000).then(() => {
    const result = results.get(id);
    return result === undefined
      ? { status: 404, body: JSON.stringify({ error: `no probe result ${id.slice(0, 40)} (results are kept 10 minutes, the last 100)` }) }
      : { status: 200, body: JSON.stringify(result) };
  });
}
