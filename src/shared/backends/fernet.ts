import { refusal } from '../knock/refusal.js';
import { MAX_CLOCK_SKEW_SECONDS } from '../knock/limits.js';
import { BUILT_IN_BACKENDS, EPDBBackend, type BackendRecipe } from './backend.js';
import { decodeBase64Strictly, parseJsonBytes } from './json.js';
import { fernetLibrary } from './fernet-library.js';

/** Options of {@link FernetBackend}. */
export interface FernetBackendOptions {
  /** A key as Python's `Fernet.generate_key()` makes it (44 url-safe base64 characters). */
  readonly key: string;
  /** How old a token may be, from the timestamp it carries (`EPDB_MAX_AGE`). */
  readonly maxAgeSeconds: number;
}

/** version (1) + timestamp (8) + IV (16) + at least one AES block (16) + HMAC-SHA256 (32). */
const MIN_TOKEN_BYTES = 73;
const VERSION = 0x80;

/**
 * The seed's `Fernet` knock: `Fernet(key).encrypt(b'{"epdb": {}}')`, interoperable with Python's
 * `cryptography`. Proves the sender holds the key; bounded in age by `maxAgeSeconds`.
 */
export class FernetBackend extends EPDBBackend {
  readonly scheme = 'Fernet';
  readonly authenticates = true;
  readonly recipe: BackendRecipe;
  private readonly signingKey: Buffer;
  private readonly encryptionKey: Buffer;

  constructor(private readonly options: FernetBackendOptions) {
    super();
    this.recipe = { module: BUILT_IN_BACKENDS, exportName: 'FernetBackend', options: { ...options } };
    const key = Buffer.from(options.key, 'base64url');
    this.signingKey = key.subarray(0, 16);
    this.encryptionKey = key.subarray(16, 32);
  }

  decode(payload: string): unknown {
    const token = decodeBase64Strictly(payload, 'url-safe');
    if (token === undefined) throw refusal('ERR_EPDB_KNOCK_UNDECODABLE', 'payload is not url-safe base64');
    if (token.length < MIN_TOKEN_BYTES || (token.length - MIN_TOKEN_BYTES) % 16 !== 0 || token[0] !== VERSION) {
      throw refusal('ERR_EPDB_KNOCK_UNDECODABLE', 'payload is not a Fernet token');
    }
    // Each failure gets its own reason, and the MAC is compared in constant time.
    this.checkAge(Number(token.readBigUInt64BE(1)));
    const mac = crypto().createHmac('sha256', this.signingKey).update(token.subarray(0, -32)).digest();
    if (!crypto().timingSafeEqual(mac, token.subarray(-32))) {
      throw refusal('ERR_EPDB_KNOCK_BAD_SIGNATURE', 'Fernet signature does not verify (wrong key or altered token)');
    }
    // Decrypted with node:crypto, which checks the PKCS#7 padding as Python's cryptography does
    // (npm fernet's crypto-js strips padding without checking it).
    let message: Buffer;
    try {
      const decipher = crypto().createDecipheriv('aes-128-cbc', this.encryptionKey, token.subarray(9, 25));
      message = Buffer.concat([decipher.update(token.subarray(25, -32)), decipher.final()]);
    } catch {
      throw refusal('ERR_EPDB_KNOCK_UNDECODABLE', 'Fernet token does not decrypt');
    }
    return parseJsonBytes(message);
  }

  encode(value: Record<string, unknown>): string {
    const fernet = fernetLibrary();
    return new fernet.Token({ secret: new fernet.Secret(this.options.key), ttl: 0 }).encode(JSON.stringify(value));
  }

  /**
   * A Fernet token made now with node:crypto (synchronous, unlike nothing else here: npm fernet
   * is synchronous too, but pulls crypto-js into the app). A Fernet token has no expiry of its
   * own: `ttlSeconds` is enforced by whoever reads the payload (a hop knock carries `expires`).
   */
  override encodeNow(value: Record<string, unknown>, _ttlSeconds: number): string {
    const header = Buffer.alloc(9);
    header[0] = VERSION;
    header.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000)), 1);
    const iv = crypto().randomBytes(16);
    const cipher = crypto().createCipheriv('aes-128-cbc', this.encryptionKey, iv);
    const body = Buffer.concat([header, iv, cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const mac = crypto().createHmac('sha256', this.signingKey).update(body).digest();
    // Url-safe and padded, as Python's cryptography writes tokens.
    return Buffer.concat([body, mac]).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  }

  /** The whole 32-byte key (signing and encryption halves); the handshake key is an HKDF of it. */
  override sharedKey(): Uint8Array {
    return new Uint8Array(Buffer.from(this.options.key, 'base64url'));
  }

  private checkAge(timestamp: number): void {
    const now = Date.now() / 1000;
    if (timestamp > now + MAX_CLOCK_SKEW_SECONDS) {
      throw refusal('ERR_EPDB_KNOCK_NOT_YET_VALID', `Fernet token is dated ${Math.round(timestamp - now)} s in the future`);
    }
    if (now - timestamp > this.options.maxAgeSeconds) {
      throw refusal('ERR_EPDB_KNOCK_EXPIRED', `Fernet token is ${Math.round(now - timestamp)} s old, over EPDB_MAX_AGE (${this.options.maxAgeSeconds} s)`);
    }
  }
}

let nodeCrypto: typeof import('node:crypto') | undefined;

/**
 * node:crypto, loaded on the first knock rather than at start-up: it is ~1 MB of start-up RSS
 * (figure 6) that a process that is never knocked does not need.
 */
function crypto(): typeof import('node:crypto') {
  return (nodeCrypto ??= require('node:crypto') as typeof import('node:crypto'));
}
