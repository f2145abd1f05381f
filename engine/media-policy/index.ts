// SDES-SRTP offer/answer under CUCM's "SRTP Ciphers" policy and the call security status (pure functions).
export * from './srtp-ciphers-policy.js';
export * from './negotiation.js';
