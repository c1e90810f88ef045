// With the OpenTelemetry SDK and http instrumentation in the app, a knocked request's span says
// how long it waited for a debugger and whether it ran under one, and the app still handles
// the request inside that span.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { base64Knock, freePortBelowEphemeralRange, startApp } from './helpers/index.mjs';
import { attachDebugger, get } from './fixtures/session/debugger.mjs';

const OTEL_APP = fileURLToPath(new URL('./fixtures/session/otel-app.cjs', import.meta.url));
const KNOCK = { 'X-EPDB': base64Knock() };

/** The finished span of the request whose handler saw `spanId`, from a later response. */
async function spanOf(port, spanId) {
  const { finished } = JSON.parse((await get(port, '/report')).body);
  const span = finished.find((s) => s.spanId === spanId);
  assert.ok(span, `span ${spanId} among ${JSON.stringify(finished)}`);
  return span;
}

test('the span of a knocked request records the gate: timed out, or debugged', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: OTEL_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0.3' } });

  const timedOut = JSON.parse((await get(app.port, '/hello?timeout', KNOCK)).body);
  assert.equal(timedOut.url, '/hello?timeout');
  assert.ok(timedOut.spanId, 'the handler ran inside its request span');
  let span = await spanOf(app.port, timedOut.spanId);
  assert.equal(span.attributes['epdb.debugged'], false);
  assert.equal(span.attributes['epdb.gate.outcome'], 'timeout');
  assert.ok(span.attributes['epdb.wait_ms'] >= 280, `waited ${span.attributes['epdb.wait_ms']} ms`);
  assert.deepEqual(span.events.map((e) => e.name), ['epdb.knock', 'epdb.gate']);

  // A second app that waits as long as it takes: attaching may take more than 0.3 s on a busy machine.
  const patientBridgePort = await freePortBelowEphemeralRange();
  const patient = await startApp(t, { app: OTEL_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(patientBridgePort), EPDB_WAIT_TIMEOUT: '0' } });
  const debugged = get(patient.port, '/hello?debugged', KNOCK);
  await patient.stderr.waitForLine(/^epdb: waiting for a debugger on /, { timeoutMs: 10_000 });
  const dbg = await attachDebugger(patientBridgePort, t);
  const pause = await dbg.nextPause();
  assert.equal(await dbg.evaluate(pause, 'req.url'), '/hello?debugged');
  await dbg.client.Debugger.resume();
  const answer = JSON.parse((await debugged).body);
  span = await spanOf(patient.port, answer.spanId);
  assert.equal(span.attributes['epdb.debugged'], true);
  assert.equal(span.attributes['epdb.gate.outcome'], 'debugger');
  await dbg.close();

  // A request without a knock is not marked.
  const plain = JSON.parse((await get(app.port, '/plain')).body);
  span = await spanOf(app.port, plain.spanId);
  assert.equal(span.attributes['epdb.debugged'], undefined);
});

// instrumentation-http unwraps any shimmer-wrapped Server.prototype.emit before wrapping it;
// epdb's wrap must survive that, and then OTel's span is the one the gate marks.
test('with @opentelemetry/instrumentation-http loaded after the preload, the gate marks its span', async (t) => {
  const bridgePort = await freePortBelowEphemeralRange();
  const app = await startApp(t, { app: OTEL_APP, env: { EPDB_BACKEND: 'base64', EPDB_PORT: String(bridgePort), EPDB_WAIT_TIMEOUT: '0.3', FIXTURE_OTEL_HTTP: '1' } });
  const answer = JSON.parse((await get(app.port, '/hello?otel-http', KNOCK)).body);
  await app.stderr.waitForLine(/^epdb: knock accepted \(Base64\) GET \/hello$/, { timeoutMs: 2_000 });
  const span = await spanOf(app.port, answer.spanId);
  assert.equal(span.attributes['epdb.gate.outcome'], 'timeout');
  assert.equal(span.attributes['epdb.debugged'], false);
  assert.equal(span.attributes['http.method'], 'GET', 'the span is the http instrumentation\'s');
});
