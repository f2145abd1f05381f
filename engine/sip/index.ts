// The SIP engine: message codec, transports, transactions, dialogs, digest, registrar, trunk admission, UA core,
// and the server that assembles them.
export * from './message/index.js';
export * from './transport/index.js';
export * from './transaction/index.js';
export * from './dialog/index.js';
export * from './auth/index.js';
export * from './registrar/index.js';
export * from './trunk/index.js';
export * from './security-journal.js';
export * from './ua-core.js';
export * from './sip-server.js';
