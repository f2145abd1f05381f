// The "node:crypto, naive" SRTP protect of the research anchors (peers-and-perf 2.1): a new cipher and a new HMAC per
// packet, keys derived once, ROC 0. A yardstick measured in the same run, not a backend: no MKI, no SRTCP, no state.
import { createCipheriv, createHmac, type CipherGCM, type CipherGCMTypes } from 'node:crypto';
import { SRTP_SUITES, type SrtpSuite } from '../../ciphers/srtp/suites.js';
import type { SrtpPolicy } from '../../ciphers/srtp/types.js';

function prf(key: Buffer, salt: Buffer, label: number, n: number): Buffer {
  const iv = Buffer.alloc(16);
  salt.copy(iv); // a 12-byte GCM salt stays zero padded to 14
  iv[7]! ^= label;
  return createCipheriv(`aes-${key.length * 8}-ctr`, key, iv).update(Buffer.alloc(n));
}

export class NaiveSrtpProtect {
  private readonly s: SrtpSuite;
  private readonly encKey: Buffer;
  private readonly authKey: Buffer;
  private readonly salt: Buffer;
  private readonly roc = Buffer.alloc(4);

  constructor(policy: SrtpPolicy) {
    this.s = SRTP_SUITES[policy.suite];
    const mk = Buffer.from(policy.keys[0]!.key);
    const ms = Buffer.from(policy.keys[0]!.salt);
    this.encKey = prf(mk, ms, 0, this.s.keyLen);
    this.authKey = prf(mk, ms, 1, 20);
    this.salt = prf(mk, ms, 2, this.s.aead ? 12 : 14);
  }

  /** Protects a plain 12-byte-header RTP packet; returns the SRTP packet. */
  protect(p: Buffer): Buffer {
    const hdr = p.subarray(0, 12);
    const s = this.s;
    if (s.cipher === 'aes-gcm') {
      const iv = Buffer.alloc(12);
      this.salt.copy(iv);
      for (let i = 0; i < 4; i++) iv[2 + i]! ^= p[8 + i]!;
      iv[10]! ^= p[2]!;
      iv[11]! ^= p[3]!;
      const c: CipherGCM = createCipheriv(`aes-${s.keyLen * 8}-gcm` as CipherGCMTypes, this.encKey, iv);
      c.setAAD(hdr);
      const ct = c.update(p.subarray(12));
      c.final();
      return Buffer.concat([hdr, ct, c.getAuthTag()]);
    }
    let body = p;
    if (s.cipher === 'aes-cm') {
      const iv = Buffer.alloc(16);
      this.salt.copy(iv);
      for (let i = 0; i < 4; i++) iv[4 + i]! ^= p[8 + i]!;
      iv[12]! ^= p[2]!;
      iv[13]! ^= p[3]!;
      body = Buffer.concat([hdr, createCipheriv(`aes-${s.keyLen * 8}-ctr`, this.encKey, iv).update(p.subarray(12))]);
    }
    const tag = createHmac('sha1', this.authKey).update(body).update(this.roc).digest();
    return Buffer.concat([body, tag.subarray(0, s.srtpTagLen)]);
  }
}
