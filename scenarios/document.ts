// The scenario file as written (what the YAML holds after schema validation). The JSON Schema is built from these
// interfaces key by key (schema/build.ts types each object's properties as Record<keyof T, …>), so a key added here
// without a schema entry, or the reverse, does not compile. The normalized form the runner consumes is model.ts.
import type {
  ActionKind,
  CucmVersion,
  ClusterSecurityMode,
  DeviceSecurityModeName,
  FaultKind,
  PhoneModel,
  StepOutcome,
  TrustDecision,
} from './vocabulary.js';
import type { Purpose, HashName, TrustStoreName } from '../engine/pki/purposes.js';
import type { TlsCiphersPresetId } from '../engine/tls/presets.js';
import type { SrtpCiphersPresetId } from '../engine/media-policy/srtp-ciphers-policy.js';
import type { SrtpSuiteName } from '../ciphers/srtp/suites.js';
import type { TlsVersionName } from '../ciphers/tls/suite-catalogue.js';
import type { CapfAuthMode, CapfKeyOrder, CapfOperation, CertificateIssuer } from '../engine/capf/device-operations.js';

/** "500ms", "2s", "1.5m", or a number of seconds. */
export type Duration = string | number;
/** A phone name, a phone group name, `all`, or a list of them. */
export type PhoneTargets = string | string[];
/** 5, "> 0", "<= 30", or { min, max }. */
export type NumberMatch = number | string | { min?: number; max?: number };
/** A value, or a list of accepted values. */
export type OneOrMany<T> = T | T[];
/** Substring (plain string) or { matches: regex }. */
export type TextMatch = string | { matches: string };

export interface ScenarioDocument {
  name: string;
  description?: string;
  tags?: string[];
  references?: string[];
  timeout?: Duration;
  stepTimeout?: Duration;
  continueOnFailure?: boolean;
  cluster?: ClusterDocument;
  clusters?: Record<string, ClusterDocument>;
  profiles?: ProfilesDocument;
  phones?: Record<string, PhoneDocument>;
  trunks?: Record<string, TrunkDocument>;
  steps: StepDocument[];
}

export interface ClusterDocument {
  description?: string;
  version?: CucmVersion | number;
  hostname?: string;
  domain?: string;
  subscribers?: string[];
  securityMode?: ClusterSecurityMode;
  sipOAuth?: boolean;
  build?: 'restricted' | 'unrestricted';
  exportControlled?: boolean;
  fips?: boolean;
  commonCriteria?: boolean;
  parameters?: EnterpriseParametersDocument;
  certificates?: Partial<Record<Purpose, CertificateOptionsDocument>>;
  capf?: CapfDocument;
}

export interface EnterpriseParametersDocument {
  tlsCiphers?: TlsCiphersPresetId;
  srtpCiphers?: SrtpCiphersPresetId;
  httpsCiphers?: 'rsa-only' | 'all';
  minTlsVersion?: '1.0' | '1.1' | '1.2';
  tftpFileSignatureAlgorithm?: 'sha1' | 'sha512';
  phoneInteractionOnCertificateUpdate?: 'auto-reset' | 'manual-reset';
  prepareClusterForRollback?: boolean;
  autoRegistration?: boolean;
  tlsResumptionTimer?: number;
  cipherManagement?: { allTls?: string; sipTls?: string };
}

export interface CertificateOptionsDocument {
  present?: boolean;
  keyType?: 'RSA' | 'EC';
  keySize?: number;
  hash?: HashName;
  signedBy?: 'self' | 'enterprise-ca';
  multiServer?: boolean;
  sharedWith?: string;
}

export interface CapfDocument {
  active?: boolean;
  certificateIssuer?: CertificateIssuer;
  validityDays?: number;
  operationExpiresDays?: number;
  endpointAdvancedEncryption?: boolean;
  onlineCa?: OnlineCaDocument;
}

export interface OnlineCaDocument {
  hostname: string;
  port?: number;
  template: string;
  type?: 'microsoft-ca';
}

export interface ProfilesDocument {
  phone?: Record<string, PhoneProfileDocument>;
  trunk?: Record<string, TrunkProfileDocument>;
}

export interface PhoneProfileDocument {
  description?: string;
  deviceSecurityMode: DeviceSecurityModeName;
  transport?: 'TCP' | 'UDP' | 'TCP+UDP' | 'TLS';
  tftpEncryptedConfig?: boolean;
  excludeDigestCredentials?: boolean;
  oauth?: boolean;
  authMode?: CapfAuthMode;
  keyOrder?: CapfKeyOrder;
  rsaKeySize?: number;
  ecKeySize?: number;
}

