// The few X.509 fields a trust record carries (serial, subject, issuer, public key, signature value), read with a small
// bounds-checked DER walker so a hostile certificate inside a record yields a TlvError naming the offset, never a crash.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { TlvError, TrustInputError } from './tlv-codec.js';

export interface DnAttribute {
  oid: string;
  /** Short name (CN, OU, O, L, ST, C, ...) or the dotted OID when we have none. */
  short: string;
  value: string;
}

/** A relative distinguished name: usually one attribute. */
export type Rdn = DnAttribute[];

export interface PublicKeyInfo {
  type: string;
  bits?: number;
  curve?: string;
}

export interface CertificateFields {
  der: Buffer;
  /** Serial number magnitude, big-endian, without the DER sign byte (as the TLV files carry it). */
  serialNumber: Buffer;
  issuer: Rdn[];
  subject: Rdn[];
  notBefore?: Date;
  notAfter?: Date;
  /** SubjectPublicKeyInfo DER. */
  spki: Buffer;
  /** The certificate's own signatureValue bytes (record tag 8). */
  signatureValue: Buffer;
  publicKey?: KeyObject;
  key?: PublicKeyInfo;
  /** Why `publicKey` is missing, when it is. */
  keyError?: string;
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'GN',
  '1.2.840.113549.1.9.1': 'E',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
};

const CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

interface DerNode {
  tag: number;
  offset: number;
  valueOffset: number;
  end: number;
}

class DerReader {
  constructor(
    private readonly buf: Uint8Array,
    private readonly base: number,
    private readonly element: string,
  ) {}

  fail(offset: number, detail: string): never {
    throw new TlvError(this.element, this.base + offset, detail);
  }

  node(offset: number, limit: number, what: string): DerNode {
    if (offset + 2 > limit) this.fail(offset, `${what}: truncated DER header`);
    const tag = this.buf[offset]!;
    if ((tag & 0x1f) === 0x1f) this.fail(offset, `${what}: multi-byte DER tags are not used here`);
    let length = this.buf[offset + 1]!;
    let header = 2;
    if (length & 0x80) {
      const n = length & 0x7f;
      if (n === 0 || n > 4) this.fail(offset, `${what}: unsupported DER length form 0x${length.toString(16)}`);
      if (offset + 2 + n > limit) this.fail(offset, `${what}: truncated DER length`);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + this.buf[offset + 2 + i]!;
      header += n;
    }
    const end = offset + header + length;
    if (end > limit) this.fail(offset, `${what}: DER length ${length} runs past the end (${limit - offset - header} bytes left)`);
    return { tag, offset, valueOffset: offset + header, end };
  }

  expect(node: DerNode, tag: number, what: string): DerNode {
    if (node.tag !== tag) this.fail(node.offset, `${what}: expected DER tag 0x${tag.toString(16)}, found 0x${node.tag.toString(16)}`);
    return node;
  }

  children(parent: DerNode, what: string): DerNode[] {
    const out: DerNode[] = [];
    for (let p = parent.valueOffset; p < parent.end; ) {
      const n = this.node(p, parent.end, what);
      out.push(n);
      p = n.end;
    }
    return out;
  }

  bytes(node: DerNode): Buffer {
    return Buffer.from(this.buf.subarray(node.valueOffset, node.end));
  }

  whole(node: DerNode): Buffer {
    return Buffer.from(this.buf.subarray(node.offset, node.end));
  }
}

