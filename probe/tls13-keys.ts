// TLS 1.3 key schedule (RFC 8446 7.1, 7.3) and record decryption (5.2-5.3), just far enough to read the server's
// encrypted handshake flight: EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify, Finished.
// The secret comes either from our own key share (raw probes) or from node's key log (real handshakes).
import { createCipheriv, createDecipheriv, createECDH, createHash, createHmac, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { TlsWireError } from './tls-wire.js';

export type HashName = 'sha256' | 'sha384';

interface AeadSpec {
  cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305' | 'aes-128-ccm';
  keyLength: number;
  tagLength: number;
  hash: HashName;
}

const AEAD_BY_SUITE: Readonly<Record<number, AeadSpec>> = {
  0x1301: { cipher: 'aes-128-gcm', keyLength: 16, tagLength: 16, hash: 'sha256' },
  0x1302: { cipher: 'aes-256-gcm', keyLength: 32, tagLength: 16, hash: 'sha384' },
  0x1303: { cipher: 'chacha20-poly1305', keyLength: 32, tagLength: 16, hash: 'sha256' },
  0x1304: { cipher: 'aes-128-ccm', keyLength: 16, tagLength: 16, hash: 'sha256' },
  0x1305: { cipher: 'aes-128-ccm', keyLength: 16, tagLength: 8, hash: 'sha256' },
};

export function isTls13Suite(code: number): boolean {
  return AEAD_BY_SUITE[code] !== undefined;
}

function aeadFor(suite: number): AeadSpec {
  const a = AEAD_BY_SUITE[suite];
  if (!a) throw new TlsWireError(`cipher suite 0x${suite.toString(16).padStart(4, '0')} is not a TLS 1.3 suite`, 0, 'ServerHello');
  return a;
}

export function hashForSuite(suite: number): HashName {
  return aeadFor(suite).hash;
}

const hashLength = (h: HashName) => (h === 'sha256' ? 32 : 48);

export function hkdfExtract(hash: HashName, salt: Buffer, ikm: Buffer): Buffer {
  return createHmac(hash, salt.length ? salt : Buffer.alloc(hashLength(hash))).update(ikm).digest();
}

export function hkdfExpand(hash: HashName, prk: Buffer, info: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let t = Buffer.alloc(0);
  let have = 0;
  for (let i = 1; have < length; i++) {
    t = createHmac(hash, prk).update(Buffer.concat([t, info, Buffer.from([i])])).digest();
    out.push(t);
    have += t.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** HKDF-Expand-Label (RFC 8446 7.1): label prefixed with "tls13 ". */
export function hkdfExpandLabel(hash: HashName, secret: Buffer, label: string, context: Buffer, length: number): Buffer {
  const l = Buffer.from(`tls13 ${label}`, 'ascii');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, l.length]), l, Buffer.from([context.length]), context]);
  return hkdfExpand(hash, secret, info, length);
}

export function transcriptHash(hash: HashName, ...messages: Buffer[]): Buffer {
  const h = createHash(hash);
  for (const m of messages) h.update(m);
  return h.digest();
}

/** server_handshake_traffic_secret from the (EC)DHE shared secret and Hash(ClientHello || ServerHello), no PSK. */
export function serverHandshakeTrafficSecret(hash: HashName, sharedSecret: Buffer, helloHash: Buffer): Buffer {
  const zeros = Buffer.alloc(hashLength(hash));
  const early = hkdfExtract(hash, zeros, zeros);
  const derived = hkdfExpandLabel(hash, early, 'derived', transcriptHash(hash), hashLength(hash));
  const handshake = hkdfExtract(hash, derived, sharedSecret);
  return hkdfExpandLabel(hash, handshake, 's hs traffic', helloHash, hashLength(hash));
}

export function trafficKeys(suite: number, secret: Buffer): { key: Buffer; iv: Buffer } {
  const a = aeadFor(suite);
  return { key: hkdfExpandLabel(a.hash, secret, 'key', Buffer.alloc(0), a.keyLength), iv: hkdfExpandLabel(a.hash, secret, 'iv', Buffer.alloc(0), 12) };
}

function nonceFor(iv: Buffer, seq: bigint): Buffer {
  const n = Buffer.from(iv);
  for (let i = 0; i < 8; i++) n[11 - i]! ^= Number((seq >> BigInt(8 * i)) & 0xffn);
  return n;
}

/** Decrypts one direction's TLS 1.3 records in order (sequence numbers from 0). */
export class RecordDecrypter {
  private seq = 0n;
  private readonly key: Buffer;
  private readonly iv: Buffer;
  private readonly aead: AeadSpec;

  constructor(suite: number, secret: Buffer) {
    this.aead = aeadFor(suite);
    ({ key: this.key, iv: this.iv } = trafficKeys(suite, secret));
  }

