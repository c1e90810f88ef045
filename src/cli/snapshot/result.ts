import { request } from 'node:http';
import { authorityOf, type Address } from '../connect/bridge-address.js';
import { describeSocketError } from '../connect/bridge-probe.js';
import type { ProbeResult } from '../../shared/probes/probe-result.js';
import { CommandError } from '../errors.js';

/** A probe result as the bridge serves it (the bridge's own JSON: trusted as far as the knock is). */
export type FetchedResult = Readonly<ProbeResult>;

/** How long the bridge is asked to hold the answer until the result settles. */
const WAIT_SECONDS = 10;
/** How long a bridge that refuses connections is retried (it may still be starting). */
const RETRY_FOR_MS = 3_000;
const RETRY_EVERY_MS = 100;

/**
 * Fetches result `id` from the bridge at `bridge` (`GET /epdb/probes/ID?wait=10`), with a
 * fresh knock when the backend authenticates.
 *
 * @returns the result and the raw JSON text the bridge served.
 * @throws {CommandError} when the bridge cannot be reached, refuses the knock or has no such result.
 */
export async function fetchResult(bridge: Address, id: string, knock: () => Promise<string | null>): Promise<{ result: FetchedResult; json: string }> {
  const started = Date.now();
  for (;;) {
    try {
      return await fetchOnce(bridge, id, await knock());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ECONNREFUSED' || Date.now() - started > RETRY_FOR_MS) {
        if (error instanceof CommandError) throw error;
        throw new CommandError(`cannot reach the debug bridge at ${authorityOf(bridge)} for the probe's result: ${describeSocketError(code ?? (error as Error).message)} (--bridge [HOST:]PORT names another)`);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
    }
  }
}

function fetchOnce(bridge: Address, id: string, knock: string | null): Promise<{ result: FetchedResult; json: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: authorityOf(bridge), accept: 'application/json' };
    if (knock !== null) headers['x-epdb'] = knock;
    const req = request({ host: bridge.host, port: bridge.port, path: `/epdb/probes/${id}?wait=${WAIT_SECONDS}`, headers, agent: false });
    req.setTimeout((WAIT_SECONDS + 10) * 1000, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => {
        if (res.statusCode === 401 || res.statusCode === 403) {
          reject(new CommandError(`the debug bridge at ${authorityOf(bridge)} refused us: ${text.trim()}`));
        } else if (res.statusCode === 404) {
          reject(new CommandError(`the debug bridge at ${authorityOf(bridge)} has no result ${id}: did the app accept the knock? (its log says)`));
        } else if (res.statusCode !== 200) {
          reject(new CommandError(`the debug bridge at ${authorityOf(bridge)} answered ${res.statusCode ?? 0} to GET /epdb/probes/${id}`));
        } else {
          try {
            resolve({ result: JSON.parse(text) as FetchedResult, json: text });
          } catch {
            reject(new CommandError(`the debug bridge at ${authorityOf(bridge)} sent something that is not JSON`));
          }
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}
