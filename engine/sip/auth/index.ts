// Digest authentication (RFC 2617 MD5 as CUCM): codec and nonces (digest.ts), the server's verdict (authenticator.ts).
export * from './digest.js';
export * from './authenticator.js';
