// .sgn: any file (configuration, ring list, locale, …) behind the same signed header, version 1.0, no records.
import { createPublicKey, KeyObject } from 'node:crypto';
import { parseCertificate, type DnFormat } from './certificate.js';
import { encodeHeader, parseHeader, type ParseOptions, type ParsedHeader, type Version } from './header.js';
import { rsaVerify, sealFile, signedBytes, signerIdentity, type Signer } from './signature.js';
import { SGN_VERSION, TFTP_ROLES, type DigestName } from './tags.js';
import { TlvError, TrustInputError } from './tlv-codec.js';
import { describeRecordBriefly, hex, parseTrustList, signerCandidates, unixSeconds, verifyWithRecord, type ParsedTrustList, type VerifyResult } from './trust-list.js';

export interface SignFileOptions {
  /** Default 'sha1'. */
  digest?: DigestName;
  /** Header FILENAME; default `<name>.sgn`. */
  filename?: string;
  timestamp?: Date | number;
  dnFormat?: DnFormat;
  /** Header VERSION; default 1.0. */
  version?: Version;
  modulusIndex?: number;
}

/** The name a signed copy is served under. */
export function signedName(name: string): string {
  return name.endsWith('.sgn') ? name : `${name}.sgn`;
}

/** Signs `content` (the original file bytes) as `<name>.sgn` with the TFTP (CallManager) key. */
export function signFile(name: string, content: Uint8Array | string, signer: Signer, o: SignFileOptions = {}): Buffer {
  const digest = o.digest ?? 'sha1';
  const { identity } = signerIdentity(signer, o.dnFormat ?? 'cisco');
  const header = encodeHeader({
    version: o.version ?? SGN_VERSION,
    signer: identity,
    digest,
    ...(o.modulusIndex === undefined ? {} : { modulusIndex: o.modulusIndex }),
    filename: o.filename ?? signedName(name),
    timestamp: unixSeconds(o.timestamp),
  });
  const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  return sealFile(Buffer.concat([header.unsigned, body]), header.signatureOffset, signer.privateKey, digest, identity.signatureLength);
}

export interface ParsedSigned {
  kind: 'sgn';
  bytes: Buffer;
  header: ParsedHeader;
  /** The original file (everything after the header). */
  content: Buffer;
  warnings: string[];
}

export function parseSigned(bytes: Uint8Array, opts: ParseOptions = {}): ParsedSigned {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = parseHeader(buf, opts);
  return { kind: 'sgn', bytes: buf, header, content: buf.subarray(header.headerLength), warnings: [...header.warnings] };
}

/**
 * Who may have signed a .sgn / .enc.sgn: a certificate (DER), a public key, or a trust list whose TFTP-capable
 * record (TFTP or CCM+TFTP) matches the header's signer, as a phone checks it against its ITL/CTL.
 */
export type SignedFileTrust = Uint8Array | KeyObject | ParsedTrustList;

export function verifySignedHeader(bytes: Buffer, header: ParsedHeader, trust: SignedFileTrust | SignedFileTrust[]): VerifyResult {
  const base: VerifyResult = header.digest ? { ok: false, digest: header.digest } : { ok: false };
  if (header.digest === undefined) return { ...base, reason: `unsupported digest algorithm code ${header.digestCode ?? '(missing)'}` };
  if (header.signatureAlgorithm !== undefined && header.signatureAlgorithm !== 0) return { ...base, reason: `unsupported signature algorithm ${header.signatureAlgorithm}` };
  const data = signedBytes(bytes, header.signatureOffset, header.signature.length);
  let reason = 'no trusted key given';
  for (const t of Array.isArray(trust) ? trust : [trust]) {
    if (t instanceof Uint8Array) {
      let cert;
      try {
        cert = parseCertificate(t, 0, 'trusted certificate');
      } catch (e) {
        if (e instanceof TlvError) {
          reason = e.message;
          continue;
        }
        throw e;
      }
      if (header.serialNumber && !cert.serialNumber.equals(header.serialNumber)) {
        reason = `the header signer (serial ${hex(header.serialNumber)}) is not the given certificate (serial ${hex(cert.serialNumber)})`;
        continue;
      }
      if (cert.publicKey && rsaVerify(data, header.signature, cert.publicKey, header.digest)) return { ...base, ok: true, verifiedBy: 'the given certificate' };
      reason = 'the signature does not verify against the given certificate';
    } else if (t instanceof KeyObject) {
      const key = t.type === 'private' ? createPublicKey(t) : t;
      if (rsaVerify(data, header.signature, key, header.digest)) return { ...base, ok: true, verifiedBy: 'the given key' };
      reason = 'the signature does not verify against the given key';
    } else {
      const candidates = signerCandidates(header, t.records, TFTP_ROLES);
      if (candidates.length === 0) {
        reason = `no TFTP or CCM+TFTP record of the trust list matches the signer (serial ${header.serialNumber ? hex(header.serialNumber) : '?'})`;
        continue;
      }
      for (const rec of candidates) {
        const r = verifyWithRecord(bytes, header, rec);
        if (r.ok) return { ...base, ok: true, signerRecord: rec.index, verifiedBy: `${t.kind.toUpperCase()} ${describeRecordBriefly(rec)}` };
        reason = r.reason ?? reason;
      }
    }
  }
  return { ...base, reason };
}

/** Verifies a .sgn (or .enc.sgn) signature; `trust` is the TFTP certificate, a key, or an ITL/CTL. */
export function verifySigned(file: { bytes: Buffer; header: ParsedHeader } | Uint8Array, trust: SignedFileTrust | SignedFileTrust[]): VerifyResult {
  let parsed: { bytes: Buffer; header: ParsedHeader };
  try {
    parsed = file instanceof Uint8Array ? parseSigned(file) : file;
  } catch (e) {
    if (e instanceof TlvError) return { ok: false, reason: e.message };
    throw e;
  }
  return verifySignedHeader(parsed.bytes, parsed.header, trust);
}

/** Reads trust input given as bytes: a .tlv trust list, or a DER certificate. */
export function trustFromBytes(bytes: Uint8Array): SignedFileTrust {
  if (bytes[0] === 1) return parseTrustList(bytes);
  if (bytes[0] === 0x30) return bytes;
  throw new TrustInputError('trust', 'neither a .tlv trust list nor a DER certificate');
}
