// Published SRTP/SRTCP vectors: primitives of the TS backend, then every packet vector through every backend.
import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { availableSrtpBackends, createSrtpSession } from '../../ciphers/srtp/session.js';
import { srtpSuite } from '../../ciphers/srtp/suites.js';
import { isSrtpFailure, type SrtpBackendName, type SrtpPolicy, type SrtpResult, type SrtpSession } from '../../ciphers/srtp/types.js';
import { HmacSha1 } from '../../ciphers/srtp/ts/hmac-sha1.js';
import { deriveKey, kdfInput } from '../../ciphers/srtp/ts/kdf.js';
import { makeKeystream } from '../../ciphers/srtp/ts/keystream.js';
import { deriveSessionKeys, rawSessionKeys } from '../../ciphers/srtp/ts/session-keys.js';
import { createTsSessionFromSessionKeys } from '../../ciphers/srtp/ts/ts-session.js';
import { ALL_PACKET_VECTORS, RFC3711_KDF, RFC3711_KEYSTREAM, RFC6188_PRF, RFC7714_VECTORS, type SrtpPacketVector } from './vectors.js';

const hex = (s: string) => Buffer.from(s, 'hex');

function ok(r: SrtpResult): string {
  if (isSrtpFailure(r)) throw new Error(`unexpected failure ${r.toString()}`);
  return r.toString('hex');
}

function policyOf(v: SrtpPacketVector, keys = v.keys): SrtpPolicy {
  return {
    suite: v.suite,
    keys: keys.map((k) => ({ key: hex(k.key), salt: hex(k.salt), ...(k.mki ? { mki: hex(k.mki) } : {}) })),
    ...v.flags,
  };
}

/** Protects v.plain the way the vector was made (ROC set, sender wound to the SRTCP index). */
function protectVector(session: SrtpSession, v: SrtpPacketVector): SrtpResult {
  const plain = hex(v.plain);
  if (v.rtcp) {
    for (let i = 1; i < (v.srtcpIndex ?? 1); i++) ok(session.protectRtcp(plain));
    return session.protectRtcp(plain);
  }
  if (v.roc) session.setRoc(plain.readUInt32BE(8), v.roc);
  return session.protectRtp(plain);
}

