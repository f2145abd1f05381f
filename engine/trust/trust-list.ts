// ITL and CTL share one layout: a signed header followed by records. This module builds, parses and verifies that
// layout; itl.ts and ctl.ts add what CUCM puts in each.
import { logger } from '../../common/log.js';
import { parseCertificate, publicKeyFromRecord, type DnFormat } from './certificate.js';
import { encodeHeader, parseHeader, type ParseOptions, type ParsedHeader, type Version } from './header.js';
import { encodeRecord, parseRecords, type ParsedRecord, type RecordInput } from './records.js';
import { rsaVerify, sealFile, signedBytes, signerIdentity, type Signer } from './signature.js';
import { Role, roleCode, TLV_VERSION, type DigestName } from './tags.js';
import { TlvError, TrustInputError } from './tlv-codec.js';

const log = logger('trust');

/** Phones fail to load an ITL above ~64 KB, which CUCM reaches at ~39 certificates (Security Guide). */
export const MAX_TRUST_LIST_BYTES = 64 * 1024;
export const MAX_TRUST_LIST_CERTIFICATES = 39;
/** A .tlv may carry at most two SAST records. */
export const MAX_SAST_RECORDS = 2;

export type SignerVersion = '1.0' | '1.1';

export interface TrustListOptions {
  signer: Signer;
  records: RecordInput[];
  /** Signer version (header tag 28): '1.1' is what lets phones use EC records. Default '1.0'. */
  version?: SignerVersion;
  /** Write header tag 28 at all (default true; CUCM 10.5 CTLs in TAC dumps have none). */
  signerVersionTag?: boolean;
  /** Default 'sha1' (CUCM's default "TFTP File Signature Algorithm"). */
  digest?: DigestName;
  /** Header FILENAME; per-MAC copies keep the default name (ITLFile.tlv / CTLFile.tlv). */
  filename?: string;
  /** Header TIMESTAMP: a Date or Unix seconds; default now. */
  timestamp?: Date | number;
  dnFormat?: DnFormat;
  /** Force header tag 11 (for key sizes without a known index). */
  modulusIndex?: number;
}

export interface BuiltFile {
  bytes: Buffer;
  warnings: string[];
}

export function unixSeconds(t: Date | number | undefined): number {
  if (t === undefined) return Math.floor(Date.now() / 1000);
  const s = t instanceof Date ? Math.floor(t.getTime() / 1000) : Math.floor(t);
  if (!Number.isFinite(s) || s < 0 || s > 0xffffffff) throw new TrustInputError('timestamp', `${String(t)} is not a 32-bit Unix time`);
  return s;
}

export function parseSignerVersion(v: SignerVersion | undefined): Version {
  if (v === undefined || v === '1.0') return { major: 1, minor: 0 };
  if (v === '1.1') return { major: 1, minor: 1 };
  throw new TrustInputError('version', `signer version ${JSON.stringify(v)} is not 1.0 or 1.1`);
}

/** The size limits CUCM documents; returns warnings (empty when within them). */
export function sizeWarnings(fileBytes: number, certificateCount: number): string[] {
  const w: string[] = [];
  if (fileBytes > MAX_TRUST_LIST_BYTES) w.push(`file is ${fileBytes} bytes: phones fail to load trust lists above ${MAX_TRUST_LIST_BYTES} bytes (64 KB)`);
  if (certificateCount > MAX_TRUST_LIST_CERTIFICATES) {
    w.push(`${certificateCount} certificates: CUCM warns that more than ${MAX_TRUST_LIST_CERTIFICATES} make the ITL exceed 64 KB and phone registration fail`);
  }
  return w;
}

/** Builds a signed trust list from explicit records (no CUCM policy beyond the SAST limit). */
export function buildTrustList(o: TrustListOptions, defaultFilename: string): BuiltFile {
  const dnFormat = o.dnFormat ?? 'cisco';
  const digest = o.digest ?? 'sha1';
  const { identity } = signerIdentity(o.signer, dnFormat);
  const sast = o.records.filter((r) => roleCode(r.role) === Role.SAST).length;
  if (sast > MAX_SAST_RECORDS) throw new TrustInputError('records', `${sast} SAST records; a trust list may carry at most ${MAX_SAST_RECORDS}`);
  const warnings: string[] = [];
  const version = parseSignerVersion(o.version);
  const encoded = o.records.map((r, i) => encodeRecord(r, dnFormat, `records[${i}]`));
  const parsed = parseRecords(Buffer.concat(encoded), 0);
  const signerRecord = parsed.find((r) => r.role === Role.SAST && r.serialNumber?.equals(identity.serialNumber) && r.issuerName === identity.issuer);
  if (!signerRecord) warnings.push(`no SAST record carries the signer (${identity.name}, serial ${hex(identity.serialNumber)}): phones cannot verify the file`);
  if (version.minor === 0 && parsed.some((r) => r.certificate && parseCertificate(r.certificate).key?.type === 'ec')) {
    warnings.push('EC certificates in a signer-version 1.0 file: phones only use EC records when the signer version is 1.1');
  }
  const header = encodeHeader({
    version: TLV_VERSION,
    ...(o.signerVersionTag === false ? {} : { signerVersion: version }),
    signer: identity,
    digest,
    ...(o.modulusIndex === undefined ? {} : { modulusIndex: o.modulusIndex }),
    filename: o.filename ?? defaultFilename,
    timestamp: unixSeconds(o.timestamp),
  });
  const bytes = sealFile(Buffer.concat([header.unsigned, ...encoded]), header.signatureOffset, o.signer.privateKey, digest, identity.signatureLength);
  warnings.push(...sizeWarnings(bytes.length, parsed.filter((r) => r.certificate).length));
  for (const w of warnings) log.warn(`${o.filename ?? defaultFilename}: ${w}`);
  return { bytes, warnings };
}

