// `show itl` / `show ctl`-style views of any signed TLV file (ITL, CTL, .sgn, .enc.sgn), as text and as JSON.
import { createHash, type KeyObject } from 'node:crypto';
import { parseCertificate, publicKeyFromRecord, describeKey, formatDn, type PublicKeyInfo } from './certificate.js';
import { decryptConfig, parseEncryptedConfig, type ParsedEncryptedConfig } from './encrypted-config.js';
import { parseHeader, type ParseOptions, type ParsedHeader } from './header.js';
import { formatIp, type ParsedRecord } from './records.js';
import { parseSigned, verifySignedHeader, type SignedFileTrust } from './signed-file.js';
import { MODULUS_INDEX_BYTES, roleDisplayName } from './tags.js';
import { TlvError } from './tlv-codec.js';
import { hex, parseTrustList, verifyTrustList, type VerifyResult } from './trust-list.js';

export type TrustFileKind = 'itl' | 'ctl' | 'tlv' | 'sgn' | 'enc-sgn';

export interface DescribeOptions extends ParseOptions {
  /** The file's own name (a path is fine): `.tlv`, `.sgn`, `.enc.sgn` decide the kind before the header does. */
  nameHint?: string;
  /** For .sgn / .enc.sgn: the TFTP certificate(s), key(s) or trust list(s) to verify against. */
  trust?: SignedFileTrust[];
  /** For .enc.sgn: decrypt with the phone's private key or the manual key and check the content hash. */
  decryptWith?: KeyObject | { manualKey: Uint8Array };
}

export interface ElementView {
  offset: number;
  tag: number;
  name: string;
  length: number;
  depth: number;
  value?: string;
}

export interface CertificateView {
  length: number;
  sha1: string;
  sha256: string;
  subject?: string;
  issuer?: string;
  serialNumber?: string;
  notBefore?: string;
  notAfter?: string;
  key?: PublicKeyInfo;
  error?: string;
}

export interface RecordView {
  index: number;
  offset: number;
  length: number;
  role?: number;
  /** Short name (SAST, CCM+TFTP, TVS, ...). */
  roleName?: string;
  /** As CUCM's show ctl prints it ("System Administrator Security Token"). */
  roleLabel?: string;
  dnsName?: string;
  subject?: string;
  issuer?: string;
  serialNumber?: string;
  ipAddress?: string;
  publicKey?: { length: number } & Partial<PublicKeyInfo>;
  signatureLength?: number;
  certificate?: CertificateView;
  usedToSign: boolean;
  elements: ElementView[];
}

export interface Verification {
  status: 'verified' | 'failed' | 'unchecked';
  reason?: string;
  signerRecord?: number;
  verifiedBy?: string;
}

export interface FileDescription {
  kind: TrustFileKind;
  size: number;
  md5: string;
  sha1: string;
  header: {
    version: string;
    headerLength: number;
    signerVersion?: string;
    signer: { name?: string; serialNumber?: string; issuer?: string };
    digest?: string;
    signatureAlgorithm?: string;
    signatureModulus?: { index: number; bits?: number };
    signatureLength: number;
    /** Hex. */
    signature: string;
    filename?: string;
    timestamp?: string;
    elements: ElementView[];
  };
  records?: RecordView[];
  content?: { offset: number; length: number; sha1: string };
  encryption?: {
    iv: string;
    paddingCount: number;
    keySizeBits?: number;
    keyAlgorithm?: number;
    wrappedKeyLength?: number;
    contentHashAlgorithm?: string;
    contentHash?: string;
    ciphertextLength: number;
    decrypted?: { ok: boolean; length?: number; error?: string };
  };
  verification: Verification;
  warnings: string[];
}

/** Decides what a file is: the name hint, then the header (encryption info, FILENAME), then whether records follow. */
export function detectKind(bytes: Uint8Array, header: ParsedHeader, nameHint?: string): TrustFileKind {
  const hint = nameHint?.split(/[\\/]/).pop() ?? '';
  const fromName = (n: string): TrustFileKind | undefined => {
    if (/\.enc\.sgn$/i.test(n)) return 'enc-sgn';
    if (/\.sgn$/i.test(n)) return 'sgn';
    if (/\.tlv$/i.test(n)) return /^ITL/i.test(n) ? 'itl' : /^CTL/i.test(n) ? 'ctl' : 'tlv';
    return undefined;
  };
  if (header.encryption) return 'enc-sgn';
  const k = fromName(hint) ?? fromName(header.filename ?? '');
  if (k) return k;
  const rest = bytes.subarray(header.headerLength);
  return rest[0] === 1 && rest[1] === 0 && rest[2] === 2 ? 'tlv' : 'sgn';
}

