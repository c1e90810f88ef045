// Every entry point of Node's servers besides 'request', with the real packages: gRPC
// (@grpc/grpc-js over HTTP/2's core 'stream' event, knocked with the metadata key x-epdb), a
// WebSocket handshake ('upgrade': ws, Socket.IO), NestJS on Express and on Fastify, and the ES
// module https/http2 apps that only the listen hook covers. For each: a knock stops (seen from
// a real CDP client) at epdb's entry pause with what the event handed the app in scope (knock
// option stop=entry), and by default (EPDB_STOP_AT=app) at the app's own handler, then the call
// or connection works; unknocked and refused knocks are answered byte for byte as by the same
// app without epdb.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import {
  base64Knock, fixtureApp, freePortBelowEphemeralRange, http2Request, makeSelfSignedCert, parseRawResponse, rawGrpcCall,
  rawRequest, rawWebSocketHandshake, startApp, withoutDateHeader, within,
} from './helpers/index.mjs';
import { attachDebugger } from './fixtures/session/debugger.mjs';

const require = createRequire(import.meta.url);
const KNOCK = base64Knock();
/** A knock that asks for epdb's own entry pause instead of the app's first statement. */
const ENTRY_KNOCK = base64Knock('{"epdb": {"stop": "entry"}}');
/** Valid base64 of valid JSON, but not `{"epdb": {...}}`: refused by the shape check. */
const BAD_KNOCK = base64Knock('{"nope": {}}');
const WAIT_MS = 15_000;
const PAUSE_JS = /\/dist\/preload-knock\.js$/;

/**
 * The fixture app under `--import epdb/register` (base64, its bridge on a port of its own) and
 * the same app without epdb, side by side.
 * @param {import('node:test').TestContext} t @param {string} app @param {Record<string, string>} [env]
 */
async function startWithAndWithoutEpdb(t, app, env = {}) {
  const bridgePort = await freePortBelowEphemeralRange();
  const [epdb, plain] = await Promise.all([
    startApp(t, { app, env: { ...env, EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '60' } }),
    startApp(t, { app, preload: 'none', env }),
  ]);
  return { epdb, plain, bridgePort };
}

/**
 * `exchange` against the app without epdb, then against epdb's without a knock and with a
 * refused one: all three answers are the same, and each refusal is logged (`refusals`).
 * @template T
 * @param {Awaited<ReturnType<typeof startWithAndWithoutEpdb>>} apps
 * @param {(port: number, headers: Record<string, string>) => Promise<T>} exchange
 * @param {RegExp[]} refusals
 */
async function checkUnknockedAndRefusedAsWithoutEpdb({ epdb, plain }, exchange, refusals) {
  const without = await exchange(plain.port, {});
  assert.deepEqual(await exchange(epdb.port, {}), without, 'an unknocked call is answered as without epdb');
  const from = epdb.stderr.lines.length;
  assert.deepEqual(await exchange(epdb.port, { 'x-epdb': BAD_KNOCK }), without, 'a refused knock is answered as without the header');
  for (const refusal of refusals) await epdb.stderr.waitForLine(refusal, { from, timeoutMs: WAIT_MS });
  assert.deepEqual(epdb.stderr.matching(/^epdb: knock accepted/), [], 'nothing was accepted');
}

/**
 * Waits for the gate to hold a knocked call, attaches a real CDP client and returns its first
 * stop, which must be in a script whose URL matches `where`.
 */
async function attachAtFirstStop(t, { epdb, bridgePort }, where = PAUSE_JS) {
  await epdb.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: WAIT_MS });
  const dbg = await attachDebugger(bridgePort, t);
  const pause = await dbg.nextPause(WAIT_MS);
  assert.match(dbg.topUrl(pause), where, 'the first stop');
  return { dbg, pause };
}

/** The next stop of an attached debugger, which must be in function `name` of a script matching `where`. */
async function nextStopIn(dbg, where, name) {
  const pause = await dbg.nextPause(WAIT_MS);
  assert.match(dbg.topUrl(pause), where);
  assert.equal(pause.callFrames[0].functionName, name);
  return pause;
}

