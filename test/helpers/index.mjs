/**
 * Test helpers for epdb. Import what you need from here (or from the module itself):
 *
 * - paths.mjs   REPO_ROOT (cwd of every child), fixtureApp(name), SYSTEM_PYTHON.
 * - child.mjs   spawnChild(cmd, args, { env, cwd, stdin, t }): a child with `stdout`/`stderr` LineLogs,
 *               `exited`, `stop()` (SIGTERM, SIGKILL after a grace period); cleaned up by
 *               `t.after`, and SIGKILLed if the test process exits. cleanEnv(extra): PATH and
 *               HOME plus `extra` (nothing leaks from the runner). runToCompletion(cmd, args).
 * - lines.mjs   LineLog: `lines`, `text()`, `matching(re)`, and
 *               `waitForLine(re, { timeoutMs, from })`: event-driven, rejects on timeout or end
 *               of stream with everything the child printed (both streams).
 * - app.mjs     startApp(t, { app, preload, env }): runs test/fixtures/apps/<app> under
 *               `--import`/`--require epdb/register` (or via NODE_OPTIONS: `import-options`,
 *               `require-options`; or `none`), waits for `listening <port>`, returns
 *               { port, stdout, stderr, stop, ... }. PRELOADS = ['import', 'require'].
 * - ports.mjs   freePortBelowEphemeralRange(): a free port below the kernel's ephemeral range, for
 *               ports a child is told in advance (EPDB_PORT); freePortRangeBelowEphemeralRange(n):
 *               the first of n such ports in a row, all claimed; freePort(): a port from listen(0).
 * - tls.mjs     makeSelfSignedCert(t): `openssl req -x509` into a temp dir removed by t.after;
 *               { certPath, keyPath, cert, key }.
 * - http.mjs    rawRequest({ port, method, path, headers, body, tls }): exact response bytes over a raw
 *               socket (HTTP/1.1, Connection: close); withoutDateHeader(bytes);
 *               parseRawResponse(bytes) (dechunks); http2Request({ port, secure, headers, body });
 *               get(port, path, headers, { agent, timeoutMs }): { status, body } of one GET.
 * - websocket.mjs rawWebSocketHandshake({ port, path, headers, message, frames }): a handshake over a raw
 *               socket, { head (exact bytes as text), payloads (of the first frames) }.
 * - grpc.mjs    rawGrpcCall({ port, path, message, headers }): one gRPC call as raw HTTP/2,
 *               { status, headers, trailers (both without date), body (hex) }.
 * - within.mjs  within(promise, ms, what): rejects naming what did not happen in time.
 * - knocks.mjs  base64Knock(json?) in Node; seedKnocks(keys?): Base64/Fernet/JWT header values
 *               made by /usr/bin/python3 with the seed's exact snippets (+ the keys);
 *               pythonKeys(): Fernet.generate_key() and uuid.uuid4().hex.
 * - python.mjs  runPythonJson(script, input): one /usr/bin/python3 run, JSON in (stdin) and out.
 * - chromium.mjs  startChromium(t): headless Debian chromium on a free port, temp profile, no
 *               network; fails (never skips) when it is missing; `openPage(url, size)`. Import it
 *               from the module itself (it loads chrome-remote-interface).
 * - devtools-frontend.mjs  openDevTools(chromium, webSocketDebuggerUrl): Chromium's own DevTools
 *               front end on a target, read (`view()`, `waitForPause()`) and driven
 *               (`click('Step over next function call')`, `screenshot(path)`) as a person would.
 *
 * Fixture app protocol (test/fixtures/apps): listen on 127.0.0.1 port 0, print
 * `listening <port>` on stdout, answer `GET /hello` with `hello from <kind>: GET /hello` and
 * OPTIONS with 204. https/http2 apps read FIXTURE_TLS_CERT and FIXTURE_TLS_KEY (file paths).
 * The apps exit at once when `node --test test/` runs them as test files (NODE_TEST_CONTEXT).
 *
 * @example
 * import { startApp, rawRequest, base64Knock } from './helpers/index.mjs';
 * const app = await startApp(t, { app: 'http.cjs', preload: 'require', env: { EPDB_BACKEND: 'base64' } });
 * await rawRequest({ port: app.port, headers: { 'X-EPDB': base64Knock() } });
 * await app.stderr.waitForLine(/^epdb: knock accepted \(Base64\) GET \/hello$/, { timeoutMs: 5000 });
 */
export { REPO_ROOT, FIXTURE_APPS_DIR, fixtureApp, SYSTEM_PYTHON } from './paths.mjs';
export { spawnChild, cleanEnv, runToCompletion } from './child.mjs';
export { LineLog } from './lines.mjs';
export { startApp, preloadArgs, PRELOADS } from './app.mjs';
export { canListen, freePort, freePortBelowEphemeralRange, freePortRangeBelowEphemeralRange, portIsOpen } from './ports.mjs';
export { makeSelfSignedCert } from './tls.mjs';
export { get, rawRequest, withoutDateHeader, parseRawResponse, http2Request } from './http.mjs';
export { allStarted, within } from './within.mjs';
export { rawWebSocketHandshake } from './websocket.mjs';
export { rawGrpcCall } from './grpc.mjs';
export { base64Knock, seedKnocks, pythonKeys, SEED_PAYLOAD_JSON } from './knocks.mjs';
export { runPythonJson } from './python.mjs';
