// Figure 3: how long verifyKnock takes to refuse each class of bad knock and to accept a valid
// one, per backend; and the first valid knock of a process, which loads jose or fernet.
import { fileURLToPath } from 'node:url';
import { FERNET_KEY, JWT_SECRET } from '../lib/keys.mjs';
import { benchEnv, runNodeTimed } from '../lib/procs.mjs';
import { formatSummary, interleave, median, summarize } from '../lib/stats.mjs';

const CHILD = fileURLToPath(new URL('../children/knock-cost.mjs', import.meta.url));
const CHEAP_TARGET_US = 5;
const VALID_TARGET_US = 200;

/** @param {{ processes: number, iterations: number, coldRounds: number }} options */
export async function knockCost({ processes, iterations, coldRounds }) {
  // Several processes, each timing every class in 7 batches: a class's figure is the median over
  // processes of each process's median batch.
  /** @type {Record<string, Record<string, number[]>>} */
  const perProcess = {};
  for (let p = 0; p < processes; p++) {
    const { stdout } = runNodeTimed([CHILD, 'warm', String(iterations)], benchEnv());
    for (const [backend, classes] of Object.entries(JSON.parse(stdout))) {
      perProcess[backend] ??= {};
      for (const [klass, batches] of Object.entries(classes)) (perProcess[backend][klass] ??= []).push(median(batches));
    }
  }
  const { Base64Backend, FernetBackend, JWTBackend } = await import('epdb');
  const coldKnocks = {
    base64: `Base64 ${new Base64Backend().encode({ epdb: {} })}`,
    fernet: `Fernet ${new FernetBackend({ key: FERNET_KEY, maxAgeSeconds: 3600 }).encode({ epdb: {} })}`,
    jwt: `JWT ${await new JWTBackend({ secret: JWT_SECRET, maxAgeSeconds: 3600 }).encode({ epdb: {} })}`,
  };
  const cold = await interleave(Object.keys(coldKnocks), coldRounds, async (backend) => {
    const { stdout } = runNodeTimed([CHILD, 'cold', backend], benchEnv({ BENCH_KNOCK: coldKnocks[backend] }));
    return JSON.parse(stdout).ms;
  });

  const table = [['backend', 'knock', 'µs per verifyKnock (median over processes; IQR, range)', 'outcome']];
  const targets = [];
  for (const [backend, classes] of Object.entries(perProcess)) {
    for (const [klass, values] of Object.entries(classes)) {
      const s = summarize(values);
      const cheap = klass.startsWith('malformed') || klass.startsWith('oversized');
      const important = cheap || klass === 'valid';
      table.push([backend, klass, `${important ? '**' : ''}${formatSummary(s, 2)}${important ? '**' : ''}`, klass === 'valid' ? 'accepted' : 'refused']);
      if (cheap) {
        targets.push({ what: `${backend}: ${klass} refused`, target: `< ${CHEAP_TARGET_US} µs`, measured: `${s.median.toFixed(2)} µs`, met: s.median < CHEAP_TARGET_US });
      } else if (klass === 'valid' && backend !== 'base64') {
        targets.push({ what: `${backend}: valid knock verified`, target: `< ${VALID_TARGET_US} µs`, measured: `${s.median.toFixed(1)} µs`, met: s.median < VALID_TARGET_US });
      }
    }
  }
  const coldTable = [['backend', 'first valid knock of a fresh process, ms (JWT: includes loading jose, an ES module)']];
  for (const [backend, values] of Object.entries(cold)) coldTable.push([backend, formatSummary(summarize(values), 2)]);
  return {
    id: 3,
    title: 'Knock costs',
    method: `\`verifyKnock(header, backend)\` from the package, awaited one after another: ${processes} processes, each `
      + `timing every class in 7 batches (after one warm-up pass over every class of every backend, and a warm-up batch) of ${iterations * 10} calls for cheap refusals, ${iterations} for `
      + `valid knocks and signature checks; a process's figure is its median batch. Knocks are made with the backend's own `
      + `\`encode\` (JWT: with \`iat\` and \`exp\`), forged ones with another key; "malformed (3 tokens)" is \`<Scheme> abc def\`, `
      + `"malformed payload" has the right scheme and a payload that is not base64/a JWT, "oversized" is a 9 KiB header. `
      + `Each knock's outcome (its error code) is checked before it is timed. The cold figure: ${coldRounds} fresh processes `
      + `per backend, interleaved, each timing its very first \`verifyKnock\` of a valid knock.`,
    table,
    extraTables: [coldTable],
    targets,
    raw: { perProcess, cold },
  };
}
