/**
 * Why a knock was refused. Each code names one way a knock can fail, so tests and logs can
 * tell them apart without matching on prose.
 */
export type KnockErrorCode =
  | 'ERR_EPDB_KNOCK_TOO_LARGE'
  | 'ERR_EPDB_KNOCK_DUPLICATE'
  | 'ERR_EPDB_KNOCK_NOT_ASCII'
  | 'ERR_EPDB_KNOCK_SHAPE'
  | 'ERR_EPDB_KNOCK_UNKNOWN_SCHEME'
  | 'ERR_EPDB_KNOCK_WRONG_SCHEME'
  | 'ERR_EPDB_KNOCK_UNDECODABLE'
  | 'ERR_EPDB_KNOCK_NOT_OBJECT'
  | 'ERR_EPDB_KNOCK_NO_EPDB_KEY'
  | 'ERR_EPDB_KNOCK_EPDB_NOT_OBJECT'
  | 'ERR_EPDB_KNOCK_ALGORITHM'
  | 'ERR_EPDB_KNOCK_BAD_SIGNATURE'
  | 'ERR_EPDB_KNOCK_EXPIRED'
  | 'ERR_EPDB_KNOCK_NOT_YET_VALID'
  | 'ERR_EPDB_KNOCK_CONNECT'
  | 'ERR_EPDB_KNOCK_FOLLOW'
  | 'ERR_EPDB_KNOCK_HOP';

/**
 * A knock that must be ignored. Thrown by backends and by the knock parser; the message is
 * safe to log (it never contains the header value or the key).
 */
export class KnockError extends Error {
  /** A stable code for the failure, like jose's `err.code`. */
  readonly code: KnockErrorCode;

  constructor(code: KnockErrorCode, message: string) {
    super(message);
    this.name = 'KnockError';
    this.code = code;
  }
}

/** A configuration variable that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  /** The environment variable (or option) at fault, e.g. `EPDB_KEY`. */
  readonly variable: string;
  readonly code = 'ERR_EPDB_CONFIG';

  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}
