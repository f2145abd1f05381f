// SRTP key derivation (RFC 3711 4.3): session keys are AES-CM PRF outputs keyed by the master key, with
// IV = ((label || r) XOR master_salt) * 2^16 where r = index DIV key_derivation_rate (0 when the rate is 0).
// RFC 6188: AES-192/256 master keys use the AES-192/256 PRF. RFC 7714 / libsrtp: GCM's 12-byte master salt is
// right-padded with zeros to the 14 bytes this KDF expects.
import { createCipheriv } from 'node:crypto';

export const enum KdfLabel {
  RtpEncryption = 0x00,
  RtpAuth = 0x01,
  RtpSalt = 0x02,
  RtcpEncryption = 0x03,
  RtcpAuth = 0x04,
  RtcpSalt = 0x05,
}

function ctrAlgorithm(keyLen: number): string {
  if (keyLen === 16) return 'aes-128-ctr';
  if (keyLen === 24) return 'aes-192-ctr';
  if (keyLen === 32) return 'aes-256-ctr';
  throw new RangeError(`AES key must be 16, 24 or 32 bytes, got ${keyLen}`);
}

/** AES-CM PRF (RFC 3711 4.3.3): the first outLen bytes of the AES-CTR keystream under key with IV = x * 2^16. */
export function aesCmPrf(key: Uint8Array, x: Uint8Array, outLen: number): Buffer {
  if (x.length !== 14) throw new RangeError(`PRF input must be 14 bytes, got ${x.length}`);
  const iv = Buffer.alloc(16);
  iv.set(x, 0);
  return createCipheriv(ctrAlgorithm(key.length), key, iv).update(Buffer.alloc(outLen));
}

/**
 * The PRF input x: master salt right-padded to 14 bytes, XORed with the 7-byte key_id = label || r (48-bit r),
 * right-aligned (label at byte 7, r in bytes 8..13).
 */
export function kdfInput(masterSalt: Uint8Array, label: number, r: number): Buffer {
  if (masterSalt.length > 14) throw new RangeError(`master salt must be at most 14 bytes, got ${masterSalt.length}`);
  const x = Buffer.alloc(14);
  x.set(masterSalt, 0);
  x[7]! ^= label;
  if (r !== 0) {
    const hi = Math.floor(r / 0x100000000);
    const lo = r >>> 0;
    x[8]! ^= (hi >>> 8) & 0xff;
    x[9]! ^= hi & 0xff;
    x[10]! ^= lo >>> 24;
    x[11]! ^= (lo >>> 16) & 0xff;
    x[12]! ^= (lo >>> 8) & 0xff;
    x[13]! ^= lo & 0xff;
  }
  return x;
}

/** One session key: PRF_outLen(master_key, kdfInput(master_salt, label, r)). */
export function deriveKey(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, r: number, outLen: number): Buffer {
  return aesCmPrf(masterKey, kdfInput(masterSalt, label, r), outLen);
}

/** r = index DIV kdr for a 48-bit SRTP index or a 31-bit SRTCP index; 0 when kdr is 0 (derive once). */
export function kdfRate(index: number, kdr: number): number {
  return kdr === 0 ? 0 : Math.floor(index / kdr);
}
