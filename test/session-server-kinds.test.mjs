// The stop works for every kind of server epdb instruments: node:http (CommonJS and ESM),
// https, http2 (secure and cleartext, compat API), Express, Fastify, Koa and Hapi.
// - EPDB_STOP_AT=app (the default): the debugger's first (and only) Debugger.paused is in the
//   fixture's own handler file, with the request in scope, whether or not the debugger
//   ignore-lists /node_modules/; Hapi's handler runs after async hops, so the walk must follow
//   the request's async context.
// - EPDB_STOP_AT=entry: epdb's own pause, with req and res in scope.
// Each request completes after resume.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  base64Knock, fixtureApp, freePortBelowEphemeralRange, http2Request, makeSelfSignedCert, parseRawResponse, rawRequest, startApp,
} from './helpers/index.mjs';
import { attachDebugger } from './fixtures/session/debugger.mjs';

const KNOCK = base64Knock();

/**
 * `handler`: the file whose code handles GET /hello (the core apps share fixture.cjs's);
 * `url`: an expression for the request's path in the handler's scope.
 * @type {{ app: string, kind: string, handler: string, url: string, tls?: boolean, http2?: 'secure' | 'cleartext' }[]}
 */
const SERVERS = [
  { app: 'http.cjs', kind: 'node:http', handler: 'fixture.cjs', url: 'req.url' },
  { app: 'esm-http.mjs', kind: 'esm node:http', handler: 'fixture.cjs', url: 'req.url' },
  { app: 'https.cjs', kind: 'node:https', handler: 'fixture.cjs', url: 'req.url', tls: true },
  { app: 'http2-secure.cjs', kind: 'node:http2 secure', handler: 'fixture.cjs', url: 'req.url', tls: true, http2: 'secure' },
  { app: 'http2-cleartext.cjs', kind: 'node:http2 cleartext', handler: 'fixture.cjs', url: 'req.url', http2: 'cleartext' },
  { app: 'express.cjs', kind: 'express', handler: 'express.cjs', url: 'req.url' },
  { app: 'fastify.cjs', kind: 'fastify', handler: 'fastify.cjs', url: 'request.url' },
  { app: 'koa.cjs', kind: 'koa', handler: 'koa.cjs', url: 'ctx.url' },
  { app: 'hapi.cjs', kind: 'hapi', handler: 'hapi.cjs', url: 'request.path' },
];

async function knockedRequest(t, server, cert, stopAt, ignoreNodeModules) {
  const bridgePort = await freePortBelowEphemeralRange();
  const env = { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_STOP_AT: stopAt };
  if (server.tls) Object.assign(env, { FIXTURE_TLS_CERT: cert.certPath, FIXTURE_TLS_KEY: cert.keyPath });
  const app = await startApp(t, { app: server.app, env });
  const response = server.http2
    ? http2Request({ port: app.port, secure: server.http2 === 'secure', headers: { 'x-epdb': KNOCK }, timeoutMs: 20_000 })
        .then(({ status, body }) => ({ status, body }))
    : rawRequest({ port: app.port, headers: { 'X-EPDB': KNOCK }, tls: server.tls ?? false, timeoutMs: 20_000 })
        .then((bytes) => { const { status, body } = parseRawResponse(bytes); return { status, body }; });
  await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });
  const dbg = await attachDebugger(bridgePort, t, { ignoreNodeModules });
  const pauses = [];
  dbg.client.on('Debugger.paused', (pause) => pauses.push(pause));
  const pause = await dbg.nextPause();
  return { app, dbg, pause, pauses, response };
}

async function resumeAndCheck(server, { dbg, pause, pauses, response }) {
  await dbg.client.Debugger.resume();
  const { status, body } = await response;
  assert.equal(status, 200);
  assert.equal(body, `hello from ${server.kind}: GET /hello\n`);
  assert.equal(pauses.length, 1, `the debugger saw ${pauses.length} pauses, not one`);
  assert.equal(pauses[0], pause);
  await dbg.close();
}

test('EPDB_STOP_AT=app: the first stop is in the app\'s own handler on every server kind', async (t) => {
  const cert = await makeSelfSignedCert(t);
  for (const server of SERVERS) {
    // Half the kinds with /node_modules/ ignore-listed (DevTools' default), half without
    // (node inspect's): the stop must not depend on it.
    const ignoreNodeModules = SERVERS.indexOf(server) % 2 === 1;
    await t.test(`${server.app}${ignoreNodeModules ? ' (node_modules ignore-listed)' : ''}`, async (t) => {
      const session = await knockedRequest(t, server, cert, 'app', ignoreNodeModules);
      const { dbg, pause } = session;
      assert.equal(dbg.topUrl(pause), pathToFileURL(fixtureApp(server.handler)).href);
      assert.match(String(await dbg.evaluate(pause, server.url)), /^\/hello/);
      await resumeAndCheck(server, session);
    });
  }
});

test('EPDB_STOP_AT=entry: epdb\'s own pause with req and res in scope', async (t) => {
  const cert = await makeSelfSignedCert(t);
  for (const server of SERVERS.filter(({ app }) => ['http.cjs', 'http2-secure.cjs', 'hapi.cjs'].includes(app))) {
    await t.test(server.app, async (t) => {
      const session = await knockedRequest(t, server, cert, 'entry', false);
      const { dbg, pause } = session;
      assert.match(dbg.topUrl(pause), /\/dist\/preload-knock\.js$/);
      assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello');
      assert.equal(await dbg.evaluate(pause, 'req.method'), 'GET');
      assert.equal(await dbg.evaluate(pause, 'typeof res.end'), 'function');
      await resumeAndCheck(server, session);
    });
  }
});
