// .enc.sgn: a phone configuration encrypted with AES-CBC under a fresh key that is wrapped (RSA PKCS#1 v1.5) to the
// phone's MIC/LSC, or under the symmetric key entered on the phone (manual key distribution); header version 2.0,
// signed like a .sgn. Served with a signed stub config (stub-config.ts) that tells the phone to fetch it.
import { constants, createCipheriv, createDecipheriv, createHash, KeyObject, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { parseCertificate, type DnFormat } from './certificate.js';
import { encodeHeader, parseHeader, type ParseOptions, type ParsedHeader } from './header.js';
import { sealFile, signerIdentity, type Signer } from './signature.js';
import { signFile, signedName } from './signed-file.js';
import { buildStubConfig } from './stub-config.js';
import { DIGEST_CODES, ENC_SGN_VERSION, HeaderTag, type DigestName } from './tags.js';
import { encodeContainer, encodeElement, encodeU16, encodeU8, TlvError, TrustInputError } from './tlv-codec.js';
import { unixSeconds } from './trust-list.js';

/** The phone certificate (DER) to wrap a fresh AES-128 key to, or the manual symmetric key (16 or 32 bytes). */
export type ConfigKey = { phoneCertificate: Uint8Array } | { manualKey: Uint8Array };

/** Header tag 24 value: certutils writes 1 and reads it as "AES". */
export const KEY_ALGORITHM_AES = 1;

export interface EncryptConfigOptions {
  /** The plain config's name (`SEP<MAC>.cnf.xml`); the files are `<name>.enc.sgn` and `<name>.sgn`. */
  name?: string;
  /** Signature and content-hash digest; default 'sha1'. */
  digest?: DigestName;
  timestamp?: Date | number;
  dnFormat?: DnFormat;
  /** Fixed AES key / IV (tests); random by default. The manual key wins over aesKey. */
  aesKey?: Uint8Array;
  iv?: Uint8Array;
  /** Also build the signed stub config (default true). */
  stub?: boolean;
  stubKeep?: readonly string[];
}

export interface EncryptedConfig {
  encSgn: Buffer;
  encSgnName: string;
  stubSgn?: Buffer;
  stubSgnName?: string;
  stubXml?: string;
  /** MD5 hex of the phone certificate, as the stub's <certHash>. */
  certHash?: string;
}

function aesCipher(keyLength: number, field: string): string {
  if (keyLength === 16) return 'aes-128-cbc';
  if (keyLength === 32) return 'aes-256-cbc';
  throw new TrustInputError(field, `an AES key is 16 or 32 bytes, got ${keyLength}`);
}

export function encryptConfig(xml: string | Uint8Array, key: ConfigKey, signer: Signer, o: EncryptConfigOptions = {}): EncryptedConfig {
  const name = o.name ?? 'config.cnf.xml';
  const digest = o.digest ?? 'sha1';
  const dnFormat = o.dnFormat ?? 'cisco';
  const timestamp = unixSeconds(o.timestamp);
  const plain = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : Buffer.from(xml);
  const manual = 'manualKey' in key;
  const aesKey = Buffer.from(manual ? key.manualKey : (o.aesKey ?? randomBytes(16)));
  const cipherName = aesCipher(aesKey.length, manual ? 'manualKey' : 'aesKey');
  const iv = Buffer.from(o.iv ?? randomBytes(16));
  if (iv.length !== 16) throw new TrustInputError('iv', `the AES-CBC IV is 16 bytes, got ${iv.length}`);

  let wrapped: Buffer | undefined;
  let certHash: string | undefined;
  if (!manual) {
    const cert = parseCertificate(key.phoneCertificate, 0, 'phone certificate');
    if (cert.publicKey?.asymmetricKeyType !== 'rsa') {
      throw new TrustInputError('phoneCertificate', `holds a ${cert.key?.type ?? 'unusable'} key; the config key is wrapped with RSA PKCS#1 v1.5`);
    }
    wrapped = publicEncrypt({ key: cert.publicKey, padding: constants.RSA_PKCS1_PADDING }, aesKey);
    certHash = createHash('md5').update(cert.der).digest('hex');
  }

  // Pad with '\r' to the block size: always 1..16 bytes, the count goes in the header.
  const padCount = 16 - (plain.length % 16);
  const cipher = createCipheriv(cipherName, aesKey, iv).setAutoPadding(false);
  const ciphertext = Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(padCount, 0x0d)])), cipher.final()]);

  const keyInfo = [
    encodeU8(HeaderTag.KEY_RESERVED, 0, 'KEYRESERVED'),
    // certutils writes the wrapped key's bit length here; for a manual key we write the AES key's.
    encodeU16(HeaderTag.KEY_SIZE, (wrapped ?? aesKey).length * 8, 'KEYSIZE'),
    encodeU8(HeaderTag.KEY_ALGORITHM, KEY_ALGORITHM_AES, 'KEYALGORITHM'),
    ...(wrapped ? [encodeElement(HeaderTag.WRAPPED_KEY, wrapped, 'WRAPPEDKEY')] : []),
  ];
  const trailing = [
    encodeContainer(
      HeaderTag.ENCRYPTION_INFO,
      [
        encodeContainer(
          HeaderTag.IV_INFO,
          [encodeU8(HeaderTag.IV_RESERVED, 0, 'IVRESERVED'), encodeElement(HeaderTag.IV, iv, 'IV'), encodeU16(HeaderTag.CIPHER_PADDING, padCount, 'CIPHERPADDING')],
          'IVINFO',
        ),
        encodeContainer(HeaderTag.KEY_INFO, keyInfo, 'KEYINFO'),
      ],
      'ENCRYPTIONINFO',
    ),
    encodeU8(HeaderTag.CONTENT_HASH_ALGORITHM, DIGEST_CODES[digest], 'CONTENTHASHALGORITHM'),
    encodeElement(HeaderTag.CONTENT_HASH, createHash(digest).update(plain).digest(), 'CONTENTHASH'),
  ];
  const { identity } = signerIdentity(signer, dnFormat);
  const encSgnName = `${name}.enc.sgn`;
  const header = encodeHeader({ version: ENC_SGN_VERSION, signer: identity, digest, filename: encSgnName, timestamp, trailing });
  const encSgn = sealFile(Buffer.concat([header.unsigned, ciphertext]), header.signatureOffset, signer.privateKey, digest, identity.signatureLength);

  const out: EncryptedConfig = { encSgn, encSgnName };
  if (certHash) out.certHash = certHash;
  if (o.stub !== false) {
    const xmlText = plain.toString('utf8');
    out.stubXml = buildStubConfig(xmlText, { ...(certHash ? { certHash } : {}), ...(o.stubKeep ? { keep: o.stubKeep } : {}) });
    out.stubSgnName = signedName(name);
    out.stubSgn = signFile(name, out.stubXml, signer, { digest, timestamp, dnFormat });
  }
  return out;
}

