// A debugger for the gate figures: chrome-remote-interface attached to epdb's bridge as
// DevTools does it, and knocked requests.
import CDP from 'chrome-remote-interface';
import http from 'node:http';
import { within } from '../../test/helpers/within.mjs';

// The same timeout and free-port helpers as the tests'.
export { within };
export { freePort } from '../../test/helpers/ports.mjs';

/** A Base64 knock, as the seed's `base64.b64encode(json.dumps({'epdb': {}}).encode())` makes it. */
export const BASE64_KNOCK = `Base64 ${Buffer.from(JSON.stringify({ epdb: {} })).toString('base64')}`;

/**
 * One GET on a fresh connection; resolves with the status once the whole body is in.
 * @param {number} port @param {string} path @param {Record<string, string>} [headers]
 */
export function get(port, path, headers = {}) {
  return within(new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', reject);
    }).on('error', reject);
  }), 30_000, `response to GET ${path}`);
}

/**
 * Connects a CDP client to the bridge and enables the Debugger domain; `run()` then sends
 * Runtime.runIfWaitingForDebugger (what makes the bridge count the client as attached).
 * Pauses are queued so none is missed.
 * @param {number} port
 * @param {string} [target] the id of the target to attach to when `port` lists several (default: the first)
 */
export async function connectDebugger(port, target) {
  const options = target === undefined ? { host: '127.0.0.1', port, local: true } : { host: '127.0.0.1', port, local: true, target };
  const client = await within(CDP(options), 10_000, `CDP connect to ${port}`);
  /** @type {any[]} */
  const pauses = [];
  /** @type {((pause: any) => void)[]} */
  const waiters = [];
  /** scriptId -> url (Node 20 leaves a paused frame's `url` empty). */
  const urls = new Map();
  client.on('Debugger.scriptParsed', ({ scriptId, url }) => urls.set(scriptId, url));
  client.on('Debugger.paused', (pause) => {
    const waiter = waiters.shift();
    if (waiter) waiter(pause); else pauses.push(pause);
  });
  await client.Debugger.enable();
  return {
    client,
    /** The URL of the script the top frame of `pause` runs. */
    topUrl: (pause) => urls.get(pause.callFrames[0].location.scriptId) ?? '',
    run: () => client.Runtime.runIfWaitingForDebugger(),
    /** @param {number} [timeoutMs] @returns {Promise<any>} */
    nextPause(timeoutMs = 15_000) {
      const queued = pauses.shift();
      if (queued) return Promise.resolve(queued);
      return within(new Promise((resolve) => waiters.push(resolve)), timeoutMs, 'Debugger.paused');
    },
    resume: () => client.Debugger.resume(),
    close: () => client.close(),
  };
}
