import type { webcrypto } from 'node:crypto';
import type { KnockError } from '../errors.js';
import { refusal } from '../knock/refusal.js';
import { MAX_CLOCK_SKEW_SECONDS } from '../knock/limits.js';
import { log } from '../log.js';
import { BUILT_IN_BACKENDS, EPDBBackend, type BackendRecipe } from './backend.js';

/** Options of {@link JWTBackend}. */
export interface JWTBackendOptions {
  /** The shared HS256 secret (`EPDB_KEY`), at least 32 bytes. */
  readonly secret: string;
  /** How old a token may be, from its `iat` claim (`EPDB_MAX_AGE`). */
  readonly maxAgeSeconds: number;
}

/** Three base64url parts: anything else is not worth handing to jose. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The seed's `JWT` knock: `jwt.encode({'epdb': {}}, key, algorithm='HS256')` (PyJWT). Only HS256
 * is accepted; `exp` and `nbf` are enforced, and an `iat` older than `maxAgeSeconds` is refused.
 */
export class JWTBackend extends EPDBBackend {
  readonly scheme = 'JWT';
  readonly authenticates = true;
  readonly recipe: BackendRecipe;
  private readonly secret: Uint8Array;
  /** The secret imported once as an HS256 verification key: given bytes, jose imports them on every knock. */
  private verificationKey: Promise<webcrypto.CryptoKey> | undefined;
  private warnedNeverExpires = false;

  constructor(private readonly options: JWTBackendOptions) {
    super();
    this.recipe = { module: BUILT_IN_BACKENDS, exportName: 'JWTBackend', options: { ...options } };
    // jose refuses string keys: the secret's UTF-8 bytes are what PyJWT signs with.
    this.secret = new Uint8Array(Buffer.from(options.secret, 'utf8'));
  }

  async decode(payload: string): Promise<unknown> {
    if (!COMPACT_JWS.test(payload)) {
      throw refusal('ERR_EPDB_KNOCK_UNDECODABLE', 'payload is not a JWT (three base64url parts)');
    }
    const jose = await import('jose');
    let claims: Record<string, unknown>;
    try {
      this.verificationKey ??= (require('node:crypto') as typeof import('node:crypto')).webcrypto.subtle
        .importKey('raw', this.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      ({ payload: claims } = await jose.jwtVerify(payload, await this.verificationKey, {
        algorithms: ['HS256'],
        clockTolerance: MAX_CLOCK_SKEW_SECONDS,
      }));
    } catch (error) {
      throw knockErrorFromJose(error, jose.errors);
    }
    this.checkIssuedAt(claims['iat']);
    if (claims['exp'] === undefined && claims['iat'] === undefined && !this.warnedNeverExpires) {
      this.warnedNeverExpires = true;
      log('warning: accepted a JWT knock with neither "exp" nor "iat": such a token never expires; make knocks with `epdb knock`');
    }
    return claims;
  }

  async encode(value: Record<string, unknown>): Promise<string> {
    const { SignJWT } = await import('jose');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(value)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .setExpirationTime(now + this.options.maxAgeSeconds)
      .sign(this.secret);
  }

  /**
   * An HS256 token with `iat` now and `exp` `ttlSeconds` later, signed with node:crypto (jose
   * signs only asynchronously); {@link decode} verifies it as any other.
   */
  override encodeNow(value: Record<string, unknown>, ttlSeconds: number): string {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url({ alg: 'HS256', typ: 'JWT' });
    const payload = base64url({ ...value, iat: now, exp: now + ttlSeconds });
    // node:crypto is loaded on the first hop knock, not with the preload (figure 6).
    const { createHmac } = require('node:crypto') as typeof import('node:crypto');
    const signature = createHmac('sha256', this.secret).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  }

  /** The HS256 secret's UTF-8 bytes, as they sign tokens. */
  override sharedKey(): Uint8Array {
    return new Uint8Array(this.secret);
  }

  private checkIssuedAt(iat: unknown): void {
    if (iat === undefined) return;
    if (typeof iat !== 'number' || !Number.isFinite(iat)) {
      throw refusal('ERR_EPDB_KNOCK_UNDECODABLE', 'JWT "iat" claim is not a number');
    }
    const now = Date.now() / 1000;
    if (iat > now + MAX_CLOCK_SKEW_SECONDS) {
      throw refusal('ERR_EPDB_KNOCK_NOT_YET_VALID', `JWT was issued ${Math.round(iat - now)} s in the future`);
    }
    if (now - iat > this.options.maxAgeSeconds) {
      throw refusal('ERR_EPDB_KNOCK_EXPIRED', `JWT was issued ${Math.round(now - iat)} s ago, over EPDB_MAX_AGE (${this.options.maxAgeSeconds} s)`);
    }
  }
}

type JoseErrors = typeof import('jose').errors;

/** Maps jose's typed errors onto epdb's reasons; jose's messages never contain the key. */
function knockErrorFromJose(error: unknown, errors: JoseErrors): KnockError {
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return refusal('ERR_EPDB_KNOCK_ALGORITHM', 'JWT algorithm is not HS256, the only one accepted');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return refusal('ERR_EPDB_KNOCK_BAD_SIGNATURE', 'JWT signature does not verify (wrong key or altered token)');
  }
  if (error instanceof errors.JWTExpired) {
    return refusal('ERR_EPDB_KNOCK_EXPIRED', 'JWT has expired ("exp" is past)');
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') {
    return refusal('ERR_EPDB_KNOCK_NOT_YET_VALID', 'JWT is not valid yet ("nbf" is ahead)');
  }
  const reason = error instanceof errors.JOSEError ? error.message : 'malformed token';
  return refusal('ERR_EPDB_KNOCK_UNDECODABLE', `payload is not a valid JWT: ${reason}`);
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
