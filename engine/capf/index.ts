// CAPF (Certificate Authority Proxy Function, TLS 3804): what other modules import (the emulated phones, scenarios, CLI).
export * from './capf-codec.js';
export { certificateAuthData, sudiAuthData, rawHashBlock, capfSign, capfVerify, buildSignedData, verifySignedData, buildSudiData, verifySudiSignatures, type CapfDigest, type SignatureCheck } from './capf-signature.js';
export * from './device-operations.js';
export { CapfStore, spkiSha256, type CapfDeviceRecord, type CapfState, type CapfStoreOptions, type FetchedCertificate, type InFlightIssue, type InstalledLsc, type JournalEntry, type JournalOutcome, type OfflineImportResult, type OperationState, type OperationStatus, type PendingCsr, type StaleLsc } from './capf-store.js';
export { CapfConnection, CapfConnectionClosedError, CapfTimeoutError, type TranscriptEntry } from './capf-connection.js';
export { CAPF_PORT, CAPF_SEED_CIPHERS, capfTlsOptions, type CapfTlsOptions, type CapfTlsParams } from './capf-tls.js';
export { type SessionOutcome, type SessionRecord, type SessionTimeouts } from './capf-session.js';
export { startCapfServer, type CapfServer, type CapfServerOptions } from './capf-server.js';
export { runCapfClient, capfAuthModeCode, type CapfClientOptions, type CapfClientOutcome, type CapfClientStatus, type PhoneCertificate, type PhoneCredentials } from './capf-client.js';
export { buildOfflineCsr, type OfflineCsr } from './offline-csr.js';
export { emulatedOnlineCa, onlineCaSigner, describeOnlineCa, type OnlineCa, type OnlineCaSettings } from './lsc-issuer.js';