test('gRPC: knocked unary and server-streaming calls stop at the start of their handling (stop=entry) or in the service method, then complete', async (t) => {
  const grpc = require('@grpc/grpc-js');
  const { greeterDefinition } = require('./fixtures/apps/greeter.cjs');
  const apps = await startWithAndWithoutEpdb(t, 'grpc.cjs');
  const hello = (name) => Buffer.concat([Buffer.from([0x0a, name.length]), Buffer.from(name)]); // HelloRequest { name }

  await t.test('unknocked and refused knocks', () => checkUnknockedAndRefusedAsWithoutEpdb(apps, (port, headers) => Promise.all([
    rawGrpcCall({ port, path: '/epdbtest.Greeter/SayHello', message: hello('ann'), headers }),
    rawGrpcCall({ port, path: '/epdbtest.Greeter/CountTo', message: Buffer.from([0x08, 3]), headers }), // CountRequest { upTo: 3 }
  ]), [/^epdb: knock refused on POST \/epdbtest\.Greeter\/SayHello: /, /^epdb: knock refused on POST \/epdbtest\.Greeter\/CountTo: /]));

  await t.test('a call cancelled while its knock waits: the gate lets it go (the stream closed)', async () => {
    const client = new (greeterDefinition())(`127.0.0.1:${apps.epdb.port}`, grpc.credentials.createInsecure());
    try {
      const metadata = new grpc.Metadata();
      metadata.set('x-epdb', KNOCK);
      const from = apps.epdb.stderr.lines.length;
      const call = client.sayHello({ name: 'gone' }, metadata, () => {});
      await apps.epdb.stderr.waitForLine(/^epdb: knock accepted \(Base64\) POST \/epdbtest\.Greeter\/SayHello$/, { from, timeoutMs: WAIT_MS });
      call.cancel();
      await apps.epdb.stderr.waitForLine(/^epdb: the client of POST \/epdbtest\.Greeter\/SayHello went away while it waited; going on$/, { from, timeoutMs: WAIT_MS });
    } finally {
      client.close();
    }
  });

  await t.test('knocked from a gRPC client with the metadata key x-epdb', async (t) => {
    const Greeter = greeterDefinition();
    const client = new Greeter(`127.0.0.1:${apps.epdb.port}`, grpc.credentials.createInsecure());
    t.after(() => client.close());
    const metadataWith = (knock) => {
      const metadata = new grpc.Metadata();
      metadata.set('x-epdb', knock);
      return metadata;
    };
    const sayHello = (name, knock) => {
      const reply = new Promise((resolve, reject) => client.sayHello({ name }, metadataWith(knock), (error, response) => (error ? reject(error) : resolve(response))));
      reply.catch(() => {});
      return reply;
    };
    const GRPC_APP = /\/test\/fixtures\/apps\/grpc\.cjs$/;
    const from = apps.epdb.stderr.lines.length;

    // stop=entry: at the start of the call's handling, before grpc-js has seen it.
    const entryReply = sayHello('entry', ENTRY_KNOCK);
    const { dbg, pause } = await attachAtFirstStop(t, apps);
    assert.equal(await dbg.evaluate(pause, "headers[':path']"), '/epdbtest.Greeter/SayHello');
    assert.equal(await dbg.evaluate(pause, 'stream.headersSent'), false, 'grpc-js has not answered the call yet');
    await dbg.client.Debugger.resume();
    assert.deepEqual(await within(entryReply, WAIT_MS, 'the unary reply'), { message: 'hello from grpc: entry' });

    // The default (EPDB_STOP_AT=app), the debugger still attached: the service method itself.
    const appReply = sayHello('app', KNOCK);
    const inMethod = await nextStopIn(dbg, GRPC_APP, 'sayHello');
    assert.equal(await dbg.evaluate(inMethod, 'call.request.name'), 'app');
    await dbg.client.Debugger.resume();
    assert.deepEqual(await within(appReply, WAIT_MS, 'the unary reply'), { message: 'hello from grpc: app' });

    const call = client.countTo({ upTo: 3 }, metadataWith(KNOCK));
    const values = [];
    call.on('data', (count) => values.push(count.value));
    const ended = once(call, 'end');
    ended.catch(() => {});
    const streaming = await nextStopIn(dbg, GRPC_APP, 'countTo');
    assert.equal(await dbg.evaluate(streaming, 'call.request.upTo'), 3);
    await dbg.client.Debugger.resume();
    await within(ended, WAIT_MS, 'the end of the stream');
    assert.deepEqual(values, [1, 2, 3]);
    assert.equal(apps.epdb.stderr.lines.slice(from).filter((line) => /^epdb: knock accepted \(Base64\) POST \/epdbtest\.Greeter\/(SayHello|CountTo)$/.test(line)).length, 3);
    await dbg.close();
  });
});

