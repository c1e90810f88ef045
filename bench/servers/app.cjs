'use strict';
// The bench's server: `node [preload] bench/servers/app.cjs <http|express>`; prints
// `listening <port>`. Every variant of a figure runs this same file, only the preload differs.
//   GET /hello/<name>  -> `hello <name>` (the measured route)
//   GET /__stats       -> JSON: spans seen by the OTel no-op exporter (when there is one),
//                         memory, CommonJS modules loaded, built-ins loaded
const kind = process.argv[2] ?? 'http';

function stats() {
  // Under --expose-gc (the idle-memory figure), measure what is retained, not garbage.
  if (typeof globalThis.gc === 'function') globalThis.gc();
  return JSON.stringify({
    spans: globalThis.__benchSpanCount ?? null,
    memory: process.memoryUsage(),
    heapSpaces: Object.fromEntries(require('node:v8').getHeapSpaceStatistics().map((space) => [space.space_name, space.space_size])),
    commonJs: Object.keys(require.cache),
    builtins: process.moduleLoadList.filter((name) => name.startsWith('NativeModule ')).map((name) => name.slice(13)),
  });
}

if (kind === 'http') {
  const http = require('node:http');
  const server = http.createServer((req, res) => {
    if (req.url === '/__stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(stats());
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`hello ${req.url.slice(7)}`);
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
} else if (kind === 'express') {
  const express = require('express');
  const app = express();
  app.get('/__stats', (req, res) => res.type('application/json').send(stats()));
  app.get('/hello/:name', (req, res) => res.type('text/plain').send(`hello ${req.params.name}`));
  const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
} else {
  throw new Error(`unknown server kind ${kind}`);
}
process.on('SIGTERM', () => process.exit(0));
