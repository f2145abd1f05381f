// HTTP Digest for SIP (RFC 3261 22, RFC 2617; MD5 as CUCM uses, optional qop=auth): the header codec, the
// response computation both sides share, and stateless nonces that carry their issue time (so "Nonce Validity
// Time" and stale=true need no table). Wire codec and pure functions only; who is challenged is decided above.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm?: string;
  qop?: string;
  opaque?: string;
  stale?: boolean;
}

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

export class DigestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigestError';
  }
}

/** Parameters of `Digest k=v, k="v"...` (quoted values unescaped; names lower-cased). */
export function parseDigestParams(value: string): Map<string, string> {
  const v = value.trim();
  const m = /^digest\s+/i.exec(v);
  if (!m) throw new DigestError(`not a Digest value: ${JSON.stringify(v.slice(0, 40))}`);
  const out = new Map<string, string>();
  let i = m[0].length;
  const n = v.length;
  while (i < n) {
    while (i < n && (v[i] === ' ' || v[i] === '\t' || v[i] === ',')) i++;
    if (i >= n) break;
    const eq = v.indexOf('=', i);
    if (eq < 0) throw new DigestError(`parameter without "=" at offset ${i} of ${JSON.stringify(v.slice(0, 80))}`);
    const name = v.slice(i, eq).trim().toLowerCase();
    if (!/^[a-z0-9_-]+$/.test(name)) throw new DigestError(`bad parameter name ${JSON.stringify(name)} at offset ${i}`);
    i = eq + 1;
    while (i < n && (v[i] === ' ' || v[i] === '\t')) i++;
    let val = '';
    if (v[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new DigestError(`unterminated quoted value of ${name}`);
        const c = v[i]!;
        if (c === '\\' && i + 1 < n) {
          val += v[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          val += c;
          i++;
        }
      }
    } else {
      const e = v.indexOf(',', i);
      val = (e < 0 ? v.slice(i) : v.slice(i, e)).trim();
      i = e < 0 ? n : e;
    }
    if (out.has(name)) throw new DigestError(`parameter ${name} appears twice`);
    out.set(name, val);
  }
  return out;
}

function need(p: Map<string, string>, k: string, what: string): string {
  const v = p.get(k);
  if (v === undefined) throw new DigestError(`${what} has no ${k}`);
  return v;
}

export function parseChallenge(value: string): DigestChallenge {
  const p = parseDigestParams(value);
  const c: DigestChallenge = { realm: need(p, 'realm', 'challenge'), nonce: need(p, 'nonce', 'challenge') };
  if (p.has('algorithm')) c.algorithm = p.get('algorithm')!;
  if (p.has('qop')) c.qop = p.get('qop')!;
  if (p.has('opaque')) c.opaque = p.get('opaque')!;
  if (p.has('stale')) c.stale = p.get('stale')!.toLowerCase() === 'true';
  return c;
}

export function parseCredentials(value: string): DigestCredentials {
  const p = parseDigestParams(value);
  const what = 'Authorization';
  const c: DigestCredentials = {
    username: need(p, 'username', what),
    realm: need(p, 'realm', what),
    nonce: need(p, 'nonce', what),
    uri: need(p, 'uri', what),
    response: need(p, 'response', what),
  };
  for (const k of ['algorithm', 'qop', 'nc', 'cnonce', 'opaque'] as const) if (p.has(k)) c[k] = p.get(k)!;
  return c;
}

const q = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;

export function formatChallenge(c: DigestChallenge): string {
  let s = `Digest realm=${q(c.realm)}, nonce=${q(c.nonce)}`;
  if (c.opaque !== undefined) s += `, opaque=${q(c.opaque)}`;
  if (c.qop) s += `, qop=${q(c.qop)}`;
  if (c.stale) s += ', stale=TRUE';
  s += `, algorithm=${c.algorithm ?? 'MD5'}`;
  return s;
}

export function formatCredentials(c: DigestCredentials): string {
  let s = `Digest username=${q(c.username)}, realm=${q(c.realm)}, nonce=${q(c.nonce)}, uri=${q(c.uri)}, response=${q(c.response)}`;
  s += `, algorithm=${c.algorithm ?? 'MD5'}`;
  if (c.cnonce !== undefined) s += `, cnonce=${q(c.cnonce)}`;
  if (c.opaque !== undefined) s += `, opaque=${q(c.opaque)}`;
  if (c.qop) s += `, qop=${c.qop}, nc=${c.nc ?? '00000001'}`;
  return s;
}

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** HA1 = MD5(username:realm:password): what CUCM stores as the "credentials checksum". */
export function digestHa1(username: string, realm: string, password: string): string {
  return md5(`${username}:${realm}:${password}`);
}

/** request-digest of RFC 2617 3.2.2.1 (qop absent or "auth"). */
export function digestResponse(ha1: string, method: string, c: Pick<DigestCredentials, 'nonce' | 'uri' | 'qop' | 'nc' | 'cnonce'>): string {
  const ha2 = md5(`${method}:${c.uri}`);
  if (c.qop === 'auth') return md5(`${ha1}:${c.nonce}:${c.nc ?? ''}:${c.cnonce ?? ''}:auth:${ha2}`);
  return md5(`${ha1}:${c.nonce}:${ha2}`);
}

/** Compares a received response with the expected one in constant time. */
export function checkDigestResponse(ha1: string, method: string, c: DigestCredentials): boolean {
  if (c.algorithm && c.algorithm.toUpperCase() !== 'MD5') return false;
  if (c.qop !== undefined && c.qop !== 'auth') return false;
  if (c.qop === 'auth' && (!c.nc || !c.cnonce)) return false;
  const expected = Buffer.from(digestResponse(ha1, method, c), 'latin1');
  const got = Buffer.from(c.response.toLowerCase(), 'latin1');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** Client side: the Authorization (or Proxy-Authorization) value answering a challenge. */
export function answerChallenge(challenge: DigestChallenge, method: string, uri: string, username: string, password: string, nc = 1): string {
  if (challenge.algorithm && challenge.algorithm.toUpperCase() !== 'MD5') throw new DigestError(`digest algorithm ${challenge.algorithm} is not supported (MD5 only)`);
  const ha1 = digestHa1(username, challenge.realm, password);
  const qop = challenge.qop?.split(',').map((s) => s.trim()).includes('auth') ? 'auth' : undefined;
  const c: DigestCredentials = { username, realm: challenge.realm, nonce: challenge.nonce, uri, response: '', algorithm: 'MD5' };
  if (challenge.opaque !== undefined) c.opaque = challenge.opaque;
  if (qop) {
    c.qop = qop;
    c.nc = nc.toString(16).padStart(8, '0');
    c.cnonce = randomBytes(8).toString('hex');
  }
  c.response = digestResponse(ha1, method, c);
  return formatCredentials(c);
}

export type NonceCheck = 'valid' | 'stale' | 'invalid';

/**
 * Nonces of 32 base64url characters: issue time (48-bit ms), 8 random bytes, and 10 bytes of HMAC-SHA256 over both
 * under a per-server secret. A nonce is ours if its MAC checks; it is stale once older than the validity time.
 */
export class NonceService {
  private readonly secret: Buffer;

  constructor(secret?: Buffer) {
    this.secret = secret ?? randomBytes(32);
  }

  issue(nowMs: number): string {
    const b = Buffer.allocUnsafe(24);
    b.writeUIntBE(Math.floor(nowMs), 0, 6);
    randomBytes(8).copy(b, 6);
    createHmac('sha256', this.secret).update(b.subarray(0, 14)).digest().copy(b, 14, 0, 10);
    return b.toString('base64url');
  }

  check(nonce: string, validityMs: number, nowMs: number): NonceCheck {
    if (nonce.length !== 32) return 'invalid';
    const b = Buffer.from(nonce, 'base64url');
    if (b.length !== 24) return 'invalid';
    const mac = createHmac('sha256', this.secret).update(b.subarray(0, 14)).digest().subarray(0, 10);
    if (!timingSafeEqual(mac, b.subarray(14))) return 'invalid';
    const issued = b.readUIntBE(0, 6);
    if (issued > nowMs + 60_000) return 'invalid';
    return nowMs - issued > validityMs ? 'stale' : 'valid';
  }
}
