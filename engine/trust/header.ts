// The header shared by .tlv, .sgn and .enc.sgn files: encode (with padding and the header length that counts the
// signature) and parse (any order inside containers, padding skipped, duplicates and overruns rejected).
import { modulusIndex, type SignerIdentity } from './signature.js';
import { DIGEST_CODES, digestFromCode, HEADER_CONTAINERS, headerTagName, HeaderTag, MODULUS_INDEX_BYTES, SIGNATURE_ALGORITHM_RSA, type DigestName } from './tags.js';
import {
  elementValue,
  encodeContainer,
  encodeElement,
  encodeString,
  encodeU16,
  encodeU32,
  encodeU8,
  readElement,
  readString,
  readU16,
  readU32,
  readU8,
  expectLength,
  TlvError,
  TrustInputError,
} from './tlv-codec.js';

export interface Version {
  major: number;
  minor: number;
}

export interface HeaderInput {
  version: Version;
  /** Header tag 28 (signer version 1.0 / 1.1); omitted when undefined. */
  signerVersion?: Version;
  signer: SignerIdentity;
  digest: DigestName;
  /** Header tag 11; defaults to the index for the signature size. */
  modulusIndex?: number;
  filename: string;
  /** Unix seconds (header tag 15). */
  timestamp: number;
  /** Already-encoded elements placed after TIMESTAMP (encryption info, content hash). */
  trailing?: Buffer[];
}

export interface EncodedHeader {
  /** The header without its SIGNATURE element, padded so that header length % 4 == 0. */
  unsigned: Buffer;
  /** Where the SIGNATURE element goes (right after the signature-info container). */
  signatureOffset: number;
  /** The header length written at offset 8: includes the SIGNATURE element and the padding. */
  headerLength: number;
}

/** Offset of the 2-byte header length value (after VERSION(5 bytes) and the HEADERLENGTH tag/length). */
const HEADER_LENGTH_VALUE_OFFSET = 8;

export function encodeHeader(h: HeaderInput): EncodedHeader {
  const sigLen = h.signer.signatureLength;
  const modIndex = h.modulusIndex ?? modulusIndex(sigLen);
  if (modIndex === undefined) {
    throw new TrustInputError('signer', `no SIGNATUREMODULUS index is known for a ${sigLen * 8}-bit key (known: ${MODULUS_INDEX_BYTES.map((b) => b * 8).join(', ')}); pass modulusIndex to force one`);
  }
  const before: Buffer[] = [
    encodeElement(HeaderTag.VERSION, Buffer.from([h.version.major, h.version.minor]), 'VERSION'),
    encodeU16(HeaderTag.HEADER_LENGTH, 0, 'HEADERLENGTH'),
  ];
  if (h.signerVersion) before.push(encodeElement(HeaderTag.SIGNER_VERSION, Buffer.from([h.signerVersion.major, h.signerVersion.minor]), 'SIGNERVERSION'));
  before.push(
    encodeContainer(
      HeaderTag.SIGNER_INFO,
      [
        encodeString(HeaderTag.SIGNER_NAME, h.signer.name, 'SIGNERNAME'),
        encodeElement(HeaderTag.SERIAL_NUMBER, h.signer.serialNumber, 'SERIALNUMBER'),
        encodeString(HeaderTag.ISSUER_NAME, h.signer.issuer, 'CANAME'),
      ],
      'SIGNERID',
    ),
    encodeContainer(
      HeaderTag.SIGNATURE_INFO,
      [
        encodeU8(HeaderTag.DIGEST_ALGORITHM, DIGEST_CODES[h.digest], 'DIGESTALGORITHM'),
        encodeContainer(
          HeaderTag.SIGNATURE_ALGORITHM_INFO,
          [encodeU8(HeaderTag.SIGNATURE_ALGORITHM, SIGNATURE_ALGORITHM_RSA, 'SIGNATUREALGORITHM'), encodeU8(HeaderTag.SIGNATURE_MODULUS, modIndex, 'SIGNATUREMODULUS')],
          'SIGNATUREALGOINFO',
        ),
      ],
      'SIGNATUREINFO',
    ),
  );
  const after: Buffer[] = [encodeString(HeaderTag.FILENAME, h.filename, 'FILENAME'), encodeU32(HeaderTag.TIMESTAMP, h.timestamp, 'TIMESTAMP'), ...(h.trailing ?? [])];
  const head = Buffer.concat(before);
  let unsigned = Buffer.concat([head, ...after]);
  const pad = (4 - ((unsigned.length + 3 + sigLen) % 4)) % 4;
  unsigned = Buffer.concat([unsigned, Buffer.alloc(pad, HeaderTag.PADDING)]);
  const headerLength = unsigned.length + 3 + sigLen;
  if (headerLength > 0xffff) throw new TrustInputError('header', `header of ${headerLength} bytes does not fit the 16-bit HEADERLENGTH`);
  unsigned.writeUInt16BE(headerLength, HEADER_LENGTH_VALUE_OFFSET);
  return { unsigned, signatureOffset: head.length, headerLength };
}

