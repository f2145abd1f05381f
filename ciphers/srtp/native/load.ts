// Loads the native SRTP core (native/srtp, built by `npm install` through node-gyp).
// Contract used by ciphers/srtp/session.ts: a factory for native sessions, or null when the addon is unavailable.
import type { SrtpPolicy, SrtpSession } from '../types.js';

export type NativeSessionFactory = (policy: SrtpPolicy) => SrtpSession;

/** Returns the native factory, or null (with the reason in `nativeSrtpUnavailableReason()`). */
export function loadNativeSrtp(): NativeSessionFactory | null {
  return null; // replaced by the native backend's loader
}

export function nativeSrtpUnavailableReason(): string {
  return 'the native SRTP core is not built yet';
}