export interface TrunkProfileDocument {
  description?: string;
  deviceSecurityMode: DeviceSecurityModeName;
  incomingTransport?: 'TCP+UDP' | 'TLS' | 'TCP' | 'UDP';
  outgoingTransport?: 'TCP' | 'UDP' | 'TLS';
  incomingPort?: number;
  x509SubjectName?: string | string[];
  enableDigestAuthentication?: boolean;
}

export interface PhoneDocument {
  description?: string;
  model: PhoneModel;
  mac: string;
  count?: number;
  cluster?: string;
  profile?: string;
  line?: string | number;
  lines?: (string | number)[];
  protocol?: 'SIP';
  authMode?: CapfAuthMode;
  authString?: string | number;
  capfOperation?: CapfOperation;
  certificates?: PhoneCertificatesDocument;
  offer?: OfferDocument;
}

export interface PhoneCertificateDocument {
  keyType?: 'RSA' | 'EC';
  keySize?: number;
  expired?: boolean;
}

export interface PhoneCertificatesDocument {
  mic?: boolean | PhoneCertificateDocument;
  lsc?: boolean | PhoneCertificateDocument;
}

export interface OfferDocument {
  tlsSuites?: string[];
  tlsVersions?: TlsVersionName[];
  srtpSuites?: SrtpSuiteName[];
}

export interface TrunkDocument {
  description?: string;
  ends: Record<string, TrunkEndDocument>;
}

export interface TrunkEndDocument {
  profile?: string;
  port?: number;
  srtpAllowed?: boolean;
  node?: string;
}

// ---- steps ------------------------------------------------------------------------------------------------------

/** Keys every step may carry besides its one action key. */
export interface StepCommonDocument {
  name?: string;
  expect?: ExpectationDocument;
  repeat?: number;
  timeout?: Duration;
  concurrency?: number;
}

export interface BootDocument {
  phones: PhoneTargets;
  register?: boolean;
  door?: 'tftp' | 'http-6970' | 'https-6971' | 'https-6972';
}

export interface EnrollDocument {
  phones: PhoneTargets;
  authString?: string | number;
  operation?: CapfOperation;
}

export interface RegisterDocument {
  phones: PhoneTargets;
}

export interface CallDocument {
  from: string;
  to?: string;
  dial?: string | number;
  id?: string;
  via?: string;
  answer?: boolean;
  duration?: Duration;
  media?: MediaDocument;
}

export interface MediaDocument {
  codec?: 'G711u' | 'G711a' | 'G722' | 'G729' | 'OPUS';
  ptime?: number;
  packets?: number;
}

export interface CallActionDocument {
  call?: string;
  by?: string;
}

export interface RegenerateDocument {
  certificate: Purpose;
  cluster?: string;
  node?: string;
  keyType?: 'RSA' | 'EC';
  keySize?: number;
  hash?: HashName;
}

export interface ResetDocument {
  phones?: PhoneTargets;
  cluster?: string;
  type?: 'restart' | 'reset' | 'reset-security-settings' | 'factory';
}

export interface MoveDocument {
  phones: PhoneTargets;
  to: string;
}

export interface CliDocument {
  command: string;
  cluster?: string;
  node?: string;
}

export interface RestartDocument {
  services: string[];
  cluster?: string;
  node?: string;
}

export interface SetDocument {
  cluster?: string;
  securityMode?: ClusterSecurityMode;
  parameters?: EnterpriseParametersDocument;
  capf?: CapfDocument;
  phones?: PhoneTargets;
  profile?: string;
  authMode?: CapfAuthMode;
  authString?: string | number;
  capfOperation?: CapfOperation;
}

export interface ImportCertificatesDocument {
  from: string;
  into: string;
  certificates?: Purpose[];
  store?: TrustStoreName;
}

export interface ProbeDocument {
  cluster?: string;
  node?: string;
  port?: number;
  tlsSuites?: string[];
  tlsVersions?: TlsVersionName[];
  clientCertificate?: 'none' | 'mic' | 'lsc';
  phone?: string;
}

export interface FaultDocument {
  type: FaultKind;
  id?: string;
  cluster?: string;
  node?: string;
  phones?: PhoneTargets;
  call?: string;
  tamper?: 'signature' | 'record' | 'signer';
  certificate?: Purpose | 'mic' | 'lsc';
  port?: 'sip-tls' | 'https-6971' | 'https-6972' | 'tvs' | 'capf';
  tlsSuites?: string[];
  srtpSuites?: SrtpSuiteName[];
  reason?: 'publisher-down' | 'unknown-device' | 'auth-failed' | 'operation-expired' | 'key-rejected';
  corrupt?: 'payload' | 'auth-tag' | 'header' | 'replay';
  direction?: 'sent' | 'received' | 'both';
  rate?: number;
  service?: string;
}