export interface HeaderElement {
  tag: number;
  name: string;
  offset: number;
  /** Value length (0 for a padding byte). */
  length: number;
  depth: number;
}

export interface UnknownElement {
  tag: number;
  offset: number;
  value: Buffer;
}

export interface EncryptionHeader {
  ivReserved?: number;
  iv?: Buffer;
  paddingCount?: number;
  paddingCountOffset?: number;
  keyReserved?: number;
  keySizeBits?: number;
  keyAlgorithm?: number;
  wrappedKey?: Buffer;
}

export interface ParsedHeader {
  version: Version;
  headerLength: number;
  signerVersion?: Version;
  signerName?: string;
  serialNumber?: Buffer;
  issuerName?: string;
  digestCode?: number;
  digest?: DigestName;
  signatureAlgorithm?: number;
  modulusIndex?: number;
  signature: Buffer;
  /** Offset of the SIGNATURE element (its tag byte). */
  signatureOffset: number;
  filename?: string;
  timestamp?: number;
  encryption?: EncryptionHeader;
  contentHashAlgorithmCode?: number;
  contentHashAlgorithm?: DigestName;
  contentHash?: Buffer;
  contentHashOffset?: number;
  paddingBytes: number;
  elements: HeaderElement[];
  unknown: UnknownElement[];
  warnings: string[];
}

export interface ParseOptions {
  /** 'error' (default): an unknown tag is a TlvError; 'keep': it is kept in `unknown` and skipped. */
  unknownTags?: 'error' | 'keep';
}