export interface ParsedEncryptedConfig {
  kind: 'enc-sgn';
  bytes: Buffer;
  header: ParsedHeader;
  iv: Buffer;
  paddingCount: number;
  keySizeBits?: number;
  keyAlgorithm?: number;
  wrappedKey?: Buffer;
  contentHashAlgorithm?: DigestName;
  contentHash?: Buffer;
  ciphertext: Buffer;
  warnings: string[];
}

function elementOffset(header: ParsedHeader, tag: number): number {
  return header.elements.find((e) => e.tag === tag)?.offset ?? 0;
}

export function parseEncryptedConfig(bytes: Uint8Array, opts: ParseOptions = {}): ParsedEncryptedConfig {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = parseHeader(buf, opts);
  const enc = header.encryption;
  if (!enc) throw new TlvError('ENCRYPTIONINFO', header.signatureOffset, 'the header has no encryption elements: not an .enc.sgn file');
  if (!enc.iv) throw new TlvError('IV', elementOffset(header, HeaderTag.ENCRYPTION_INFO), 'the encryption info has no IV');
  if (enc.iv.length !== 16) throw new TlvError('IV', elementOffset(header, HeaderTag.IV), `the IV is ${enc.iv.length} bytes, AES-CBC needs 16`);
  if (enc.paddingCount === undefined) throw new TlvError('CIPHERPADDING', elementOffset(header, HeaderTag.ENCRYPTION_INFO), 'the encryption info has no padding count');
  const ciphertext = buf.subarray(header.headerLength);
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw new TlvError('ciphertext', header.headerLength, `${ciphertext.length} bytes of ciphertext, expected a non-zero multiple of 16`);
  }
  if (enc.paddingCount < 1 || enc.paddingCount > 16) {
    throw new TlvError('CIPHERPADDING', enc.paddingCountOffset ?? 0, `padding count ${enc.paddingCount} is outside 1..16`);
  }
  const p: ParsedEncryptedConfig = { kind: 'enc-sgn', bytes: buf, header, iv: enc.iv, paddingCount: enc.paddingCount, ciphertext, warnings: [...header.warnings] };
  if (enc.keySizeBits !== undefined) p.keySizeBits = enc.keySizeBits;
  if (enc.keyAlgorithm !== undefined) p.keyAlgorithm = enc.keyAlgorithm;
  if (enc.wrappedKey) p.wrappedKey = enc.wrappedKey;
  if (header.contentHashAlgorithm) p.contentHashAlgorithm = header.contentHashAlgorithm;
  if (header.contentHash) p.contentHash = header.contentHash;
  return p;
}

