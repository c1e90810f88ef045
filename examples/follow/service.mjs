// One service of README's "Follow one request across services" walkthrough. Run it three times:
//   PORT=7003 NAME=inventory                                                    node --import epdb/register examples/follow/service.mjs
//   PORT=7002 NAME=billing  NEXT=http://127.0.0.1:7003/stock VIA=fetch          node --import epdb/register examples/follow/service.mjs
//   PORT=7001 NAME=checkout NEXT=http://127.0.0.1:7002/bill  VIA=http           node --import epdb/register examples/follow/service.mjs
// GET /anything/42 answers `<NAME> 42`, after asking NEXT/42 (with node:http or fetch) when NEXT is set.
import http from 'node:http';

const name = process.env.NAME ?? 'service';
const next = process.env.NEXT;

/** GET `url` with node:http, as many services still do. */
function getWithHttp(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk) => { body += chunk; }).on('end', () => resolve(body));
    }).on('error', reject);
  });
}

const server = http.createServer(async (req, res) => {
  const id = (req.url ?? '/').split('?')[0].split('/').pop();
  let answer = `${name} ${id}`;
  if (next !== undefined) {
    const url = `${next}/${id}`;
    const downstream = process.env.VIA === 'fetch' ? await (await fetch(url)).text() : await getWithHttp(url);
    answer += ` <- ${downstream}`;
  }
  res.end(answer);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`${name} on http://127.0.0.1:${server.address().port}`));
