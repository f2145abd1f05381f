// TLS wire codec for the prober: crafted ClientHellos (TLS 1.0-1.3) and strict readers for what a server sends back
// (records, ServerHello, Certificate, ServerKeyExchange, CertificateRequest, CertificateVerify, alerts). Raw hellos let
// the prober ask about suites node's OpenSSL cannot negotiate (3DES, RC4...) and read TLS <= 1.2 certificates without
// finishing a handshake, as testssl.sh and nmap do (research anchors 5). Bytes only: no sockets, no policy.
import { randomBytes } from 'node:crypto';
import { TLS_VERSION_CODES, type TlsVersionName } from '../ciphers/tls/suite-catalogue.js';

/** Bad bytes from the server: `element` names the structure, `offset` the byte within it (or within the stream). */
export class TlsWireError extends Error {
  constructor(
    readonly detail: string,
    readonly offset: number,
    readonly element: string,
  ) {
    super(`${element}: ${detail} (at byte ${offset})`);
    this.name = 'TlsWireError';
  }
}

export const CONTENT_TYPE = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23, heartbeat: 24 } as const;

export const HANDSHAKE_TYPE = {
  clientHello: 1,
  serverHello: 2,
  newSessionTicket: 4,
  encryptedExtensions: 8,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  finished: 20,
  certificateStatus: 22,
} as const;

const HANDSHAKE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(HANDSHAKE_TYPE).map(([k, v]) => [v, k]));

export function handshakeName(type: number): string {
  return HANDSHAKE_NAMES[type] ?? `handshake(${type})`;
}

/** RFC 8446 6 / RFC 5246 7.2 alert descriptions. */
export const ALERT_NAMES: Readonly<Record<number, string>> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  21: 'decryption_failed',
  22: 'record_overflow',
  30: 'decompression_failure',
  40: 'handshake_failure',
  41: 'no_certificate',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  60: 'export_restriction',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  100: 'no_renegotiation',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

export function alertName(description: number): string {
  return ALERT_NAMES[description] ?? `alert(${description})`;
}

/** SHA-256("HelloRetryRequest"): the ServerHello.random of a HelloRetryRequest (RFC 8446 4.1.3). */
export const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

/** Groups offered by default, in OpenSSL 3's default order (what `openssl s_client` sends). */
export const DEFAULT_GROUPS: readonly number[] = [29, 23, 30, 25, 24];

/** Signature schemes offered by default: OpenSSL 3's default list (s_client at level 0), SHA-1 pairs last. */
export const DEFAULT_SIGALGS: readonly number[] = [
  0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0303,
  0x0301, 0x0203, 0x0201,
];

const VERSION_BY_CODE = new Map<number, TlsVersionName>(Object.entries(TLS_VERSION_CODES).map(([n, c]) => [c, n as TlsVersionName]));

export function versionName(code: number): TlsVersionName | undefined {
  return VERSION_BY_CODE.get(code);
}

