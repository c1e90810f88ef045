'use strict';
// Figure 1, one process: the cost of `server.emit('request', req, res)` on a real http.Server
// with a no-op listener, for one variant (argv[2]):
//   unpatched  epdb never loaded
//   patched    instrument({ backend: new Base64Backend() }) from the package
//   disabled   instrument(...) then disable(): what is left after unwrapping
// Prints one JSON line: { variant, nsPerCall: [per batch], calls, collections (GCs while timing) }.
const http = require('node:http');
const net = require('node:net');
const { PerformanceObserver } = require('node:perf_hooks');

const variant = process.argv[2];
const BATCH = Number(process.argv[3] ?? 1_000_000);
const BATCHES = Number(process.argv[4] ?? 8);
const WARMUP_BATCHES = 3;

async function main() {
  if (variant === 'patched' || variant === 'disabled') {
    const { instrument, Base64Backend } = require('epdb');
    const instrumentation = instrument({ backend: new Base64Backend() });
    if (variant === 'disabled') await instrumentation.disable();
  } else if (variant !== 'unpatched') {
    throw new Error(`unknown variant ${variant}`);
  }

  let handled = 0;
  const server = http.createServer();
  server.on('request', () => { handled++; });

  // A request as Node's parser leaves it: a real IncomingMessage with rawHeaders filled in
  // (ten headers, as a browser or curl behind a proxy sends), no X-EPDB among them.
  const req = new http.IncomingMessage(new net.Socket());
  req.method = 'GET';
  req.url = '/api/orders/42?include=items';
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.rawHeaders = [
    'Host', '127.0.0.1:3000',
    'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
    'Accept', 'application/json, text/plain, */*',
    'Accept-Language', 'en-GB,en;q=0.9',
    'Accept-Encoding', 'gzip, deflate, br',
    'Connection', 'keep-alive',
    'Cookie', 'session=2f1c7e0a9b; theme=dark',
    'X-Request-Id', '6f1d2c3b-4a5e-46f7-8a9b-0c1d2e3f4a5b',
    'X-Forwarded-For', '10.0.0.7',
    'Cache-Control', 'no-cache',
  ];
  const res = new http.ServerResponse(req);

  // Garbage collections during the timed batches: a wrap that allocates per request shows here.
  let collections = 0;
  let timing = false;
  const observer = new PerformanceObserver((list) => { if (timing) collections += list.getEntries().length; });
  observer.observe({ entryTypes: ['gc'] });

  const nsPerCall = [];
  for (let batch = 0; batch < WARMUP_BATCHES + BATCHES; batch++) {
    if (batch === WARMUP_BATCHES) {
      await new Promise((resolve) => setImmediate(resolve)); // deliver the warm-up's entries first
      timing = true;
    }
    const start = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) server.emit('request', req, res);
    const elapsed = Number(process.hrtime.bigint() - start);
    if (batch >= WARMUP_BATCHES) nsPerCall.push(elapsed / BATCH);
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  if (handled !== (WARMUP_BATCHES + BATCHES) * BATCH) throw new Error(`the listener ran ${handled} times`);
  process.stdout.write(`${JSON.stringify({ variant, nsPerCall, calls: BATCH * BATCHES, collections })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