function digestLabel(d: string | undefined, code: number | undefined): string | undefined {
  if (d) return d.toUpperCase();
  return code === undefined ? undefined : `unknown (${code})`;
}

function headerElementValue(h: ParsedHeader, tag: number): string | undefined {
  switch (tag) {
    case 4:
      return h.signerName;
    case 5:
      return h.serialNumber && hex(h.serialNumber);
    case 6:
      return h.issuerName;
    case 8:
      return digestLabel(h.digest, h.digestCode);
    case 10:
      return h.signatureAlgorithm === 0 ? 'RSA' : String(h.signatureAlgorithm);
    case 11:
      return h.modulusIndex === undefined ? undefined : `${h.modulusIndex} (${(MODULUS_INDEX_BYTES[h.modulusIndex] ?? 0) * 8 || '?'}-bit)`;
    case 14:
      return h.filename;
    case 15:
      return h.timestamp === undefined ? undefined : new Date(h.timestamp * 1000).toISOString();
    case 28:
      return h.signerVersion && `${h.signerVersion.major}.${h.signerVersion.minor}`;
    case 19:
      return h.encryption?.iv && h.encryption.iv.toString('hex');
    case 20:
      return h.encryption?.paddingCount === undefined ? undefined : String(h.encryption.paddingCount);
    case 23:
      return h.encryption?.keySizeBits === undefined ? undefined : String(h.encryption.keySizeBits);
    case 26:
      return digestLabel(h.contentHashAlgorithm, h.contentHashAlgorithmCode);
    case 27:
      return h.contentHash?.toString('hex');
    default:
      return undefined;
  }
}

function certificateView(rec: ParsedRecord): CertificateView | undefined {
  if (!rec.certificate) return undefined;
  const der = rec.certificate;
  const v: CertificateView = {
    length: der.length,
    sha1: hex(createHash('sha1').update(der).digest(), ' '),
    sha256: createHash('sha256').update(der).digest('hex'),
  };
  try {
    const c = parseCertificate(der, rec.certificateOffset ?? 0);
    v.subject = formatDn(c.subject);
    v.issuer = formatDn(c.issuer);
    v.serialNumber = hex(c.serialNumber);
    if (c.notBefore) v.notBefore = c.notBefore.toISOString();
    if (c.notAfter) v.notAfter = c.notAfter.toISOString();
    if (c.key) v.key = c.key;
    if (c.keyError) v.error = c.keyError;
  } catch (e) {
    if (!(e instanceof TlvError)) throw e;
    v.error = e.message;
  }
  return v;
}

function recordView(rec: ParsedRecord, signerRecord: number | undefined): RecordView {
  const v: RecordView = { index: rec.index, offset: rec.offset, length: rec.length, usedToSign: rec.index === signerRecord, elements: [] };
  if (rec.role !== undefined) {
    v.role = rec.role;
    v.roleName = rec.roleName ?? `role ${rec.role}`;
    v.roleLabel = roleDisplayName(rec.role);
  }
  if (rec.dnsName !== undefined) v.dnsName = rec.dnsName;
  if (rec.subjectName !== undefined) v.subject = rec.subjectName;
  if (rec.issuerName !== undefined) v.issuer = rec.issuerName;
  if (rec.serialNumber) v.serialNumber = hex(rec.serialNumber);
  if (rec.ipAddress) v.ipAddress = formatIp(rec.ipAddress);
  if (rec.signature) v.signatureLength = rec.signature.length;
  const cert = certificateView(rec);
  if (cert) v.certificate = cert;
  if (rec.publicKey) {
    const key = cert?.key ?? (() => {
      const k = publicKeyFromRecord(rec.publicKey!);
      return k ? describeKey(k) : undefined;
    })();
    v.publicKey = { length: rec.publicKey.length, ...(key ?? {}) };
  }
  for (const e of rec.elements) {
    const ev: ElementView = { offset: e.offset, tag: e.tag, name: e.name, length: e.length, depth: 0 };
    const value = (() => {
      switch (e.tag) {
        case 1:
          return String(rec.length);
        case 2:
          return rec.dnsName;
        case 3:
          return rec.subjectName;
        case 4:
          return rec.role === undefined ? undefined : roleDisplayName(rec.role);
        case 5:
          return rec.issuerName;
        case 6:
          return v.serialNumber;
        case 7:
          return v.publicKey?.type ? `${v.publicKey.type.toUpperCase()} ${v.publicKey.curve ?? `${v.publicKey.bits}-bit`}` : undefined;
        case 9:
          return cert ? `${cert.sha1} (SHA1 Hash HEX)` : undefined;
        case 10:
          return v.ipAddress;
        case 11:
          return rec.certificateHash?.toString('hex');
        default:
          return undefined;
      }
    })();
    if (value !== undefined) ev.value = value;
    v.elements.push(ev);
  }
  return v;
}

