// Loads the native SRTP core (native/srtp, built by `npm install` through node-gyp into build/Release).
// Contract used by ciphers/srtp/session.ts: a factory for native sessions, or null when the addon is unavailable.
// TRUSTLINE_SRTP_BACKEND=ts forces the TypeScript backend (the loader then reports the core as unavailable).
// TRUSTLINE_SRTP_NATIVE_PATH=<file> loads the addon from elsewhere (tests point it at a missing file).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { logger } from '../../../common/log.js';
import { projectRoot } from '../../../common/paths.js';
import type { SrtpPolicy, SrtpSession } from '../types.js';
import { NativeSrtpSession } from './native-session.js';
import type { NativeSessionOptions, NativeSrtpAddon } from './native-session.js';

export type NativeSessionFactory = (policy: SrtpPolicy) => SrtpSession;

/** Must equal TL_ABI_VERSION in native/srtp/srtp_core.h; a stale build is refused rather than misused. */
export const NATIVE_SRTP_ABI = 1;

const log = logger('srtp-native');

let state: { addon: NativeSrtpAddon | null; reason: string } | undefined;

/** Where node-gyp puts the addon (Release first; Debug for developers who build with --debug). */
export function nativeSrtpPaths(): string[] {
  const override = process.env.TRUSTLINE_SRTP_NATIVE_PATH;
  if (override) return [override];
  const root = projectRoot();
  return [join(root, 'build', 'Release', 'trustline_srtp.node'), join(root, 'build', 'Debug', 'trustline_srtp.node')];
}

/** The raw addon (tests and the benchmark use it for native-only hooks), or null. */
export function loadNativeSrtpAddon(): NativeSrtpAddon | null {
  if (state) return state.addon;
  state = tryLoad();
  if (state.addon) log.debug(`native SRTP core loaded (${state.reason})`);
  else log.debug(`native SRTP core unavailable: ${state.reason}`);
  return state.addon;
}

function tryLoad(): { addon: NativeSrtpAddon | null; reason: string } {
  const forced = process.env.TRUSTLINE_SRTP_BACKEND;
  if (forced === 'ts') return { addon: null, reason: 'TRUSTLINE_SRTP_BACKEND=ts selects the TypeScript backend' };
  const path = nativeSrtpPaths().find((p) => existsSync(p));
  if (!path) return { addon: null, reason: `the native SRTP core is not built (${nativeSrtpPaths()[0]} is missing; run \`npm run build:native\`)` };
  let addon: NativeSrtpAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeSrtpAddon;
  } catch (err) {
    return { addon: null, reason: `cannot load ${path}: ${(err as Error).message.split('\n')[0]}` };
  }
  try {
    const info = addon.info();
    if (info.abi !== NATIVE_SRTP_ABI) return { addon: null, reason: `${path} is a stale build (ABI ${info.abi}, expected ${NATIVE_SRTP_ABI}; run \`npm run build:native\`)` };
    return { addon, reason: `${path}, ${info.openssl}, GCM via ${info.gcm === 'pclmul' ? 'own PCLMULQDQ GHASH below 704 B, EVP above' : 'EVP'}` };
  } catch (err) {
    return { addon: null, reason: `${path} does not answer: ${(err as Error).message}` };
  }
}

/** Returns the native factory, or null (with the reason in `nativeSrtpUnavailableReason()`). */
export function loadNativeSrtp(): NativeSessionFactory | null {
  const addon = loadNativeSrtpAddon();
  if (!addon) return null;
  return (policy: SrtpPolicy) => new NativeSrtpSession(addon, policy);
}

/** A native session with test-only options (e.g. the EVP GCM path); throws when the core is unavailable. */
export function createNativeSrtpSession(policy: SrtpPolicy, options: NativeSessionOptions = {}): SrtpSession {
  const addon = loadNativeSrtpAddon();
  if (!addon) throw new Error(`native SRTP core unavailable: ${nativeSrtpUnavailableReason()}`);
  return new NativeSrtpSession(addon, policy, options);
}

export function nativeSrtpUnavailableReason(): string {
  loadNativeSrtpAddon();
  return state?.addon ? '' : (state?.reason ?? 'unknown');
}

/** Forgets the cached load result (tests toggle TRUSTLINE_SRTP_BACKEND). */
export function resetNativeSrtpLoader(): void {
  state = undefined;
}
