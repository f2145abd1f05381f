// SRTP policy validation, shared by both backends and SDES: one place that names the first thing wrong.
import { isSrtpSuiteName, srtpSuite, type SrtpSuite } from './suites.js';
import { SrtpError, SrtpStatus, type SrtpPolicy } from './types.js';
import { MAX_REPLAY_WINDOW, MIN_REPLAY_WINDOW } from './ts/replay.js';

/** Largest key derivation rate (RFC 3711 4.3.1). */
export const MAX_KDR = 2 ** 24;
const MAX_LIFETIME = 2 ** 48;
/** Bound on master keys per policy (each costs derived state in both backends). */
const MAX_KEYS = 4096;

function bad(message: string): never {
  throw new SrtpError(SrtpStatus.Malformed, `invalid SRTP policy: ${message}`);
}

function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

/** Throws an SrtpError naming the first thing wrong with the policy; returns the suite. */
export function validateSrtpPolicy(policy: SrtpPolicy): SrtpSuite {
  if (policy === null || typeof policy !== 'object') bad('policy must be an object');
  if (typeof policy.suite !== 'string' || !isSrtpSuiteName(policy.suite)) bad(`unknown suite ${JSON.stringify(policy.suite)}`);
  const suite = srtpSuite(policy.suite);
  if (!Array.isArray(policy.keys) || policy.keys.length === 0) bad('keys must hold at least one master key');
  if (policy.keys.length > MAX_KEYS) bad(`${policy.keys.length} master keys, at most ${MAX_KEYS}`);
  const withMki = policy.keys.filter((k) => k?.mki !== undefined).length;
  if (withMki !== 0 && withMki !== policy.keys.length) bad('either every master key has an MKI or none has');
  if (withMki === 0 && policy.keys.length > 1) bad(`${policy.keys.length} master keys need MKIs to tell them apart`);
  const seen = new Set<string>();
  policy.keys.forEach((k, i) => {
    const where = `keys[${i}]`;
    if (k === null || typeof k !== 'object') bad(`${where} must be an object`);
    if (!isBytes(k.key)) bad(`${where}.key must be a Uint8Array`);
    if (!isBytes(k.salt)) bad(`${where}.salt must be a Uint8Array`);
    if (k.key.length !== suite.keyLen) bad(`${where}.key is ${k.key.length} bytes, ${suite.name} needs ${suite.keyLen}`);
    if (k.salt.length !== suite.saltLen) bad(`${where}.salt is ${k.salt.length} bytes, ${suite.name} needs ${suite.saltLen}`);
    if (k.mki !== undefined) {
      if (!isBytes(k.mki)) bad(`${where}.mki must be a Uint8Array`);
      if (k.mki.length < 1 || k.mki.length > 128) bad(`${where}.mki is ${k.mki.length} bytes, must be 1..128`);
      const first = policy.keys[0]!.mki!;
      if (k.mki.length !== first.length) bad(`${where}.mki is ${k.mki.length} bytes but keys[0].mki is ${first.length}: all MKIs must have one length`);
      const hex = Buffer.from(k.mki).toString('hex');
      if (seen.has(hex)) bad(`${where}.mki ${hex} is used by an earlier key`);
      seen.add(hex);
    }
    if (k.lifetime !== undefined && !(Number.isInteger(k.lifetime) && k.lifetime >= 1 && k.lifetime <= MAX_LIFETIME)) {
      bad(`${where}.lifetime ${k.lifetime} must be an integer in 1..2^48`);
    }
  });
  const kdr = policy.kdr ?? 0;
  if (!(Number.isInteger(kdr) && kdr >= 0 && kdr <= MAX_KDR && (kdr & (kdr - 1)) === 0)) bad(`kdr ${kdr} must be 0 or a power of two up to 2^24`);
  const w = policy.replayWindow ?? 128;
  if (!(Number.isInteger(w) && w >= MIN_REPLAY_WINDOW && w <= MAX_REPLAY_WINDOW)) bad(`replayWindow ${w} must be an integer in ${MIN_REPLAY_WINDOW}..${MAX_REPLAY_WINDOW}`);
  for (const flag of ['encryptRtp', 'encryptRtcp', 'authenticateRtp'] as const) {
    const v = policy[flag];
    if (v !== undefined && typeof v !== 'boolean') bad(`${flag} must be a boolean`);
  }
  if (suite.aead && policy.authenticateRtp === false) bad(`${suite.name} always authenticates: UNAUTHENTICATED_SRTP does not apply`);
  if (suite.aead && policy.encryptRtp === false) bad(`${suite.name} always encrypts SRTP: UNENCRYPTED_SRTP does not apply to AEAD suites`);
  return suite;
}

