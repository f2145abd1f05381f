// Public SRTP API: suites, the session interface, the session factory and SDES (RFC 4568) attributes.
export * from './suites.js';
export * from './types.js';
export { createSrtpSession, availableSrtpBackends, validateSrtpPolicy, MAX_KDR } from './session.js';
export * from '../sdes/index.js';
