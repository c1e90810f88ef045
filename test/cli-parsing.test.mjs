// The pure parts of the `epdb` CLI, from the built modules: `[HOST:]PORT`, options, and the
// rewrite of the addresses that the discovery endpoints advertise.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const { parseBridgeAddress, authorityOf, defaultBridgeAddress } = require('../dist/src/cli/connect/bridge-address.js');
const { parseArgs } = require('../dist/src/cli/args.js');
const { isDiscoveryPath, rewriteDiscoveryBody, rewriteWebSocketAuthority } = require('../dist/src/cli/connect/discovery-rewrite.js');
const { UsageError } = require('../dist/src/cli/errors.js');

test('[HOST:]PORT', () => {
  assert.deepEqual(parseBridgeAddress('9000'), { host: '127.0.0.1', port: 9000 });
  assert.deepEqual(parseBridgeAddress('10.0.0.5:9001'), { host: '10.0.0.5', port: 9001 });
  assert.deepEqual(parseBridgeAddress('localhost:9001'), { host: 'localhost', port: 9001 });
  assert.deepEqual(parseBridgeAddress('[::1]:9002'), { host: '::1', port: 9002 });
  assert.equal(authorityOf({ host: '::1', port: 9002 }), '[::1]:9002');
  assert.equal(authorityOf({ host: '127.0.0.1', port: 9 }), '127.0.0.1:9');
  for (const bad of ['', 'abc', '0', '65536', ':9000', '::1:9000', '1.2.3.4:', '9000.5', '-1']) {
    assert.throws(() => parseBridgeAddress(bad), UsageError, bad);
  }
  assert.deepEqual(defaultBridgeAddress('0.0.0.0', 9000), { host: '127.0.0.1', port: 9000 });
  assert.deepEqual(defaultBridgeAddress('10.1.2.3', 9100), { host: '10.1.2.3', port: 9100 });
});

test('options: --name value, --name=value, -s value, --help, --', () => {
  const specs = [{ name: 'port', short: 'p' }, { name: 'wait' }];
  const parsed = parseArgs(['9000', '--port', '1', '--wait=2'], specs, 'x');
  assert.deepEqual({ positionals: parsed.positionals, options: parsed.options, help: parsed.help }, { positionals: ['9000'], options: new Map([['port', '1'], ['wait', '2']]), help: false });
  const short = parseArgs(['-p', '5', '-h'], specs, 'x');
  assert.deepEqual({ positionals: short.positionals, options: short.options, help: short.help }, { positionals: [], options: new Map([['port', '5']]), help: true });
  assert.throws(() => parseArgs(['--port', '1', '--port', '2'], specs, 'x'), /x: --port given twice/);
  assert.deepEqual(parseArgs(['-H', 'a', '--header=b'], [{ name: 'header', short: 'H', repeatable: true }], 'x').repeated.get('header'), ['a', 'b']);
  assert.throws(() => parseArgs(['--follow=yes'], [{ name: 'follow', flag: true }], 'x'), /x: --follow takes no value/);
  assert.deepEqual(parseArgs(['--', '--port'], specs, 'x').positionals, ['--port']);
  assert.throws(() => parseArgs(['--port'], specs, 'x'), /x: --port needs a value/);
  assert.throws(() => parseArgs(['--colour', 'red'], specs, 'x'), /x: unknown option --colour/);
});

test('discovery answers are rewritten to the local side, and nothing else', () => {
  assert.ok(isDiscoveryPath('/json/list'));
  assert.ok(isDiscoveryPath('/json'));
  assert.ok(isDiscoveryPath('/json/version?x=1'));
  assert.ok(!isDiscoveryPath('/json/protocol'));
  assert.ok(!isDiscoveryPath('/abc'));
  const list = JSON.stringify([{
    id: 'T',
    url: 'file:///srv/ws://not-an-address.js',
    webSocketDebuggerUrl: 'ws://127.0.0.1:9000/T',
    devtoolsFrontendUrl: 'devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=127.0.0.1:9000/T',
    devtoolsFrontendUrlCompat: 'devtools://devtools/bundled/inspector.html?ws=[::1]:9000/T',
  }]);
  const [target] = JSON.parse(rewriteDiscoveryBody(list, '127.0.0.1:9229'));
  assert.equal(target.webSocketDebuggerUrl, 'ws://127.0.0.1:9229/T');
  assert.equal(target.devtoolsFrontendUrl, 'devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=127.0.0.1:9229/T');
  assert.equal(target.devtoolsFrontendUrlCompat, 'devtools://devtools/bundled/inspector.html?ws=127.0.0.1:9229/T');
  assert.equal(target.url, 'file:///srv/ws://not-an-address.js', 'only the address fields change');
  assert.equal(rewriteWebSocketAuthority('wss://example.com:443/T', '127.0.0.1:1'), 'ws://127.0.0.1:1/T');
  const version = JSON.parse(rewriteDiscoveryBody('{"Browser":"node.js/v20","Protocol-Version":"1.1"}', '127.0.0.1:1'));
  assert.deepEqual(version, { Browser: 'node.js/v20', 'Protocol-Version': '1.1' });
  assert.equal(rewriteDiscoveryBody('not json', '127.0.0.1:1'), 'not json');
});

test("a range's probe takes a bridge's target, never another epdb connect's or listen's stand-in", async () => {
  const { bridgeEntry } = await import('../dist/src/cli/connect/bridge-socket.js');
  const { WAITING_TARGET_ID } = await import('../dist/src/cli/hub/early-attach.js');
  const { targetListEntry } = await import('../dist/src/shared/target-list-entry.js');
  const bridge = JSON.stringify([{ ...targetListEntry({ id: 'e4b1c2d3-0000-4000-8000-000000000001', title: 'GET /x', url: 'file:///app.js' }, '127.0.0.1:9001'), epdb: { pid: 42 } }]);
  assert.equal(bridgeEntry(bridge)?.id, 'e4b1c2d3-0000-4000-8000-000000000001');
  const standIn = JSON.stringify([targetListEntry({ id: WAITING_TARGET_ID, title: 'waiting for a knock: 127.0.0.1:9002', url: '' }, '127.0.0.1:9003')]);
  assert.equal(bridgeEntry(standIn), null);
});