function toVerification(r: VerifyResult | undefined): Verification {
  if (!r) return { status: 'unchecked', reason: 'no trusted certificate given (use --trust with the TFTP certificate or an ITL/CTL)' };
  const v: Verification = { status: r.ok ? 'verified' : 'failed' };
  if (r.reason) v.reason = r.reason;
  if (r.signerRecord !== undefined) v.signerRecord = r.signerRecord;
  if (r.verifiedBy) v.verifiedBy = r.verifiedBy;
  return v;
}

/** Parses, verifies (when it can) and describes a file. Throws TlvError only when the header itself is malformed. */
export function describeTrustFile(bytes: Uint8Array, o: DescribeOptions = {}): FileDescription {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = parseHeader(buf, o);
  const kind = detectKind(buf, header, o.nameHint);
  const h = header;
  const d: FileDescription = {
    kind,
    size: buf.length,
    md5: createHash('md5').update(buf).digest('hex'),
    sha1: createHash('sha1').update(buf).digest('hex'),
    header: {
      version: `${h.version.major}.${h.version.minor}`,
      headerLength: h.headerLength,
      signer: {},
      signatureLength: h.signature.length,
      signature: h.signature.toString('hex'),
      elements: h.elements
        .filter((e) => e.tag !== 1 && e.tag !== 2)
        .map((e) => {
          const ev: ElementView = { offset: e.offset, tag: e.tag, name: e.name, length: e.length, depth: e.depth };
          const value = headerElementValue(h, e.tag);
          if (value !== undefined) ev.value = value;
          return ev;
        }),
    },
    verification: { status: 'unchecked' },
    warnings: [],
  };
  if (h.signerVersion) d.header.signerVersion = `${h.signerVersion.major}.${h.signerVersion.minor}`;
  if (h.signerName !== undefined) d.header.signer.name = h.signerName;
  if (h.serialNumber) d.header.signer.serialNumber = hex(h.serialNumber);
  if (h.issuerName !== undefined) d.header.signer.issuer = h.issuerName;
  const dl = digestLabel(h.digest, h.digestCode);
  if (dl) d.header.digest = dl;
  if (h.signatureAlgorithm !== undefined) d.header.signatureAlgorithm = h.signatureAlgorithm === 0 ? 'RSA' : String(h.signatureAlgorithm);
  if (h.modulusIndex !== undefined) {
    const bytesForIndex = MODULUS_INDEX_BYTES[h.modulusIndex];
    d.header.signatureModulus = bytesForIndex ? { index: h.modulusIndex, bits: bytesForIndex * 8 } : { index: h.modulusIndex };
  }
  if (h.filename !== undefined) d.header.filename = h.filename;
  if (h.timestamp !== undefined) d.header.timestamp = new Date(h.timestamp * 1000).toISOString();

  if (kind === 'itl' || kind === 'ctl' || kind === 'tlv') {
    const list = parseTrustList(buf, o);
    const r = verifyTrustList(list, o);
    d.records = list.records.map((rec) => recordView(rec, r.ok ? r.signerRecord : undefined));
    d.verification = toVerification(r);
    d.warnings.push(...list.warnings);
  } else {
    let enc: ParsedEncryptedConfig | undefined;
    if (kind === 'enc-sgn') {
      enc = parseEncryptedConfig(buf, o);
      d.encryption = { iv: enc.iv.toString('hex'), paddingCount: enc.paddingCount, ciphertextLength: enc.ciphertext.length };
      if (enc.keySizeBits !== undefined) d.encryption.keySizeBits = enc.keySizeBits;
      if (enc.keyAlgorithm !== undefined) d.encryption.keyAlgorithm = enc.keyAlgorithm;
      if (enc.wrappedKey) d.encryption.wrappedKeyLength = enc.wrappedKey.length;
      const ca = digestLabel(h.contentHashAlgorithm, h.contentHashAlgorithmCode);
      if (ca) d.encryption.contentHashAlgorithm = ca;
      if (enc.contentHash) d.encryption.contentHash = enc.contentHash.toString('hex');
      if (o.decryptWith) {
        try {
          d.encryption.decrypted = { ok: true, length: decryptConfig(enc, o.decryptWith).length };
        } catch (e) {
          if (!(e instanceof TlvError)) throw e;
          d.encryption.decrypted = { ok: false, error: e.message };
        }
      }
    } else {
      const s = parseSigned(buf, o);
      d.content = { offset: h.headerLength, length: s.content.length, sha1: createHash('sha1').update(s.content).digest('hex') };
    }
    d.verification = toVerification(o.trust && o.trust.length > 0 ? verifySignedHeader(buf, h, o.trust) : undefined);
    d.warnings.push(...h.warnings);
  }
  return d;
}