  /** Returns the inner content type and content; throws TlsWireError when the record does not authenticate. */
  decrypt(header: Buffer, ciphertext: Buffer, offset = 0): { type: number; content: Buffer } {
    const { cipher, tagLength } = this.aead;
    if (ciphertext.length < tagLength + 1) throw new TlsWireError(`encrypted record of ${ciphertext.length} bytes is shorter than its tag`, offset, 'TLS 1.3 record');
    const nonce = nonceFor(this.iv, this.seq++);
    const body = ciphertext.subarray(0, ciphertext.length - tagLength);
    const tag = ciphertext.subarray(ciphertext.length - tagLength);
    let plain: Buffer;
    try {
      if (cipher === 'aes-128-ccm') {
        const d = createDecipheriv(cipher, this.key, nonce, { authTagLength: tagLength });
        d.setAuthTag(tag);
        d.setAAD(header, { plaintextLength: body.length });
        plain = d.update(body);
        d.final();
      } else {
        const d = createDecipheriv(cipher as 'aes-128-gcm', this.key, nonce, { authTagLength: tagLength });
        d.setAAD(header);
        d.setAuthTag(tag);
        plain = Buffer.concat([d.update(body), d.final()]);
      }
    } catch {
      throw new TlsWireError('encrypted record does not authenticate (wrong keys or corrupted record)', offset, 'TLS 1.3 record');
    }
    let end = plain.length;
    while (end > 0 && plain[end - 1] === 0) end--; // strip padding; the last non-zero byte is the content type
    if (end === 0) throw new TlsWireError('decrypted record has no content type (all padding)', offset, 'TLS 1.3 record');
    return { type: plain[end - 1]!, content: plain.subarray(0, end - 1) };
  }
}

/** Encrypts records the way a TLS 1.3 server would (tests build encrypted flights with it). */
export class RecordEncrypter {
  private seq = 0n;
  private readonly key: Buffer;
  private readonly iv: Buffer;
  private readonly aead: AeadSpec;

  constructor(suite: number, secret: Buffer) {
    this.aead = aeadFor(suite);
    ({ key: this.key, iv: this.iv } = trafficKeys(suite, secret));
  }

  encrypt(type: number, content: Buffer): Buffer {
    const { cipher, tagLength } = this.aead;
    const inner = Buffer.concat([content, Buffer.from([type])]);
    const len = inner.length + tagLength;
    const header = Buffer.from([23, 3, 3, len >> 8, len & 0xff]);
    const nonce = nonceFor(this.iv, this.seq++);
    let body: Buffer;
    let tag: Buffer;
    if (cipher === 'aes-128-ccm') {
      const c = createCipheriv(cipher, this.key, nonce, { authTagLength: tagLength });
      c.setAAD(header, { plaintextLength: inner.length });
      body = Buffer.concat([c.update(inner), c.final()]);
      tag = c.getAuthTag();
    } else {
      const c = createCipheriv(cipher as 'aes-128-gcm', this.key, nonce, { authTagLength: tagLength });
      c.setAAD(header);
      body = Buffer.concat([c.update(inner), c.final()]);
      tag = c.getAuthTag();
    }
    return Buffer.concat([header, body, tag]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Key shares (RFC 8446 4.2.8): X25519/X448 raw keys, NIST curves as uncompressed points; the shared secret is the
// X25519/X448 output or the ECDH x-coordinate (7.4.2).

export interface KeyShare {
  group: number;
  publicKey: Buffer;
  /** The shared secret with the server's share; throws TlsWireError for a malformed share. */
  derive(peer: Buffer): Buffer;
}

const NIST: Readonly<Record<number, string>> = { 23: 'prime256v1', 24: 'secp384r1', 25: 'secp521r1' };
const MONT: Readonly<Record<number, { type: 'x25519' | 'x448'; prefix: string; length: number }>> = {
  29: { type: 'x25519', prefix: '302a300506032b656e032100', length: 32 },
  30: { type: 'x448', prefix: '3042300506032b656f033900', length: 56 },
};

/** Groups we can make key shares for. */
export const KEY_SHARE_GROUPS: readonly number[] = [29, 30, 23, 24, 25];

export function generateKeyShare(group: number): KeyShare {
  const nist = NIST[group];
  if (nist) {
    const ecdh = createECDH(nist);
    const publicKey = ecdh.generateKeys();
    return {
      group,
      publicKey,
      derive: (peer) => {
        try {
          return ecdh.computeSecret(peer);
        } catch (e) {
          throw new TlsWireError(`server key share is not a point on ${nist}: ${(e as Error).message}`, 0, 'key_share');
        }
      },
    };
  }
  const mont = MONT[group];
  if (!mont) throw new RangeError(`no key share for group ${group}`);
  const { privateKey, publicKey: pub } = generateKeyPairSync(mont.type as 'x25519');
  const spki = pub.export({ format: 'der', type: 'spki' });
  return {
    group,
    publicKey: spki.subarray(spki.length - mont.length),
    derive: (peer) => {
      if (peer.length !== mont.length) throw new TlsWireError(`server ${mont.type} key share is ${peer.length} bytes (expected ${mont.length})`, 0, 'key_share');
      let peerKey: KeyObject;
      try {
        peerKey = createPublicKey({ key: Buffer.concat([Buffer.from(mont.prefix, 'hex'), peer]), format: 'der', type: 'spki' });
        return diffieHellman({ privateKey, publicKey: peerKey });
      } catch (e) {
        throw new TlsWireError(`server ${mont.type} key share unusable: ${(e as Error).message}`, 0, 'key_share');
      }
    },
  };
}
