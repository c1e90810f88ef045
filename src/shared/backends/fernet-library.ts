/** The part of npm `fernet` 0.3.3 that epdb uses (it ships no types). */
interface FernetLibrary {
  Secret: new (key: string) => object;
  Token: new (options: { secret: object; token?: string; ttl: number }) => {
    encode(message: string): string;
    decode(): string;
  };
}

let library: FernetLibrary | undefined;

/**
 * Loads npm `fernet` on first use (it pulls crypto-js, which an app that never sees a Fernet
 * knock should not pay for).
 *
 * `fernet` adds an enumerable `lpad` to `String.prototype`, which would show up in the app's
 * `for...in` over strings; epdb makes it non-enumerable so the app sees no change.
 */
export function fernetLibrary(): FernetLibrary {
  if (library === undefined) {
    const hadLpad = Object.hasOwn(String.prototype, 'lpad');
    library = require('fernet') as FernetLibrary;
    if (!hadLpad && Object.hasOwn(String.prototype, 'lpad')) {
      Object.defineProperty(String.prototype, 'lpad', { enumerable: false });
    }
  }
  return library;
}
