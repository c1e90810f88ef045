'use strict';
// The probes figure's server (Express 5): `node [preload] bench/servers/probe-app.cjs`; prints
// `listening <port>`.
//   GET /orders/:id  -> JSON with `stoppedMs`: the main thread's time across the probed line,
//                       measured around it (a probe's pause stops the thread right there)
//   GET /hold/:ms    -> answers after ms milliseconds (a knocked request that keeps a probe armed
//                       on /orders's line without ever reaching it)
const express = require('express');

const app = express();
app.get('/orders/:id', (req, res) => {
  const order = { id: Number(req.params.id), customer: { name: 'Ada', tier: 'gold' }, items: [{ sku: 'tea', qty: 2, price: 4.5 }, { sku: 'cup', qty: 1, price: 12 }] };
  const total = order.items.reduce((sum, item) => sum + item.qty * item.price, 0);
  const before = performance.now();
  const probed = total; // @probe bench
  const stoppedMs = performance.now() - before;
  res.json({ id: order.id, total: probed, stoppedMs });
});
app.get('/hold/:ms', (req, res) => {
  setTimeout(() => res.type('text/plain').send('held'), Number(req.params.ms));
});
const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