test('ws: a knocked WebSocket handshake stops before the app\'s upgrade handler (stop=entry) or in it, then the connection works', async (t) => {
  const { WebSocket } = require('ws');
  const apps = await startWithAndWithoutEpdb(t, 'ws.cjs');

  await t.test('unknocked and refused knocks', () => checkUnknockedAndRefusedAsWithoutEpdb(
    apps,
    (port, headers) => rawWebSocketHandshake({ port, path: '/chat', headers, message: 'hi' }),
    [/^epdb: knock refused on GET \/chat: /],
  ));

  await t.test('a handshake whose client leaves while its knock waits: the gate lets it go (its socket ended)', async () => {
    const from = apps.epdb.stderr.lines.length;
    const socket = net.connect({ host: '127.0.0.1', port: apps.epdb.port });
    socket.on('error', () => {});
    socket.write(`GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-EPDB: ${KNOCK}\r\n\r\n`);
    await apps.epdb.stderr.waitForLine(/^epdb: knock accepted \(Base64\) GET \/chat$/, { from, timeoutMs: WAIT_MS });
    socket.destroy();
    await apps.epdb.stderr.waitForLine(/^epdb: the client of GET \/chat went away while it waited; going on$/, { from, timeoutMs: WAIT_MS });
  });

  await t.test('knocked from a ws client', async (t) => {
    const connect = (knock) => {
      const client = new WebSocket(`ws://127.0.0.1:${apps.epdb.port}/chat`, { headers: { 'X-EPDB': knock } });
      t.after(() => client.terminate());
      const opened = once(client, 'open');
      opened.catch(() => {});
      return { client, opened };
    };
    const echoes = async (client) => {
      const answer = once(client, 'message');
      client.send('hi');
      const [data] = await within(answer, WAIT_MS, 'the echo');
      assert.equal(String(data), 'echo from ws: hi');
    };

    // stop=entry: before the app's upgrade handler, the handshake not answered yet.
    const first = connect(ENTRY_KNOCK);
    const { dbg, pause } = await attachAtFirstStop(t, apps);
    assert.equal(await dbg.evaluate(pause, 'req.url'), '/chat');
    assert.equal(await dbg.evaluate(pause, 'req.headers.upgrade'), 'websocket');
    assert.equal(await dbg.evaluate(pause, 'socket.bytesWritten'), 0, 'the handshake is not answered yet');
    assert.equal(await dbg.evaluate(pause, 'Buffer.isBuffer(head)'), true);
    await dbg.client.Debugger.resume();
    await within(first.opened, WAIT_MS, 'the WebSocket open');
    await echoes(first.client);

    // The default: the app's own 'upgrade' listener.
    const second = connect(KNOCK);
    const inHandler = await nextStopIn(dbg, /\/test\/fixtures\/apps\/ws\.cjs$/, 'onUpgrade');
    assert.equal(await dbg.evaluate(inHandler, 'req.url'), '/chat');
    await dbg.client.Debugger.resume();
    await within(second.opened, WAIT_MS, 'the WebSocket open');
    await echoes(second.client);
    await dbg.close();
  });
});

