// Keys for the bench only: never use these anywhere else.
/** A JWT secret of 40 bytes (EPDB_KEY for the jwt backend must be at least 32). */
export const JWT_SECRET = 'epdb-bench-only-secret-0123456789abcdef';
/** A Fernet key as Python's Fernet.generate_key() makes it (32 bytes, url-safe base64). */
export const FERNET_KEY = Buffer.alloc(32, 7).toString('base64url') + '=';
/** Another key of each kind, for knocks that must fail their signature check. */
export const OTHER_JWT_SECRET = 'epdb-bench-only-other-secret-9876543210fedcba';
export const OTHER_FERNET_KEY = Buffer.alloc(32, 9).toString('base64url') + '=';
