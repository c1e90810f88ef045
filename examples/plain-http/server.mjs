// A plain node:http app. It knows nothing of epdb: run it under the preload
// (`npm run example:http`) and knock to step through `handle`.
import http from 'node:http';

const port = Number(process.env.PORT ?? 3000);

function handle(req, res) {
  const greeting = `hello from plain node:http, ${req.method} ${req.url}`;
  res.setHeader('content-type', 'text/plain');
  res.end(`${greeting}\n`);
}

http.createServer(handle).listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${port}`);
});
