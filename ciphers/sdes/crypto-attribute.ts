// RFC 4568 `a=crypto` attributes: parse (lenient where peers differ, exact about key lengths) and emit (IANA suite
// names, padded base64).
//   crypto:<tag> <crypto-suite> <key-params> [<session-param> ...]
//   key-params = key-param *(";" key-param)      several keys need an MKI each
//   key-param  = "inline:" <base64(key||salt)> ["|" lifetime] ["|" mki-value ":" mki-length]
//   lifetime   = ["2^"] 1*DIGIT                   mki-length 1..128 bytes
import { SRTP_SUITES, isSrtpSuiteName, type SrtpSuite, type SrtpSuiteName } from '../srtp/suites.js';
import { decodeBase64Lenient, encodeBase64 } from './base64.js';
import { SdesError } from './errors.js';

/** Non-IANA suite names seen in the wild and the suite they mean (anchors 7.2). */
const SUITE_ALIASES: Readonly<Record<string, SrtpSuiteName>> = {
  AES_CM_256_HMAC_SHA1_80: 'AES_256_CM_HMAC_SHA1_80',
  AES_CM_256_HMAC_SHA1_32: 'AES_256_CM_HMAC_SHA1_32',
  AES_CM_192_HMAC_SHA1_80: 'AES_192_CM_HMAC_SHA1_80',
  AES_CM_192_HMAC_SHA1_32: 'AES_192_CM_HMAC_SHA1_32',
  AEAD_AES_128_GCM_8: 'AEAD_AES_128_GCM',
  AEAD_AES_256_GCM_8: 'AEAD_AES_256_GCM',
};

/** Names of the 8-byte-tag GCM variants (FreeSWITCH, pjsip, libsrtp `_8` policies): parsed, but not a suite we run. */
const GCM_TAG8 = new Set(['AEAD_AES_128_GCM_8', 'AEAD_AES_256_GCM_8']);

/** Suites RFC 4568 and friends define that trustline does not implement (a clearer error than "unknown"). */
const UNSUPPORTED = new Set(['F8_128_HMAC_SHA1_80', 'F8_128_HMAC_SHA1_32', 'SEED_CTR_128_HMAC_SHA1_80', 'SEED_128_CCM_80', 'SEED_128_GCM_96']);

export const MAX_SDES_LIFETIME_EXPONENT = 64;

export interface SdesKeyParam {
  /** Master key and master salt, split per suite. */
  key: Buffer;
  salt: Buffer;
  /** Key lifetime in packets, when given. */
  lifetime?: number;
  /** MKI bytes (big-endian value in mkiLength bytes), when given. */
  mki?: Buffer;
}

export interface SdesSessionParams {
  /** KDR=n: key derivation rate 2^n packets (absent: derive once). */
  kdr?: number;
  unencryptedSrtp: boolean;
  unencryptedSrtcp: boolean;
  unauthenticatedSrtp: boolean;
  fecOrder?: 'FEC_SRTP' | 'SRTP_FEC';
  /** FEC_KEY=key-params, kept as written (FEC is not implemented). */
  fecKey?: string;
  /** WSH=n: replay window size hint in packets. */
  wsh?: number;
  /** Session parameters we do not know, verbatim, in order. */
  unknown: string[];
}

export interface SdesCryptoAttribute {
  tag: number;
  /** IANA suite this attribute means. */
  suite: SrtpSuiteName;
  /** The suite name as written (an alias or another case when it differs from `suite`). */
  suiteText: string;
  /** Set for AEAD_AES_*_GCM_8: an 8-byte GCM tag, which SrtpPolicy cannot express (sdesToPolicy refuses it). */
  gcmTagLength?: 8;
  keys: SdesKeyParam[];
  params: SdesSessionParams;
}

const DIGITS = /^[0-9]+$/;

/** Parses one a=crypto attribute: a full `a=crypto:...` line, `crypto:...`, or just the value `1 SUITE inline:...`. */
export function parseCryptoAttribute(input: string): SdesCryptoAttribute {
  if (typeof input !== 'string') throw new SdesError('attribute', String(input), 'must be a string');
  let text = input.trim();
  if (/^a=/i.test(text)) text = text.slice(2);
  if (/^crypto:/i.test(text)) text = text.slice(7);
  const parts = text.split(/[ \t]+/).filter((p) => p.length > 0);
  if (parts.length < 3) throw new SdesError('attribute', input, 'needs <tag> <crypto-suite> <key-params>');
  const [tagText, suiteText, keyText, ...paramTexts] = parts as [string, string, string, ...string[]];
  if (!DIGITS.test(tagText) || tagText.length > 9) throw new SdesError('tag', tagText, 'must be 1 to 9 decimal digits');
  const tag = Number(tagText);
  const { suite, gcmTagLength } = parseSuiteName(suiteText);
  const s = SRTP_SUITES[suite];
  const keys = parseKeyParams(keyText, s, 'key-params');
  const params = parseSessionParams(paramTexts);
  const attr: SdesCryptoAttribute = { tag, suite, suiteText, keys, params };
  if (gcmTagLength) attr.gcmTagLength = gcmTagLength;
  return attr;
}

