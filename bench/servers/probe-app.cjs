'use strict';
// The probes figure's server (Express 5): `node [preload] bench/servers/probe-app.cjs`; prints
// `listening <port>`.
//   GET /orders/:id  -> JSON with `stoppedMs`: the main thread's time across the probed line,
//                       measured around it (a probe's pause stops the thread right there)
//   GET /throw/:id   -> like /orders, the measured span being a throw caught in the handler
//   GET /hold/:ms    -> answers after ms milliseconds (a knocked request that keeps a probe armed
//                       on /orders's line without ever reaching it)
//   GET /gap         -> with BENCH_GAP=1: the longest the event loop went without a turn (a 1 ms
//                       timer's lateness) since the last /gap, in ms
const express = require('express');

let longestGapMs = 0;
if (process.env.BENCH_GAP === '1') {
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last - 1);
    last = now;
  }, 1);
}

const app = express();
app.get('/orders/:id', (req, res) => {
  const order = { id: Number(req.params.id), customer: { name: 'Ada', tier: 'gold' }, items: [{ sku: 'tea', qty: 2, price: 4.5 }, { sku: 'cup', qty: 1, price: 12 }] };
  const total = order.items.reduce((sum, item) => sum + item.qty * item.price, 0);
  const before = performance.now();
  const probed = total; // @probe bench
  const stoppedMs = performance.now() - before;
  res.json({ id: order.id, total: probed, stoppedMs });
});
// An on-throw probe's stop: its pause is at the throw, inside the measured span.
app.get('/throw/:id', (req, res) => {
  const order = { id: Number(req.params.id), items: [] };
  const before = performance.now();
  let caught = null;
  try {
    if (order.items.length === 0) throw new RangeError(`order ${order.id} has no items`);
  } catch (error) {
    caught = error.message;
  }
  const stoppedMs = performance.now() - before;
  res.json({ id: order.id, caught, stoppedMs });
});
app.get('/gap', (req, res) => {
  res.json({ longestGapMs });
  longestGapMs = 0;
});
app.get('/hold/:ms', (req, res) => {
  setTimeout(() => res.json({ held: true }), Number(req.params.ms));
});
const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
