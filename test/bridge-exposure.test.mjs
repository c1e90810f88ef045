// Like `node --inspect` on a public address, a bridge that other machines may reach is worth a
// warning: it runs code for whoever attaches. Loopback binds (the default) stay quiet.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { base64Knock, freePortBelowEphemeralRange, rawRequest, startApp } from './helpers/index.mjs';

const require = createRequire(import.meta.url);
const { exposureWarning, isLoopbackHost } = require('../dist/src/main/gate/exposure.js');

test('loopback hosts are recognised in every spelling Node binds', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LocalHost', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
    assert.equal(isLoopbackHost(host), true, host);
    assert.equal(exposureWarning(host, false), null, host);
  }
  for (const host of ['0.0.0.0', '::', '10.1.2.3', '192.168.0.7', 'fe80::1', '::ffff:10.0.0.1', 'my-host.example', 'localhost.evil.example', '128.0.0.1']) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

test('a reachable bridge is a warning naming the address and EPDB_HOST; base64 says it authenticates nobody', () => {
  const open = exposureWarning('0.0.0.0', false);
  assert.match(open, /^warning: the debug bridge listens on 0\.0\.0\.0, .*base64 authenticates nobody.*EPDB_HOST=127\.0\.0\.1/);
  const keyed = exposureWarning('10.1.2.3', true);
  assert.match(keyed, /^warning: the debug bridge listens on 10\.1\.2\.3, .*only a valid knock lets a debugger in.*EPDB_HOST=127\.0\.0\.1/);
  assert.doesNotMatch(keyed, /authenticates nobody/);
});

test('the default loopback bridge logs no exposure warning', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: 'http.cjs', env: { EPDB_BACKEND: 'base64', EPDB_HOST: 'localhost', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0.001' } });
  await rawRequest({ port: app.port, headers: { 'X-EPDB': base64Knock() } });
  const waiting = new RegExp(`^epdb: waiting for a debugger on localhost:${bridgePort} \\(pid \\d+\\)$`);
  await app.stderr.waitForLine(waiting, { timeoutMs: 10_000 });
  // The warning would come right after that line; a second knock's line surely comes later.
  const from = app.stderr.lines.length;
  await rawRequest({ port: app.port, headers: { 'X-EPDB': base64Knock() } });
  await app.stderr.waitForLine(waiting, { timeoutMs: 10_000, from });
  assert.deepEqual(app.stderr.matching(/warning: the debug bridge/), []);
});
