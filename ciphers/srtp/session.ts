// Creates SRTP sessions: validates the policy once (clear SrtpError messages), then picks the backend: the native
// core when it loaded ('auto' prefers it), else the pure TypeScript one. The choice is logged once per process.
import { logger } from '../../common/log.js';
import { loadNativeSrtp, nativeSrtpUnavailableReason, type NativeSessionFactory } from './native/load.js';
import { isSrtpSuiteName, srtpSuite, type SrtpSuite } from './suites.js';
import { SrtpError, SrtpStatus, type SrtpBackendName, type SrtpPolicy, type SrtpSession, type SrtpSessionOptions } from './types.js';
import { MAX_REPLAY_WINDOW, MIN_REPLAY_WINDOW } from './ts/replay.js';
import { TsSrtpSession } from './ts/ts-session.js';

const log = logger('srtp');

/** Largest key derivation rate (RFC 3711 4.3.1). */
export const MAX_KDR = 2 ** 24;
const MAX_LIFETIME = 2 ** 48;

let announced = false;

/** The native factory (the loader caches its own result), or null. */
function native(): NativeSessionFactory | null {
  try {
    return loadNativeSrtp();
  } catch (err) {
    log.debug(`native SRTP loader threw: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

/** The backends this process can use: always 'ts', plus 'native' when the addon loaded. */
export function availableSrtpBackends(): SrtpBackendName[] {
  return native() ? ['ts', 'native'] : ['ts'];
}

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

/** Validates the policy and creates a session on the requested backend ('auto' by default). */
export function createSrtpSession(policy: SrtpPolicy, options: SrtpSessionOptions = {}): SrtpSession {
  validateSrtpPolicy(policy);
  const want = options.backend ?? 'auto';
  if (want !== 'auto' && want !== 'ts' && want !== 'native') throw new SrtpError(SrtpStatus.Malformed, `unknown SRTP backend ${JSON.stringify(want)} (ts, native or auto)`);
  const factory = want === 'ts' ? null : native();
  if (want === 'native' && !factory) throw new SrtpError(SrtpStatus.Malformed, `the native SRTP backend is unavailable: ${nativeSrtpUnavailableReason()}`);
  if (want === 'auto' && !announced) {
    announced = true;
    if (factory) log.info('SRTP backend: native');
    else log.info(`SRTP backend: ts (native unavailable: ${nativeSrtpUnavailableReason()})`);
  }
  return factory ? factory(policy) : new TsSrtpSession({ policy });
}
