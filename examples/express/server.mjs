// An Express 5 app that knows nothing of epdb (`npm run example:express`).
import express from 'express';

const port = Number(process.env.PORT ?? 3000);
const app = express();

app.get('/hello/:name', (req, res) => {
  const greeting = `hello ${req.params.name}, from Express`;
  res.type('text/plain').send(`${greeting}\n`);
});

app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
