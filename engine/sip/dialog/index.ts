// SIP dialogs (RFC 3261 12), for the B2BUA's legs and the phones' user agent.
export * from './dialog.js';