function parseSuiteName(text: string): { suite: SrtpSuiteName; gcmTagLength?: 8 } {
  const upper = text.toUpperCase();
  if (isSrtpSuiteName(upper)) return { suite: upper };
  const alias = SUITE_ALIASES[upper];
  if (alias) return GCM_TAG8.has(upper) ? { suite: alias, gcmTagLength: 8 } : { suite: alias };
  if (UNSUPPORTED.has(upper)) throw new SdesError('crypto-suite', text, 'is a registered suite trustline does not implement');
  throw new SdesError('crypto-suite', text, 'is not a known SRTP crypto-suite');
}

/** key-params: one or more `inline:` keys separated by ';' (MKI then required on each, all the same length). */
export function parseKeyParams(text: string, suite: SrtpSuite, field: string): SdesKeyParam[] {
  const items = text.split(';');
  const keys = items.map((item, i) => parseKeyParam(item, suite, items.length > 1 ? `${field}[${i}]` : field));
  if (keys.length > 1) {
    keys.forEach((k, i) => {
      if (!k.mki) throw new SdesError(`${field}[${i}].mki`, items[i]!, 'an MKI is required when several keys are given');
      if (k.mki.length !== keys[0]!.mki!.length) throw new SdesError(`${field}[${i}].mki`, items[i]!, `MKI length ${k.mki.length} differs from the first key's ${keys[0]!.mki!.length}`);
    });
    const seen = new Set<string>();
    keys.forEach((k, i) => {
      const h = k.mki!.toString('hex');
      if (seen.has(h)) throw new SdesError(`${field}[${i}].mki`, items[i]!, 'the same MKI value is given twice');
      seen.add(h);
    });
  }
  return keys;
}

function parseKeyParam(text: string, suite: SrtpSuite, field: string): SdesKeyParam {
  const colon = text.indexOf(':');
  if (colon < 0) throw new SdesError(field, text, "must be 'inline:<base64 key||salt>...'");
  const method = text.slice(0, colon);
  if (method.toLowerCase() !== 'inline') throw new SdesError(`${field}.key-method`, method, "only the 'inline' key method is defined for SRTP");
  const fields = text.slice(colon + 1).split('|');
  if (fields.length > 3) throw new SdesError(field, text, 'has more than key|lifetime|mki');
  const b64 = fields[0]!;
  const decoded = decodeBase64Lenient(b64);
  if ('error' in decoded) throw new SdesError(`${field}.key-salt`, b64, decoded.error);
  const need = suite.keyLen + suite.saltLen;
  if (decoded.bytes.length !== need) {
    throw new SdesError(
      `${field}.key-salt`,
      b64,
      `decodes to ${decoded.bytes.length} bytes, ${suite.name} needs ${need} (${suite.keyLen}-byte key + ${suite.saltLen}-byte salt)`,
    );
  }
  const out: SdesKeyParam = { key: decoded.bytes.subarray(0, suite.keyLen), salt: decoded.bytes.subarray(suite.keyLen) };
  let rest = fields.slice(1);
  if (rest.length === 2) {
    out.lifetime = parseLifetime(rest[0]!, `${field}.lifetime`);
    rest = rest.slice(1);
  } else if (rest.length === 1 && !rest[0]!.includes(':')) {
    out.lifetime = parseLifetime(rest[0]!, `${field}.lifetime`);
    rest = [];
  }
  if (rest.length === 1) out.mki = parseMki(rest[0]!, `${field}.mki`);
  return out;
}

function parseLifetime(text: string, field: string): number {
  if (text.startsWith('2^')) {
    const e = text.slice(2);
    if (!DIGITS.test(e) || e.length > 3 || Number(e) > MAX_SDES_LIFETIME_EXPONENT) throw new SdesError(field, text, `must be 2^n with n in 0..${MAX_SDES_LIFETIME_EXPONENT}`);
    return 2 ** Number(e);
  }
  if (!DIGITS.test(text) || text.length > 20) throw new SdesError(field, text, "must be a decimal packet count or '2^n'");
  const n = Number(text);
  if (n < 1) throw new SdesError(field, text, 'must be at least 1 packet');
  return n;
}

