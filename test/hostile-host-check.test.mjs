// The bridge's DNS-rebinding defence, differentially: fuzzed Host values are put to Node's own
// inspector (`node --inspect`, the oracle) and to epdb's bridge. epdb never lets through a Host
// that Node refuses, and lets through the local ones Node lets through.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { freePortBelowEphemeralRange as freePort, spawnChild, startApp } from './helpers/index.mjs';
import { statusOf, within } from './fixtures/hostile/bridge.mjs';
import { fuzzRuns } from './fixtures/hostile/fuzz.mjs';

const APP = fileURLToPath(new URL('./fixtures/hostile/app.cjs', import.meta.url));

/** Host values built from the pieces rebinding attacks and sloppy parsers play with. */
const hostValue = (() => {
  const name = fc.constantFrom(
    'localhost', 'LOCALHOST', 'LocalHost', 'localhost.', 'localhost6', 'localhost.localdomain', 'localhost.evil.example',
    'evil.example', 'evil-localhost', 'xn--localhost', '127.0.0.1', '127.0.0.1.', '127.0.0.1.evil', '127.1', '127.0.1',
    '0177.0.0.1', '0x7f.0.0.1', '0x7f.1', '0x7f000001', '2130706433', '017700000001', '127.000.000.001', '127.0.0.01',
    '0.0.0.0', '0.1.2.3', '0.255.255.255', '1.0.0.0', '0', '10.1.2.3', '192.168.0.1', '255.255.255.255', '256.0.0.1', '1.2.3', '1.2.3.4.5', '127.0.0.1 evil', '',
  );
  const ipv6 = fc.constantFrom('::1', '::', '::0', '0::0', '0:0:0:0:0:0:0:0', '::0.0.0.0', '::ffff:0.0.0.0', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::ffff:7f00:1', 'fe80::1', 'fe80::1%eth0',
    'fe80::1%25eth0', '::1::', 'evil.example', '1:2:3:4:5:6:7:8:9', '::127.0.0.1', '');
  const port = fc.oneof(fc.constant(''), fc.constantFrom(':', ':9000', ':0', ':65535', ':99999', ':abc', ':9000:9000', ':-1', ': 80', ':+80'));
  const bracketed = fc.tuple(ipv6, fc.constantFrom(']', ']', '', ']]'), port).map(([address, close, p]) => `[${address}${close}${p}`);
  const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 24 });
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(name, port).map(([n, p]) => `${n}${p}`) },
    { weight: 2, arbitrary: bracketed },
    { weight: 1, arbitrary: fc.tuple(ipv6, port).map(([address, p]) => `${address}${p}`) },
    { weight: 1, arbitrary: printable },
    { weight: 1, arbitrary: fc.tuple(name, printable).map(([n, junk]) => `${n}${junk}`) },
  );
})();

/**
 * One `GET /json/version` with exactly this Host header; resolves with the status as soon as the
 * status line arrives (Node's inspector keeps the connection open after a 200), 0 if none does.
 */
