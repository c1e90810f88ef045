// Headless Chromium for the browser tests: Debian's `chromium` (.ci/run installs it), a fresh
// profile in a temp dir, no network but loopback, and nothing left behind (every process of it
// killed and the dir removed), even when the test fails.
import CDP from 'chrome-remote-interface';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnChild } from './child.mjs';
import { within } from './within.mjs';

/** The Chromium binary: Debian's launcher, unless EPDB_TEST_CHROMIUM names another. */
export const CHROMIUM = process.env.EPDB_TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Flags for a quiet, isolated headless browser. `--no-sandbox` because CI runs as root; the
 * resolver rule makes every host but 127.0.0.1 fail to resolve, so nothing beyond loopback is
 * reachable; the rest turns off what would phone home or write outside the profile.
 */
const FLAGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--no-first-run', '--no-default-browser-check', '--disable-default-apps', '--disable-sync',
  '--disable-background-networking', '--disable-component-update', '--disable-extensions',
  '--disable-crash-reporter', '--disable-breakpad', '--metrics-recording-only', '--mute-audio',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', '--remote-allow-origins=*',
];

/**
 * A running headless Chromium.
 * @typedef {object} Chromium
 * @property {number} port its remote-debugging port on 127.0.0.1 (it also serves the DevTools front end)
 * @property {(url: string, size: { width: number, height: number }) => Promise<import('chrome-remote-interface').Client>} openPage
 *   a new page (Target.createTarget) at `url`, viewport `size`, with a CDP client attached to
 *   it (Page and Runtime enabled); closed with the browser
 * @property {import('./lines.mjs').LineLog} stderr what the browser printed
 */

/**
 * Starts headless Chromium on a free remote-debugging port (`--remote-debugging-port=0`; the
 * port is read from its `DevTools listening on ws://...` line). Fails, never skips, when the
 * binary is missing: the browser test is part of the suite and CI installs `chromium`.
 * @param {{ after: (fn: () => any) => void }} t the browser is stopped and its profile removed by `t.after`
 * @returns {Promise<Chromium>}
 */
export async function startChromium(t) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the DevTools browser test needs Debian's chromium (apt-get install -y chromium; .ci/run installs it)`);
  }
  // The profile and HOME (Chromium writes crash reports and caches under it) live in one temp dir.
  const home = await mkdtemp(join(tmpdir(), 'epdb-chromium-'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache') };
  const browser = spawnChild(CHROMIUM, [...FLAGS, `--user-data-dir=${join(home, 'profile')}`, '--remote-debugging-port=0', 'about:blank'], { env });
  /** @type {import('chrome-remote-interface').Client[]} */
  const clients = [];
  t.after(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await browser.stop(5000);
    killStragglers(home);
    await rm(home, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const [, port] = await browser.stderr.waitForLine(/^DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//, { timeoutMs: 30_000 });
  const control = await within(CDP({ host: '127.0.0.1', port: Number(port) }), 10_000, 'CDP attach to Chromium');
  clients.push(control);

  return {
    port: Number(port),
    stderr: browser.stderr,
    async openPage(url, { width, height }) {
      const { targetId } = await control.Target.createTarget({ url: 'about:blank' });
      const page = await within(CDP({ host: '127.0.0.1', port: Number(port), target: targetId }), 10_000, 'CDP attach to the new page');
      clients.push(page);
      await page.Emulation.setDeviceMetricsOverride({ width, height, deviceScaleFactor: 1, mobile: false });
      await page.Page.enable();
      await page.Runtime.enable();
      await page.Page.navigate({ url });
      return page;
    },
  };
}

/**
 * SIGKILLs any process still running whose command line names `home` (a renderer or helper
 * that outlived the browser process): nothing of this browser survives the test.
 * @param {string} home
 */
function killStragglers(home) {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let cmdline;
    try { cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { continue; }
    if (!cmdline.includes(home)) continue;
    try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
  }
}
