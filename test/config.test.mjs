// Configuration from the environment: defaults, and one clear message per way it can be wrong.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, readConfig } from 'epdb';
import { rawRequest, startApp, withoutDateHeader, base64Knock } from './helpers/index.mjs';

const FERNET_KEY = 'TluiKbFqt0Pc3Rg7eHMfS7sWcJ7Y1SRCBXcStRL1Yh8=';
const JWT_SECRET = 'c3f1a9e0b7d24e6f8a5b1c2d3e4f5a6b';

test('unset, empty or off: epdb is off', () => {
  for (const value of [undefined, '', '  ', 'off', 'OFF', 'Off']) {
    assert.equal(readConfig({ EPDB_BACKEND: value }), null, String(value));
  }
});

test('defaults follow the contract table', () => {
  const config = readConfig({ EPDB_BACKEND: 'Base64' });
  assert.equal(config.backend, 'base64');
  assert.equal(config.key, undefined);
  assert.equal(config.host, '127.0.0.1');
  assert.deepEqual(config.port, { first: 9000, last: 9000 });
  assert.deepEqual([...config.exemptMethods], ['OPTIONS']);
  assert.equal(config.waitTimeoutMs, 300_000);
  assert.equal(config.maxAgeSeconds, 3600);
  assert.equal(config.maxHeld, 8);
  assert.equal(config.stopAt, 'app');
  assert.equal(config.maxPauseMs, 300_000);
});

test('every variable is read', () => {
  const config = readConfig({
    EPDB_BACKEND: 'JWT', EPDB_KEY: JWT_SECRET, EPDB_PORT: '9123', EPDB_HOST: '0.0.0.0',
    EPDB_EXEMPT_METHODS: ' options, head ,', EPDB_WAIT_TIMEOUT: '0', EPDB_MAX_AGE: '60',
    EPDB_MAX_HELD: '3', EPDB_STOP_AT: ' Entry ', EPDB_MAX_PAUSE: '0', EPDB_REDACT: 'ssn',
    EPDB_FOLLOW: 'billing:8080, *.svc.local', EPDB_SERVICE: ' checkout ',
  });
  const { follow, ...rest } = config;
  assert.deepEqual({ ...rest, exemptMethods: [...config.exemptMethods] }, {
    backend: 'jwt', key: JWT_SECRET, host: '0.0.0.0', port: { first: 9123, last: 9123 },
    exemptMethods: ['OPTIONS', 'HEAD'], waitTimeoutMs: 0, maxAgeSeconds: 60,
    maxHeld: 3, stopAt: 'entry', maxPauseMs: 0, redact: ['ssn'], service: 'checkout',
  });
  assert.deepEqual([follow.allows('billing', 8080), follow.allows('billing', 80), follow.allows('a.svc.local', 1)], [true, false, true]);
  assert.equal(readConfig({ EPDB_BACKEND: 'base64' }).follow.empty, true, 'EPDB_FOLLOW unset: follow to nobody');
  assert.equal(readConfig({ EPDB_BACKEND: 'base64', EPDB_MAX_PAUSE: '2.5' }).maxPauseMs, 2500);
  assert.equal(readConfig({ EPDB_BACKEND: 'fernet', EPDB_KEY: FERNET_KEY }).key, FERNET_KEY);
  assert.equal(readConfig({ EPDB_BACKEND: 'base64', EPDB_WAIT_TIMEOUT: '0.5' }).waitTimeoutMs, 500);
  assert.equal(readConfig({ EPDB_BACKEND: 'base64', EPDB_EXEMPT_METHODS: '' }).exemptMethods.size, 0);
});

