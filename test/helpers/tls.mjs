import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToCompletion } from './child.mjs';

/**
 * A self-signed certificate for 127.0.0.1 and localhost, in its own temp dir.
 * @typedef {object} TestCertificate
 * @property {string} certPath PEM certificate file
 * @property {string} keyPath PEM private key file (unencrypted)
 * @property {string} cert the certificate PEM (use it as `ca` in clients)
 * @property {string} key the key PEM
 * @property {() => Promise<void>} remove deletes the temp dir
 */

/**
 * Makes a self-signed certificate with `openssl req -x509` (a P-256 key: fast to make) in a
 * fresh temp dir. The dir is removed by `t.after` when `t` is given, else call `remove()`.
 * @param {{ after: (fn: () => any) => void }} [t]
 * @param {{ names?: string }} [options] `names`: its subjectAltName (default: this machine's
 *   loopback, `IP:127.0.0.1,DNS:localhost`)
 * @returns {Promise<TestCertificate>}
 */
export async function makeSelfSignedCert(t, { names = 'IP:127.0.0.1,DNS:localhost' } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'epdb-test-cert-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  t?.after(remove);
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  await runToCompletion('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=epdb-test',
    '-addext', `subjectAltName=${names}`,
  ], { cwd: dir });
  const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  return { certPath, keyPath, cert, key, remove };
}
