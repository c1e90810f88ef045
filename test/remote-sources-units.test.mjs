// The remote-sources parts on their own (src/worker/remote-sources): which URLs name which file,
// how a stream is read (chunks, eof on its own, offsets, non-ASCII as base64, a file that changed,
// the limits), what a client may load, and what DevTools is told and given.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, open, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const { pathOfRequestedUrl, remoteUrlOf } = require('../dist/src/worker/remote-sources/remote-url.js');
const { FileStreams, StreamError } = require('../dist/src/worker/remote-sources/file-streams.js');
const { ServedFiles } = require('../dist/src/worker/remote-sources/served-files.js');
const { RemoteSources } = require('../dist/src/worker/remote-sources/remote-sources.js');
const { MAX_CHUNK_BYTES, MAX_OPEN_STREAMS, MAX_SERVED_BYTES } = require('../dist/src/worker/remote-sources/limits.js');

/** A temp dir removed when the test ends. */
async function tempDir(t) {
  const dir = await mkdtemp(join(tmpdir(), 'epdb-remote-units-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Reads a stream to its end, returning the chunks. */
async function readAll(streams, handle, size) {
  const chunks = [];
  for (;;) {
    const chunk = await streams.read(handle, undefined, size);
    chunks.push(chunk);
    if (chunk.eof) return chunks;
  }
}

const bytesOf = (chunks) => Buffer.concat(chunks.map((c) => Buffer.from(c.data, c.base64Encoded ? 'base64' : 'latin1')));

test('URLs: a file: URL and its http://epdb.invalid twin name one path; dot segments, queries, hosts and other schemes name none', () => {
  assert.equal(remoteUrlOf('file:///app/dist/a%20b.js.map'), 'http://epdb.invalid/app/dist/a%20b.js.map');
  assert.equal(remoteUrlOf('file://host/share/a.js.map'), null);
  assert.equal(remoteUrlOf('https://cdn.example/a.js.map'), null);
  assert.equal(pathOfRequestedUrl('file:///app/dist/a%20b.js.map'), '/app/dist/a b.js.map');
  assert.equal(pathOfRequestedUrl('http://epdb.invalid/app/dist/a%20b.js.map'), '/app/dist/a b.js.map');
  for (const refused of [
    'file:///app/dist/../src/a.ts', 'file:///app/dist/%2e%2e/src/a.ts', 'file:///app/dist/.%2E/src/a.ts', 'http://epdb.invalid/app/../etc/passwd',
    'file:///app/a.ts?x', 'file:///app/a.ts#x', 'file://host/app/a.ts', 'file:///app/a%2Fb.ts', 'http://epdb.invalid:8080/app/a.ts',
    'http://user@epdb.invalid/app/a.ts', 'https://epdb.invalid/app/a.ts', 'http://example.com/app/a.ts', 'data:,x', 'relative/a.ts', '',
  ]) assert.equal(pathOfRequestedUrl(refused), null, refused);
});

test('streams: chunks of at most the size asked (and 1 MiB), eof on its own, offsets, non-ASCII as base64; closed handles are gone', async (t) => {
  const dir = await tempDir(t);
  const ascii = join(dir, 'a.js.map');
  await writeFile(ascii, 'x'.repeat(250));
  const streams = new FileStreams();
  const { handle, size } = await streams.open(ascii);
  assert.equal(size, 250);
  const chunks = await readAll(streams, handle, 100);
  assert.deepEqual(chunks.map((c) => [c.data.length, c.base64Encoded, c.eof]), [[100, false, false], [100, false, false], [50, false, false], [0, false, true]]);
  assert.equal((await streams.read(handle, 240, 100)).data, 'x'.repeat(10));
  assert.equal((await streams.read(handle, 250)).eof, true);

  // A chunk may end inside a UTF-8 character: such chunks go as base64 and rejoin exactly.
  const text = 'ünïcödé '.repeat(40);
  const utf8 = join(dir, 'u.ts');
  await writeFile(utf8, text);
  const u = await streams.open(utf8);
  const utfChunks = await readAll(streams, u.handle, 7);
  assert.ok(utfChunks.some((c) => c.base64Encoded));
  assert.equal(bytesOf(utfChunks).toString('utf8'), text);

  // No size: 1 MiB at most.
  const large = join(dir, 'large.js.map');
  await writeFile(large, Buffer.alloc(MAX_CHUNK_BYTES + 10, 'y'));
  const l = await streams.open(large);
  assert.equal((await streams.read(l.handle)).data.length, MAX_CHUNK_BYTES);
  assert.equal((await streams.read(l.handle, undefined, 10 * MAX_CHUNK_BYTES)).data.length, 10);

  assert.equal(streams.size, 3);
  assert.equal(streams.close(handle), true);
  assert.equal(streams.close(handle), false);
  await assert.rejects(streams.read(handle), (error) => error instanceof StreamError && /Invalid stream handle/.test(error.message));
  streams.closeAll();
  assert.equal(streams.size, 0);
  await assert.rejects(streams.read(u.handle), /Invalid stream handle/);
});

test('streams: a file that changed or went since it was opened fails the read; directories, missing and oversized files are not opened; at most 1,024 streams', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'a.js.map');
  await writeFile(file, 'first version');
  const streams = new FileStreams();
  const { handle } = await streams.open(file);
  await writeFile(file, 'second, longer version');
  await assert.rejects(streams.read(handle), /changed since it was opened/);
  const again = await streams.open(file);
  await rm(file);
  await assert.rejects(streams.read(again.handle), /gone since it was opened/);

  assert.deepEqual(await streams.open(join(dir, 'missing.map')), { failure: 'not-found' });
  await mkdir(join(dir, 'dir.map'));
  assert.deepEqual(await streams.open(join(dir, 'dir.map')), { failure: 'not-a-file' });
  const big = join(dir, 'big.js.map');
  const handleOfBig = await open(big, 'w');
  await handleOfBig.truncate(MAX_SERVED_BYTES + 1);
  await handleOfBig.close();
  assert.deepEqual(await streams.open(big), { failure: 'too-big' });

  const small = join(dir, 'small.js.map');
  await writeFile(small, '{}');
  const fresh = new FileStreams();
  for (let i = 0; i < MAX_OPEN_STREAMS; i++) assert.ok('handle' in await fresh.open(small));
  assert.deepEqual(await fresh.open(small), { failure: 'too-many' });
  fresh.close('1');
  assert.ok('handle' in await fresh.open(small), 'a closed stream frees its place');
});

test('served files: the maps scripts name and the sources those maps name (plain and index maps), nothing else', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'dist'));
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'dist', 'a.js.map'), JSON.stringify({ version: 3, sources: ['../src/a.ts'], sourceRoot: '', names: [], mappings: 'AAAA' }));
  await writeFile(join(dir, 'dist', 'b.js.map'), JSON.stringify({ version: 3, sections: [{ offset: { line: 0, column: 0 }, map: { version: 3, sources: ['b.ts'], sourceRoot: '/elsewhere/', names: [], mappings: 'AAAA' } }] }));
  const files = new ServedFiles();
  const script = (name) => pathToFileURL(join(dir, 'dist', name)).href;
  assert.equal(files.noteScript(script('a.js'), 'a.js.map'), pathToFileURL(join(dir, 'dist', 'a.js.map')).href);
  assert.equal(files.noteScript(script('b.js'), pathToFileURL(join(dir, 'dist', 'b.js.map')).href), pathToFileURL(join(dir, 'dist', 'b.js.map')).href);
  assert.equal(files.noteScript(script('c.js'), 'data:application/json;base64,e30='), null);
  assert.equal(files.noteScript(script('d.js'), 'https://cdn.example/d.js.map'), null);
  assert.equal(files.noteScript('', 'e.js.map'), null);
  assert.equal(await files.names(join(dir, 'dist', 'a.js.map')), true);
  assert.equal(await files.names(join(dir, 'src', 'a.ts')), true);
  assert.equal(await files.names('/elsewhere/b.ts'), true);
  assert.equal(await files.names(join(dir, 'dist', 'a.js')), false);
  assert.equal(await files.names(join(dir, 'dist', 'c.js.map')), false);
  assert.equal(await files.names('/etc/passwd'), false);
});

