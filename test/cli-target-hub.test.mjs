// The target hub (src/cli/hub): one local port serving many targets from pluggable sources,
// as `epdb connect RANGE` and `epdb listen` use it. Driven here with a source of in-memory targets.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import WebSocket from 'ws';
import { freePort, get, within } from './helpers/index.mjs';

const require = createRequire(import.meta.url);
const { TargetHub } = require('../dist/src/cli/hub/hub.js');
const { TargetRefusal } = require('../dist/src/cli/hub/target.js');

/** A target that answers each message with `<id>:<message>`; `refuse` makes connect() refuse. */
function echoTarget(id, heldSince = null, refuse = null) {
  const opened = [];
  return {
    id, title: `target ${id}`, url: `file:///${id}.js`, heldSince, opened,
    async connect() {
      if (refuse !== null) throw new TargetRefusal(refuse, `refused by ${id}`);
      const listeners = { message: [], close: [] };
      let closed = false;
      const connection = {
        send: (message) => setImmediate(() => listeners.message.forEach((fn) => fn(`${id}:${message}`))),
        close: () => { if (!closed) { closed = true; listeners.close.forEach((fn) => fn()); } },
        onMessage: (fn) => listeners.message.push(fn),
        onClose: (fn) => listeners.close.push(fn),
        get closed() { return closed; },
      };
      opened.push(connection);
      return connection;
    },
  };
}

/** A source the test drives by hand; counts refresh() calls. */
function manualSource() {
  return {
    sink: null, refreshes: 0, stopped: false,
    start(sink) { this.sink = sink; },
    async refresh() { this.refreshes++; },
    stop() { this.stopped = true; },
  };
}

async function startHub(t) {
  const source = manualSource();
  const port = await freePort();
  const hub = new TargetHub({ port, sources: [source] });
  await hub.start();
  t.after(() => hub.stop());
  return { hub, source, port };
}

test('/json/list lists every target, those holding a request first (longest held first), with addresses on the hub', async (t) => {
  const { source, port } = await startHub(t);
  source.sink.add(echoTarget('idle-a'));
  source.sink.add(echoTarget('held-late', 2000));
  source.sink.add(echoTarget('idle-b'));
  source.sink.add(echoTarget('held-early', 1000));
  const { status, body } = await get(port, '/json/list', { host: `localhost:${port}` });
  assert.equal(status, 200);
  const list = JSON.parse(body);
  assert.deepEqual(list.map((entry) => entry.id), ['held-early', 'held-late', 'idle-a', 'idle-b']);
  assert.equal(list[0].webSocketDebuggerUrl, `ws://localhost:${port}/held-early`);
  assert.equal(list[0].title, 'target held-early');
  assert.ok(source.refreshes >= 1, 'the source was asked to look again before the answer');

  source.sink.remove('held-early');
  source.sink.add({ ...echoTarget('idle-a'), title: 'renamed' });
  const again = JSON.parse((await get(port, '/json', {})).body);
  assert.deepEqual(again.map((entry) => [entry.id, entry.title]), [['held-late', 'target held-late'], ['idle-a', 'renamed'], ['idle-b', 'target idle-b']]);
  assert.equal(JSON.parse((await get(port, '/json/version', {})).body)['Protocol-Version'], '1.1');
  const domains = JSON.parse((await get(port, '/json/protocol', {})).body).domains.map((d) => d.domain);
  assert.ok(domains.includes('Debugger') && domains.includes('Runtime'), String(domains));
});

test('a WebSocket per target relays messages both ways; removing the target disconnects its debugger', async (t) => {
  const { source, port } = await startHub(t);
  const a = echoTarget('a');
  const b = echoTarget('b');
  source.sink.add(a);
  source.sink.add(b);
  const clientA = new WebSocket(`ws://127.0.0.1:${port}/a`);
  const clientB = new WebSocket(`ws://127.0.0.1:${port}/b`);
  t.after(() => { clientA.terminate(); clientB.terminate(); });
  await within(Promise.all([once(clientA, 'open'), once(clientB, 'open')]), 5000, 'both upgrades');
  clientA.send('{"id":1}');
  clientB.send('{"id":2}');
  const [[fromA], [fromB]] = await within(Promise.all([once(clientA, 'message'), once(clientB, 'message')]), 5000, 'both echoes');
  assert.equal(fromA.toString(), 'a:{"id":1}');
  assert.equal(fromB.toString(), 'b:{"id":2}');

  const closed = once(clientA, 'close');
  source.sink.remove('a');
  await within(closed, 5000, 'the debugger of a removed target disconnected');
  assert.equal(a.opened[0].closed, true);
  assert.equal(clientB.readyState, WebSocket.OPEN, 'the other target\'s debugger stays');
});

test('refusals: unknown target 404, a target\'s own refusal passed on, a foreign Host 403', async (t) => {
  const { source, port } = await startHub(t);
  source.sink.add(echoTarget('busy', null, 409));
  const status = async (path, headers = {}) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    ws.on('error', () => {});
    const [, response] = await within(once(ws, 'unexpected-response'), 5000, `refusal of ${path}`);
    response.destroy();
    return response.statusCode;
  };
  assert.equal(await status('/nobody'), 404);
  assert.equal(await status('/busy'), 409);
  assert.equal(await status('/busy', { host: 'evil.example:80' }), 403);
  assert.equal((await get(port, '/json/list', { host: 'evil.example' })).status, 403);
});