function parseMki(text: string, field: string): Buffer {
  const m = /^([0-9]{1,310}):([0-9]{1,3})$/.exec(text);
  if (!m) throw new SdesError(field, text, "must be '<decimal value>:<length in bytes>'");
  const length = Number(m[2]);
  if (length < 1 || length > 128) throw new SdesError(field, text, 'MKI length must be 1..128 bytes');
  const value = BigInt(m[1]!);
  if (value >> BigInt(8 * length) !== 0n) throw new SdesError(field, text, `MKI value does not fit in ${length} byte(s)`);
  const bytes = Buffer.alloc(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return bytes;
}

function parseSessionParams(texts: string[]): SdesSessionParams {
  const p: SdesSessionParams = { unencryptedSrtp: false, unencryptedSrtcp: false, unauthenticatedSrtp: false, unknown: [] };
  for (const t of texts) {
    const eq = t.indexOf('=');
    const name = (eq < 0 ? t : t.slice(0, eq)).toUpperCase();
    const value = eq < 0 ? '' : t.slice(eq + 1);
    switch (name) {
      case 'UNENCRYPTED_SRTP':
        p.unencryptedSrtp = true;
        break;
      case 'UNENCRYPTED_SRTCP':
        p.unencryptedSrtcp = true;
        break;
      case 'UNAUTHENTICATED_SRTP':
        p.unauthenticatedSrtp = true;
        break;
      case 'KDR':
        if (!/^[0-9]{1,2}$/.test(value) || Number(value) > 24) throw new SdesError('KDR', t, 'must be KDR=n with n in 0..24 (rate 2^n)');
        p.kdr = 2 ** Number(value);
        break;
      case 'WSH':
        if (!/^[0-9]{2,9}$/.test(value) || Number(value) < 64) throw new SdesError('WSH', t, 'must be WSH=n with n >= 64');
        p.wsh = Number(value);
        break;
      case 'FEC_ORDER':
        if (value !== 'FEC_SRTP' && value !== 'SRTP_FEC') throw new SdesError('FEC_ORDER', t, "must be FEC_ORDER=FEC_SRTP or FEC_ORDER=SRTP_FEC");
        p.fecOrder = value;
        break;
      case 'FEC_KEY':
        if (!value.toLowerCase().startsWith('inline:')) throw new SdesError('FEC_KEY', t, "must be FEC_KEY=inline:...");
        p.fecKey = value;
        break;
      default:
        p.unknown.push(t);
    }
  }
  return p;
}

function formatLifetime(n: number): string {
  const e = Math.log2(n);
  return Number.isInteger(e) ? `2^${e}` : String(n);
}

function formatMki(mki: Uint8Array): string {
  let v = 0n;
  for (const b of mki) v = (v << 8n) | BigInt(b);
  return `${v}:${mki.length}`;
}

function formatKeyParam(k: SdesKeyParam): string {
  let s = `inline:${encodeBase64(Buffer.concat([k.key, k.salt]))}`;
  if (k.lifetime !== undefined) s += `|${formatLifetime(k.lifetime)}`;
  if (k.mki) s += `|${formatMki(k.mki)}`;
  return s;
}

/** The attribute value: `<tag> <IANA suite> inline:...[;inline:...] [params]` (no `a=crypto:` prefix). */
export function formatCryptoAttribute(attr: SdesCryptoAttribute): string {
  const suite = attr.gcmTagLength === 8 ? `${attr.suite}_8` : attr.suite;
  const parts = [String(attr.tag), suite, attr.keys.map(formatKeyParam).join(';')];
  const p = attr.params;
  if (p.kdr !== undefined) parts.push(`KDR=${Math.log2(p.kdr)}`);
  if (p.unencryptedSrtp) parts.push('UNENCRYPTED_SRTP');
  if (p.unencryptedSrtcp) parts.push('UNENCRYPTED_SRTCP');
  if (p.unauthenticatedSrtp) parts.push('UNAUTHENTICATED_SRTP');
  if (p.fecOrder) parts.push(`FEC_ORDER=${p.fecOrder}`);
  if (p.fecKey) parts.push(`FEC_KEY=${p.fecKey}`);
  if (p.wsh !== undefined) parts.push(`WSH=${p.wsh}`);
  parts.push(...p.unknown);
  return parts.join(' ');
}

/** The full SDP line `a=crypto:...`. */
export function formatCryptoLine(attr: SdesCryptoAttribute): string {
  return `a=crypto:${formatCryptoAttribute(attr)}`;
}
