// `epdb knock`, `epdb keygen`, `--help` and configuration errors, run as real child processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBackend, readConfig, verifyKnock } from 'epdb';
import { freePortBelowEphemeralRange as freePort, pythonKeys, rawRequest, parseRawResponse, startApp } from './helpers/index.mjs';
import { runCli } from './fixtures/cli/cli.mjs';

/** Keys as the seed's users make them (Python), shared by the tests below. */
const keys = await pythonKeys();
const envFor = {
  base64: { EPDB_BACKEND: 'base64' },
  fernet: { EPDB_BACKEND: 'fernet', EPDB_KEY: keys.fernetKey },
  jwt: { EPDB_BACKEND: 'jwt', EPDB_KEY: keys.jwtSecret },
};

for (const [name, env] of Object.entries(envFor)) {
  test(`knock prints a ${name} header value that verifyKnock accepts`, async () => {
    const { code, stdout, stderr } = await runCli(['knock'], { env });
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    assert.match(stdout, /^(Base64|Fernet|JWT) [A-Za-z0-9_=+/.-]+\n$/);
    const backend = createBackend(readConfig(env));
    const accepted = await verifyKnock(stdout.trim(), backend);
    assert.equal(accepted.scheme, backend.scheme);
    assert.deepEqual(accepted.options, {});
  });
}

test('knock makes a fresh JWT with iat and exp = iat + EPDB_MAX_AGE', async () => {
  const before = Math.floor(Date.now() / 1000);
  const { code, stdout } = await runCli(['knock'], { env: { ...envFor.jwt, EPDB_MAX_AGE: '120' } });
  assert.equal(code, 0);
  const claims = JSON.parse(Buffer.from(stdout.trim().split(' ')[1].split('.')[1], 'base64url').toString());
  assert.ok(claims.iat >= before && claims.iat <= Math.ceil(Date.now() / 1000), `iat ${claims.iat} is now`);
  assert.equal(claims.exp, claims.iat + 120);
  assert.deepEqual(claims.epdb, {});
});

test('knock makes a Fernet token carrying the current time', async () => {
  const before = Math.floor(Date.now() / 1000);
  const { code, stdout } = await runCli(['knock'], { env: envFor.fernet });
  assert.equal(code, 0);
  const token = Buffer.from(stdout.trim().split(' ')[1], 'base64url');
  assert.equal(token[0], 0x80, 'Fernet version byte');
  const timestamp = Number(token.readBigUInt64BE(1));
  assert.ok(timestamp >= before && timestamp <= Math.ceil(Date.now() / 1000), `timestamp ${timestamp} is now`);
});

test('a JWT knock from `epdb knock` is refused by an app with another key', async () => {
  const { stdout } = await runCli(['knock'], { env: envFor.jwt });
  const other = createBackend(readConfig({ EPDB_BACKEND: 'jwt', EPDB_KEY: 'x'.repeat(32) }));
  await assert.rejects(verifyKnock(stdout.trim(), other), { code: 'ERR_EPDB_KNOCK_BAD_SIGNATURE' });
});

for (const name of ['fernet', 'jwt']) {
  test(`a real app under the preload accepts the ${name} knock`, async (t) => {
    const env = { ...envFor[name], EPDB_PORT: String(await freePort()), EPDB_WAIT_TIMEOUT: '0.2' };
    const app = await startApp(t, { app: 'esm-http.mjs', preload: 'import', env });
    const { stdout: knock } = await runCli(['knock'], { env });
    const response = parseRawResponse(await rawRequest({ port: app.port, headers: { 'X-EPDB': knock.trim() } }));
    const scheme = name === 'jwt' ? 'JWT' : 'Fernet';
    await app.stderr.waitForLine(new RegExp(`^epdb: knock accepted \\(${scheme}\\) GET /hello$`), { timeoutMs: 5000 });
    assert.equal(response.status, 200);
    assert.match(response.body, /hello from esm node:http: GET \/hello/);
    assert.deepEqual(app.stderr.matching(/knock refused/), []);
  });
}

