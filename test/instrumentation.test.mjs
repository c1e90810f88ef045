// The programmatic API, in-process: instrument() with a handler of its own and a backend of
// its own, disable(), 100-continue requests, and the app's exceptions. This process is under
// epdb while a test runs, and epdb takes X-EPDB off every request a process under it sends
// (a knock is never passed on): the knocks here go over raw sockets.
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { test } from 'node:test';
import { Base64Backend, EPDBBackend, KnockError, instrument, isInstrumented } from 'epdb';
import { parseRawResponse, rawRequest } from './helpers/http.mjs';

const KNOCK = `Base64 ${Buffer.from('{"epdb": {"note": "hi"}}').toString('base64')}`;

/** A server on a free loopback port, closed when the test ends. */
async function serve(t, handler, setup = () => {}) {
  const server = http.createServer(handler);
  setup(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening', { signal: AbortSignal.timeout(10_000) });
  t.after(() => server.close());
  return server.address().port;
}

async function get(port, headers = {}, path = '/x') {
  const { status, body } = parseRawResponse(await rawRequest({ port, path, headers, timeoutMs: 5000 }));
  return { status, body };
}

test('onKnock receives each valid knock before the app, and proceed() hands it on', async (t) => {
  const seen = [];
  const epdb = instrument({
    backend: new Base64Backend(),
    onKnock(request) {
      seen.push({ method: request.method, path: request.path, knock: request.knock, url: request.req.url });
      request.proceed();
    },
  });
  t.after(() => epdb.disable());
  assert.equal(isInstrumented(), true);
  assert.throws(() => instrument({ backend: new Base64Backend() }), /already instrumented/);
  const port = await serve(t, (req, res) => res.end(`app saw ${req.url}`));
  assert.deepEqual(await get(port, { 'x-epdb': KNOCK }, '/a?q=1'), { status: 200, body: 'app saw /a?q=1' });
  assert.deepEqual(await get(port, {}, '/b'), { status: 200, body: 'app saw /b' });
  assert.deepEqual(seen, [{ method: 'GET', path: '/a', knock: { scheme: 'Base64', options: { note: 'hi' } }, url: '/a?q=1' }]);
});

test('disable() unwraps every prototype and lets a new instrumentation start', async (t) => {
  const before = http.Server.prototype.emit;
  const client = { request: http.request, get: http.get, setHeader: http.ClientRequest.prototype.setHeader, appendHeader: http.ClientRequest.prototype.appendHeader };
  let knocks = 0;
  const epdb = instrument({ backend: new Base64Backend(), onKnock: (r) => { knocks++; r.proceed(); } });
  assert.notEqual(http.Server.prototype.emit, before);
  assert.notEqual(http.request, client.request, 'outgoing requests are hooked too');
  await epdb.disable();
  await epdb.disable(); // idempotent
  assert.equal(http.Server.prototype.emit, before);
  assert.deepEqual({ request: http.request, get: http.get, setHeader: http.ClientRequest.prototype.setHeader, appendHeader: http.ClientRequest.prototype.appendHeader }, client);
  assert.equal(Object.hasOwn(http.ClientRequest.prototype, 'setHeader'), false, 'setHeader is inherited again, as before');
  assert.equal(Object.hasOwn(http.ClientRequest.prototype, 'appendHeader'), false);
  assert.equal(isInstrumented(), false);
  const port = await serve(t, (req, res) => res.end('ok'));
  await get(port, { 'x-epdb': KNOCK });
  assert.equal(knocks, 0);
  const again = instrument({ backend: new Base64Backend(), onKnock: (r) => { knocks++; r.proceed(); } });
  t.after(() => again.disable());
  await get(port, { 'x-epdb': KNOCK });
  assert.equal(knocks, 1);
});

test('a backend of your own is used for the knock', async (t) => {
  class ReversedBackend extends EPDBBackend {
    scheme = 'Reversed';
    authenticates = false;
    recipe = { module: import.meta.url, exportName: 'ReversedBackend', options: {} };
    decode(payload) {
      if (payload.length > 100) throw new KnockError('ERR_EPDB_KNOCK_UNDECODABLE', 'too long to reverse');
      return JSON.parse([...Buffer.from(payload, 'base64url').toString()].reverse().join(''));
    }
    encode(value) { return Buffer.from([...JSON.stringify(value)].reverse().join('')).toString('base64url'); }
  }
  const backend = new ReversedBackend();
  const accepted = [];
  const epdb = instrument({ backend, onKnock: (r) => { accepted.push(r.knock.scheme); r.proceed(); } });
  t.after(() => epdb.disable());
  const port = await serve(t, (req, res) => res.end('ok'));
  await get(port, { 'x-epdb': `reversed ${backend.encode({ epdb: {} })}` });
  await get(port, { 'x-epdb': KNOCK }); // a Base64 knock is unknown to this server
  assert.deepEqual(accepted, ['Reversed']);
});

test('Expect: 100-continue requests are checked when the app listens for checkContinue', async (t) => {
  const accepted = [];
  const epdb = instrument({ backend: new Base64Backend(), onKnock: (r) => { accepted.push(r.path); r.proceed(); } });
  t.after(() => epdb.disable());
  const port = await serve(t, (req, res) => res.end('request'), (server) => server.on('checkContinue', (req, res) => {
    res.writeContinue();
    req.resume().on('end', () => res.end('continued'));
  }));
  const response = await rawRequest({ port, method: 'POST', path: '/upload', headers: { Expect: '100-continue', 'x-epdb': KNOCK }, body: 'data', timeoutMs: 5000 });
  // The interim 100 Continue, then the app's answer.
  const text = response.toString('latin1');
  assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\n/);
  assert.equal(parseRawResponse(Buffer.from(text.slice(text.indexOf('\r\n\r\n') + 4), 'latin1')).body, 'continued');
  assert.deepEqual(accepted, ['/upload']);
});

test("an exception from the app's handler of a knocked request surfaces as an uncaught exception", async (t) => {
  const epdb = instrument({ backend: new Base64Backend(), onKnock: (r) => r.proceed() });
  t.after(() => epdb.disable());
  const port = await serve(t, (req) => {
    req.socket.destroy();
    throw new Error('boom from the app');
  });
  // node:test turns uncaught exceptions into test failures unless they are caught here.
  const listeners = process.rawListeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  t.after(() => { for (const listener of listeners) process.on('uncaughtException', listener); });
  const uncaught = once(process, 'uncaughtException');
  get(port, { 'x-epdb': KNOCK }).catch(() => {});
  const [error] = await uncaught;
  assert.equal(error.message, 'boom from the app');
});