const KIND_LABEL: Record<TrustFileKind, string> = { itl: 'ITL', ctl: 'CTL', tlv: 'TLV', sgn: 'SGN', 'enc-sgn': 'ENC.SGN' };

function row(tag: number | string, name: string, length: number | string, value = '', indent = 0): string {
  return `${String(tag).padEnd(5)}${(' '.repeat(indent * 2) + name).padEnd(24)}${String(length).padEnd(8)}${value}`.trimEnd();
}

/** The text view, close to CUCM's `show itl` / `show ctl`. */
export function renderDescription(d: FileDescription): string {
  const label = KIND_LABEL[d.kind];
  const out: string[] = [];
  out.push(`The checksum value of the ${label} file: ${d.md5}(MD5) ${d.sha1}(SHA1)`);
  out.push(`Length of ${label} file: ${d.size}`);
  out.push('', `Parse ${label} File`, '-'.repeat(`Parse ${label} File`.length), '');
  out.push(`Version:        ${d.header.version}`);
  out.push(`HeaderLength:   ${d.header.headerLength} (BYTES)`);
  if (d.header.signerVersion) out.push(`SignerVersion:  ${d.header.signerVersion}`);
  out.push('', row('TAG', 'ELEMENT', 'LENGTH', 'VALUE'), row('---', '-------', '------', '-----'));
  for (const e of d.header.elements) {
    if (e.tag === 13) continue;
    out.push(row(e.tag, e.name, e.length, e.value ?? '', e.depth));
    if (e.tag === 12) for (const line of d.header.signature.match(/.{1,32}/g) ?? []) out.push(`     ${line.match(/../g)!.join(' ')}`);
  }
  const padding = d.header.elements.filter((e) => e.tag === 13).length;
  if (padding) out.push(row(13, 'PADDING', `${padding}x1`));
  for (const r of d.records ?? []) {
    out.push('', `${label} Record #:${r.index}`, '----', row('TAG', 'ELEMENT', 'LENGTH', 'VALUE'), row('---', '-------', '------', '-----'));
    for (const e of r.elements) out.push(row(e.tag, e.name, e.length, e.value ?? ''));
    if (r.certificate) {
      const c = r.certificate;
      if (c.error) out.push(`     certificate: ${c.error}`);
      else out.push(`     certificate: ${c.key ? `${c.key.type.toUpperCase()} ${c.key.curve ?? `${c.key.bits}-bit`}, ` : ''}valid ${c.notBefore?.slice(0, 10) ?? '?'} to ${c.notAfter?.slice(0, 10) ?? '?'}`);
    }
    if (r.role === 0) out.push(r.usedToSign ? `This etoken was used to sign the ${label} file.` : `This etoken was not used to sign the ${label} file.`);
  }
  if (d.content) out.push('', `Content: ${d.content.length} bytes at offset ${d.content.offset}, SHA1 ${d.content.sha1}`);
  if (d.encryption) {
    const e = d.encryption;
    out.push('', `Encrypted content: ${e.ciphertextLength} bytes, IV ${e.iv}, padding ${e.paddingCount}`);
    out.push(`Key: ${e.wrappedKeyLength ? `${e.wrappedKeyLength}-byte wrapped key (RSA PKCS#1 v1.5)` : 'manual (symmetric) key, none in the file'}${e.keySizeBits !== undefined ? `, KEYSIZE ${e.keySizeBits}` : ''}`);
    if (e.contentHash) out.push(`Content hash (${e.contentHashAlgorithm ?? '?'}): ${e.contentHash}`);
    if (e.decrypted) out.push(e.decrypted.ok ? `Decrypted: ${e.decrypted.length} bytes, content hash matches.` : `Decryption failed: ${e.decrypted.error}`);
  }
  out.push('');
  const v = d.verification;
  if (v.status === 'verified') out.push(`The ${label} file was verified successfully (${v.verifiedBy ?? 'signature valid'}).`);
  else if (v.status === 'failed') out.push(`The ${label} file signature does NOT verify: ${v.reason}`);
  else out.push(`The ${label} file signature was not checked: ${v.reason}`);
  for (const w of d.warnings) out.push(`Warning: ${w}`);
  return out.join('\n') + '\n';
}

