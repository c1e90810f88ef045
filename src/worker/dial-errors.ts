/** TLS verification failures: Node's `error.code`s for a certificate the client cannot trust. */
const CERTIFICATE_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED', 'CERT_REVOKED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE',
]);

const SOCKET_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (is epdb listen running there?)',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved (yet)',
};

/**
 * One line for a dial that failed before the WebSocket opened: a certificate that is not trusted
 * is said to be refused, with what would trust it.
 */
export function describeDialError(error: Error, where: string): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (CERTIFICATE_ERRORS.has(code)) {
    // Node 24 and later append their own advice ("; if the root CA is installed locally, try
    // running Node.js with --use-system-ca"): the line gives epdb's, once, on every Node line.
    const reason = error.message.split(';', 1)[0] ?? error.message;
    return `refused the TLS certificate of ${where}: ${reason} (${code}); give its CA in NODE_EXTRA_CA_CERTS if you trust it`;
  }
  if (/handshake has timed out|Opening handshake has timed out/i.test(error.message)) return `cannot reach ${where}: timed out`;
  return `cannot reach ${where}: ${SOCKET_ERRORS[code] ?? (error.message || code)}`;
}
