// HMAC-SHA1 (RFC 2104) with the key schedule done once: the ipad/opad states are precomputed per session key.
// Short messages (VoIP packets) are hashed by a JS SHA-1 compression, which beats a node:crypto call there because
// each binding call costs ~1 µs; long ones go through the one-shot native crypto.hash. Both are constant-time.
import * as nodeCrypto from 'node:crypto';

/** Messages up to this many bytes are hashed in JS; longer ones natively (measured crossover ~500 B). */
const JS_MAX_MESSAGE = 512;

const SHA1_INIT = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0];

/**
 * One SHA-1 block (64 bytes of b from o) into state st (FIPS 180-4). Fully unrolled, the 16-word message schedule in
 * locals and the five working variables renamed per round instead of shuffled: about 2x a looped version in V8.
 */
// prettier-ignore
function compress(st: Int32Array, b: Uint8Array, o: number): void {
  let a = st[0]!, B = st[1]!, c = st[2]!, d = st[3]!, e = st[4]!;
  let w0 = (b[o + 0]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  let w1 = (b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!;
  let w2 = (b[o + 8]! << 24) | (b[o + 9]! << 16) | (b[o + 10]! << 8) | b[o + 11]!;
  let w3 = (b[o + 12]! << 24) | (b[o + 13]! << 16) | (b[o + 14]! << 8) | b[o + 15]!;
  let w4 = (b[o + 16]! << 24) | (b[o + 17]! << 16) | (b[o + 18]! << 8) | b[o + 19]!;
  let w5 = (b[o + 20]! << 24) | (b[o + 21]! << 16) | (b[o + 22]! << 8) | b[o + 23]!;
  let w6 = (b[o + 24]! << 24) | (b[o + 25]! << 16) | (b[o + 26]! << 8) | b[o + 27]!;
  let w7 = (b[o + 28]! << 24) | (b[o + 29]! << 16) | (b[o + 30]! << 8) | b[o + 31]!;
  let w8 = (b[o + 32]! << 24) | (b[o + 33]! << 16) | (b[o + 34]! << 8) | b[o + 35]!;
  let w9 = (b[o + 36]! << 24) | (b[o + 37]! << 16) | (b[o + 38]! << 8) | b[o + 39]!;
  let w10 = (b[o + 40]! << 24) | (b[o + 41]! << 16) | (b[o + 42]! << 8) | b[o + 43]!;
  let w11 = (b[o + 44]! << 24) | (b[o + 45]! << 16) | (b[o + 46]! << 8) | b[o + 47]!;
  let w12 = (b[o + 48]! << 24) | (b[o + 49]! << 16) | (b[o + 50]! << 8) | b[o + 51]!;
  let w13 = (b[o + 52]! << 24) | (b[o + 53]! << 16) | (b[o + 54]! << 8) | b[o + 55]!;
  let w14 = (b[o + 56]! << 24) | (b[o + 57]! << 16) | (b[o + 58]! << 8) | b[o + 59]!;
  let w15 = (b[o + 60]! << 24) | (b[o + 61]! << 16) | (b[o + 62]! << 8) | b[o + 63]!;
  e = (e + ((a << 5) | (a >>> 27)) + (d ^ (B & (c ^ d))) + w0 + 0x5a827999) | 0; B = (B << 30) | (B >>> 2);
  d = (d + ((e << 5) | (e >>> 27)) + (c ^ (a & (B ^ c))) + w1 + 0x5a827999) | 0; a = (a << 30) | (a >>> 2);
  c = (c + ((d << 5) | (d >>> 27)) + (B ^ (e & (a ^ B))) + w2 + 0x5a827999) | 0; e = (e << 30) | (e >>> 2);
  B = (B + ((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + w3 + 0x5a827999) | 0; d = (d << 30) | (d >>> 2);
  a = (a + ((B << 5) | (B >>> 27)) + (e ^ (c & (d ^ e))) + w4 + 0x5a827999) | 0; c = (c << 30) | (c >>> 2);
  e = (e + ((a << 5) | (a >>> 27)) + (d ^ (B & (c ^ d))) + w5 + 0x5a827999) | 0; B = (B << 30) | (B >>> 2);
  d = (d + ((e << 5) | (e >>> 27)) + (c ^ (a & (B ^ c))) + w6 + 0x5a827999) | 0; a = (a << 30) | (a >>> 2);
  c = (c + ((d << 5) | (d >>> 27)) + (B ^ (e & (a ^ B))) + w7 + 0x5a827999) | 0; e = (e << 30) | (e >>> 2);
  B = (B + ((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + w8 + 0x5a827999) | 0; d = (d << 30) | (d >>> 2);
  a = (a + ((B << 5) | (B >>> 27)) + (e ^ (c & (d ^ e))) + w9 + 0x5a827999) | 0; c = (c << 30) | (c >>> 2);
  e = (e + ((a << 5) | (a >>> 27)) + (d ^ (B & (c ^ d))) + w10 + 0x5a827999) | 0; B = (B << 30) | (B >>> 2);
  d = (d + ((e << 5) | (e >>> 27)) + (c ^ (a & (B ^ c))) + w11 + 0x5a827999) | 0; a = (a << 30) | (a >>> 2);
  c = (c + ((d << 5) | (d >>> 27)) + (B ^ (e & (a ^ B))) + w12 + 0x5a827999) | 0; e = (e << 30) | (e >>> 2);
  B = (B + ((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + w13 + 0x5a827999) | 0; d = (d << 30) | (d >>> 2);
  a = (a + ((B << 5) | (B >>> 27)) + (e ^ (c & (d ^ e))) + w14 + 0x5a827999) | 0; c = (c << 30) | (c >>> 2);
  e = (e + ((a << 5) | (a >>> 27)) + (d ^ (B & (c ^ d))) + w15 + 0x5a827999) | 0; B = (B << 30) | (B >>> 2);
  w0 = w13 ^ w8 ^ w2 ^ w0; w0 = (w0 << 1) | (w0 >>> 31);
  d = (d + ((e << 5) | (e >>> 27)) + (c ^ (a & (B ^ c))) + w0 + 0x5a827999) | 0; a = (a << 30) | (a >>> 2);
  w1 = w14 ^ w9 ^ w3 ^ w1; w1 = (w1 << 1) | (w1 >>> 31);
  c = (c + ((d << 5) | (d >>> 27)) + (B ^ (e & (a ^ B))) + w1 + 0x5a827999) | 0; e = (e << 30) | (e >>> 2);
  w2 = w15 ^ w10 ^ w4 ^ w2; w2 = (w2 << 1) | (w2 >>> 31);
  B = (B + ((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + w2 + 0x5a827999) | 0; d = (d << 30) | (d >>> 2);
  w3 = w0 ^ w11 ^ w5 ^ w3; w3 = (w3 << 1) | (w3 >>> 31);
  a = (a + ((B << 5) | (B >>> 27)) + (e ^ (c & (d ^ e))) + w3 + 0x5a827999) | 0; c = (c << 30) | (c >>> 2);
  w4 = w1 ^ w12 ^ w6 ^ w4; w4 = (w4 << 1) | (w4 >>> 31);
  e = (e + ((a << 5) | (a >>> 27)) + (B ^ c ^ d) + w4 + 0x6ed9eba1) | 0; B = (B << 30) | (B >>> 2);
  w5 = w2 ^ w13 ^ w7 ^ w5; w5 = (w5 << 1) | (w5 >>> 31);
  d = (d + ((e << 5) | (e >>> 27)) + (a ^ B ^ c) + w5 + 0x6ed9eba1) | 0; a = (a << 30) | (a >>> 2);
  w6 = w3 ^ w14 ^ w8 ^ w6; w6 = (w6 << 1) | (w6 >>> 31);
  c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ B) + w6 + 0x6ed9eba1) | 0; e = (e << 30) | (e >>> 2);
  w7 = w4 ^ w15 ^ w9 ^ w7; w7 = (w7 << 1) | (w7 >>> 31);
  B = (B + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w7 + 0x6ed9eba1) | 0; d = (d << 30) | (d >>> 2);
  w8 = w5 ^ w0 ^ w10 ^ w8; w8 = (w8 << 1) | (w8 >>> 31);
  a = (a + ((B << 5) | (B >>> 27)) + (c ^ d ^ e) + w8 + 0x6ed9eba1) | 0; c = (c << 30) | (c >>> 2);
  w9 = w6 ^ w1 ^ w11 ^ w9; w9 = (w9 << 1) | (w9 >>> 31);
  e = (e + ((a << 5) | (a >>> 27)) + (B ^ c ^ d) + w9 + 0x6ed9eba1) | 0; B = (B << 30) | (B >>> 2);
  w10 = w7 ^ w2 ^ w12 ^ w10; w10 = (w10 << 1) | (w10 >>> 31);
  d = (d + ((e << 5) | (e >>> 27)) + (a ^ B ^ c) + w10 + 0x6ed9eba1) | 0; a = (a << 30) | (a >>> 2);
  w11 = w8 ^ w3 ^ w13 ^ w11; w11 = (w11 << 1) | (w11 >>> 31);
  c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ B) + w11 + 0x6ed9eba1) | 0; e = (e << 30) | (e >>> 2);
  w12 = w9 ^ w4 ^ w14 ^ w12; w12 = (w12 << 1) | (w12 >>> 31);
  B = (B + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w12 + 0x6ed9eba1) | 0; d = (d << 30) | (d >>> 2);
  w13 = w10 ^ w5 ^ w15 ^ w13; w13 = (w13 << 1) | (w13 >>> 31);
  a = (a + ((B << 5) | (B >>> 27)) + (c ^ d ^ e) + w13 + 0x6ed9eba1) | 0; c = (c << 30) | (c >>> 2);
  w14 = w11 ^ w6 ^ w0 ^ w14; w14 = (w14 << 1) | (w14 >>> 31);
  e = (e + ((a << 5) | (a >>> 27)) + (B ^ c ^ d) + w14 + 0x6ed9eba1) | 0; B = (B << 30) | (B >>> 2);
  w15 = w12 ^ w7 ^ w1 ^ w15; w15 = (w15 << 1) | (w15 >>> 31);
  d = (d + ((e << 5) | (e >>> 27)) + (a ^ B ^ c) + w15 + 0x6ed9eba1) | 0; a = (a << 30) | (a >>> 2);
  w0 = w13 ^ w8 ^ w2 ^ w0; w0 = (w0 << 1) | (w0 >>> 31);
  c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ B) + w0 + 0x6ed9eba1) | 0; e = (e << 30) | (e >>> 2);
  w1 = w14 ^ w9 ^ w3 ^ w1; w1 = (w1 << 1) | (w1 >>> 31);
  B = (B + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w1 + 0x6ed9eba1) | 0; d = (d << 30) | (d >>> 2);
  w2 = w15 ^ w10 ^ w4 ^ w2; w2 = (w2 << 1) | (w2 >>> 31);
  a = (a + ((B << 5) | (B >>> 27)) + (c ^ d ^ e) + w2 + 0x6ed9eba1) | 0; c = (c << 30) | (c >>> 2);
  w3 = w0 ^ w11 ^ w5 ^ w3; w3 = (w3 << 1) | (w3 >>> 31);
  e = (e + ((a << 5) | (a >>> 27)) + (B ^ c ^ d) + w3 + 0x6ed9eba1) | 0; B = (B << 30) | (B >>> 2);
  w4 = w1 ^ w12 ^ w6 ^ w4; w4 = (w4 << 1) | (w4 >>> 31);
  d = (d + ((e << 5) | (e >>> 27)) + (a ^ B ^ c) + w4 + 0x6ed9eba1) | 0; a = (a << 30) | (a >>> 2);
  w5 = w2 ^ w13 ^ w7 ^ w5; w5 = (w5 << 1) | (w5 >>> 31);
  c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ B) + w5 + 0x6ed9eba1) | 0; e = (e << 30) | (e >>> 2);
  w6 = w3 ^ w14 ^ w8 ^ w6; w6 = (w6 << 1) | (w6 >>> 31);
  B = (B + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w6 + 0x6ed9eba1) | 0; d = (d << 30) | (d >>> 2);
  w7 = w4 ^ w15 ^ w9 ^ w7; w7 = (w7 << 1) | (w7 >>> 31);
  a = (a + ((B << 5) | (B >>> 27)) + (c ^ d ^ e) + w7 + 0x6ed9eba1) | 0; c = (c << 30) | (c >>> 2);
  w8 = w5 ^ w0 ^ w10 ^ w8; w8 = (w8 << 1) | (w8 >>> 31);
  e = (e + ((a << 5) | (a >>> 27)) + ((B & c) | (d & (B | c))) + w8 + 0x8f1bbcdc) | 0; B = (B << 30) | (B >>> 2);
  w9 = w6 ^ w1 ^ w11 ^ w9; w9 = (w9 << 1) | (w9 >>> 31);
  d = (d + ((e << 5) | (e >>> 27)) + ((a & B) | (c & (a | B))) + w9 + 0x8f1bbcdc) | 0; a = (a << 30) | (a >>> 2);
  w10 = w7 ^ w2 ^ w12 ^ w10; w10 = (w10 << 1) | (w10 >>> 31);
  c = (c + ((d << 5) | (d >>> 27)) + ((e & a) | (B & (e | a))) + w10 + 0x8f1bbcdc) | 0; e = (e << 30) | (e >>> 2);
  w11 = w8 ^ w3 ^ w13 ^ w11; w11 = (w11 << 1) | (w11 >>> 31);
  B = (B + ((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + w11 + 0x8f1bbcdc) | 0; d = (d << 30) | (d >>> 2);
  w12 = w9 ^ w4 ^ w14 ^ w12; w12 = (w12 << 1) | (w12 >>> 31);
  a = (a + ((B << 5) | (B >>> 27)) + ((c & d) | (e & (c | d))) + w12 + 0x8f1bbcdc) | 0; c = (c << 30) | (c >>> 2);
  w13 = w10 ^ w5 ^ w15 ^ w13; w13 = (w13 << 1) | (w13 >>> 31);
  e = (e + ((a << 5) | (a >>> 27)) + ((B & c) | (d & (B | c))) + w13 + 0x8f1bbcdc) | 0; B = (B << 30) | (B >>> 2);
  w14 = w11 ^ w6 ^ w0 ^ w14; w14 = (w14 << 1) | (w14 >>> 31);
  d = (d + ((e << 5) | (e >>> 27)) + ((a & B) | (c & (a | B))) + w14 + 0x8f1bbcdc) | 0; a = (a << 30) | (a >>> 2);
  w15 = w12 ^ w7 ^ w1 ^ w15; w15 = (w15 << 1) | (w15 >>> 31);
  c = (c + ((d << 5) | (d >>> 27)) + ((e & a) | (B & (e | a))) + w15 + 0x8f1bbcdc) | 0; e = (e << 30) | (e >>> 2);
  w0 = w13 ^ w8 ^ w2 ^ w0; w0 = (w0 << 1) | (w0 >>> 31);
  B = (B + ((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + w0 + 0x8f1bbcdc) | 0; d = (d << 30) | (d >>> 2);
  w1 = w14 ^ w9 ^ w3 ^ w1; w1 = (w1 << 1) | (w1 >>> 31);
  a = (a + ((B << 5) | (B >>> 27)) + ((c & d) | (e & (c | d))) + w1 + 0x8f1bbcdc) | 0; c = (c << 30) | (c >>> 2);
  w2 = w15 ^ w10 ^ w4 ^ w2; w2 = (w2 << 1) | (w2 >>> 31);
  e = (e + ((a << 5) | (a >>> 27)) + ((B & c) | (d & (B | c))) + w2 + 0x8f1bbcdc) | 0; B = (B << 30) | (B >>> 2);
  w3 = w0 ^ w11 ^ w5 ^ w3; w3 = (w3 << 1) | (w3 >>> 31);
  d = (d + ((e << 5) | (e >>> 27)) + ((a & B) | (c & (a | B))) + w3 + 0x8f1bbcdc) | 0; a = (a << 30) | (a >>> 2);
  w4 = w1 ^ w12 ^ w6 ^ w4; w4 = (w4 << 1) | (w4 >>> 31);
  c = (c + ((d << 5) | (d >>> 27)) + ((e & a) | (B & (e | a))) + w4 + 0x8f1bbcdc) | 0; e = (e << 30) | (e >>> 2);
  w5 = w2 ^ w13 ^ w7 ^ w5; w5 = (w5 << 1) | (w5 >>> 31);
  B = (B + ((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + w5 + 0x8f1bbcdc) | 0; d = (d << 30) | (d >>> 2);
  w6 = w3 ^ w14 ^ w8 ^ w6; w6 = (w6 << 1) | (w6 >>> 31);
  a = (a + ((B << 5) | (B >>> 27)) + ((c & d) | (e & (c | d))) + w6 + 0x8f1bbcdc) | 0; c = (c << 30) | (c >>> 2);
  w7 = w4 ^ w15 ^ w9 ^ w7; w7 = (w7 << 1) | (w7 >>> 31);
  e = (e + ((a << 5) | (a >>> 27)) + ((B & c) | (d & (B | c))) + w7 + 0x8f1bbcdc) | 0; B = (B << 30) | (B >>> 2);
  w8 = w5 ^ w0 ^ w10 ^ w8; w8 = (w8 << 1) | (w8 >>> 31);
  d = (d + ((e << 5) | (e >>> 27)) + ((a & B) | (c & (a | B))) + w8 + 0x8f1bbcdc) | 0; a = (a << 30) | (a >>> 2);
  w9 = w6 ^ w1 ^ w11 ^ w9; w9 = (w9 << 1) | (w9 >>> 31);
  c = (c + ((d << 5) | (d >>> 27)) + ((e & a) | (B & (e | a))) + w9 + 0x8f1bbcdc) | 0; e = (e << 30) | (e >>> 2);
  w10 = w7 ^ w2 ^ w12 ^ w10; w10 = (w10 << 1) | (w10 >>> 31);
  B = (B + ((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + w10 + 0x8f1bbcdc) | 0; d = (d << 30) | (d >>> 2);
  w11 = w8 ^ w3 ^ w13 ^ w11; w11 = (w11 << 1) | (w11 >>> 31);
  a = (a + ((B << 5) | (B >>> 27)) + ((c & d) | (e & (c | d))) + w11 + 0x8f1bbcdc) | 0; c = (c << 30) | (c >>> 2);
  w12 = w9 ^ w4 ^ w14 ^ w12; w12 = (w12 << 1) | (w12 >>> 31);
  e = (e + ((a << 5) | (a >>> 27)) + (B ^ c ^ d) + w12 + 0xca62c1d6) | 0; B = (B << 30) | (B >>> 2);
  w13 = w10 ^ w5 ^ w15 ^ w13; w13 = (w13 << 1) | (w13 >>> 31);
  d = (d + ((e << 5) | (e >>> 27)) + (a ^ B ^ c) + w13 + 0xca62c1d6) | 0; a = (a << 30) | (a >>> 2);
  w14 = w11 ^ w6 ^ w0 ^ w14; w14 = (w14 << 1) | (w14 >>> 31);
  c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ B) + w14 + 0xca62c1d6) | 0; e = (e << 30) | (e >>> 2);
  w15 = w12 ^ w7 ^ w1 ^ w15; w15 = (w15 << 1) | (w15 >>> 31);
  B = (B + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w15 + 0xca62c1d6) | 0; d = (d << 30) | (d >>> 2);
  w0 = w13 ^ w8 ^ w2 ^ w0; w0 = (w0 << 1) | (w0 >>> 31);
  a = (a + ((B << 5) | (B >>> 27)) + (c ^ d ^ e) + w0 + 0xca62c1d6) | 0; c = (c << 30) | (c >>> 2);
  w1 = w14 ^ w9 ^ w3 ^ w1; w1 = (w1 << 1) | (w1 >>> 31);
  e = (e + ((a << 5) | (a >>> 27)) + (B ^ c ^ d) + w1 + 0xca62c1d6) | 0; B = (B << 30) | (B >>> 2);
  w2 = w15 ^ w10 ^ w4 ^ w2; w2 = (w2 << 1) | (w2 >>> 31);
  d = (d + ((e << 5) | (e >>> 27)) + (a ^ B ^ c) + w2 + 0xca62c1d6) | 0; a = (a << 30) | (a >>> 2);
  w3 = w0 ^ w11 ^ w5 ^ w3; w3 = (w3 << 1) | (w3 >>> 31);
  c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ B) + w3 + 0xca62c1d6) | 0; e = (e << 30) | (e >>> 2);
  w4 = w1 ^ w12 ^ w6 ^ w4; w4 = (w4 << 1) | (w4 >>> 31);
  B = (B + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w4 + 0xca62c1d6) | 0; d = (d << 30) | (d >>> 2);
  w5 = w2 ^ w13 ^ w7 ^ w5; w5 = (w5 << 1) | (w5 >>> 31);
  a = (a + ((B << 5) | (B >>> 27)) + (c ^ d ^ e) + w5 + 0xca62c1d6) | 0; c = (c << 30) | (c >>> 2);
  w6 = w3 ^ w14 ^ w8 ^ w6; w6 = (w6 << 1) | (w6 >>> 31);
  e = (e + ((a << 5) | (a >>> 27)) + (B ^ c ^ d) + w6 + 0xca62c1d6) | 0; B = (B << 30) | (B >>> 2);
  w7 = w4 ^ w15 ^ w9 ^ w7; w7 = (w7 << 1) | (w7 >>> 31);
  d = (d + ((e << 5) | (e >>> 27)) + (a ^ B ^ c) + w7 + 0xca62c1d6) | 0; a = (a << 30) | (a >>> 2);
  w8 = w5 ^ w0 ^ w10 ^ w8; w8 = (w8 << 1) | (w8 >>> 31);
  c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ B) + w8 + 0xca62c1d6) | 0; e = (e << 30) | (e >>> 2);
  w9 = w6 ^ w1 ^ w11 ^ w9; w9 = (w9 << 1) | (w9 >>> 31);
  B = (B + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w9 + 0xca62c1d6) | 0; d = (d << 30) | (d >>> 2);
  w10 = w7 ^ w2 ^ w12 ^ w10; w10 = (w10 << 1) | (w10 >>> 31);
  a = (a + ((B << 5) | (B >>> 27)) + (c ^ d ^ e) + w10 + 0xca62c1d6) | 0; c = (c << 30) | (c >>> 2);
  w11 = w8 ^ w3 ^ w13 ^ w11; w11 = (w11 << 1) | (w11 >>> 31);
  e = (e + ((a << 5) | (a >>> 27)) + (B ^ c ^ d) + w11 + 0xca62c1d6) | 0; B = (B << 30) | (B >>> 2);
  w12 = w9 ^ w4 ^ w14 ^ w12; w12 = (w12 << 1) | (w12 >>> 31);
  d = (d + ((e << 5) | (e >>> 27)) + (a ^ B ^ c) + w12 + 0xca62c1d6) | 0; a = (a << 30) | (a >>> 2);
  w13 = w10 ^ w5 ^ w15 ^ w13; w13 = (w13 << 1) | (w13 >>> 31);
  c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ B) + w13 + 0xca62c1d6) | 0; e = (e << 30) | (e >>> 2);
  w14 = w11 ^ w6 ^ w0 ^ w14; w14 = (w14 << 1) | (w14 >>> 31);
  B = (B + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w14 + 0xca62c1d6) | 0; d = (d << 30) | (d >>> 2);
  w15 = w12 ^ w7 ^ w1 ^ w15; w15 = (w15 << 1) | (w15 >>> 31);
  a = (a + ((B << 5) | (B >>> 27)) + (c ^ d ^ e) + w15 + 0xca62c1d6) | 0; c = (c << 30) | (c >>> 2);
  st[0] = (st[0]! + a) | 0;
  st[1] = (st[1]! + B) | 0;
  st[2] = (st[2]! + c) | 0;
  st[3] = (st[3]! + d) | 0;
  st[4] = (st[4]! + e) | 0;
}

const hashOnce: (data: Uint8Array) => Buffer =
  typeof nodeCrypto.hash === 'function'
    ? (data) => nodeCrypto.hash('sha1', data, 'buffer')
    : (data) => nodeCrypto.createHash('sha1').update(data).digest();

// Scratch shared by all instances (single-threaded, never re-entered).
const state = new Int32Array(5);
const tail = new Uint8Array(128);
const digest = new Uint8Array(20);

/** HMAC-SHA1 under one fixed key. Messages are `data[start, end)` optionally followed by a 32-bit big-endian suffix (the SRTP ROC). */
export class HmacSha1 {
  private readonly inner = new Int32Array(5);
  private readonly outer = new Int32Array(5);
  /** ipad block followed by room for a long message, for the native path. Grown on demand. */
  private scratch: Buffer;

  constructor(key: Uint8Array) {
    const k = new Uint8Array(64);
    k.set(key.length > 64 ? hashOnce(key) : key);
    const pad = new Uint8Array(64);
    for (let i = 0; i < 64; i++) pad[i] = k[i]! ^ 0x36;
    this.inner.set(SHA1_INIT);
    compress(this.inner, pad, 0);
    this.scratch = Buffer.alloc(64 + 1024 + 4);
    this.scratch.set(pad, 0);
    for (let i = 0; i < 64; i++) pad[i] = k[i]! ^ 0x5c;
    this.outer.set(SHA1_INIT);
    compress(this.outer, pad, 0);
  }

  /** Computes the MAC into the module scratch `digest` (20 bytes). */
  private compute(data: Uint8Array, start: number, end: number, suffix: number, hasSuffix: boolean): Uint8Array {
    const n = end - start;
    const total = n + (hasSuffix ? 4 : 0);
    if (n <= JS_MAX_MESSAGE) {
      state.set(this.inner);
      let o = start;
      for (; o + 64 <= end; o += 64) compress(state, data, o);
      let p = 0;
      while (o < end) tail[p++] = data[o++]!;
      if (hasSuffix) {
        tail[p++] = suffix >>> 24;
        tail[p++] = (suffix >>> 16) & 0xff;
        tail[p++] = (suffix >>> 8) & 0xff;
        tail[p++] = suffix & 0xff;
      }
      tail[p++] = 0x80;
      const last = p <= 56 ? 64 : 128;
      while (p < last - 4) tail[p++] = 0;
      const bits = (64 + total) * 8; // < 2^32 here
      tail[last - 4] = bits >>> 24;
      tail[last - 3] = (bits >>> 16) & 0xff;
      tail[last - 2] = (bits >>> 8) & 0xff;
      tail[last - 1] = bits & 0xff;
      compress(state, tail, 0);
      if (last === 128) compress(state, tail, 64);
    } else {
      if (this.scratch.length < 64 + total) {
        const grown = Buffer.alloc(64 + total + 1024);
        this.scratch.copy(grown, 0, 0, 64);
        this.scratch = grown;
      }
      const s = this.scratch;
      s.set(data.subarray(start, end), 64);
      if (hasSuffix) s.writeUInt32BE(suffix >>> 0, 64 + n);
      const d = hashOnce(s.subarray(0, 64 + total));
      for (let i = 0; i < 5; i++) state[i] = (d[i * 4]! << 24) | (d[i * 4 + 1]! << 16) | (d[i * 4 + 2]! << 8) | d[i * 4 + 3]!;
    }
    // Outer hash: opad state + the 20-byte inner digest, one block.
    for (let i = 0; i < 5; i++) {
      const w = state[i]!;
      tail[i * 4] = w >>> 24;
      tail[i * 4 + 1] = (w >>> 16) & 0xff;
      tail[i * 4 + 2] = (w >>> 8) & 0xff;
      tail[i * 4 + 3] = w & 0xff;
    }
    tail[20] = 0x80;
    for (let i = 21; i < 62; i++) tail[i] = 0;
    tail[62] = ((64 + 20) * 8) >>> 8;
    tail[63] = ((64 + 20) * 8) & 0xff;
    state.set(this.outer);
    compress(state, tail, 0);
    for (let i = 0; i < 5; i++) {
      const w = state[i]!;
      digest[i * 4] = w >>> 24;
      digest[i * 4 + 1] = (w >>> 16) & 0xff;
      digest[i * 4 + 2] = (w >>> 8) & 0xff;
      digest[i * 4 + 3] = w & 0xff;
    }
    return digest;
  }

  /** Writes the first tagLen bytes of the MAC to out[outOff...]. */
  sign(data: Uint8Array, start: number, end: number, suffix: number, hasSuffix: boolean, out: Uint8Array, outOff: number, tagLen: number): void {
    const d = this.compute(data, start, end, suffix, hasSuffix);
    for (let i = 0; i < tagLen; i++) out[outOff + i] = d[i]!;
  }

  /** Constant-time check of the tagLen-byte tag at tag[tagOff...] against the MAC of the message. */
  verify(data: Uint8Array, start: number, end: number, suffix: number, hasSuffix: boolean, tag: Uint8Array, tagOff: number, tagLen: number): boolean {
    const d = this.compute(data, start, end, suffix, hasSuffix);
    let diff = 0;
    for (let i = 0; i < tagLen; i++) diff |= d[i]! ^ tag[tagOff + i]!;
    return diff === 0;
  }

  /** Full 20-byte MAC (tests, key checks). */
  mac(data: Uint8Array, suffix?: number): Buffer {
    return Buffer.from(this.compute(data, 0, data.length, suffix ?? 0, suffix !== undefined));
  }
}