export function parseHeader(buf: Uint8Array, opts: ParseOptions = {}): ParsedHeader {
  if (buf.length === 0) throw new TlvError('VERSION', 0, 'the file is empty');
  const v = readElement(buf, 0, buf.length, headerTagName, 'the file');
  if (v.tag !== HeaderTag.VERSION) throw new TlvError('VERSION', 0, `a file must start with VERSION (tag 1), found tag ${v.tag}`);
  expectLength(v, 'VERSION', [2]);
  const l = readElement(buf, v.end, buf.length, headerTagName, 'the file');
  if (l.tag !== HeaderTag.HEADER_LENGTH) throw new TlvError('HEADERLENGTH', v.end, `VERSION must be followed by HEADERLENGTH (tag 2), found tag ${l.tag}`);
  const headerLength = readU16(buf, l, 'HEADERLENGTH');
  if (headerLength < l.end) throw new TlvError('HEADERLENGTH', l.offset, `header length ${headerLength} is shorter than VERSION and HEADERLENGTH (${l.end} bytes)`);
  if (headerLength > buf.length) throw new TlvError('HEADERLENGTH', l.offset, `header length ${headerLength} runs past the end of the file (${buf.length} bytes)`);

  const h: Partial<ParsedHeader> & { paddingBytes: number; elements: HeaderElement[]; unknown: UnknownElement[]; warnings: string[] } = {
    version: { major: buf[v.valueOffset]!, minor: buf[v.valueOffset + 1]! },
    headerLength,
    paddingBytes: 0,
    elements: [
      { tag: 1, name: 'VERSION', offset: 0, length: 2, depth: 0 },
      { tag: 2, name: 'HEADERLENGTH', offset: l.offset, length: 2, depth: 0 },
    ],
    unknown: [],
    warnings: [],
  };
  const warn = (m: string) => h.warnings.push(m);
  const enc = (): EncryptionHeader => (h.encryption ??= {});
  const seen = new Map<number, number>([
    [1, 0],
    [2, l.offset],
  ]);

  const walk = (start: number, end: number, depth: number, scope: string): void => {
    for (let p = start; p < end; ) {
      const tag = buf[p]!;
      if (tag === HeaderTag.PADDING) {
        h.paddingBytes++;
        h.elements.push({ tag, name: 'PADDING', offset: p, length: 0, depth });
        p++;
        continue;
      }
      const name = headerTagName(tag);
      const el = readElement(buf, p, end, headerTagName, scope);
      const first = seen.get(tag);
      if (first !== undefined) throw new TlvError(name, p, `duplicate element (the first is at offset ${first})`);
      seen.set(tag, p);
      h.elements.push({ tag, name, offset: p, length: el.length, depth });
      if (HEADER_CONTAINERS[tag]) {
        walk(el.valueOffset, el.end, depth + 1, `the ${name} container`);
        p = el.end;
        continue;
      }
      switch (tag) {
        case HeaderTag.SIGNER_VERSION:
          expectLength(el, name, [2]);
          h.signerVersion = { major: buf[el.valueOffset]!, minor: buf[el.valueOffset + 1]! };
          break;
        case HeaderTag.SIGNER_NAME:
          h.signerName = readString(buf, el, name, warn);
          break;
        case HeaderTag.SERIAL_NUMBER:
          h.serialNumber = elementValue(buf, el);
          break;
        case HeaderTag.ISSUER_NAME:
          h.issuerName = readString(buf, el, name, warn);
          break;
        case HeaderTag.DIGEST_ALGORITHM:
          h.digestCode = readU8(buf, el, name);
          h.digest = digestFromCode(h.digestCode);
          break;
        case HeaderTag.SIGNATURE_ALGORITHM:
          h.signatureAlgorithm = readU8(buf, el, name);
          break;
        case HeaderTag.SIGNATURE_MODULUS:
          h.modulusIndex = readU8(buf, el, name);
          break;
        case HeaderTag.SIGNATURE:
          if (depth !== 0) throw new TlvError(name, p, `SIGNATURE must not sit inside ${scope}`);
          h.signature = elementValue(buf, el);
          h.signatureOffset = p;
          break;
        case HeaderTag.FILENAME:
          h.filename = readString(buf, el, name, warn);
          break;
        case HeaderTag.TIMESTAMP:
          h.timestamp = readU32(buf, el, name);
          break;
        case HeaderTag.IV_RESERVED:
          enc().ivReserved = readU8(buf, el, name);
          break;
        case HeaderTag.IV:
          enc().iv = elementValue(buf, el);
          break;
        case HeaderTag.CIPHER_PADDING:
          enc().paddingCount = readU16(buf, el, name);
          enc().paddingCountOffset = p;
          break;
        case HeaderTag.KEY_RESERVED:
          enc().keyReserved = readU8(buf, el, name);
          break;
        case HeaderTag.KEY_SIZE:
          enc().keySizeBits = readU16(buf, el, name);
          break;
        case HeaderTag.KEY_ALGORITHM:
          enc().keyAlgorithm = readU8(buf, el, name);
          break;
        case HeaderTag.WRAPPED_KEY:
          enc().wrappedKey = elementValue(buf, el);
          break;
        case HeaderTag.CONTENT_HASH_ALGORITHM:
          h.contentHashAlgorithmCode = readU8(buf, el, name);
          h.contentHashAlgorithm = digestFromCode(h.contentHashAlgorithmCode);
          break;
        case HeaderTag.CONTENT_HASH:
          h.contentHash = elementValue(buf, el);
          h.contentHashOffset = p;
          break;
        default:
          if (opts.unknownTags !== 'keep') throw new TlvError(name, p, `unknown header tag ${tag} (length ${el.length})`);
          h.unknown.push({ tag, offset: p, value: elementValue(buf, el) });
          warn(`${name} at offset ${p}: unknown tag kept (${el.length} bytes)`);
      }
      p = el.end;
    }
  };
  walk(l.end, headerLength, 0, 'the header');

  if (h.signature === undefined || h.signatureOffset === undefined) {
    throw new TlvError('SIGNATURE', l.end, `the header (offsets 0-${headerLength - 1}) has no SIGNATURE element`);
  }
  if (headerLength % 4 !== 0) warn(`HEADERLENGTH at offset ${l.offset}: header length ${headerLength} is not a multiple of 4`);
  if (h.modulusIndex !== undefined && MODULUS_INDEX_BYTES[h.modulusIndex] !== h.signature.length) {
    warn(`SIGNATUREMODULUS: index ${h.modulusIndex} does not match the ${h.signature.length}-byte signature`);
  }
  return h as ParsedHeader;
}
