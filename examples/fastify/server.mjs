// A Fastify 5 app that knows nothing of epdb (`npm run example:fastify`).
import Fastify from 'fastify';

const port = Number(process.env.PORT ?? 3000);
const app = Fastify();

app.get('/hello/:name', async (request) => {
  const greeting = `hello ${request.params.name}, from Fastify`;
  return `${greeting}\n`;
});

await app.listen({ port, host: '127.0.0.1' });
console.log(`listening on http://127.0.0.1:${port}`);
