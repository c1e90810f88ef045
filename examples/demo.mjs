// `npm run demo`: the plain node:http example under the epdb preload, with a key made for this
// run, and the exact commands to knock and to attach a debugger.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createBackend, readConfig } from 'epdb';

const port = Number(process.env.PORT ?? 3000);
const env = {
  ...process.env,
  EPDB_BACKEND: process.env.EPDB_BACKEND || 'jwt',
  PORT: String(port),
};
if (env.EPDB_BACKEND.toLowerCase() !== 'base64' && !env.EPDB_KEY) {
  env.EPDB_KEY = env.EPDB_BACKEND.toLowerCase() === 'fernet'
    ? randomBytes(32).toString('base64url') + '='
    : randomBytes(32).toString('hex');
}
const config = readConfig(env);
const knock = `${createBackend(config).scheme} ${await createBackend(config).encode({ epdb: {} })}`;
const keyVars = config.key === undefined ? `EPDB_BACKEND=${config.backend}` : `EPDB_BACKEND=${config.backend} EPDB_KEY=${config.key}`;

const server = spawn(process.execPath, ['--import', 'epdb/register', fileURLToPath(new URL('plain-http/server.mjs', import.meta.url))], {
  env, stdio: ['ignore', 'pipe', 'inherit'], cwd: fileURLToPath(new URL('..', import.meta.url)),
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));

createInterface({ input: server.stdout }).on('line', (line) => {
  console.log(line);
  if (!line.startsWith('listening')) return;
  // EPDB_PORT may be a range (a cluster); this one app binds its first free port.
  const bridgePorts = config.port.first === config.port.last ? String(config.port.first) : `${config.port.first}-${config.port.last}`;
  const attach = config.backend === 'base64'
    ? `  node inspect ${config.host}:${config.port.first}`
    : `  ${keyVars} npx epdb connect ${bridgePorts}     # an authenticated forward on 127.0.0.1:9229\n  node inspect 127.0.0.1:9229                  # or chrome://inspect, or VS Code "attach" to port 9229`;
  console.log(`
epdb demo: the app above runs under \`node --import epdb/register\` (EPDB_BACKEND=${config.backend}${config.key ? ', a key made for this run' : ''}).

1. Any request is served as usual:
  curl http://127.0.0.1:${port}/hello

2. A knocked request waits for a debugger (the knock below is valid for ${config.maxAgeSeconds} s; make more with \`${keyVars} npx epdb knock\`):
  curl -H "X-EPDB: ${knock}" http://127.0.0.1:${port}/hello

3. Attach, in another terminal, and step into \`handle\`:
${attach}

Ctrl-C stops the demo.
`);
});
