// SIP trunk admission in CUCM's order: ACL, TLS subject names, trunk authorization, digest, application.
export * from './trunk-admission.js';
