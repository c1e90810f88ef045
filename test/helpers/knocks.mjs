import { runPythonJson } from './python.mjs';

/** The seed's payload, byte for byte as Python's `json.dumps({'epdb': {}})` writes it. */
export const SEED_PAYLOAD_JSON = '{"epdb": {}}';

/**
 * A `Base64` knock header value made in Node, as the seed's
 * `base64.b64encode(json.dumps({'epdb': {}}).encode())` makes it.
 * @param {string} [json] the JSON text to encode, default {@link SEED_PAYLOAD_JSON}
 * @returns {string}
 */
export function base64Knock(json = SEED_PAYLOAD_JSON) {
  return `Base64 ${Buffer.from(json, 'utf8').toString('base64')}`;
}

/**
 * Keys as the seed's users make them: `Fernet.generate_key()` (44 url-safe base64 characters)
 * and `uuid.uuid4().hex` (a 32-byte JWT secret). Made by /usr/bin/python3.
 * @typedef {{ fernetKey: string, jwtSecret: string }} SeedKeys
 */

/**
 * Knock header values made by /usr/bin/python3 with exactly the seed's snippets, plus the
 * keys they were made with.
 * @typedef {SeedKeys & { base64: string, fernet: string, jwt: string }} SeedKnocks
 */

const SEED_SNIPPETS = `
import base64, json, sys, uuid
import cryptography.fernet
import jwt
from cryptography.fernet import Fernet

given = json.load(sys.stdin) or {}
key = given.get('fernetKey') or Fernet.generate_key().decode()
secret = given.get('jwtSecret') or uuid.uuid4().hex

b64 = base64.b64encode(json.dumps({'epdb': {}}).encode())
fer = cryptography.fernet.Fernet(key).encrypt(json.dumps({'epdb': {}}).encode())
tok = jwt.encode({'epdb': {}}, secret, algorithm='HS256')

def text(v):
    return v.decode() if isinstance(v, bytes) else v

print(json.dumps({
    'fernetKey': key,
    'jwtSecret': secret,
    'base64': 'Base64 ' + text(b64),
    'fernet': 'Fernet ' + text(fer),
    'jwt': 'JWT ' + text(tok),
}))
`;

/**
 * Makes one knock header value per scheme with /usr/bin/python3 and the seed's own snippets
 * (one Python start). Keys not given are made as the seed's users make them.
 * @param {Partial<SeedKeys>} [keys]
 * @returns {Promise<SeedKnocks>}
 */
export function seedKnocks(keys = {}) {
  return runPythonJson(SEED_SNIPPETS, keys);
}

/**
 * Fresh keys from Python: `Fernet.generate_key()` and `uuid.uuid4().hex`.
 * @returns {Promise<SeedKeys>}
 */
export function pythonKeys() {
  return runPythonJson(`
import json, uuid
from cryptography.fernet import Fernet
print(json.dumps({'fernetKey': Fernet.generate_key().decode(), 'jwtSecret': uuid.uuid4().hex}))
`);
}
