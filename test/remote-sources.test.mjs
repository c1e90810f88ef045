// Source maps for a debugger on another machine: a TypeScript app compiled with tsc (maps beside
// the scripts, sources not inlined) runs under the preload (jwt); a CDP client that cannot read
// the server's disk, attached through `epdb connect`, loads what the compiled script names, the
// way DevTools asks a target for resources (Network.loadNetworkResource, IO.read, IO.close), while
// the knocked request is paused; DevTools' own attach gets the map URLs it can load that way; and
// nothing else on the server is readable so.
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { attachClient, buildTypeScriptApp, startKnockedBehindConnect } from './fixtures/remote-sources/app.mjs';

/** The size bound of what the bridge serves (src/worker/remote-sources/limits.ts). */
const MAX_SERVED_BYTES = 20 * 1024 * 1024;

test('a client through `epdb connect` loads the map the compiled script names and the .ts source the map names, in chunks, while paused; DevTools gets remote map URLs', { timeout: 120_000 }, async (t) => {
  const built = await buildTypeScriptApp(t);
  const [mapText, sourceText] = [await readFile(built.map, 'utf8'), await readFile(built.source, 'utf8')];
  const knocked = await startKnockedBehindConnect(t, built.script);
  const dbg = await attachClient(knocked.localPort, t);
  const pause = await dbg.nextPause();

  // What V8 says of the compiled script, unchanged for a client that is not DevTools.
  const scriptUrl = pathToFileURL(built.script).href;
  const parsed = dbg.script(pause.callFrames[0].location.scriptId);
  assert.equal(parsed.url, scriptUrl, 'paused in the compiled app');
  assert.equal(parsed.sourceMapURL, 'server.js.map');

  const mapUrl = new URL(parsed.sourceMapURL, parsed.url).href;
  const map = await dbg.load(mapUrl);
  assert.equal(map.resource.success, true, JSON.stringify(map.resource));
  assert.equal(map.resource.httpStatusCode, 200);
  assert.equal(map.text, mapText);
  // eof comes on its own, without data (DevTools drops the data of a read that says eof).
  assert.deepEqual(map.chunks.at(-1), { data: '', base64Encoded: false, eof: true });
  assert.ok(map.chunks.slice(0, -1).every((chunk) => !chunk.eof && chunk.data.length > 0));

  const sourceUrl = new URL(JSON.parse(mapText).sources[0], mapUrl).href;
  assert.equal(sourceUrl, pathToFileURL(built.source).href);
  const source = await dbg.load(sourceUrl, { size: 100 });
  assert.equal(source.text, sourceText);
  assert.equal(source.chunks.length, Math.ceil(Buffer.byteLength(sourceText) / 100) + 1, 'chunks of the size asked for');
  assert.ok(source.chunks.every((chunk) => Buffer.from(chunk.data, chunk.base64Encoded ? 'base64' : 'utf8').length <= 100));
  // A read at an offset, as VS Code's js-debug reads.
  const { resource } = await dbg.client.send('Network.loadNetworkResource', { url: sourceUrl, options: { disableCache: true, includeCredentials: true } });
  const atOffset = await dbg.client.send('IO.read', { handle: resource.stream, offset: 10, size: 20 });
  assert.equal(atOffset.data, Buffer.from(sourceText).subarray(10, 30).toString());
  // A closed stream is gone.
  await dbg.client.send('IO.close', { handle: resource.stream });
  await assert.rejects(dbg.client.send('IO.read', { handle: resource.stream }), /Invalid stream handle/);

  // The request goes on when resumed. A stream left open goes with the client.
  const { resource: leftOpen } = await dbg.client.send('Network.loadNetworkResource', { url: mapUrl, options: {} });
  assert.equal(leftOpen.success, true);
  await dbg.client.send('Debugger.resume');
  assert.deepEqual(await knocked.response, { status: 200, body: 'hello ada\n' });
  await dbg.close();

  // DevTools' own attach (its Debugger.enable sends maxScriptsCacheSize): DevTools loads no
  // `file:` URL through the target, so it is given the map under http://epdb.invalid, where the
  // map's relative sources resolve too.
  const devtools = await attachClient(knocked.localPort, t, { maxScriptsCacheSize: 10_000_000 });
  await assert.rejects(devtools.client.send('IO.read', { handle: leftOpen.stream }), /Invalid stream handle/);
  const [remote] = devtools.scriptsAt(scriptUrl);
  assert.ok(devtools.scriptsAt(scriptUrl).every((script) => script.sourceMapURL === remote.sourceMapURL));
  assert.equal(remote.sourceMapURL, `http://epdb.invalid${pathToFileURL(built.map).pathname}`);
  assert.equal((await devtools.load(remote.sourceMapURL)).text, mapText);
  const remoteSource = new URL(JSON.parse(mapText).sources[0], remote.sourceMapURL).href;
  assert.equal(remoteSource, `http://epdb.invalid${pathToFileURL(built.source).pathname}`);
  assert.equal((await devtools.load(remoteSource)).text, sourceText);
});