function statusFor(port, host) {
  return within(new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(Buffer.from(`GET /json/version HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, 'latin1')));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      received += chunk;
      if (received.includes('\r\n')) {
        socket.destroy();
        resolve(statusOf(received));
      }
    });
    socket.on('close', () => resolve(statusOf(received)));
    socket.on('error', reject);
  }), 10_000, `a status line from port ${port} for Host ${JSON.stringify(host)}`);
}

/**
 * Node's inspector also refuses the non-routable addresses 0.0.0.0/8 and [::] (in any spelling),
 * and IPv6 zone ids ('%'), which some systems resolve or route like localhost (Node's IsIPAddress
 * in src/inspector_socket.cc; the "0.0.0.0" rebinding reports). The fuzzer below reaches them
 * rarely, so they are also checked one by one.
 */

/** Node's inspector and epdb's bridge (base64: no knock needed), both up; their ports. */
async function startBoth(t) {
  const inspectorPort = await freePort();
  const inspector = spawnChild(process.execPath, [`--inspect=127.0.0.1:${inspectorPort}`, '-e', 'setInterval(() => {}, 60_000)'], { t });
  await inspector.stderr.waitForLine(/^Debugger listening on ws:\/\/127\.0\.0\.1:\d+\//, { timeoutMs: 10_000 });
  const bridgePort = await freePort();
  const app = await startApp(t, { app: APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0' } });
  const held = new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: app.port }, () => socket.write('GET /held HTTP/1.1\r\nHost: 127.0.0.1\r\nX-EPDB: Base64 eyJlcGRiIjoge319\r\n\r\n'));
    socket.on('error', () => {});
    t.after(() => socket.destroy());
    resolve(socket);
  });
  await held;
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });
  return { inspectorPort, bridgePort };
}

test('Host 0.0.0.0/8, [::] and IPv6 zone ids are refused, as Node\'s inspector refuses them', async (t) => {
  const { inspectorPort, bridgePort } = await startBoth(t);
  for (const host of ['0.0.0.0', '0.0.0.0:9000', '0.1.2.3', '0.255.255.255:9000', '[::]', '[::]:9000', '[::0]', '[0:0:0:0:0:0:0:0]:9000', '[::0.0.0.0]', '[fe80::1%eth0]', '[fe80::1%25eth0]:9000']) {
    assert.equal(await statusFor(inspectorPort, host), 400, `Node's inspector on Host ${host}`);
    assert.equal(await statusFor(bridgePort, host), 403, `epdb's bridge on Host ${host}`);
  }
});

test('epdb\'s bridge never accepts a Host that Node\'s own inspector refuses, and accepts the local ones it accepts', async (t) => {
  const { inspectorPort, bridgePort } = await startBoth(t);
  const hosts = [...new Set(fc.sample(hostValue, { numRuns: Math.min(fuzzRuns(800), 20_000) }))]
    // A value with white space at either end reaches both servers trimmed; one inside is a bad request to both.
    .filter((host) => host === host.trim());
  const counts = { both: 0, neither: 0, epdbStricter: [], epdbLooser: [] };
  let next = 0;
  await within(Promise.all(Array.from({ length: 6 }, async () => {
    while (next < hosts.length) {
      const host = hosts[next++];
      const [node, epdb] = await Promise.all([statusFor(inspectorPort, host), statusFor(bridgePort, host)]);
      const nodeAllows = node === 200;
      const epdbAllows = epdb === 200;
      if (epdb !== 200) assert.ok(epdb === 403 || epdb === 400, `epdb answered ${epdb} to Host ${JSON.stringify(host)}`);
      if (nodeAllows && epdbAllows) counts.both++;
      else if (!nodeAllows && !epdbAllows) counts.neither++;
      else if (nodeAllows) counts.epdbStricter.push(host);
      else counts.epdbLooser.push(host);
    }
  })), 120_000, 'the Host comparisons');
  assert.deepEqual(counts.epdbLooser, [], 'Host values epdb lets through but Node\'s inspector refuses');
  assert.ok(counts.both > 20 && counts.neither > 20, JSON.stringify({ both: counts.both, neither: counts.neither }));
  // epdb may be stricter only where Node drops everything after the last colon as "the port"
  // (junk there, or nothing before it); never about the address itself.
  for (const host of counts.epdbStricter) {
    const colon = host.lastIndexOf(':');
    const trimmed = colon === -1 || (host.includes(']') && colon < host.lastIndexOf(']')) ? host : host.slice(0, colon);
    assert.ok(colon !== -1 && (!/^\d*$/.test(host.slice(colon + 1)) || trimmed === ''), `epdb refuses ${JSON.stringify(host)}, which Node allows`);
  }
  t.diagnostic(`${hosts.length} Host values: ${counts.both} allowed by both, ${counts.neither} refused by both, `
    + `${counts.epdbStricter.length} refused by epdb only (${JSON.stringify(counts.epdbStricter.slice(0, 6))}), 0 allowed by epdb only`);
});
