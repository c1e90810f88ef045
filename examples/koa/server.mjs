// A Koa 3 app that knows nothing of epdb (`npm run example:koa`).
import Koa from 'koa';

const port = Number(process.env.PORT ?? 3000);
const app = new Koa();

app.use(async (ctx) => {
  const greeting = `hello from Koa, ${ctx.method} ${ctx.path}`;
  ctx.body = `${greeting}\n`;
});

app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
