// Header field names: compact forms, canonical (lower-case) keys, display spellings, and which fields are
// comma-separated lists that may be split.

/** Compact forms (RFC 3261 7.3.3 and the IANA SIP header registry). */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: 'accept-contact', // RFC 3841
  b: 'referred-by', // RFC 3892
  c: 'content-type',
  d: 'request-disposition', // RFC 3841
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact', // RFC 3841
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info', // RFC 4474, obsolete but still registered
  o: 'event', // RFC 6665
  r: 'refer-to', // RFC 3515
  s: 'subject',
  t: 'to',
  u: 'allow-events', // RFC 6665
  v: 'via',
  x: 'session-expires', // RFC 4028
  y: 'identity', // RFC 8224
};

/** Canonical key of a header name as received: lower-case, compact form expanded. */
export function headerKey(name: string): string {
  const key = name.toLowerCase();
  return key.length === 1 ? (COMPACT_FORMS[key] ?? key) : key;
}

const SPELLINGS: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  'rack': 'RAck',
  'rseq': 'RSeq',
  'session-id': 'Session-ID',
  'p-asserted-identity': 'P-Asserted-Identity',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
};

/** The usual spelling of a header field, for messages we build and for error texts. */
export function headerLabel(keyOrName: string): string {
  const key = headerKey(keyOrName);
  return SPELLINGS[key] ?? key.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/**
 * Header fields whose grammar is a comma-separated list (RFC 3261 7.3.1: such lines may be combined or split).
 * Everything else, notably the authentication fields and Date, is one value per line and is never split.
 */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'accept-contact',
  'accept-encoding',
  'accept-language',
  'alert-info',
  'allow',
  'allow-events',
  'call-info',
  'contact',
  'content-encoding',
  'content-language',
  'error-info',
  'history-info',
  'in-reply-to',
  'p-asserted-identity',
  'p-associated-uri',
  'p-preferred-identity',
  'path',
  'proxy-require',
  'reason',
  'record-route',
  'recv-info',
  'reject-contact',
  'request-disposition',
  'require',
  'route',
  'security-client',
  'security-server',
  'security-verify',
  'service-route',
  'supported',
  'unsupported',
  'via',
  'warning',
]);

/** Fields a message carries at most once (RFC 3261 7.3 / 20); duplicates make a request unusable (RFC 4475 3.3.8, 3.3.9). */
export const SINGLE_HEADERS: ReadonlySet<string> = new Set(['call-id', 'cseq', 'from', 'to', 'content-length']);
