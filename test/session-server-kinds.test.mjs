// The pause works for every kind of server epdb instruments: node:http (CommonJS and ESM),
// https, http2 (secure and cleartext, compat API), Express, Fastify, Koa and Hapi. Each knocked
// request pauses with its own req/res in scope and completes after resume.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  base64Knock, freePortBelowEphemeralRange, http2Request, makeSelfSignedCert, parseRawResponse, rawRequest, startApp,
} from './helpers/index.mjs';
import { attachDebugger } from './fixtures/session/debugger.mjs';

const KNOCK = base64Knock();

/** @type {{ app: string, kind: string, tls?: boolean, http2?: 'secure' | 'cleartext' }[]} */
const SERVERS = [
  { app: 'http.cjs', kind: 'node:http' },
  { app: 'esm-http.mjs', kind: 'esm node:http' },
  { app: 'https.cjs', kind: 'node:https', tls: true },
  { app: 'http2-secure.cjs', kind: 'node:http2 secure', tls: true, http2: 'secure' },
  { app: 'http2-cleartext.cjs', kind: 'node:http2 cleartext', http2: 'cleartext' },
  { app: 'express.cjs', kind: 'express' },
  { app: 'fastify.cjs', kind: 'fastify' },
  { app: 'koa.cjs', kind: 'koa' },
  { app: 'hapi.cjs', kind: 'hapi' },
];

test('a knocked request pauses with its req and res on every server kind', async (t) => {
  const cert = await makeSelfSignedCert(t);
  for (const server of SERVERS) {
    await t.test(server.app, async (t) => {
      const bridgePort = await freePortBelowEphemeralRange();
      const env = { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort) };
      if (server.tls) Object.assign(env, { FIXTURE_TLS_CERT: cert.certPath, FIXTURE_TLS_KEY: cert.keyPath });
      const app = await startApp(t, { app: server.app, env });

      const response = server.http2
        ? http2Request({ port: app.port, secure: server.http2 === 'secure', headers: { 'x-epdb': KNOCK }, timeoutMs: 20_000 })
            .then(({ status, body }) => ({ status, body }))
        : rawRequest({ port: app.port, headers: { 'X-EPDB': KNOCK }, tls: server.tls ?? false, timeoutMs: 20_000 })
            .then((bytes) => { const { status, body } = parseRawResponse(bytes); return { status, body }; });
      await app.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });

      const dbg = await attachDebugger(bridgePort, t);
      const pause = await dbg.nextPause();
      assert.match(dbg.topUrl(pause), /\/dist\/src\/gate\/pause\.js$/);
      assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello');
      assert.equal(await dbg.evaluate(pause, 'req.method'), 'GET');
      assert.equal(await dbg.evaluate(pause, 'typeof res.end'), 'function');
      await dbg.client.Debugger.resume();
      const { status, body } = await response;
      assert.equal(status, 200);
      assert.equal(body, `hello from ${server.kind}: GET /hello\n`);
      await dbg.close();
    });
  }
});