test('nothing but what loaded scripts name: other files, `..`, symlinks out, oversized maps and bad parameters are refused', { timeout: 120_000 }, async (t) => {
  const built = await buildTypeScriptApp(t);
  const outside = await mkdtemp(join(tmpdir(), 'epdb-outside-'));
  t.after(() => rm(outside, { recursive: true, force: true }));
  const secret = join(outside, 'secret.txt');
  await writeFile(secret, 'not for the debugger\n');
  const src = (name) => join(built.dir, 'src', name);
  const dist = (name) => join(built.dir, 'dist', name);
  // A second script whose map names a real source, a symlink out of the app and a missing file.
  await writeFile(src('inside.ts'), 'export const inside = 1;\n');
  await symlink(secret, src('escape.ts'));
  await writeFile(dist('extra.js'), 'exports.extra = 1;\n//# sourceMappingURL=extra.js.map\n');
  await writeFile(dist('extra.js.map'), JSON.stringify({ version: 3, file: 'extra.js', sources: ['../src/inside.ts', '../src/escape.ts', '../src/missing.ts'], names: [], mappings: 'AAAA' }));
  // A script whose map is over the size bound (sparse: nothing is written).
  await writeFile(dist('big.js'), 'exports.big = 1;\n//# sourceMappingURL=big.js.map\n');
  const big = await open(dist('big.js.map'), 'w');
  await big.truncate(MAX_SERVED_BYTES + 1);
  await big.close();
  // A symlink beside the maps that no script names.
  await symlink(secret, dist('link.js.map'));

  const knocked = await startKnockedBehindConnect(t, built.script, { extraScripts: [dist('extra.js'), dist('big.js')] });
  const dbg = await attachClient(knocked.localPort, t);
  await dbg.nextPause();
  const url = (path) => pathToFileURL(path).href;
  const distUrl = url(join(built.dir, 'dist'));
  // The map is read once its named source is asked for: a real one is served.
  assert.equal((await dbg.load(url(src('inside.ts')))).text, 'export const inside = 1;\n');

  const refusals = [
    ['file:///etc/passwd', 'net::ERR_ACCESS_DENIED'],
    [`${distUrl}/../../../../../../../../etc/passwd`, 'net::ERR_ACCESS_DENIED'],
    [`${distUrl}/../src/server.ts`, 'net::ERR_ACCESS_DENIED'], // a named file, but spelled with `..`
    [`${distUrl}/%2e%2e/src/server.ts`, 'net::ERR_ACCESS_DENIED'],
    ['http://epdb.invalid/etc/passwd', 'net::ERR_ACCESS_DENIED'],
    [`http://epdb.invalid${pathToFileURL(secret).pathname}`, 'net::ERR_ACCESS_DENIED'],
    [url(secret), 'net::ERR_ACCESS_DENIED'],
    [url(src('escape.ts')), 'net::ERR_ACCESS_DENIED'], // named by a map, but a symlink out
    [url(dist('link.js.map')), 'net::ERR_ACCESS_DENIED'], // a symlink that nothing names
    [url(built.script), 'net::ERR_ACCESS_DENIED'], // the script itself is no map or source
    [`${url(built.map)}?v=1`, 'net::ERR_ACCESS_DENIED'],
    ['https://example.com/server.js.map', 'net::ERR_ACCESS_DENIED'],
    ['file://otherhost/etc/passwd', 'net::ERR_ACCESS_DENIED'],
    ['not a url', 'net::ERR_ACCESS_DENIED'],
    [url(src('missing.ts')), 'net::ERR_FILE_NOT_FOUND'],
    [url(dist('big.js.map')), 'net::ERR_FILE_TOO_BIG'],
  ];
  for (const [refused, netErrorName] of refusals) {
    const { resource } = await dbg.load(refused);
    assert.deepEqual([resource.success, resource.netErrorName, resource.stream], [false, netErrorName, undefined], refused);
  }
  await assert.rejects(dbg.client.send('Network.loadNetworkResource', { url: 42 }), /Invalid parameters/);
  await assert.rejects(dbg.client.send('IO.read', { handle: 'nope' }), /Invalid stream handle/);
  await assert.rejects(dbg.client.send('IO.close', { handle: 'nope' }), /Invalid stream handle/);

  await dbg.client.send('Debugger.resume');
  assert.deepEqual(await knocked.response, { status: 200, body: 'hello ada\n' });
});
