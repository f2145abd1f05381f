// Every TLS cipher suite trustline can name: IANA name, code point, OpenSSL name and what the suite is made of.
// Code points are from the IANA TLS registry (RFC 5246, 5288, 5289, 8422, 7905, 8446), cross-checked in
// test/tls/suite-catalogue.test.ts against `openssl ciphers -V`. Used by the cipher policy (engine/tls) and by
// anything that has to put a name on a suite seen on the wire (cipher-fallback prober, ClientHello logs).
import tls from 'node:tls';

export type TlsVersionName = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** Oldest first; index order is protocol order. */
export const TLS_VERSIONS: readonly TlsVersionName[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Wire value of each version (ClientHello legacy_version / supported_versions). */
export const TLS_VERSION_CODES: Readonly<Record<TlsVersionName, number>> = {
  TLSv1: 0x0301,
  'TLSv1.1': 0x0302,
  'TLSv1.2': 0x0303,
  'TLSv1.3': 0x0304,
};

/** 'any': TLS 1.3 suites carry no key exchange / authentication (chosen by groups and signature_algorithms). */
export type KeyExchange = 'RSA' | 'ECDHE' | 'DHE' | 'any';
/** Which server certificate a suite needs. 'none' = anonymous suites (catalogued to be named, never offered). */
export type Authentication = 'RSA' | 'ECDSA' | 'none' | 'any';
export type BulkCipher =
  | 'NULL'
  | 'RC4-128'
  | '3DES-EDE-CBC'
  | 'AES-128-CBC'
  | 'AES-256-CBC'
  | 'AES-128-GCM'
  | 'AES-256-GCM'
  | 'AES-128-CCM'
  | 'AES-128-CCM-8'
  | 'CAMELLIA-128-CBC'
  | 'CAMELLIA-256-CBC'
  | 'CHACHA20-POLY1305';
/** Record MAC; 'AEAD' for GCM/CCM/ChaCha20-Poly1305 (the hash then only drives the PRF). */
export type RecordMac = 'MD5' | 'SHA1' | 'SHA256' | 'SHA384' | 'AEAD';

export interface TlsSuite {
  /** IANA registry name, e.g. TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384. */
  readonly iana: string;
  /** Two-byte code point, e.g. 0xC030. */
  readonly code: number;
  /** OpenSSL name as used in cipher strings and reported by node's getCipher().name. */
  readonly openssl: string;
  /** Other OpenSSL spellings that name the same suite. */
  readonly opensslAliases: readonly string[];
  readonly keyExchange: KeyExchange;
  readonly authentication: Authentication;
  readonly encryption: BulkCipher;
  readonly mac: RecordMac;
  /** Protocol versions the suite can be negotiated in. */
  readonly versions: readonly TlsVersionName[];
  /** True when records are not encrypted (CUCM "Authenticated" mode uses TLS_RSA_WITH_NULL_SHA). */
  readonly nullCipher: boolean;
  readonly aead: boolean;
}

/** Code points that appear in cipher_suites lists but are signals, not suites. */
export const TLS_SIGNALLING_CODES: Readonly<Record<number, string>> = {
  0x00ff: 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV',
  0x5600: 'TLS_FALLBACK_SCSV',
};

/** RFC 8701 GREASE values (0x0A0A, 0x1A1A, ... 0xFAFA). */
export function isGrease(code: number): boolean {
  return (code & 0x0f0f) === 0x0a0a && code >> 8 === (code & 0xff);
}

const V10_12: readonly TlsVersionName[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2'];
const V12: readonly TlsVersionName[] = ['TLSv1.2'];
const V13: readonly TlsVersionName[] = ['TLSv1.3'];

function suite(
  code: number,
  iana: string,
  openssl: string,
  keyExchange: KeyExchange,
  authentication: Authentication,
  encryption: BulkCipher,
  mac: RecordMac,
  versions: readonly TlsVersionName[],
  opensslAliases: readonly string[] = [],
): TlsSuite {
  const aead = mac === 'AEAD';
  return { iana, code, openssl, opensslAliases, keyExchange, authentication, encryption, mac, versions, nullCipher: encryption === 'NULL', aead };
}

export const TLS_SUITES: readonly TlsSuite[] = [
  // Static RSA key exchange.
  suite(0x0001, 'TLS_RSA_WITH_NULL_MD5', 'NULL-MD5', 'RSA', 'RSA', 'NULL', 'MD5', V10_12),
  suite(0x0002, 'TLS_RSA_WITH_NULL_SHA', 'NULL-SHA', 'RSA', 'RSA', 'NULL', 'SHA1', V10_12),
  suite(0x003b, 'TLS_RSA_WITH_NULL_SHA256', 'NULL-SHA256', 'RSA', 'RSA', 'NULL', 'SHA256', V12),
  suite(0x0004, 'TLS_RSA_WITH_RC4_128_MD5', 'RC4-MD5', 'RSA', 'RSA', 'RC4-128', 'MD5', V10_12),
  suite(0x0005, 'TLS_RSA_WITH_RC4_128_SHA', 'RC4-SHA', 'RSA', 'RSA', 'RC4-128', 'SHA1', V10_12),
  suite(0x000a, 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'DES-CBC3-SHA', 'RSA', 'RSA', '3DES-EDE-CBC', 'SHA1', V10_12),
  suite(0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA', 'AES128-SHA', 'RSA', 'RSA', 'AES-128-CBC', 'SHA1', V10_12),
  suite(0x0035, 'TLS_RSA_WITH_AES_256_CBC_SHA', 'AES256-SHA', 'RSA', 'RSA', 'AES-256-CBC', 'SHA1', V10_12),
  suite(0x003c, 'TLS_RSA_WITH_AES_128_CBC_SHA256', 'AES128-SHA256', 'RSA', 'RSA', 'AES-128-CBC', 'SHA256', V12),
  suite(0x003d, 'TLS_RSA_WITH_AES_256_CBC_SHA256', 'AES256-SHA256', 'RSA', 'RSA', 'AES-256-CBC', 'SHA256', V12),
  suite(0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256', 'RSA', 'RSA', 'AES-128-GCM', 'AEAD', V12),
  suite(0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384', 'RSA', 'RSA', 'AES-256-GCM', 'AEAD', V12),
  suite(0x0041, 'TLS_RSA_WITH_CAMELLIA_128_CBC_SHA', 'CAMELLIA128-SHA', 'RSA', 'RSA', 'CAMELLIA-128-CBC', 'SHA1', V10_12),
  suite(0x0084, 'TLS_RSA_WITH_CAMELLIA_256_CBC_SHA', 'CAMELLIA256-SHA', 'RSA', 'RSA', 'CAMELLIA-256-CBC', 'SHA1', V10_12),
  suite(0x00ba, 'TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256', 'CAMELLIA128-SHA256', 'RSA', 'RSA', 'CAMELLIA-128-CBC', 'SHA256', V12),
  suite(0x00c0, 'TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256', 'CAMELLIA256-SHA256', 'RSA', 'RSA', 'CAMELLIA-256-CBC', 'SHA256', V12),
  suite(0xc09c, 'TLS_RSA_WITH_AES_128_CCM', 'AES128-CCM', 'RSA', 'RSA', 'AES-128-CCM', 'AEAD', V12),
  // Finite-field DHE with an RSA certificate.
  suite(0x0016, 'TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA', 'EDH-RSA-DES-CBC3-SHA', 'DHE', 'RSA', '3DES-EDE-CBC', 'SHA1', V10_12, ['DHE-RSA-DES-CBC3-SHA']),
  suite(0x0033, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 'DHE-RSA-AES128-SHA', 'DHE', 'RSA', 'AES-128-CBC', 'SHA1', V10_12),
  suite(0x0039, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA', 'DHE-RSA-AES256-SHA', 'DHE', 'RSA', 'AES-256-CBC', 'SHA1', V10_12),
  suite(0x0067, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256', 'DHE-RSA-AES128-SHA256', 'DHE', 'RSA', 'AES-128-CBC', 'SHA256', V12),
  suite(0x006b, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256', 'DHE-RSA-AES256-SHA256', 'DHE', 'RSA', 'AES-256-CBC', 'SHA256', V12),
  suite(0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'DHE-RSA-AES128-GCM-SHA256', 'DHE', 'RSA', 'AES-128-GCM', 'AEAD', V12),
  suite(0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'DHE-RSA-AES256-GCM-SHA384', 'DHE', 'RSA', 'AES-256-GCM', 'AEAD', V12),
  suite(0x0045, 'TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA', 'DHE-RSA-CAMELLIA128-SHA', 'DHE', 'RSA', 'CAMELLIA-128-CBC', 'SHA1', V10_12),
  suite(0x0088, 'TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA', 'DHE-RSA-CAMELLIA256-SHA', 'DHE', 'RSA', 'CAMELLIA-256-CBC', 'SHA1', V10_12),
  suite(0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'DHE-RSA-CHACHA20-POLY1305', 'DHE', 'RSA', 'CHACHA20-POLY1305', 'AEAD', V12),
  // ECDHE with an RSA certificate.
  suite(0xc010, 'TLS_ECDHE_RSA_WITH_NULL_SHA', 'ECDHE-RSA-NULL-SHA', 'ECDHE', 'RSA', 'NULL', 'SHA1', V10_12),
  suite(0xc011, 'TLS_ECDHE_RSA_WITH_RC4_128_SHA', 'ECDHE-RSA-RC4-SHA', 'ECDHE', 'RSA', 'RC4-128', 'SHA1', V10_12),
  suite(0xc012, 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA', 'ECDHE-RSA-DES-CBC3-SHA', 'ECDHE', 'RSA', '3DES-EDE-CBC', 'SHA1', V10_12),
  suite(0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA', 'ECDHE', 'RSA', 'AES-128-CBC', 'SHA1', V10_12),
  suite(0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ECDHE-RSA-AES256-SHA', 'ECDHE', 'RSA', 'AES-256-CBC', 'SHA1', V10_12),
  suite(0xc027, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 'ECDHE-RSA-AES128-SHA256', 'ECDHE', 'RSA', 'AES-128-CBC', 'SHA256', V12),
  suite(0xc028, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 'ECDHE-RSA-AES256-SHA384', 'ECDHE', 'RSA', 'AES-256-CBC', 'SHA384', V12),
  suite(0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE', 'RSA', 'AES-128-GCM', 'AEAD', V12),
  suite(0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE', 'RSA', 'AES-256-GCM', 'AEAD', V12),
  suite(0xc076, 'TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256', 'ECDHE-RSA-CAMELLIA128-SHA256', 'ECDHE', 'RSA', 'CAMELLIA-128-CBC', 'SHA256', V12),
  suite(0xc077, 'TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384', 'ECDHE-RSA-CAMELLIA256-SHA384', 'ECDHE', 'RSA', 'CAMELLIA-256-CBC', 'SHA384', V12),
  suite(0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305', 'ECDHE', 'RSA', 'CHACHA20-POLY1305', 'AEAD', V12),
  // ECDHE with an ECDSA certificate (CUCM: the CallManager-ECDSA certificate).
  suite(0xc006, 'TLS_ECDHE_ECDSA_WITH_NULL_SHA', 'ECDHE-ECDSA-NULL-SHA', 'ECDHE', 'ECDSA', 'NULL', 'SHA1', V10_12),
  suite(0xc007, 'TLS_ECDHE_ECDSA_WITH_RC4_128_SHA', 'ECDHE-ECDSA-RC4-SHA', 'ECDHE', 'ECDSA', 'RC4-128', 'SHA1', V10_12),
  suite(0xc008, 'TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA', 'ECDHE-ECDSA-DES-CBC3-SHA', 'ECDHE', 'ECDSA', '3DES-EDE-CBC', 'SHA1', V10_12),
  suite(0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE', 'ECDSA', 'AES-128-CBC', 'SHA1', V10_12),
  suite(0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ECDHE-ECDSA-AES256-SHA', 'ECDHE', 'ECDSA', 'AES-256-CBC', 'SHA1', V10_12),
  suite(0xc023, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 'ECDHE-ECDSA-AES128-SHA256', 'ECDHE', 'ECDSA', 'AES-128-CBC', 'SHA256', V12),
  suite(0xc024, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE', 'ECDSA', 'AES-256-CBC', 'SHA384', V12),
  suite(0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE', 'ECDSA', 'AES-128-GCM', 'AEAD', V12),
  suite(0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE', 'ECDSA', 'AES-256-GCM', 'AEAD', V12),
  suite(0xc072, 'TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256', 'ECDHE-ECDSA-CAMELLIA128-SHA256', 'ECDHE', 'ECDSA', 'CAMELLIA-128-CBC', 'SHA256', V12),
  suite(0xc073, 'TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384', 'ECDHE-ECDSA-CAMELLIA256-SHA384', 'ECDHE', 'ECDSA', 'CAMELLIA-256-CBC', 'SHA384', V12),
  suite(0xc0ac, 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM', 'ECDHE-ECDSA-AES128-CCM', 'ECDHE', 'ECDSA', 'AES-128-CCM', 'AEAD', V12),
  suite(0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE', 'ECDSA', 'CHACHA20-POLY1305', 'AEAD', V12),
  // Anonymous (no certificate): on CUCM's always-disabled list (seed 001 L2324-2327); named, never offered.
  suite(0x0034, 'TLS_DH_anon_WITH_AES_128_CBC_SHA', 'ADH-AES128-SHA', 'DHE', 'none', 'AES-128-CBC', 'SHA1', V10_12),
  suite(0x003a, 'TLS_DH_anon_WITH_AES_256_CBC_SHA', 'ADH-AES256-SHA', 'DHE', 'none', 'AES-256-CBC', 'SHA1', V10_12),
  suite(0xc015, 'TLS_ECDH_anon_WITH_NULL_SHA', 'AECDH-NULL-SHA', 'ECDHE', 'none', 'NULL', 'SHA1', V10_12),
  suite(0xc018, 'TLS_ECDH_anon_WITH_AES_128_CBC_SHA', 'AECDH-AES128-SHA', 'ECDHE', 'none', 'AES-128-CBC', 'SHA1', V10_12),
  suite(0xc019, 'TLS_ECDH_anon_WITH_AES_256_CBC_SHA', 'AECDH-AES256-SHA', 'ECDHE', 'none', 'AES-256-CBC', 'SHA1', V10_12),
  // TLS 1.3 (RFC 8446 B.4): OpenSSL names them by their IANA names.
  suite(0x1301, 'TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256', 'any', 'any', 'AES-128-GCM', 'AEAD', V13),
  suite(0x1302, 'TLS_AES_256_GCM_SHA384', 'TLS_AES_256_GCM_SHA384', 'any', 'any', 'AES-256-GCM', 'AEAD', V13),
  suite(0x1303, 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_CHACHA20_POLY1305_SHA256', 'any', 'any', 'CHACHA20-POLY1305', 'AEAD', V13),
  suite(0x1304, 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_SHA256', 'any', 'any', 'AES-128-CCM', 'AEAD', V13),
  suite(0x1305, 'TLS_AES_128_CCM_8_SHA256', 'TLS_AES_128_CCM_8_SHA256', 'any', 'any', 'AES-128-CCM-8', 'AEAD', V13),
];

// Lookup: OpenSSL names exactly (case aside: "AES128_SHA" is not "AES128-SHA", as OpenSSL and CUCM say); IANA names
// upper case without '_', '-' and spaces, so that the informal spellings of Cisco's help pages
// ("TLS_ECDHE_RSA with AES256_GCM_SHA384", "TLS_RSA with AES_128_CBC_SHA1") meet the registry names.
function squeeze(name: string): string {
  let k = name.trim().toUpperCase().replace(/[\s_-]+/g, '');
  if (k.endsWith('SHA1')) k = k.slice(0, -1); // "..._CBC_SHA1" is the IANA "..._CBC_SHA"
  return k;
}

const BY_CODE = new Map<number, TlsSuite>();
const BY_OPENSSL = new Map<string, TlsSuite>();
const BY_IANA = new Map<string, TlsSuite>();
for (const s of TLS_SUITES) {
  if (BY_CODE.has(s.code)) throw new Error(`suite catalogue: duplicate code point 0x${s.code.toString(16)}`);
  BY_CODE.set(s.code, s);
  for (const n of [s.openssl, ...s.opensslAliases]) BY_OPENSSL.set(n.toUpperCase(), s);
  const k = squeeze(s.iana);
  if (BY_IANA.has(k)) throw new Error(`suite catalogue: ${s.iana} collides with ${BY_IANA.get(k)!.iana}`);
  BY_IANA.set(k, s);
}

/** Formats a code point the way IANA and `openssl ciphers -V` do, e.g. 0xC0,0x30. */
export function formatCode(code: number): string {
  const h = (b: number) => '0x' + b.toString(16).toUpperCase().padStart(2, '0');
  return `${h(code >> 8)},${h(code & 0xff)}`;
}

/** Parses "0xC030", "C030", "0xC0,0x30", "{0xC0,0x30}" or a number; undefined when the text is not a code point. */
export function parseCode(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 && text <= 0xffff ? text : undefined;
  const t = text.trim().replace(/^\{|\}$/g, '');
  let m = /^0x([0-9a-f]{1,2})\s*,\s*0x([0-9a-f]{1,2})$/i.exec(t);
  if (m) return (parseInt(m[1]!, 16) << 8) | parseInt(m[2]!, 16);
  m = /^(?:0x)?([0-9a-f]{4})$/i.exec(t);
  if (m && (t.toLowerCase().startsWith('0x') || /[0-9]/.test(t))) return parseInt(m[1]!, 16);
  return undefined;
}

/** Finds a suite by IANA name, OpenSSL name, Cisco help-page spelling or code point. */
export function findSuite(nameOrCode: string | number): TlsSuite | undefined {
  const code = parseCode(nameOrCode);
  if (code !== undefined) {
    const s = BY_CODE.get(code);
    if (s || typeof nameOrCode === 'number') return s;
  }
  if (typeof nameOrCode !== 'string') return undefined;
  const t = nameOrCode.trim().toUpperCase();
  return BY_OPENSSL.get(t) ?? (t.startsWith('TLS') ? BY_IANA.get(squeeze(t)) : undefined);
}

/** As findSuite, but throws an error naming the unknown suite. */
export function getSuite(nameOrCode: string | number): TlsSuite {
  const s = findSuite(nameOrCode);
  if (!s) {
    const shown = typeof nameOrCode === 'number' ? formatCode(nameOrCode) : JSON.stringify(nameOrCode);
    throw new Error(`unknown TLS cipher suite ${shown} (not in ciphers/tls/suite-catalogue.ts)`);
  }
  return s;
}

/** A name for any code point seen on the wire: the IANA name, the signalling value, GREASE, or the hex code. */
export function describeCode(code: number): string {
  const s = BY_CODE.get(code);
  if (s) return s.iana;
  if (TLS_SIGNALLING_CODES[code]) return TLS_SIGNALLING_CODES[code]!;
  if (isGrease(code)) return `GREASE(${formatCode(code)})`;
  return `unknown(${formatCode(code)})`;
}

export function suiteSupportsVersion(s: TlsSuite, v: TlsVersionName): boolean {
  return s.versions.includes(v);
}

const available = new Map<number, boolean>();

/**
 * Whether node's bundled OpenSSL can negotiate the suite at all (asked, not assumed: node 20's OpenSSL 3.0 has no
 * RC4 and no 3DES suites). Security level 0 so that NULL and legacy suites are judged on existence only.
 */
export function isSuiteAvailable(s: TlsSuite): boolean {
  let ok = available.get(s.code);
  if (ok === undefined) {
    try {
      if (s.versions.includes('TLSv1.3')) ok = tls.getCiphers().includes(s.openssl.toLowerCase());
      else {
        tls.createSecureContext({ ciphers: `${s.openssl}:@SECLEVEL=0` });
        ok = true;
      }
    } catch {
      ok = false;
    }
    available.set(s.code, ok);
  }
  return ok;
}