function decodeOid(b: Buffer): string {
  if (b.length === 0) return '';
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

function decodeString(tag: number, b: Buffer): string {
  switch (tag) {
    case 0x0c: // UTF8String
      return b.toString('utf8');
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x1a: // VisibleString
      return b.toString('latin1');
    case 0x14: // TeletexString: treated as Latin-1, as most tools do
      return b.toString('latin1');
    case 0x1e: {
      // BMPString (UTF-16BE)
      const s = Buffer.from(b.subarray(0, b.length & ~1));
      s.swap16();
      return s.toString('utf16le');
    }
    case 0x1c: {
      // UniversalString (UTF-32BE)
      let out = '';
      for (let i = 0; i + 4 <= b.length; i += 4) {
        const cp = b.readUInt32BE(i);
        out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      }
      return out;
    }
    default:
      return '#' + b.toString('hex');
  }
}

function decodeTime(tag: number, b: Buffer): Date | undefined {
  const s = b.toString('latin1');
  const m = tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s);
  if (!m) return undefined;
  let year = Number(m[1]);
  if (tag === 0x17) year += year < 50 ? 2000 : 1900;
  const d = new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function readName(r: DerReader, node: DerNode, what: string): Rdn[] {
  r.expect(node, 0x30, what);
  return r.children(node, what).map((set) => {
    r.expect(set, 0x31, `${what} RDN`);
    return r.children(set, `${what} RDN`).map((atv) => {
      r.expect(atv, 0x30, `${what} attribute`);
      const [oidNode, valueNode] = r.children(atv, `${what} attribute`);
      if (!oidNode || !valueNode) r.fail(atv.offset, `${what} attribute: needs a type and a value`);
      const oid = decodeOid(r.bytes(r.expect(oidNode, 0x06, `${what} attribute type`)));
      return { oid, short: SHORT_NAMES[oid] ?? oid, value: decodeString(valueNode.tag, r.bytes(valueNode)) };
    });
  });
}

export function describeKey(key: KeyObject): PublicKeyInfo {
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  const info: PublicKeyInfo = { type };
  if (details.modulusLength !== undefined) info.bits = details.modulusLength;
  if (details.namedCurve !== undefined) {
    info.curve = CURVES[details.namedCurve] ?? details.namedCurve;
    const bits = { 'P-256': 256, 'P-384': 384, 'P-521': 521 }[info.curve];
    if (bits) info.bits = bits;
  }
  return info;
}

/**
 * Reads a DER certificate. `baseOffset` is where `der` starts in the enclosing file, so errors name file offsets;
 * `element` names the enclosing element in errors (CERTIFICATE by default).
 */
export function parseCertificate(der: Uint8Array, baseOffset = 0, element = 'CERTIFICATE'): CertificateFields {
  const r = new DerReader(der, baseOffset, element);
  const cert = r.expect(r.node(0, der.length, 'Certificate'), 0x30, 'Certificate');
  if (cert.end !== der.length) r.fail(cert.end, `Certificate: ${der.length - cert.end} bytes after the certificate`);
  const [tbs, , sigValue] = r.children(cert, 'Certificate');
  if (!tbs || !sigValue) r.fail(cert.offset, 'Certificate: needs tbsCertificate, signatureAlgorithm and signatureValue');
  r.expect(tbs, 0x30, 'tbsCertificate');
  const bitString = r.bytes(r.expect(sigValue, 0x03, 'signatureValue'));
  if (bitString.length < 1) r.fail(sigValue.offset, 'signatureValue: empty BIT STRING');
  const f = r.children(tbs, 'tbsCertificate');
  const i = f[0]?.tag === 0xa0 ? 1 : 0;
  const [serial, , issuer, validity, subject, spki] = f.slice(i);
  if (!serial || !issuer || !validity || !subject || !spki) r.fail(tbs.offset, 'tbsCertificate: missing fields');
  let serialBytes = r.bytes(r.expect(serial, 0x02, 'serialNumber'));
  while (serialBytes.length > 1 && serialBytes[0] === 0) serialBytes = serialBytes.subarray(1);
  const times = r.children(r.expect(validity, 0x30, 'validity'), 'validity');
  const fields: CertificateFields = {
    der: Buffer.from(der),
    serialNumber: Buffer.from(serialBytes),
    issuer: readName(r, issuer, 'issuer'),
    subject: readName(r, subject, 'subject'),
    spki: r.whole(r.expect(spki, 0x30, 'subjectPublicKeyInfo')),
    signatureValue: bitString.subarray(1),
  };
  const nb = times[0] && decodeTime(times[0].tag, r.bytes(times[0]));
  const na = times[1] && decodeTime(times[1].tag, r.bytes(times[1]));
  if (nb) fields.notBefore = nb;
  if (na) fields.notAfter = na;
  try {
    fields.publicKey = createPublicKey({ key: fields.spki, format: 'der', type: 'spki' });
    fields.key = describeKey(fields.publicKey);
  } catch (e) {
    fields.keyError = `unsupported public key: ${(e as Error).message}`;
  }
  return fields;
}

/** How DNs are written into the files: Cisco's `CN=…;OU=…;O=…` (most specific first), DER order, or your own. */
export type DnFormat = 'cisco' | 'der-order' | ((rdns: Rdn[]) => string);

export function formatDn(rdns: Rdn[], format: DnFormat = 'cisco'): string {
  if (typeof format === 'function') return format(rdns);
  const ordered = format === 'cisco' ? [...rdns].reverse() : rdns;
  return ordered.map((rdn) => rdn.map((a) => `${a.short}=${a.value}`).join('+')).join(';');
}

/** The record PUBLICKEY value: PKCS#1 RSAPublicKey DER for RSA, the uncompressed X9.62 point for EC. */
export function recordPublicKey(key: KeyObject): Buffer {
  if (key.asymmetricKeyType === 'rsa') return key.export({ format: 'der', type: 'pkcs1' });
  if (key.asymmetricKeyType === 'ec') {
    const jwk = key.export({ format: 'jwk' });
    if (!jwk.x || !jwk.y) throw new TrustInputError('PUBLICKEY', 'EC key without coordinates');
    return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  }
  throw new TrustInputError('PUBLICKEY', `${key.asymmetricKeyType ?? 'unknown'} keys cannot be carried in a trust record (RSA or EC only)`);
}

/** Rebuilds a key from a record PUBLICKEY value (for records without a certificate); undefined when it is not one. */
export function publicKeyFromRecord(value: Uint8Array): KeyObject | undefined {
  const curve = value[0] === 4 ? { 65: 'P-256', 97: 'P-384', 133: 'P-521' }[value.length] : undefined;
  try {
    if (curve) {
      const n = (value.length - 1) / 2;
      const b = Buffer.from(value);
      return createPublicKey({
        key: { kty: 'EC', crv: curve, x: b.subarray(1, 1 + n).toString('base64url'), y: b.subarray(1 + n).toString('base64url') },
        format: 'jwk',
      });
    }
    return createPublicKey({ key: Buffer.from(value), format: 'der', type: 'pkcs1' });
  } catch {
    return undefined;
  }
}
