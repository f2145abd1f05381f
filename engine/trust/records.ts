// Trust-list records (one per certificate and role): encode from a certificate or explicit fields, parse with bounds
// checks. Record layout: RECORDLENGTH first (total record bytes), then 2..12 in any order.
import { isIPv4 } from 'node:net';
import { formatDn, parseCertificate, recordPublicKey, type DnFormat } from './certificate.js';
import { recordTagName, RecordTag, roleCode, ROLE_NAMES, type RoleName } from './tags.js';
import { elementValue, encodeElement, encodeString, encodeU16, readElement, readString, readU16, TlvError, TrustInputError, expectLength } from './tlv-codec.js';
import type { ParseOptions, UnknownElement } from './header.js';

export interface RecordInput {
  role: RoleName | number;
  /** The certificate (DER); subject, issuer, serial, public key and signature are taken from it unless given below. */
  certDer?: Uint8Array;
  /** DNSNAME (tag 2): CUCM writes it in CTL records; omitted when undefined. */
  dnsName?: string;
  /** IPADDRESS (tag 10): dotted IPv4 or 4 raw bytes; omitted when undefined. */
  ipAddress?: string | Uint8Array;
  subjectName?: string;
  issuerName?: string;
  serialNumber?: Uint8Array;
  /** PUBLICKEY (tag 7); from the certificate by default; false leaves it out. */
  publicKey?: Uint8Array | false;
  /** SIGNATURE (tag 8, the certificate's own signature value); default true when there is a certificate. */
  includeSignature?: boolean;
}

export function encodeIpv4(ip: string | Uint8Array, field: string): Buffer {
  if (typeof ip !== 'string') {
    if (ip.length !== 4) throw new TrustInputError(field, `an IPv4 address is 4 bytes, got ${ip.length}`);
    return Buffer.from(ip);
  }
  if (!isIPv4(ip)) throw new TrustInputError(field, `${JSON.stringify(ip)} is not a dotted IPv4 address`);
  return Buffer.from(ip.split('.').map(Number));
}

/** Encodes one record; tags in CUCM's order 1, 2, 3, 4, 5, 6, 7, 8, 9, 10. */
export function encodeRecord(r: RecordInput, dnFormat: DnFormat = 'cisco', field = 'record'): Buffer {
  const cert = r.certDer ? parseCertificate(r.certDer, 0, `${field} certificate`) : undefined;
  const parts: Buffer[] = [];
  if (r.dnsName !== undefined) parts.push(encodeString(RecordTag.DNS_NAME, r.dnsName, 'DNSNAME'));
  const subject = r.subjectName ?? (cert && formatDn(cert.subject, dnFormat));
  if (subject !== undefined) parts.push(encodeString(RecordTag.SUBJECT_NAME, subject, 'SUBJECTNAME'));
  parts.push(encodeU16(RecordTag.FUNCTION, roleCode(r.role), 'FUNCTION'));
  const issuer = r.issuerName ?? (cert && formatDn(cert.issuer, dnFormat));
  if (issuer !== undefined) parts.push(encodeString(RecordTag.ISSUER_NAME, issuer, 'ISSUERNAME'));
  const serial = r.serialNumber ?? cert?.serialNumber;
  if (serial !== undefined) parts.push(encodeElement(RecordTag.SERIAL_NUMBER, serial, 'SERIALNUMBER'));
  if (r.publicKey !== false) {
    let key = r.publicKey;
    if (key === undefined && cert) {
      if (!cert.publicKey) throw new TrustInputError(`${field} certificate`, cert.keyError ?? 'no usable public key');
      key = recordPublicKey(cert.publicKey);
    }
    if (key !== undefined) parts.push(encodeElement(RecordTag.PUBLIC_KEY, key, 'PUBLICKEY'));
  }
  if (cert && r.includeSignature !== false) parts.push(encodeElement(RecordTag.SIGNATURE, cert.signatureValue, 'SIGNATURE'));
  if (cert) parts.push(encodeElement(RecordTag.CERTIFICATE, cert.der, 'CERTIFICATE'));
  if (r.ipAddress !== undefined) parts.push(encodeElement(RecordTag.IP_ADDRESS, encodeIpv4(r.ipAddress, `${field}.ipAddress`), 'IPADDRESS'));
  const body = Buffer.concat(parts);
  const total = 5 + body.length;
  if (total > 0xffff) throw new TrustInputError(field, `record of ${total} bytes does not fit the 16-bit RECORDLENGTH`);
  return Buffer.concat([encodeU16(RecordTag.RECORD_LENGTH, total, 'RECORDLENGTH'), body]);
}

export interface RecordElement {
  tag: number;
  name: string;
  offset: number;
  length: number;
}