/** One step: the common keys plus exactly one action (or group) key. */
export interface StepDocument extends StepCommonDocument {
  boot?: PhoneTargets | BootDocument;
  register?: PhoneTargets | RegisterDocument;
  enroll?: PhoneTargets | EnrollDocument;
  call?: CallDocument;
  answer?: string | CallActionDocument;
  hold?: string | CallActionDocument;
  resume?: string | CallActionDocument;
  hangup?: string | CallActionDocument;
  wait?: Duration;
  regenerate?: Purpose | RegenerateDocument;
  reset?: PhoneTargets | ResetDocument;
  move?: MoveDocument;
  cli?: string | CliDocument;
  restart?: string[] | RestartDocument;
  set?: SetDocument;
  importCertificates?: ImportCertificatesDocument;
  probe?: ProbeDocument;
  fault?: FaultDocument;
  clearFault?: string | string[];
  parallel?: StepDocument[];
  sequence?: StepDocument[];
}

// Every action key is a StepDocument key (checked at compile time).
type _ActionKeysCovered = Exclude<ActionKind, keyof StepDocument> extends never ? true : never;
export const ACTION_KEYS_COVERED: _ActionKeysCovered = true;

// ---- expectations -----------------------------------------------------------------------------------------------

export interface ExpectationDocument extends ExpectationBlock {
  /** Per-phone expectations (the same keys), for steps that involve several phones. */
  phones?: Record<string, ExpectationBlock>;
}

export interface ExpectationBlock {
  outcome?: StepOutcome;
  reason?: TextMatch;
  tls?: TlsExpectation;
  registration?: RegistrationExpectation;
  call?: CallExpectation;
  media?: MediaExpectation;
  enrollment?: EnrollmentExpectation;
  trust?: TrustExpectation;
  config?: ConfigExpectation;
  cluster?: ClusterExpectation;
}

export interface TlsExpectation {
  outcome?: OneOrMany<'accepted' | 'refused'>;
  version?: OneOrMany<TlsVersionName>;
  suite?: OneOrMany<string>;
  certificate?: OneOrMany<Purpose>;
  certificateType?: 'RSA' | 'ECDSA';
  clientCertificate?: 'lsc' | 'mic' | 'none';
  refusal?: TextMatch;
}

export interface RegistrationExpectation {
  outcome?: OneOrMany<'registered' | 'refused' | 'failed' | 'timeout'>;
  status?: NumberMatch;
  transport?: 'TCP' | 'UDP' | 'TLS';
  securityMode?: DeviceSecurityModeName;
}

export interface CallExpectation {
  outcome?: OneOrMany<'connected' | 'ringing' | 'rejected' | 'failed' | 'dropped'>;
  status?: NumberMatch;
  state?: 'ringing' | 'connected' | 'held' | 'ended';
  security?: 'encrypted' | 'authenticated' | 'non-secure';
}

export interface MediaExpectation {
  srtp?: boolean;
  suite?: OneOrMany<SrtpSuiteName>;
  streams?: NumberMatch;
  packetsSent?: NumberMatch;
  packetsReceived?: NumberMatch;
  authFailures?: NumberMatch;
  replays?: NumberMatch;
  lost?: NumberMatch;
  late?: NumberMatch;
  jitterMs?: NumberMatch;
}

export interface EnrollmentExpectation {
  outcome?: OneOrMany<'issued' | 'refused' | 'failed' | 'not-attempted'>;
  authenticatedWith?: 'mic' | 'lsc' | 'auth-string' | 'null-string';
  keyType?: 'RSA' | 'EC';
  keySize?: NumberMatch;
  issuer?: CertificateIssuer;
  reason?: TextMatch;
}

export interface TrustExpectation {
  ctl?: OneOrMany<TrustDecision>;
  itl?: OneOrMany<TrustDecision>;
  config?: OneOrMany<TrustDecision>;
  firmware?: OneOrMany<TrustDecision>;
  serverCertificate?: OneOrMany<TrustDecision>;
  capfCertificate?: OneOrMany<TrustDecision>;
  tvsCertificate?: OneOrMany<TrustDecision>;
  tvs?: 'valid' | 'invalid' | 'unreachable' | 'not-queried';
}

export interface ConfigExpectation {
  outcome?: OneOrMany<'downloaded' | 'not-found' | 'forbidden' | 'decrypt-failed' | 'rejected'>;
  file?: TextMatch;
  signed?: boolean;
  encrypted?: boolean;
  door?: 'tftp' | 'http-6970' | 'https-6971' | 'https-6972';
}

export interface ClusterExpectation {
  securityMode?: ClusterSecurityMode;
  ctl?: 'present' | 'absent';
  itlSigner?: 'ITLRecovery' | 'CallManager';
  ctlSigner?: 'ITLRecovery' | 'CallManager';
  itlCertificates?: { includes?: Purpose[]; excludes?: Purpose[] };
  phoneResets?: NumberMatch;
  warnings?: TextMatch;
}
