// Cisco's signed TLV files: ITL/CTL trust lists, .sgn signed files and .enc.sgn encrypted configs.
export { TlvError, TrustInputError } from './tlv-codec.js';
export { HeaderTag, RecordTag, Role, ROLE_NAMES, roleDisplayName, type RoleName, type DigestName } from './tags.js';
export { formatDn, parseCertificate, type CertificateFields, type DnFormat, type Rdn } from './certificate.js';
export { parseHeader, type ParsedHeader, type ParseOptions } from './header.js';
export { encodeRecord, parseRecords, type ParsedRecord, type RecordInput } from './records.js';
export { signedBytes, type Signer } from './signature.js';
export {
  buildTrustList,
  parseTrustList,
  parseItl,
  parseCtl,
  verifyTrustList,
  sizeWarnings,
  MAX_SAST_RECORDS,
  MAX_TRUST_LIST_BYTES,
  MAX_TRUST_LIST_CERTIFICATES,
  type BuiltFile,
  type ParsedTrustList,
  type TrustListOptions,
  type VerifyOptions,
  type VerifyResult,
} from './trust-list.js';
export { buildItl, buildClusterItl, buildRollbackItl, itlFileNameFor, ITL_FILENAME, type ClusterItlOptions, type CertInput, type KeyedCertInput, type RollbackItlOptions } from './itl.js';
export { buildCtl, buildClusterCtl, ctlFileNameFor, CTL_FILENAME, type ClusterCtlOptions, type CtlNode } from './ctl.js';
export { signFile, parseSigned, verifySigned, signedName, trustFromBytes, type ParsedSigned, type SignFileOptions, type SignedFileTrust } from './signed-file.js';
export { encryptConfig, parseEncryptedConfig, decryptConfig, type ConfigKey, type EncryptConfigOptions, type EncryptedConfig, type ParsedEncryptedConfig } from './encrypted-config.js';
export { buildStubConfig } from './stub-config.js';
export { describeTrustFile, renderDescription, detectKind, type FileDescription, type DescribeOptions, type TrustFileKind } from './describe.js';