test('RemoteSources: DevTools (Debugger.enable with maxScriptsCacheSize) is told remote map URLs, other clients V8\'s; symlinks out are refused; streams go with the client', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'dist'));
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'outside.txt'), 'secret');
  await writeFile(join(dir, 'src', 'a.ts'), 'const a: number = 1;\n');
  await symlink(join(dir, 'outside.txt'), join(dir, 'src', 'link.ts'));
  await writeFile(join(dir, 'dist', 'a.js.map'), JSON.stringify({ version: 3, sources: ['../src/a.ts', '../src/link.ts'], names: [], mappings: 'AAAA' }));
  const scriptParsed = { method: 'Debugger.scriptParsed', params: { scriptId: '7', url: pathToFileURL(join(dir, 'dist', 'a.js')).href, sourceMapURL: 'a.js.map' } };
  const other = { method: 'Debugger.paused', params: {} };

  const vscode = new RemoteSources();
  vscode.noteCommand('Debugger.enable', {});
  assert.equal(vscode.outgoing(scriptParsed), scriptParsed);
  assert.equal(vscode.outgoing(other), other);

  const devtools = new RemoteSources();
  devtools.noteCommand('Debugger.enable', { maxScriptsCacheSize: 10_000_000 });
  const told = devtools.outgoing(scriptParsed);
  const remoteMap = `http://epdb.invalid${pathToFileURL(join(dir, 'dist', 'a.js.map')).pathname}`;
  assert.deepEqual(told, { method: 'Debugger.scriptParsed', params: { ...scriptParsed.params, sourceMapURL: remoteMap } });

  assert.equal(RemoteSources.answers('Network.loadNetworkResource') && RemoteSources.answers('IO.read') && RemoteSources.answers('IO.close'), true);
  assert.equal(RemoteSources.answers('Network.enable'), false);
  const load = (sources, url) => sources.answer('Network.loadNetworkResource', { url, options: {} });
  const source = await load(devtools, new URL('../src/a.ts', remoteMap).href);
  assert.equal(source.result.resource.success, true);
  assert.deepEqual(source.result.resource.headers, { 'Content-Length': '21', 'Content-Type': 'text/plain' });
  assert.deepEqual(await devtools.answer('IO.read', { handle: source.result.resource.stream }), { result: { data: 'const a: number = 1;\n', base64Encoded: false, eof: false } });
  assert.deepEqual((await load(devtools, new URL('../src/link.ts', remoteMap).href)).result.resource, { success: false, netError: -10, netErrorName: 'net::ERR_ACCESS_DENIED' });
  assert.deepEqual(await devtools.answer('IO.read', { handle: source.result.resource.stream, offset: -1 }), { error: { code: -32602, message: 'Invalid parameters: offset: a non-negative integer expected' } });

  assert.equal(devtools.openStreams, 1);
  const pending = load(devtools, remoteMap);
  devtools.close();
  assert.equal(devtools.openStreams, 0);
  assert.equal(await pending, null, 'no answer once the client is gone');
});