export function formatVersion(code: number): string {
  if (code === 0x0300) return 'SSLv3';
  return versionName(code) ?? `0x${code.toString(16).padStart(4, '0')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// ClientHello

export interface KeyShareEntry {
  group: number;
  /** The client's public key as it goes on the wire (X25519/X448 raw, NIST curves uncompressed point). */
  key: Buffer;
}

export interface ClientHelloSpec {
  /** Highest version offered (legacy_version for TLS <= 1.2 hellos). */
  version: TlsVersionName;
  /** When set, the supported_versions extension with these versions in this order (TLS 1.3 hellos). */
  supportedVersions?: readonly TlsVersionName[];
  /** Cipher suite code points, client preference order (signalling values may be included). */
  suites: readonly number[];
  /** supported_groups; omitted when undefined. */
  groups?: readonly number[];
  /** signature_algorithms; sent only when TLS 1.2 or 1.3 is offered. */
  sigalgs?: readonly number[];
  keyShares?: readonly KeyShareEntry[];
  /** SNI host name (never an IP literal, RFC 6066 3). */
  serverName?: string;
  /** Appends TLS_EMPTY_RENEGOTIATION_INFO_SCSV (default true for TLS <= 1.2 hellos). */
  renegotiationScsv?: boolean;
  /** Appends TLS_FALLBACK_SCSV (RFC 7507): a client retrying with a lower version. */
  fallbackScsv?: boolean;
  random?: Buffer;
  sessionId?: Buffer;
}

export interface BuiltClientHello {
  /** The whole record, ready to send. */
  record: Buffer;
  /** The handshake message (header included): the start of a TLS 1.3 transcript. */
  handshake: Buffer;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function vec(lenBytes: 1 | 2 | 3, body: Buffer): Buffer {
  const h = Buffer.alloc(lenBytes);
  h.writeUIntBE(body.length, 0, lenBytes);
  return Buffer.concat([h, body]);
}

function u16list(list: readonly number[]): Buffer {
  const b = Buffer.alloc(list.length * 2);
  list.forEach((v, i) => b.writeUInt16BE(v, i * 2));
  return b;
}

function ext(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), vec(2, data)]);
}

/** Builds a ClientHello record. Throws RangeError for a spec that cannot be encoded. */
export function buildClientHello(spec: ClientHelloSpec): BuiltClientHello {
  if (spec.suites.length === 0) throw new RangeError('ClientHello: no cipher suite to offer');
  const tls13 = spec.supportedVersions?.includes('TLSv1.3') ?? false;
  const offersTls12Plus = spec.version === 'TLSv1.2' || spec.version === 'TLSv1.3' || !!spec.supportedVersions?.some((v) => v === 'TLSv1.2' || v === 'TLSv1.3');
  const legacy = spec.supportedVersions ? 0x0303 : TLS_VERSION_CODES[spec.version];
  const suites = [...spec.suites];
  const onlyTls13 = spec.supportedVersions !== undefined && spec.supportedVersions.every((v) => v === 'TLSv1.3');
  if (spec.renegotiationScsv ?? !onlyTls13) suites.push(0x00ff);
  if (spec.fallbackScsv) suites.push(0x5600);
  const random = spec.random ?? randomBytes(32);
  if (random.length !== 32) throw new RangeError('ClientHello: random must be 32 bytes');
  const sessionId = spec.sessionId ?? (tls13 ? randomBytes(32) : Buffer.alloc(0));
  if (sessionId.length > 32) throw new RangeError('ClientHello: session id longer than 32 bytes');
  const exts: Buffer[] = [];
  if (spec.serverName) {
    const name = Buffer.from(spec.serverName, 'ascii');
    exts.push(ext(0, vec(2, Buffer.concat([Buffer.from([0]), vec(2, name)]))));
  }
  if (spec.groups && spec.groups.length) {
    exts.push(ext(10, vec(2, u16list(spec.groups))));
    exts.push(ext(11, vec(1, Buffer.from([0])))); // ec_point_formats: uncompressed
  }
  if (offersTls12Plus && spec.sigalgs && spec.sigalgs.length) exts.push(ext(13, vec(2, u16list(spec.sigalgs))));
  exts.push(ext(23, Buffer.alloc(0))); // extended_master_secret
  if (spec.supportedVersions) {
    exts.push(ext(43, vec(1, u16list(spec.supportedVersions.map((v) => TLS_VERSION_CODES[v])))));
    if (tls13) {
      exts.push(ext(45, vec(1, Buffer.from([1])))); // psk_key_exchange_modes: psk_dhe_ke
      const shares = (spec.keyShares ?? []).map((k) => Buffer.concat([u16(k.group), vec(2, k.key)]));
      exts.push(ext(51, vec(2, Buffer.concat(shares))));
    }
  }
  const body = Buffer.concat([
    u16(legacy),
    random,
    vec(1, sessionId),
    vec(2, u16list(suites)),
    vec(1, Buffer.from([0])), // compression: null only
    vec(2, Buffer.concat(exts)),
  ]);
  const handshake = Buffer.concat([Buffer.from([HANDSHAKE_TYPE.clientHello]), vec(3, body)]);
  if (handshake.length > 16384) throw new RangeError(`ClientHello of ${handshake.length} bytes does not fit one record`);
  const record = Buffer.concat([Buffer.from([CONTENT_TYPE.handshake, 3, 1]), vec(2, handshake)]);
  return { record, handshake };
}

// ---------------------------------------------------------------------------------------------------------------
// Readers

/** Bounds-checked reader over one structure; errors name the structure and the byte offset within it. */
export class WireReader {
  constructor(
    readonly b: Buffer,
    public o: number,
    readonly end: number,
    readonly element: string,
  ) {
    if (end > b.length) throw new TlsWireError(`length ${end} runs past the ${b.length} bytes received`, b.length, element);
  }
  get remaining(): number {
    return this.end - this.o;
  }
  fail(detail: string, at = this.o): never {
    throw new TlsWireError(detail, at, this.element);
  }
  need(n: number, field: string): void {
    if (this.o + n > this.end) this.fail(`${field} needs ${n} byte(s), ${this.end - this.o} left`);
  }
  u8(field: string): number {
    this.need(1, field);
    return this.b[this.o++]!;
  }
  u16(field: string): number {
    this.need(2, field);
    const v = this.b.readUInt16BE(this.o);
    this.o += 2;
    return v;
  }
  u24(field: string): number {
    this.need(3, field);
    const v = this.b.readUIntBE(this.o, 3);
    this.o += 3;
    return v;
  }
  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
  /** A length-prefixed vector, as a reader over its content. */
  vec(lenBytes: 1 | 2 | 3, field: string, min = 0): WireReader {
    const at = this.o;
    const n = lenBytes === 1 ? this.u8(field) : lenBytes === 2 ? this.u16(field) : this.u24(field);
    if (n < min) this.fail(`${field} is ${n} byte(s), at least ${min} expected`, at);
    this.need(n, field);
    const r = new WireReader(this.b, this.o, this.o + n, this.element);
    this.o += n;
    return r;
  }
  rest(): Buffer {
    const v = this.b.subarray(this.o, this.end);
    this.o = this.end;
    return v;
  }
  u16list(field: string): number[] {
    if (this.remaining % 2) this.fail(`${field} has an odd length (${this.remaining})`);
    const out: number[] = [];
    while (this.o < this.end) out.push(this.u16(field));
    return out;
  }
  done(): void {
    if (this.o !== this.end) this.fail(`${this.end - this.o} unexpected trailing byte(s)`);
  }
}

export interface TlsRecord {
  type: number;
  version: number;
  fragment: Buffer;
  /** Header bytes (for AEAD additional data). */
  header: Buffer;
  /** Offset of the record header in the received stream. */
  offset: number;
}

/** Largest record accepted: 2^14 plus the TLS 1.2 ciphertext expansion (RFC 5246 6.2.3). */
export const MAX_RECORD = 16384 + 2048;

function printable(b: Buffer): string {
  return b.toString('latin1').replace(/[^\x20-\x7e]/g, '.');
}

/**
 * Splits the bytes received so far into whole records. `base` is the stream offset of buf[0]. Returns the records and
 * how many bytes they used (a partial record stays for later). Anything that is not a TLS record throws TlsWireError.
 */
export function readRecords(buf: Buffer, base = 0): { records: TlsRecord[]; consumed: number } {
  const records: TlsRecord[] = [];
  let o = 0;
  while (o < buf.length) {
    const type = buf[o]!;
    if (type < CONTENT_TYPE.changeCipherSpec || type > CONTENT_TYPE.heartbeat) {
      const head = buf.subarray(o, Math.min(buf.length, o + 16));
      throw new TlsWireError(
        `not a TLS record: content type 0x${type.toString(16).padStart(2, '0')} (first bytes ${head.toString('hex')} "${printable(head)}")`,
        base + o,
        'record header',
      );
    }
    if (o + 1 < buf.length && buf[o + 1] !== 3)
      throw new TlsWireError(`record version ${buf[o + 1]}.${buf[o + 2] ?? '?'} (expected 3.x)`, base + o + 1, 'record header');
    if (o + 2 < buf.length && buf[o + 2]! > 4) throw new TlsWireError(`record version 3.${buf[o + 2]} is unknown`, base + o + 2, 'record header');
    if (o + 5 > buf.length) break;
    const len = buf.readUInt16BE(o + 3);
    if (len > MAX_RECORD) throw new TlsWireError(`record length ${len} exceeds ${MAX_RECORD}`, base + o + 3, 'record header');
    if (len === 0 && type !== CONTENT_TYPE.applicationData) throw new TlsWireError('empty record', base + o + 3, 'record header');
    if (o + 5 + len > buf.length) break;
    records.push({ type, version: buf.readUInt16BE(o + 1), header: buf.subarray(o, o + 5), fragment: buf.subarray(o + 5, o + 5 + len), offset: base + o });
    o += 5 + len;
  }
  return { records, consumed: o };
}

export interface HandshakeMessage {
  type: number;
  body: Buffer;
  /** Header and body, as hashed into a transcript. */
  raw: Buffer;
}

/** Largest handshake message accepted (certificate chains of a few certificates are well under this). */
export const MAX_HANDSHAKE_MESSAGE = 256 * 1024;

/** Reassembles handshake messages from record fragments (a message may span records; a record may hold several). */
export class HandshakeAssembler {
  private buf: Buffer = Buffer.alloc(0);
  private total = 0;

  push(fragment: Buffer): HandshakeMessage[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, fragment]) : Buffer.from(fragment);
    const out: HandshakeMessage[] = [];
    while (this.buf.length >= 4) {
      const type = this.buf[0]!;
      const len = this.buf.readUIntBE(1, 3);
      if (len > MAX_HANDSHAKE_MESSAGE) throw new TlsWireError(`${handshakeName(type)} of ${len} bytes exceeds ${MAX_HANDSHAKE_MESSAGE}`, this.total + 1, 'handshake header');
      if (this.buf.length < 4 + len) break;
      const raw = this.buf.subarray(0, 4 + len);
      out.push({ type, body: raw.subarray(4), raw });
      this.buf = this.buf.subarray(4 + len);
      this.total += 4 + len;
    }
    return out;
  }

  /** Bytes of an unfinished message. */
  get pending(): number {
    return this.buf.length;
  }
}

export interface TlsExtension {
  type: number;
  data: Buffer;
}

export interface ServerHello {
  legacyVersion: number;
  /** The negotiated version: supported_versions when present, else legacy_version. */
  versionCode: number;
  version: TlsVersionName | undefined;
  random: Buffer;
  sessionId: Buffer;
  suite: number;
  compression: number;
  extensions: TlsExtension[];
  helloRetryRequest: boolean;
  /** TLS 1.3: the server's key share (group and public key); in a HelloRetryRequest the group asked for. */
  keyShare?: { group: number; key?: Buffer };
  renegotiationInfo: boolean;
  extendedMasterSecret: boolean;
}

function readExtensions(r: WireReader, what: string): TlsExtension[] {
  const out: TlsExtension[] = [];
  if (r.remaining === 0) return out;
  const list = r.vec(2, `${what} extensions`);
  const seen = new Set<number>();
  while (list.remaining > 0) {
    const at = list.o;
    const type = list.u16('extension type');
    const data = list.vec(2, `extension ${type}`).rest();
    if (seen.has(type)) list.fail(`extension ${type} appears twice`, at);
    seen.add(type);
    out.push({ type, data });
  }
  r.done();
  return out;
}

export function parseServerHello(body: Buffer): ServerHello {
  const r = new WireReader(body, 0, body.length, 'ServerHello');
  const legacyVersion = r.u16('legacy_version');
  if (legacyVersion >> 8 !== 3) r.fail(`legacy_version 0x${legacyVersion.toString(16)} is not 3.x`, 0);
  const random = r.bytes(32, 'random');
  const sessionIdR = r.vec(1, 'session_id');
  if (sessionIdR.remaining > 32) r.fail(`session_id of ${sessionIdR.remaining} bytes (at most 32)`, 34);
  const sessionId = sessionIdR.rest();
  const suite = r.u16('cipher_suite');
  const compression = r.u8('compression_method');
  const extensions = readExtensions(r, 'ServerHello');
  const helloRetryRequest = random.equals(HRR_RANDOM);
  let versionCode = legacyVersion;
  let keyShare: ServerHello['keyShare'];
  for (const e of extensions) {
    const x = new WireReader(e.data, 0, e.data.length, `ServerHello extension ${e.type}`);
    if (e.type === 43) {
      versionCode = x.u16('selected_version');
      x.done();
    } else if (e.type === 51) {
      const group = x.u16('key_share group');
      if (helloRetryRequest) keyShare = { group };
      else keyShare = { group, key: x.vec(2, 'key_exchange', 1).rest() };
      x.done();
    }
  }
  return {
    legacyVersion,
    versionCode,
    version: versionName(versionCode),
    random,
    sessionId,
    suite,
    compression,
    extensions,
    helloRetryRequest,
    ...(keyShare ? { keyShare } : {}),
    renegotiationInfo: extensions.some((e) => e.type === 0xff01),
    extendedMasterSecret: extensions.some((e) => e.type === 23),
  };
}

/** TLS <= 1.2 Certificate: the chain as DER, leaf first (RFC 5246 7.4.2). */
export function parseCertificate12(body: Buffer): Buffer[] {
  const r = new WireReader(body, 0, body.length, 'Certificate');
  const list = r.vec(3, 'certificate_list');
  r.done();
  const out: Buffer[] = [];
  while (list.remaining > 0) out.push(list.vec(3, 'ASN.1Cert', 1).rest());
  return out;
}

/** TLS 1.3 Certificate (RFC 8446 4.4.2): request context and the chain as DER, leaf first. */
export function parseCertificate13(body: Buffer): { context: Buffer; certificates: Buffer[] } {
  const r = new WireReader(body, 0, body.length, 'Certificate');
  const context = r.vec(1, 'certificate_request_context').rest();
  const list = r.vec(3, 'certificate_list');
  r.done();
  const certificates: Buffer[] = [];
  while (list.remaining > 0) {
    certificates.push(list.vec(3, 'cert_data', 1).rest());
    list.vec(2, 'extensions');
  }
  return { context, certificates };
}

export type ServerKeyExchange =
  | { kind: 'ecdhe'; group: number; publicKeyLength: number; sigalg?: number }
  | { kind: 'dhe'; primeBits: number; sigalg?: number };

/** ServerKeyExchange of an ECDHE or DHE suite (RFC 8422 5.4, RFC 5246 7.4.3); sigalg only in TLS 1.2. */
export function parseServerKeyExchange(body: Buffer, keyExchange: 'ECDHE' | 'DHE', version: number, anonymous = false): ServerKeyExchange {
  const r = new WireReader(body, 0, body.length, 'ServerKeyExchange');
  let out: ServerKeyExchange;
  if (keyExchange === 'ECDHE') {
    const curveType = r.u8('curve_type');
    if (curveType !== 3) r.fail(`curve_type ${curveType} (only named_curve, 3, is in use)`, 0);
    const group = r.u16('named_curve');
    const pub = r.vec(1, 'public', 1);
    out = { kind: 'ecdhe', group, publicKeyLength: pub.remaining };
  } else {
    const p = r.vec(2, 'dh_p', 1).rest();
    r.vec(2, 'dh_g', 1);
    r.vec(2, 'dh_Ys', 1);
    let lead = 0;
    while (lead < p.length && p[lead] === 0) lead++;
    const bits = lead < p.length ? (p.length - lead) * 8 - Math.clz32(p[lead]!) + 24 : 0;
    out = { kind: 'dhe', primeBits: bits };
  }
  if (!anonymous) {
    if (version >= 0x0303) out.sigalg = r.u16('signature algorithm');
    r.vec(2, 'signature', 1);
  }
  r.done();
  return out;
}

export interface CertificateRequestInfo {
  /** TLS <= 1.2 ClientCertificateType values (1 rsa_sign, 64 ecdsa_sign...). */
  certificateTypes?: number[];
  sigalgs?: number[];
  /** DER distinguished names of the acceptable CAs (may be empty). */
  authorities: Buffer[];
}

function readAuthorities(r: WireReader): Buffer[] {
  const out: Buffer[] = [];
  while (r.remaining > 0) out.push(r.vec(2, 'DistinguishedName', 1).rest());
  return out;
}

/** TLS <= 1.2 CertificateRequest (RFC 5246 7.4.4); supported_signature_algorithms only in TLS 1.2. */
export function parseCertificateRequest12(body: Buffer, version: number): CertificateRequestInfo {
  const r = new WireReader(body, 0, body.length, 'CertificateRequest');
  const types = r.vec(1, 'certificate_types', 1);
  const certificateTypes: number[] = [];
  while (types.remaining > 0) certificateTypes.push(types.u8('certificate_type'));
  const sigalgs = version >= 0x0303 ? r.vec(2, 'supported_signature_algorithms', 2).u16list('supported_signature_algorithms') : undefined;
  const authorities = readAuthorities(r.vec(2, 'certificate_authorities'));
  r.done();
  return { certificateTypes, ...(sigalgs ? { sigalgs } : {}), authorities };
}

/** TLS 1.3 CertificateRequest (RFC 8446 4.3.2): sigalgs and CA names from its extensions. */
export function parseCertificateRequest13(body: Buffer): CertificateRequestInfo {
  const r = new WireReader(body, 0, body.length, 'CertificateRequest');
  r.vec(1, 'certificate_request_context');
  const exts = readExtensions(r, 'CertificateRequest');
  let sigalgs: number[] | undefined;
  let authorities: Buffer[] = [];
  for (const e of exts) {
    const x = new WireReader(e.data, 0, e.data.length, `CertificateRequest extension ${e.type}`);
    if (e.type === 13) sigalgs = x.vec(2, 'signature_algorithms', 2).u16list('signature_algorithms');
    else if (e.type === 47) authorities = readAuthorities(x.vec(2, 'certificate_authorities', 3));
  }
  return { ...(sigalgs ? { sigalgs } : {}), authorities };
}

export function parseCertificateVerify(body: Buffer): { sigalg: number; signatureLength: number } {
  const r = new WireReader(body, 0, body.length, 'CertificateVerify');
  const sigalg = r.u16('algorithm');
  const sig = r.vec(2, 'signature', 1);
  r.done();
  return { sigalg, signatureLength: sig.remaining };
}

export interface TlsAlert {
  level: number;
  description: number;
  name: string;
  fatal: boolean;
}

/** The first alert of an alert record (a record may carry several, 2 bytes each). */
export function parseAlert(fragment: Buffer): TlsAlert {
  const r = new WireReader(fragment, 0, fragment.length, 'alert');
  const level = r.u8('level');
  const description = r.u8('description');
  if (fragment.length % 2) r.fail(`alert record of ${fragment.length} bytes (alerts are 2 bytes each)`, 0);
  if (level !== 1 && level !== 2) r.fail(`alert level ${level} (expected 1 warning or 2 fatal)`, 0);
  return { level, description, name: alertName(description), fatal: level === 2 };
}