/** [name, env, variable, message] */
const BAD = [
  ['unknown backend', { EPDB_BACKEND: 'rot13' }, 'EPDB_BACKEND', /^EPDB_BACKEND: unknown backend "rot13" \(expected base64, fernet, jwt or off\)$/],
  ['fernet without a key', { EPDB_BACKEND: 'fernet' }, 'EPDB_KEY', /^EPDB_KEY: is required for the fernet backend$/],
  ['jwt with an empty key', { EPDB_BACKEND: 'jwt', EPDB_KEY: '' }, 'EPDB_KEY', /^EPDB_KEY: is required for the jwt backend$/],
  ['fernet key of the wrong length', { EPDB_BACKEND: 'fernet', EPDB_KEY: 'c2hvcnQ=' }, 'EPDB_KEY', /^EPDB_KEY: a Fernet key is 32 url-safe base64-encoded bytes .* got 8 characters$/],
  ['fernet key in standard base64', { EPDB_BACKEND: 'fernet', EPDB_KEY: FERNET_KEY.replace(/^./, '+') }, 'EPDB_KEY', /^EPDB_KEY: a Fernet key is 32 url-safe/],
  ['jwt secret under 32 bytes', { EPDB_BACKEND: 'jwt', EPDB_KEY: 'too-short' }, 'EPDB_KEY', /^EPDB_KEY: a JWT secret must be at least 32 bytes \(uuid.uuid4\(\).hex is\); got 9$/],
  ['port not a number', { EPDB_BACKEND: 'base64', EPDB_PORT: 'http' }, 'EPDB_PORT', /^EPDB_PORT: "http" is not a whole number from 1 to 65535$/],
  ['port out of range', { EPDB_BACKEND: 'base64', EPDB_PORT: '70000' }, 'EPDB_PORT', /^EPDB_PORT: "70000" is not a whole number/],
  ['port zero', { EPDB_BACKEND: 'base64', EPDB_PORT: '0' }, 'EPDB_PORT', /^EPDB_PORT: "0"/],
  ['fractional port', { EPDB_BACKEND: 'base64', EPDB_PORT: '9000.5' }, 'EPDB_PORT', /^EPDB_PORT: "9000.5"/],
  ['negative wait', { EPDB_BACKEND: 'base64', EPDB_WAIT_TIMEOUT: '-1' }, 'EPDB_WAIT_TIMEOUT', /^EPDB_WAIT_TIMEOUT: "-1" is not a number at least 0$/],
  ['max age zero', { EPDB_BACKEND: 'base64', EPDB_MAX_AGE: '0' }, 'EPDB_MAX_AGE', /^EPDB_MAX_AGE: "0" is not a number at least 1$/],
  ['max age not a number', { EPDB_BACKEND: 'base64', EPDB_MAX_AGE: '1h' }, 'EPDB_MAX_AGE', /^EPDB_MAX_AGE: "1h"/],
  ['host with a path', { EPDB_BACKEND: 'base64', EPDB_HOST: 'localhost/x' }, 'EPDB_HOST', /^EPDB_HOST: "localhost\/x" is neither an IP address nor a host name$/],
  ['exempt method with a space', { EPDB_BACKEND: 'base64', EPDB_EXEMPT_METHODS: 'GET, PO ST' }, 'EPDB_EXEMPT_METHODS', /^EPDB_EXEMPT_METHODS: "PO ST" is not an HTTP method$/],
  ['max held zero', { EPDB_BACKEND: 'base64', EPDB_MAX_HELD: '0' }, 'EPDB_MAX_HELD', /^EPDB_MAX_HELD: "0" is not a whole number from 1 to 10000$/],
  ['max held fractional', { EPDB_BACKEND: 'base64', EPDB_MAX_HELD: '2.5' }, 'EPDB_MAX_HELD', /^EPDB_MAX_HELD: "2.5"/],
  ['stop at elsewhere', { EPDB_BACKEND: 'base64', EPDB_STOP_AT: 'handler' }, 'EPDB_STOP_AT', /^EPDB_STOP_AT: "handler" is neither app nor entry$/],
  ['negative max pause', { EPDB_BACKEND: 'base64', EPDB_MAX_PAUSE: '-5' }, 'EPDB_MAX_PAUSE', /^EPDB_MAX_PAUSE: "-5" is not a number at least 0$/],
  ['follow to everyone', { EPDB_BACKEND: 'jwt', EPDB_KEY: JWT_SECRET, EPDB_FOLLOW: 'billing, *' }, 'EPDB_FOLLOW', /^EPDB_FOLLOW: "\*": a bare \* would pass knocks to every host/],
  ['follow to a URL', { EPDB_BACKEND: 'jwt', EPDB_KEY: JWT_SECRET, EPDB_FOLLOW: 'https://billing' }, 'EPDB_FOLLOW', /^EPDB_FOLLOW: "https:\/\/billing" is not host, host:port or \*\.domain$/],
  ['follow to a top-level domain', { EPDB_BACKEND: 'jwt', EPDB_KEY: JWT_SECRET, EPDB_FOLLOW: '*.com' }, 'EPDB_FOLLOW', /^EPDB_FOLLOW: "\*\.com": \*\. needs a domain of at least two labels/],
  ['service with a space', { EPDB_BACKEND: 'base64', EPDB_SERVICE: 'check out' }, 'EPDB_SERVICE', /^EPDB_SERVICE: "check out" is not a name/],
];

for (const [name, env, variable, message] of BAD) {
  test(`bad configuration: ${name}`, () => {
    assert.throws(() => readConfig(env), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.variable, variable);
      assert.match(error.message, message);
      assert.ok(!error.message.includes(JWT_SECRET) && !error.message.includes(FERNET_KEY.slice(1)), 'the key leaked');
      return true;
    });
  });
}

test('a bad configuration is one stderr line naming the variable, and the app runs unpatched', async (t) => {
  const app = await startApp(t, { app: 'http.cjs', env: { EPDB_BACKEND: 'jwt', EPDB_KEY: 'too-short' } });
  const [line] = await app.stderr.waitForLine(/^epdb: .*$/, { timeoutMs: 5000 });
  assert.equal(line, 'epdb: EPDB_KEY: a JWT secret must be at least 32 bytes (uuid.uuid4().hex is); got 9; epdb is off');
  const plain = withoutDateHeader(await rawRequest({ port: app.port }));
  const knocked = withoutDateHeader(await rawRequest({ port: app.port, headers: { 'X-EPDB': base64Knock() } }));
  assert.equal(knocked.toString(), plain.toString());
  assert.match(plain.toString(), /^HTTP\/1.1 200 OK/);
  assert.equal(app.stderr.matching(/^epdb: /).length, 1, app.stderr.text());
});