export interface ParsedRecord {
  /** 1-based, as `show ctl` numbers them. */
  index: number;
  offset: number;
  length: number;
  role?: number;
  roleName?: RoleName;
  dnsName?: string;
  subjectName?: string;
  issuerName?: string;
  serialNumber?: Buffer;
  publicKey?: Buffer;
  signature?: Buffer;
  certificate?: Buffer;
  /** File offset of the certificate's first byte. */
  certificateOffset?: number;
  ipAddress?: Buffer;
  certificateHash?: Buffer;
  hashAlgorithm?: Buffer;
  elements: RecordElement[];
  unknown: UnknownElement[];
}

/** Parses the records from `start` to the end of the file. */
export function parseRecords(buf: Uint8Array, start: number, opts: ParseOptions = {}, warnings: string[] = []): ParsedRecord[] {
  const records: ParsedRecord[] = [];
  for (let p = start, index = 1; p < buf.length; index++) {
    const scope = `record ${index}`;
    const first = readElement(buf, p, buf.length, recordTagName, 'the file');
    if (first.tag !== RecordTag.RECORD_LENGTH) {
      throw new TlvError(recordTagName(first.tag), p, `${scope} must start with RECORDLENGTH (tag 1), found tag ${first.tag}`);
    }
    const length = readU16(buf, first, 'RECORDLENGTH');
    if (length < first.end - p) throw new TlvError('RECORDLENGTH', p, `${scope} length ${length} is shorter than its RECORDLENGTH element`);
    if (p + length > buf.length) throw new TlvError('RECORDLENGTH', p, `${scope} length ${length} runs past the end of the file (${buf.length - p} bytes left)`);
    const end = p + length;
    const rec: ParsedRecord = { index, offset: p, length, elements: [{ tag: 1, name: 'RECORDLENGTH', offset: p, length: 2 }], unknown: [] };
    const seen = new Map<number, number>([[1, p]]);
    for (let q = first.end; q < end; ) {
      const el = readElement(buf, q, end, recordTagName, scope);
      const name = recordTagName(el.tag);
      const dup = seen.get(el.tag);
      if (dup !== undefined) throw new TlvError(name, q, `duplicate element in ${scope} (the first is at offset ${dup})`);
      seen.set(el.tag, q);
      rec.elements.push({ tag: el.tag, name, offset: q, length: el.length });
      const warn = (m: string) => warnings.push(`${scope}: ${m}`);
      switch (el.tag) {
        case RecordTag.DNS_NAME:
          rec.dnsName = readString(buf, el, name, warn);
          break;
        case RecordTag.SUBJECT_NAME:
          rec.subjectName = readString(buf, el, name, warn);
          break;
        case RecordTag.FUNCTION: {
          rec.role = readU16(buf, el, name);
          const roleName = ROLE_NAMES[rec.role];
          if (roleName) rec.roleName = roleName;
          else warn(`FUNCTION at offset ${q}: unknown role ${rec.role}`);
          break;
        }
        case RecordTag.ISSUER_NAME:
          rec.issuerName = readString(buf, el, name, warn);
          break;
        case RecordTag.SERIAL_NUMBER:
          rec.serialNumber = elementValue(buf, el);
          break;
        case RecordTag.PUBLIC_KEY:
          rec.publicKey = elementValue(buf, el);
          break;
        case RecordTag.SIGNATURE:
          rec.signature = elementValue(buf, el);
          break;
        case RecordTag.CERTIFICATE:
          rec.certificate = elementValue(buf, el);
          rec.certificateOffset = el.valueOffset;
          break;
        case RecordTag.IP_ADDRESS:
          expectLength(el, name, [4, 16]);
          rec.ipAddress = elementValue(buf, el);
          break;
        case RecordTag.CERTIFICATE_HASH:
          rec.certificateHash = elementValue(buf, el);
          break;
        case RecordTag.HASH_ALGORITHM:
          rec.hashAlgorithm = elementValue(buf, el);
          break;
        default:
          if (opts.unknownTags !== 'keep') throw new TlvError(name, q, `unknown tag ${el.tag} in ${scope} (length ${el.length})`);
          rec.unknown.push({ tag: el.tag, offset: q, value: elementValue(buf, el) });
          warn(`${name} at offset ${q}: unknown tag kept (${el.length} bytes)`);
      }
      q = el.end;
    }
    if (rec.role === undefined) warnings.push(`${scope} at offset ${p}: no FUNCTION (role) element`);
    records.push(rec);
    p = end;
  }
  return records;
}

export function formatIp(ip: Buffer): string {
  if (ip.length === 4) return Array.from(ip).join('.');
  return (ip.toString('hex').match(/.{4}/g) ?? []).join(':');
}
