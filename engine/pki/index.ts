// The cluster's PKI: what other modules import (TFTP/ITL builders, TLS listeners, TVS, CAPF, phones, scenarios).
export {
  ClusterPki,
  OPTIONAL_PURPOSES,
  type ClusterPkiCreateOptions,
  type ClusterPkiOpenOptions,
  type ClusterSettings,
  type CsrOptions,
  type CsrResult,
  type FileSigner,
  type IdentityCertificate,
  type IssuedLsc,
  type LscRequest,
  type RegenerateOptions,
  type SubjectSettings,
  type TlsCredentials,
  type TrustedCertificate,
  type TrustImportResult,
  type TrustListCert,
  type TrustListInputs,
} from './cluster-pki.js';
export { parseCertificate, parseCertificates, parseCsr, type CertificateInfo, type CsrInfo } from './certificates.js';
export { PkiError, PkiRuleError } from './errors.js';
export { type ChangeEffects, PURPOSES, PURPOSE_RULES, TRUST_STORES, parsePurpose, parseTrustStore, type HashName, type KeyType, type Purpose, type TrustStoreName } from './purposes.js';
export type { CertificateRef, PendingPhoneReset, PkiEvent, PkiEventType } from './events.js';
export { verifyChain, type ChainVerification, type TrustEntry } from './trust-stores.js';
export { generateKey, describeKey, type KeyPair } from './keys.js';
export { issueMic, MANUFACTURING_CA_CN, MANUFACTURING_ROOT_CN, type Mic, type MicOptions } from './manufacturing-ca.js';
export { resolveParameters, allowedHashes, type CertificateParameters } from './rules.js';
