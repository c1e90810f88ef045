/**
 * Which values a capture replaces by `[redacted]`: those whose name looks like a secret, and
 * the epdb knock itself wherever it appears.
 *
 * Names are compared as Datadog's snapshot redaction compares them: lowercased, without
 * `-`, `_`, `.`, `@` and `$`, against a fixed list of identifiers (exact match after that
 * normalisation, so `api_key`, `apiKey` and `API-KEY` are one name), plus `EPDB_REDACT`'s.
 */

/** The value that stands for a redacted one. */
export const REDACTED = '[redacted]';

/** Secret-looking identifiers and header names (before normalisation). */
const SECRET_NAMES: readonly string[] = [
  '2fa', 'access_token', 'accesstoken', 'api_key', 'apikey', 'apisecret', 'apisignature', 'app_key', 'applicationkey',
  'auth', 'authorization', 'authtoken', 'bearer', 'cc_number', 'certificatepin', 'cipher', 'client_secret',
  'connect.sid', 'connectionstring', 'cookie', 'cookies', 'credentials', 'creditcard', 'csrf', 'csrf_token', '_csrf',
  'cvv', 'database_url', 'db_url', 'encryption_key', 'gpg_key', 'id_token', 'jwt', 'license_key', 'master_key',
  'mysql_pwd', 'nonce', 'oauth', 'oauth_token', 'otp', 'passhash', 'passphrase', 'passwd', 'password', 'pem_file',
  'pgp_key', 'phpsessid', 'pin', 'pincode', 'pkcs8', 'private_key', 'proxy-authorization', 'pwd', 'recaptcha_key',
  'refresh_token', 'salt', 'secret', 'secret_key', 'secrettoken', 'security_answer', 'securitycode', 'session',
  'sessionid', 'session_key', 'set-cookie', 'signature', 'signature_key', 'ssh_key', 'ssn', 'token', 'twilio_token',
  'user_session', 'x-api-key', 'x-auth-token', 'x-csrf-token', 'xsrf-token',
  // epdb's own knock header, in both spellings.
  'x-epdb', 'http-x-epdb',
];

/** A name as it is compared: lowercased, without `-_.@$`; a symbol key (`Symbol(kToken)`) by its description. */
export function normalizeName(name: string): string {
  const symbol = /^Symbol\((.*)\)$/.exec(name);
  return (symbol ? (symbol[1] as string) : name).toLowerCase().replace(/[-_.@$]/g, '');
}

/** Decides what a capture must not show. */
export class Redactor {
  private readonly names: ReadonlySet<string>;
  /** The knock's payload (after its scheme word), found inside strings; empty when unknown. */
  private readonly knockPayload: string;

  /**
   * @param extraNames `EPDB_REDACT`'s names
   * @param knock the knock header's value of the request being captured
   */
  constructor(extraNames: readonly string[], knock: string) {
    this.names = new Set([...SECRET_NAMES, ...extraNames].map(normalizeName));
    const payload = knock.trim().split(/[ \t]+/, 2)[1] ?? '';
    // A payload too short to be unique would redact innocent strings; real ones are long.
    this.knockPayload = payload.length >= 16 ? payload : '';
  }

  /** Whether a value named `name` (a variable, property or header) is hidden. */
  isSecretName(name: string): boolean {
    return this.names.has(normalizeName(name));
  }

  /** Whether a string value carries the knock. */
  carriesKnock(value: string): boolean {
    return this.knockPayload !== '' && value.includes(this.knockPayload);
  }

  /**
   * Whether an expression's value is hidden: when any identifier or quoted key in it is a
   * secret-looking name (`req.headers.authorization`, `req.headers['x-epdb']`).
   */
  isSecretExpression(expression: string): boolean {
    const words = expression.match(/[A-Za-z_$][\w$]*|'[^']*'|"[^"]*"|`[^`]*`/g) ?? [];
    return words.some((word) => this.isSecretName(/^['"`]/.test(word) ? word.slice(1, -1) : word));
  }
}
