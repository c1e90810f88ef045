// `epdb connect [HOST:]FIRST-LAST`: how the range is read, and what --help says about it.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { cleanEnv, freePortBelowEphemeralRange, runToCompletion, spawnChild } from './helpers/index.mjs';
import { CLI } from './fixtures/cli/cli.mjs';

const require = createRequire(import.meta.url);
const { parseBridgeRange, rangeAuthorityOf } = require('../dist/src/cli/connect/bridge-address.js');
const { UsageError } = require('../dist/src/cli/errors.js');

test('ranges with and without a host; a single port is no range', () => {
  assert.deepEqual(parseBridgeRange('9001-9100'), { host: '127.0.0.1', ports: { first: 9001, last: 9100 } });
  assert.deepEqual(parseBridgeRange('10.0.0.5:9001-9100'), { host: '10.0.0.5', ports: { first: 9001, last: 9100 } });
  assert.deepEqual(parseBridgeRange('[::1]:9001-9002'), { host: '::1', ports: { first: 9001, last: 9002 } });
  assert.deepEqual(parseBridgeRange('localhost:9001-9001'), { host: 'localhost', ports: { first: 9001, last: 9001 } });
  assert.equal(parseBridgeRange('9000'), null);
  assert.equal(parseBridgeRange('10.0.0.5:9000'), null);
  assert.equal(rangeAuthorityOf(parseBridgeRange('[::1]:9001-9002')), '[::1]:9001-9002');
});

test('bad ranges are usage errors that say why', () => {
  for (const [text, message] of [
    ['9100-9001', /reversed/],
    ['9000-10000', /holds 1001 ports; a range holds at most 1000/],
    ['0-5', /is not a port \(1-65535\)/],
    [':9001-9002', /empty host/],
  ]) {
    assert.throws(() => parseBridgeRange(text), (error) => error instanceof UsageError && message.test(error.message), text);
  }
});

test('connect --help shows the range form with an example', async () => {
  const { stdout } = await runToCompletion(process.execPath, [CLI, 'connect', '--help']);
  assert.match(stdout, /^ {7}epdb connect \[HOST:\]FIRST-LAST \[--port LOCAL\]$/m);
  assert.match(stdout, /^ {2}epdb connect 9001-9100$/m);
});

test('connect with no argument and a range in EPDB_PORT serves the range; SIGTERM ends it with 0', async (t) => {
  const localPort = await freePortBelowEphemeralRange();
  const connect = spawnChild(process.execPath, [CLI, 'connect', '--port', String(localPort)], {
    env: cleanEnv({ EPDB_BACKEND: 'jwt', EPDB_KEY: 'c'.repeat(64), EPDB_PORT: '9301-9310' }), t,
  });
  await connect.stdout.waitForLine(new RegExp(`^epdb connect: forwarding 127\\.0\\.0\\.1:${localPort} to every debug bridge on 127\\.0\\.0\\.1:9301-9310 \\(each process is a target of its own\\), adding a fresh X-EPDB knock to every request\\.$`), { timeoutMs: 10_000 });
  connect.process.kill('SIGTERM');
  assert.deepEqual(await connect.exited, { code: 0, signal: null });
});