describe('SRTP vectors: TS primitives', () => {
  it('RFC 3711 B.2: AES-CM keystream blocks 0-2', () => {
    const keys = rawSessionKeys(srtpSuite('AES_CM_128_HMAC_SHA1_80'), hex(RFC3711_KEYSTREAM.key), hex(RFC3711_KEYSTREAM.salt), Buffer.alloc(20));
    const ks = makeKeystream(keys, 0, 0, 1, 48);
    expect(ks.toString('hex')).to.equal(RFC3711_KEYSTREAM.blocks.join(''));
  });

  for (const v of [RFC3711_KDF, ...RFC6188_PRF]) {
    it(`${v.name}: session keys for labels ${Object.keys(v.outputs).join(', ')}`, () => {
      for (const [label, want] of Object.entries(v.outputs)) {
        const got = deriveKey(hex(v.masterKey), hex(v.masterSalt), Number(label), 0, want.length / 2);
        expect(got.toString('hex'), `label ${label}`).to.equal(want);
      }
    });
  }

  it('RFC 3711 B.3 through deriveSessionKeys (SRTP and SRTCP sets)', () => {
    const s = srtpSuite('AES_CM_128_HMAC_SHA1_80');
    const rtp = deriveSessionKeys(s, hex(RFC3711_KDF.masterKey), hex(RFC3711_KDF.masterSalt), false, 0);
    const rtcp = deriveSessionKeys(s, hex(RFC3711_KDF.masterKey), hex(RFC3711_KDF.masterSalt), true, 0);
    expect(rtp.encKey.toString('hex')).to.equal(RFC3711_KDF.outputs[0]);
    expect(rtp.salt.toString('hex')).to.equal(RFC3711_KDF.outputs[2]);
    expect(rtcp.encKey.toString('hex')).to.equal(RFC3711_KDF.outputs[3]);
    expect(rtcp.salt.toString('hex')).to.equal(RFC3711_KDF.outputs[5]);
    // The auth key is not exposed; its MAC must equal HMAC under the published key.
    const msg = Buffer.from('trustline');
    expect(rtp.mac!.mac(msg).toString('hex')).to.equal(createHmac('sha1', hex(RFC3711_KDF.outputs[1]!)).update(msg).digest('hex'));
    expect(rtcp.mac!.mac(msg).toString('hex')).to.equal(createHmac('sha1', hex(RFC3711_KDF.outputs[4]!)).update(msg).digest('hex'));
  });

  it('GCM master salts (12 bytes) are right-padded with two zero bytes for the KDF', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f');
    const salt12 = hex('a0a1a2a3a4a5a6a7a8a9aaab');
    expect(kdfInput(salt12, 0x00, 0).toString('hex')).to.equal('a0a1a2a3a4a5a6a7a8a9aaab0000');
    expect(kdfInput(salt12, 0x02, 0).toString('hex')).to.equal('a0a1a2a3a4a5a6a5a8a9aaab0000');
    const k = deriveSessionKeys(srtpSuite('AEAD_AES_128_GCM'), key, salt12, false, 0);
    expect(k.salt.length).to.equal(12);
    expect(k.salt.toString('hex')).to.equal(deriveKey(key, Buffer.concat([salt12, Buffer.alloc(2)]), 2, 0, 14).subarray(0, 12).toString('hex'));
  });

  it('the KDF places label and r = index DIV kdr as a 7-byte key_id under the salt', () => {
    const salt = Buffer.alloc(14);
    expect(kdfInput(salt, 0x05, 0x123456789a).toString('hex')).to.equal('000000000000000500123456789a');
    expect(kdfInput(salt, 0x01, 2 ** 40 + 1).toString('hex')).to.equal('0000000000000001010000000001');
  });

  it('HMAC-SHA1 (JS short path and native long path) equals node:crypto, with and without the ROC suffix', () => {
    const key = Buffer.from('0123456789abcdef0123', 'utf8');
    const mac = new HmacSha1(key);
    for (const n of [0, 1, 19, 55, 56, 59, 60, 63, 64, 100, 172, 252, 253, 256, 257, 300, 1212, 5000]) {
      const data = Buffer.alloc(n, n & 0xff);
      for (let i = 0; i < n; i++) data[i] = (i * 31 + n) & 0xff;
      expect(mac.mac(data).toString('hex'), `n=${n}`).to.equal(createHmac('sha1', key).update(data).digest('hex'));
      const roc = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
      expect(mac.mac(data, 0xdeadbeef).toString('hex'), `n=${n}+roc`).to.equal(createHmac('sha1', key).update(data).update(roc).digest('hex'));
    }
  });

  for (const v of RFC7714_VECTORS) {
    it(`${v.name}: protect and unprotect with the session key and salt`, () => {
      const material = { encKey: hex(v.encKey), salt: hex(v.salt) };
      const flags = v.encryptRtcp === false ? { encryptRtcp: false } : {};
      const tx = createTsSessionFromSessionKeys(v.suite, material, material, flags);
      const rx = createTsSessionFromSessionKeys(v.suite, material, material, flags);
      const plain = hex(v.plain);
      if (v.rtcp) {
        for (let i = 1; i < v.srtcpIndex!; i++) ok(tx.protectRtcp(plain));
        expect(ok(tx.protectRtcp(plain))).to.equal(v.protected);
        expect(ok(rx.unprotectRtcp(hex(v.protected)))).to.equal(v.plain);
        expect(rx.stream(plain.readUInt32BE(4))!.srtcpIndex).to.equal(v.srtcpIndex);
      } else {
        expect(ok(tx.protectRtp(plain))).to.equal(v.protected);
        expect(ok(rx.unprotectRtp(hex(v.protected)))).to.equal(v.plain);
      }
    });
  }

  it('RFC 7714 IVs: (00 00 || SSRC || ROC || SEQ) XOR salt and (00 00 || SSRC || 00 00 || index) XOR salt', () => {
    // Independent of the implementation: the printed IVs follow from the formulas.
    const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((x, i) => x ^ b[i]!));
    const salt = hex(RFC7714_VECTORS[0]!.salt);
    expect(xor(hex('00005501a0b200000000f17b'), salt).toString('hex')).to.equal(RFC7714_VECTORS[0]!.iv);
    expect(xor(hex('00004d6172730000000005d4'), salt).toString('hex')).to.equal(RFC7714_VECTORS[2]!.iv);
  });
});

const backends: SrtpBackendName[] = availableSrtpBackends();

for (const backend of backends) {
  describe(`SRTP packet vectors (${backend} backend)`, () => {
    for (const v of ALL_PACKET_VECTORS) {
      it(`${v.name} [${v.source}]`, () => {
        const tx = createSrtpSession(policyOf(v), { backend });
        const input = hex(v.plain);
        const before = input.toString('hex');
        const r = protectVector(tx, v);
        expect(ok(r)).to.equal(v.protected);
        expect(input.toString('hex'), 'protect left its input alone').to.equal(before);
        // The receiver holds every key; with MKIs in another order, so the MKI must select.
        const rx = createSrtpSession(policyOf(v, [...v.keys].reverse()), { backend });
        const wire = hex(v.protected);
        if (!v.rtcp && v.roc) rx.setRoc(wire.readUInt32BE(8), v.roc);
        const back = v.rtcp ? rx.unprotectRtcp(wire) : rx.unprotectRtp(wire);
        expect(ok(back)).to.equal(v.plain);
        expect(wire.toString('hex'), 'unprotect left its input alone').to.equal(v.protected);
        tx.close();
        rx.close();
      });
    }
  });
}