for (const name of ['fernet', 'jwt']) {
  test(`keygen ${name} prints a key that readConfig accepts`, async () => {
    const { code, stdout, stderr } = await runCli(['keygen', name]);
    assert.equal(code, 0, stderr);
    const key = stdout.trim();
    assert.match(key, name === 'fernet' ? /^[A-Za-z0-9_-]{43}=$/ : /^[0-9a-f]{64}$/);
    if (name === 'fernet') assert.equal(Buffer.from(key, 'base64url').length, 32);
    const config = readConfig({ EPDB_BACKEND: name, EPDB_KEY: key });
    assert.equal(config.key, key);
    const second = await runCli(['keygen', name]);
    assert.notEqual(second.stdout, stdout, 'every key is new');
  });
}

test('keygen defaults to EPDB_BACKEND, and a key made with it works end to end', async () => {
  const { code, stdout } = await runCli(['keygen'], { env: { EPDB_BACKEND: 'Fernet' } });
  assert.equal(code, 0);
  const env = { EPDB_BACKEND: 'fernet', EPDB_KEY: stdout.trim() };
  const knock = await runCli(['knock'], { env });
  await verifyKnock(knock.stdout.trim(), createBackend(readConfig(env)));
});

test('keygen without a keyed backend is a usage error', async () => {
  for (const [args, env, message] of [
    [[], {}, /name a backend \(fernet or jwt\); EPDB_BACKEND is not set/],
    [[], { EPDB_BACKEND: 'base64' }, /EPDB_BACKEND is "base64", which has no key/],
    [['rsa'], {}, /unknown backend "rsa"/],
  ]) {
    const { code, stdout, stderr } = await runCli(['keygen', ...args], { env });
    assert.equal(code, 2, stderr);
    assert.equal(stdout, '');
    assert.match(stderr, message);
  }
});

test('--help for the tool and for each command; usage errors exit 2', async () => {
  const tool = await runCli(['--help']);
  assert.equal(tool.code, 0);
  for (const command of ['connect', 'knock', 'keygen']) assert.match(tool.stdout, new RegExp(`^  ${command} `, 'm'));
  for (const [command, usage] of [['connect', /^Usage: epdb connect \[HOST:\]PORT/], ['knock', /^Usage: epdb knock/], ['keygen', /^Usage: epdb keygen/]]) {
    const help = await runCli([command, '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, usage);
    const viaHelp = await runCli(['help', command]);
    assert.equal(viaHelp.stdout, help.stdout);
  }
  const none = await runCli([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Usage: epdb <command>/);
  const unknown = await runCli(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^epdb: unknown command "frobnicate"\nRun `epdb --help` for usage\.\n$/);
  const badOption = await runCli(['connect', '--bogus', '9000'], { env: envFor.jwt });
  assert.equal(badOption.code, 2);
  assert.match(badOption.stderr, /^epdb: connect: unknown option --bogus\nRun `epdb connect --help` for usage\.\n$/);
  const badPort = await runCli(['connect', '70000'], { env: envFor.jwt });
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /"70000" is not a port number/);
});

test('a bad configuration is one line naming the variable, exit 1', async () => {
  const cases = [
    [{}, /^epdb: EPDB_BACKEND: not set/],
    [{ EPDB_BACKEND: 'rot13' }, /^epdb: EPDB_BACKEND: unknown backend "rot13"/],
    [{ EPDB_BACKEND: 'jwt' }, /^epdb: EPDB_KEY: is required for the jwt backend/],
    [{ EPDB_BACKEND: 'jwt', EPDB_KEY: 'short' }, /^epdb: EPDB_KEY: a JWT secret must be at least 32 bytes/],
    [{ EPDB_BACKEND: 'fernet', EPDB_KEY: keys.jwtSecret }, /^epdb: EPDB_KEY: a Fernet key is 32 url-safe base64-encoded bytes/],
    [{ ...envFor.jwt, EPDB_MAX_AGE: 'soon' }, /^epdb: EPDB_MAX_AGE: "soon" is not a number/],
  ];
  for (const [env, message] of cases) {
    for (const command of ['knock', 'connect']) {
      const { code, stdout, stderr } = await runCli([command], { env });
      assert.equal(code, 1, `${command} with ${JSON.stringify(env)}: ${stderr}`);
      assert.equal(stdout, '');
      assert.match(stderr, message);
      assert.equal(stderr.trimEnd().split('\n').length, 1, `one line: ${stderr}`);
      if (env.EPDB_KEY) assert.ok(!stderr.includes(env.EPDB_KEY), 'the key is never printed');
    }
  }
});
