/**
 * Where the bridge worker can build its own copy of a backend, to authenticate bridge requests
 * while the main thread is paused: a module that exports the backend class, the export's name,
 * and the one (structured-clonable) argument its constructor takes.
 */
export interface BackendRecipe {
  /** An absolute path or `file:` URL of the module, or {@link BUILT_IN_BACKENDS} for epdb's own. */
  readonly module: string;
  readonly exportName: string;
  readonly options: unknown;
}

/**
 * The `module` of the built-in backends' recipes: the worker builds them from its own copy of
 * epdb's files, wherever the main thread's copy was loaded from (the preload is a bundle whose
 * file does not export the backend classes).
 */
export const BUILT_IN_BACKENDS = 'epdb:built-in-backends';

/**
 * The extension point: one way to turn a knock's payload into its JSON value, proving (or not)
 * that it was made by someone who holds the key.
 *
 * A backend only decodes and authenticates. Checking that the value is `{"epdb": {...}}` is done
 * once, for every backend, by the caller.
 *
 * @example
 * ```ts
 * class RotXBackend extends EPDBBackend {
 *   readonly scheme = 'RotX';
 *   readonly authenticates = false;
 *   readonly recipe = { module: __filename, exportName: 'RotXBackend', options: {} };
 *   decode(payload: string): unknown { return JSON.parse(rot13(payload)); }
 * }
 * ```
 */
export abstract class EPDBBackend {
  /** The scheme word that opens the header (`Base64`, `Fernet`, `JWT`); matched case-insensitively. */
  abstract readonly scheme: string;
  /**
   * Whether a valid payload proves knowledge of a secret. When false, the debug bridge accepts
   * anyone who can reach it, as `node --inspect` does.
   */
  abstract readonly authenticates: boolean;
  /** How the bridge worker rebuilds this backend (it cannot receive functions). */
  abstract readonly recipe: BackendRecipe;
  /**
   * Decodes and authenticates a payload (the header's second token) into its JSON value.
   * Throws a {@link KnockError} saying why when the payload must be ignored.
   */
  abstract decode(payload: string): unknown | Promise<unknown>;
  /** Makes a payload that {@link decode} accepts, carrying `value`; used by `epdb knock`. */
  abstract encode(value: Record<string, unknown>): string | Promise<string>;
  /**
   * Makes, synchronously, a payload that {@link decode} accepts, carrying `value` and valid for
   * at most `ttlSeconds` where the scheme can say so (a JWT's `exp`). Following a request
   * downstream needs it: a hop's knock is made while the app's `http.request` call runs, and
   * its headers cannot wait for a promise. A backend without it cannot follow.
   */
  encodeNow?(value: Record<string, unknown>, ttlSeconds: number): string;
  /**
   * The secret a reverse connection's two ends prove they hold (`epdb listen`): both derive
   * their handshake key from these bytes. A backend without it cannot dial out with proof, so
   * its knocks' `connect` is refused.
   */
  sharedKey?(): Uint8Array;
}
