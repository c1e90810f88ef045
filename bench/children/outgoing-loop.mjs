// Figure 12's client: `node [preload] bench/children/outgoing-loop.mjs <port> <http|fetch> <ms> <concurrency>`.
// Keeps <concurrency> GET /hello/ada requests in flight to 127.0.0.1:<port> (node:http with a
// keep-alive agent, or fetch) for <ms> after a warm-up of the same length, and prints
// `{"requests": N, "seconds": S}` for the measured part.
import http from 'node:http';

const [port, via, ms, concurrency] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const url = `http://127.0.0.1:${port}/hello/ada`;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function viaHttp() {
  return new Promise((resolve, reject) => {
    http.request(url, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject).end();
  });
}

async function viaFetch() {
  await (await fetch(url)).arrayBuffer();
}

const one = via === 'fetch' ? viaFetch : viaHttp;

/** Requests completed by `concurrency` loops until `until` (performance.now()). */
async function run(until) {
  let requests = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      await one();
      requests++;
    }
  }));
  return requests;
}

await run(performance.now() + ms);
const start = performance.now();
const requests = await run(start + ms);
process.stdout.write(`${JSON.stringify({ requests, seconds: (performance.now() - start) / 1000 })}\n`);
agent.destroy();
