// Server side of digest authentication for one realm: what to answer a request (401 with a fresh or stale nonce,
// 403, 400, or go ahead), with the reason for the journal. Used for phones (realm = "SIP Station Realm") and for
// trunks (realm = the Cluster ID enterprise parameter).
import type { SipRequest } from '../message/index.js';
import { type DigestCredentials, DigestError, NonceService, checkDigestResponse, formatChallenge, parseCredentials } from './digest.js';

export type DigestVerdict =
  | { result: 'ok'; username: string }
  /** Answer 401 with `wwwAuthenticate`. */
  | { result: 'challenge'; stale: boolean; reason: string; wwwAuthenticate: string }
  | { result: 'forbidden'; reason: string; username?: string }
  | { result: 'bad-request'; reason: string };

/** HA1 of a user in this realm; undefined when the user is unknown, null when no credentials are configured. */
export type Ha1Lookup = (username: string) => string | null | undefined;

export interface DigestAuthenticatorOptions {
  realm: string;
  /** Offer qop="auth" in challenges (CUCM's challenges carry none; default false). */
  qop?: boolean;
  nonces?: NonceService;
  now?: () => number;
}

export class DigestAuthenticator {
  readonly realm: string;
  private readonly qop: boolean;
  readonly nonces: NonceService;
  private readonly now: () => number;

  constructor(opts: DigestAuthenticatorOptions) {
    this.realm = opts.realm;
    this.qop = opts.qop ?? false;
    this.nonces = opts.nonces ?? new NonceService();
    this.now = opts.now ?? Date.now;
  }

  /** A WWW-Authenticate value with a new nonce. */
  challenge(stale = false): string {
    return formatChallenge({ realm: this.realm, nonce: this.nonces.issue(this.now()), algorithm: 'MD5', ...(this.qop ? { qop: 'auth' } : {}), ...(stale ? { stale: true } : {}) });
  }

  /** The credentials for this realm in a request, or undefined; throws DigestError on a malformed one. */
  credentials(req: SipRequest, header = 'authorization'): DigestCredentials | undefined {
    let firstError: DigestError | undefined;
    for (const v of req.getAll(header)) {
      try {
        const c = parseCredentials(v);
        if (c.realm === this.realm) return c;
      } catch (e) {
        if (!(e instanceof DigestError)) throw e;
        firstError ??= e;
      }
    }
    if (firstError) throw firstError;
    return undefined;
  }

  /**
   * Decides on a request. `expectedUser`, when given, is the only username accepted (a device's digest user).
   * Order: credentials present and for our realm, nonce ours, user known and configured, response right, nonce
   * still valid (a right answer on an expired nonce gets 401 stale=true, RFC 2617 3.2.1).
   */
  verify(req: SipRequest, lookup: Ha1Lookup, validityMs: number, expectedUser?: string): DigestVerdict {
    let c: DigestCredentials | undefined;
    try {
      c = this.credentials(req);
    } catch (e) {
      return { result: 'bad-request', reason: `malformed Authorization: ${(e as Error).message}` };
    }
    if (!c) {
      const other = req.getAll('authorization').length > 0;
      return { result: 'challenge', stale: false, reason: other ? `credentials are not for realm "${this.realm}"` : 'no credentials', wwwAuthenticate: this.challenge() };
    }
    const nonce = this.nonces.check(c.nonce, validityMs, this.now());
    if (nonce === 'invalid') return { result: 'challenge', stale: false, reason: 'nonce was not issued by this server', wwwAuthenticate: this.challenge() };
    if (expectedUser !== undefined && c.username !== expectedUser)
      return { result: 'forbidden', reason: `digest user "${c.username}" is not the device's digest user "${expectedUser}"`, username: c.username };
    const ha1 = lookup(c.username);
    if (ha1 === undefined) return { result: 'forbidden', reason: `unknown digest user "${c.username}"`, username: c.username };
    if (ha1 === null) return { result: 'forbidden', reason: `digest user "${c.username}" has no digest credentials configured`, username: c.username };
    if (!uriMatches(c.uri, req.uri)) return { result: 'bad-request', reason: `digest uri "${c.uri}" differs from the Request-URI "${req.uri}"` };
    if (!checkDigestResponse(ha1, req.method, c)) return { result: 'forbidden', reason: `wrong digest response for user "${c.username}" (password mismatch)`, username: c.username };
    if (nonce === 'stale') return { result: 'challenge', stale: true, reason: `nonce older than the nonce validity time (${Math.round(validityMs / 1000)} s)`, wwwAuthenticate: this.challenge(true) };
    return { result: 'ok', username: c.username };
  }
}

/** RFC 2617 3.2.2.5: digest-uri and Request-URI name the same resource (compared as text, case-insensitive scheme/host). */
function uriMatches(a: string, b: string): boolean {
  if (a === b) return true;
  return a.toLowerCase() === b.toLowerCase();
}