test('Socket.IO: a knocked handshake pauses, then the connection works', async (t) => {
  const { io } = require('socket.io-client');
  const apps = await startWithAndWithoutEpdb(t, 'socketio.cjs');
  const path = '/socket.io/?EIO=4&transport=websocket';

  await t.test('unknocked and refused knocks', () => checkUnknockedAndRefusedAsWithoutEpdb(
    apps,
    // The open packet's session id is random (the same length each time); all else must match.
    async (port, headers) => {
      const { head, payloads } = await rawWebSocketHandshake({ port, path, headers });
      return { head, payloads: payloads.map((payload) => payload.replace(/"sid":"[^"]+"/, '"sid":"…"')) };
    },
    [/^epdb: knock refused on GET \/socket\.io\/: /],
  ));

  // With stop=entry. The default stop finds no app code here: Socket.IO runs the app's
  // 'connection' listener when the client's CONNECT packet arrives, in that packet's async
  // context, not the handshake's (README, "Where the debugger stops").
  await t.test('knocked from a socket.io-client', async (t) => {
    const socket = io(`http://127.0.0.1:${apps.epdb.port}`, { transports: ['websocket'], extraHeaders: { 'X-EPDB': ENTRY_KNOCK }, reconnection: false });
    t.after(() => socket.close());
    const connected = once(socket, 'connect');
    connected.catch(() => {});
    const { dbg, pause } = await attachAtFirstStop(t, apps);
    assert.match(await dbg.evaluate(pause, 'req.url'), /^\/socket\.io\/\?EIO=4&transport=websocket/);
    assert.equal(await dbg.evaluate(pause, 'socket.bytesWritten'), 0, 'the handshake is not answered yet');
    await dbg.client.Debugger.resume();
    await within(connected, WAIT_MS, 'the Socket.IO connect');
    assert.equal(await within(socket.emitWithAck('hello', 'dbg'), WAIT_MS, 'the acknowledgement'), 'hello from socket.io: dbg');
    await dbg.close();
  });
});

/** The 0-based line of the controller method's body in the NestJS fixture, where a debugger should arrive. */
const CONTROLLER_LINE = readFileSync(fixtureApp('nest-controller.cjs'), 'utf8').split('\n').findIndex((line) => line.includes('// the controller method a debugger reaches'));

for (const { app, kind } of [{ app: 'nest-express.cjs', kind: 'nestjs express' }, { app: 'nest-fastify.cjs', kind: 'nestjs fastify' }]) {
  test(`NestJS (${kind}): a knocked request stops in the controller method, or reaches it from epdb's entry pause`, async (t) => {
    const apps = await startWithAndWithoutEpdb(t, app);

    await t.test('unknocked and refused knocks', () => checkUnknockedAndRefusedAsWithoutEpdb(
      apps,
      async (port, headers) => withoutDateHeader(await rawRequest({ port, headers, timeoutMs: WAIT_MS })),
      [/^epdb: knock refused on GET \/hello: /],
    ));

    await t.test('knocked', async (t) => {
      const request = (knock) => {
        const response = rawRequest({ port: apps.epdb.port, headers: { 'X-EPDB': knock }, timeoutMs: 30_000 }).then(parseRawResponse);
        response.catch(() => {});
        return response;
      };
      const served = async (response) => {
        const { status, body } = await response;
        assert.equal(status, 200);
        assert.equal(body, `hello from ${kind}: GET /hello\n`);
      };
      const CONTROLLER = /\/test\/fixtures\/apps\/nest-controller\.cjs$/;

      // The default: the first stop is the controller method.
      const first = request(KNOCK);
      const { dbg, pause } = await attachAtFirstStop(t, apps, CONTROLLER);
      assert.equal(pause.callFrames[0].functionName, 'hello');
      assert.equal(await dbg.evaluate(pause, 'request.url'), '/hello');
      await dbg.client.Debugger.resume();
      await served(first);

      // stop=entry: from epdb's pause, resuming reaches a breakpoint set by URL in the controller.
      const second = request(ENTRY_KNOCK);
      const atEntry = await dbg.nextPause(WAIT_MS);
      assert.match(dbg.topUrl(atEntry), PAUSE_JS);
      assert.equal(await dbg.evaluate(atEntry, 'req.url'), '/hello');
      assert.ok(CONTROLLER_LINE > 0);
      const { locations } = await dbg.client.Debugger.setBreakpointByUrl({ urlRegex: 'nest-controller\\.cjs$', lineNumber: CONTROLLER_LINE });
      assert.equal(locations.length, 1, 'the controller file is loaded and the breakpoint resolved');
      await dbg.client.Debugger.resume();
      const inController = await dbg.nextPause(WAIT_MS);
      assert.match(dbg.topUrl(inController), CONTROLLER);
      assert.equal(inController.callFrames[0].location.lineNumber, CONTROLLER_LINE);
      assert.equal(await dbg.evaluate(inController, 'request.url'), '/hello');
      await dbg.client.Debugger.resume();
      await served(second);
      await dbg.close();
    });
  });
}

test('ES module https and http2 apps: wrapped by the listen hook (no require hook sees an import), then paused like any other', async (t) => {
  const cert = await makeSelfSignedCert(t);
  const env = { FIXTURE_TLS_CERT: cert.certPath, FIXTURE_TLS_KEY: cert.keyPath };
  for (const { app, kind, http2 } of [{ app: 'esm-https.mjs', kind: 'esm node:https', http2: false }, { app: 'esm-http2.mjs', kind: 'esm node:http2 secure', http2: true }]) {
    await t.test(app, async (t) => {
      const bridgePort = await freePortBelowEphemeralRange();
      const epdb = await startApp(t, { app, env: { ...env, EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort) } });
      assert.deepEqual(epdb.stdout.matching(/^wrapped before listen: /), ['wrapped before listen: false'], 'nothing wrapped the servers on import');
      const response = http2
        ? http2Request({ port: epdb.port, secure: true, headers: { 'x-epdb': ENTRY_KNOCK }, timeoutMs: 30_000 })
        : rawRequest({ port: epdb.port, headers: { 'X-EPDB': ENTRY_KNOCK }, tls: true, timeoutMs: 30_000 }).then(parseRawResponse);
      response.catch(() => {});
      const { dbg, pause } = await attachAtFirstStop(t, { epdb, bridgePort });
      assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello');
      await dbg.client.Debugger.resume();
      const { status, body } = await response;
      assert.equal(status, 200);
      assert.equal(body, `hello from ${kind}: GET /hello\n`);
      await dbg.close();
    });
  }
});