/**
 * RSAES-PKCS1-v1_5 decryption done by hand on the raw RSA result: Node refuses PKCS#1 padding in privateDecrypt
 * (CVE-2023-46809, Marvin). Any failure is one generic error, so the result does not tell how the padding was wrong.
 */
export function unwrapKey(privateKey: KeyObject, wrapped: Uint8Array): Buffer | undefined {
  const k = (privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
  if (privateKey.asymmetricKeyType !== 'rsa' || wrapped.length !== k) return undefined;
  let em: Buffer;
  try {
    em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, wrapped);
  } catch {
    return undefined;
  }
  let sep = 0;
  for (let i = 2; i < em.length; i++) if (em[i] === 0 && sep === 0) sep = i;
  if (em[0] !== 0 || em[1] !== 2 || sep < 10) return undefined;
  return em.subarray(sep + 1);
}

/** Decrypts an .enc.sgn with the phone's private key (or the manual key) and checks the content hash. */
export function decryptConfig(file: Uint8Array | ParsedEncryptedConfig, key: KeyObject | { manualKey: Uint8Array }): Buffer {
  const p = file instanceof Uint8Array ? parseEncryptedConfig(file) : file;
  let aesKey: Buffer | undefined;
  if (key instanceof KeyObject) {
    if (!p.wrappedKey) throw new TlvError('WRAPPEDKEY', elementOffset(p.header, HeaderTag.KEY_INFO), 'no wrapped key: this file is for a manual (symmetric) key');
    aesKey = unwrapKey(key, p.wrappedKey);
    if (!aesKey) throw new TlvError('WRAPPEDKEY', elementOffset(p.header, HeaderTag.WRAPPED_KEY), 'this private key does not unwrap the configuration key');
  } else aesKey = Buffer.from(key.manualKey);
  if (aesKey.length !== 16 && aesKey.length !== 32) {
    throw new TlvError('WRAPPEDKEY', elementOffset(p.header, HeaderTag.WRAPPED_KEY), `the configuration key is ${aesKey.length} bytes, AES needs 16 or 32`);
  }
  const decipher = createDecipheriv(aesKey.length === 16 ? 'aes-128-cbc' : 'aes-256-cbc', aesKey, p.iv).setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(p.ciphertext), decipher.final()]);
  const plain = padded.subarray(0, padded.length - p.paddingCount);
  if (p.contentHash) {
    const alg = p.contentHashAlgorithm ?? p.header.digest;
    if (!alg) throw new TlvError('CONTENTHASHALGORITHM', elementOffset(p.header, HeaderTag.CONTENT_HASH_ALGORITHM), 'unknown content hash algorithm');
    if (!createHash(alg).update(plain).digest().equals(p.contentHash)) {
      throw new TlvError('CONTENTHASH', p.header.contentHashOffset ?? 0, 'the decrypted configuration does not match the content hash (wrong key or altered file)');
    }
  }
  return Buffer.from(plain);
}