export type TrustListKind = 'itl' | 'ctl' | 'tlv';

export interface ParsedTrustList {
  kind: TrustListKind;
  bytes: Buffer;
  header: ParsedHeader;
  records: ParsedRecord[];
  warnings: string[];
}

export function trustListKind(filename: string | undefined): TrustListKind {
  if (filename && /^ITL/i.test(filename)) return 'itl';
  if (filename && /^CTL/i.test(filename)) return 'ctl';
  return 'tlv';
}

/** Parses an ITL or CTL (any .tlv trust list). Throws TlvError naming the offset and element on malformed input. */
export function parseTrustList(bytes: Uint8Array, opts: ParseOptions = {}): ParsedTrustList {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = parseHeader(buf, opts);
  const warnings = [...header.warnings];
  const records = parseRecords(buf, header.headerLength, opts, warnings);
  warnings.push(...sizeWarnings(buf.length, records.filter((r) => r.certificate).length));
  return { kind: trustListKind(header.filename), bytes: buf, header, records, warnings };
}

export const parseItl = parseTrustList;
export const parseCtl = parseTrustList;

export interface VerifyResult {
  ok: boolean;
  /** Why verification failed. */
  reason?: string;
  /** 1-based index of the record whose key verified the signature (trust lists, or .sgn checked against one). */
  signerRecord?: number;
  /** What verified it, for display ("record 1 (SAST) CN=…", "the given certificate"). */
  verifiedBy?: string;
  digest?: DigestName;
}

/** Matches a header's signer (serial, and issuer unless told not to) against records with the given roles. */
export function signerCandidates(header: ParsedHeader, records: ParsedRecord[], roles: readonly number[], matchIssuer = true): ParsedRecord[] {
  if (!header.serialNumber) return [];
  return records.filter(
    (r) =>
      r.role !== undefined &&
      roles.includes(r.role) &&
      r.serialNumber?.equals(header.serialNumber!) &&
      (!matchIssuer || header.issuerName === undefined || r.issuerName === undefined || r.issuerName === header.issuerName),
  );
}

/** Verifies the file signature with one record's key (its certificate, else its PUBLICKEY). */
export function verifyWithRecord(bytes: Buffer, header: ParsedHeader, rec: ParsedRecord): { ok: boolean; reason?: string } {
  if (header.digest === undefined) return { ok: false, reason: `unsupported digest algorithm code ${header.digestCode ?? '(missing)'}` };
  if (header.signatureAlgorithm !== undefined && header.signatureAlgorithm !== 0) {
    return { ok: false, reason: `unsupported signature algorithm ${header.signatureAlgorithm} (only 0 = RSA is known)` };
  }
  let key;
  if (rec.certificate) {
    try {
      const cert = parseCertificate(rec.certificate, rec.certificateOffset ?? 0);
      key = cert.publicKey;
      if (!key) return { ok: false, reason: `record ${rec.index}: ${cert.keyError}` };
    } catch (e) {
      if (e instanceof TlvError) return { ok: false, reason: `record ${rec.index}: ${e.message}` };
      throw e;
    }
  } else if (rec.publicKey) {
    key = publicKeyFromRecord(rec.publicKey);
  }
  if (!key) return { ok: false, reason: `record ${rec.index} has no usable public key` };
  if (key.asymmetricKeyType !== 'rsa') return { ok: false, reason: `record ${rec.index} holds a ${key.asymmetricKeyType} key; file signatures are RSA` };
  const ok = rsaVerify(signedBytes(bytes, header.signatureOffset, header.signature.length), header.signature, key, header.digest);
  return ok ? { ok } : { ok, reason: `the signature does not verify against record ${rec.index}` };
}

export function describeRecordBriefly(rec: ParsedRecord): string {
  return `record ${rec.index} (${rec.roleName ?? `role ${rec.role}`}) ${rec.subjectName ?? ''}`.trim();
}

export interface VerifyOptions extends ParseOptions {
  /** Require the record issuer to equal the header CANAME too (default true; certutils matches the serial only). */
  matchIssuer?: boolean;
}

/** Verifies a trust list against its own SAST record for the header's signer (as phones do on first download). */
export function verifyTrustList(file: ParsedTrustList | Uint8Array, opts: VerifyOptions = {}): VerifyResult {
  let parsed: ParsedTrustList;
  try {
    parsed = file instanceof Uint8Array ? parseTrustList(file, opts) : file;
  } catch (e) {
    if (e instanceof TlvError) return { ok: false, reason: e.message };
    throw e;
  }
  const { header, records } = parsed;
  const base: VerifyResult = header.digest ? { ok: false, digest: header.digest } : { ok: false };
  const sast = records.filter((r) => r.role === Role.SAST).length;
  if (sast > MAX_SAST_RECORDS) return { ...base, reason: `${sast} SAST records: phones accept at most ${MAX_SAST_RECORDS}` };
  if (!header.serialNumber) return { ...base, reason: 'the header names no signer serial number (SERIALNUMBER)' };
  const candidates = signerCandidates(header, records, [Role.SAST], opts.matchIssuer !== false);
  if (candidates.length === 0) return { ...base, reason: `no SAST record matches the signer (serial ${hex(header.serialNumber)}, ${header.issuerName ?? 'no CANAME'})` };
  let reason = '';
  for (const rec of candidates) {
    const r = verifyWithRecord(parsed.bytes, header, rec);
    if (r.ok) return { ...base, ok: true, signerRecord: rec.index, verifiedBy: describeRecordBriefly(rec) };
    reason = r.reason ?? reason;
  }
  return { ...base, reason };
}

export function hex(b: Uint8Array, sep = ':'): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(sep);
}
