// RTP/RTCP header framing for SRTP: where the encrypted payload starts. The header (fixed part, CSRC list and
// extension) stays clear and authenticated; RTP padding is part of the payload and is encrypted with it (RFC 3711 3.1).
import { SrtpFailure, SrtpStatus } from '../types.js';

export const RTP_FIXED_HEADER = 12;
export const RTCP_FIXED_HEADER = 8;

const TOO_SHORT = -1;
const BAD_VERSION = -2;
const CSRC_OVERFLOW = -3;
const EXT_HEADER_OVERFLOW = -4;
const EXT_OVERFLOW = -5;

/**
 * Length of the RTP header (12 + 4*CC + extension) of the packet p[off, off+len), or a negative code for
 * `rtpHeaderFailure`. `len` excludes any SRTP trailer. Cheap: no allocation.
 */
export function rtpHeaderLength(p: Uint8Array, off: number, len: number): number {
  if (len < RTP_FIXED_HEADER) return TOO_SHORT;
  const b0 = p[off]!;
  if (b0 >> 6 !== 2) return BAD_VERSION;
  let h = RTP_FIXED_HEADER + (b0 & 0x0f) * 4;
  if (h > len) return CSRC_OVERFLOW;
  if (b0 & 0x10) {
    if (h + 4 > len) return EXT_HEADER_OVERFLOW;
    h += 4 + ((p[off + h + 2]! << 8) | p[off + h + 3]!) * 4;
    if (h > len) return EXT_OVERFLOW;
  }
  return h;
}

/** The failure for a negative rtpHeaderLength result, naming what was wrong. */
export function rtpHeaderFailure(code: number, p: Uint8Array, off: number, len: number, what: string): SrtpFailure {
  const b0 = len > 0 ? p[off]! : 0;
  const cc = b0 & 0x0f;
  switch (code) {
    case TOO_SHORT:
      return new SrtpFailure(SrtpStatus.Malformed, `${what} has ${len} bytes, fewer than the 12-byte RTP header`);
    case BAD_VERSION:
      return new SrtpFailure(SrtpStatus.Malformed, `RTP version is ${b0 >> 6} (byte 0 = 0x${hex2(b0)}), expected 2`);
    case CSRC_OVERFLOW:
      return new SrtpFailure(SrtpStatus.Malformed, `RTP header with ${cc} CSRCs needs ${12 + cc * 4} bytes, ${what} has ${len}`);
    case EXT_HEADER_OVERFLOW:
      return new SrtpFailure(SrtpStatus.Malformed, `RTP header extension header at offset ${12 + cc * 4} runs past the end of ${what} (${len} bytes)`);
    case EXT_OVERFLOW: {
      const at = 12 + cc * 4;
      const words = (p[off + at + 2]! << 8) | p[off + at + 3]!;
      const profile = (p[off + at]! << 8) | p[off + at + 1]!;
      return new SrtpFailure(
        SrtpStatus.Malformed,
        `RTP header extension (profile 0x${profile.toString(16).padStart(4, '0')}, ${words} words) runs past the end of ${what}: needs ${at + 4 + words * 4} bytes, has ${len}`,
      );
    }
    default:
      return new SrtpFailure(SrtpStatus.Malformed, `bad RTP header (code ${code})`);
  }
}

/** Checks the RTCP fixed header (length >= 8, version 2); returns null when fine. `len` excludes the SRTCP trailer. */
export function rtcpHeaderProblem(p: Uint8Array, off: number, len: number, what: string): SrtpFailure | null {
  if (len < RTCP_FIXED_HEADER) return new SrtpFailure(SrtpStatus.Malformed, `${what} has ${len} bytes, fewer than the 8-byte RTCP header`);
  const b0 = p[off]!;
  if (b0 >> 6 !== 2) return new SrtpFailure(SrtpStatus.Malformed, `RTCP version is ${b0 >> 6} (byte 0 = 0x${hex2(b0)}), expected 2`);
  return null;
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}

export function readU32(p: Uint8Array, o: number): number {
  return ((p[o]! << 24) | (p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!) >>> 0;
}

export function readU16(p: Uint8Array, o: number): number {
  return (p[o]! << 8) | p[o + 1]!;
}
