'use strict';
// What V8 itself charges the first time a function with a conditional breakpoint runs, by the
// size of the script it is in (figure 8's bundle row), with nothing of epdb's:
//   node bench/children/condition-first-hit.cjs FUNCTIONS
// writes a script of FUNCTIONS small functions (as a bundle has) and two more, sets a breakpoint
// with the condition `false` at the start of those two from an inspector session, runs each
// three times and prints `{ bytes, firstMs, againMs }` (the first run of each, and the worst of
// their later runs) as JSON. V8 checks a condition in the function's scopes, and to know them the
// first time it parses the whole script again; it keeps what it learnt for that function.
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { Session } = require('node:inspector');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');

const functions = Number(process.argv[2] ?? 20000);
const lines = ["'use strict';"];
for (let i = 0; i < functions; i++) lines.push(`function g${i}(x) { const y = x * ${i}; return [y, y + 1].map((v) => v + ${i}).reduce((a, b) => a + b, 0); }`);
lines.push('exports.first = function first(x) { return g1(x) + 1; };', 'exports.second = function second(x) { return g2(x) + 2; };', '');
const source = lines.join('\n');
const dir = mkdtempSync(join(tmpdir(), 'epdb-condition-'));
const file = join(dir, 'bundle.js');
writeFileSync(file, source);

const session = new Session();
session.connect();
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
let scriptId = null;
session.on('Debugger.scriptParsed', ({ params }) => { if (params.url.endsWith('/bundle.js')) scriptId = params.scriptId; });

(async () => {
  try {
    const bundle = require(file);
    await post('Debugger.enable');
    for (const name of ['first', 'second']) {
      const lineNumber = lines.findIndex((line) => line.startsWith(`exports.${name} =`));
      await post('Debugger.setBreakpoint', { location: { scriptId, lineNumber, columnNumber: lines[lineNumber].indexOf('{') + 2 }, condition: 'false' });
    }
    const firsts = [];
    let again = 0;
    for (const name of ['first', 'second']) {
      for (let run = 0; run < 3; run++) {
        const start = performance.now();
        bundle[name](1);
        const ms = performance.now() - start;
        if (run === 0) firsts.push(ms);
        else again = Math.max(again, ms);
      }
    }
    process.stdout.write(`${JSON.stringify({ bytes: Buffer.byteLength(source), firstMs: Math.min(...firsts), againMs: again })}\n`);
  } finally {
    session.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
})();
