// The normalized scenario plan (every default resolved, every name checked, repetition and fan-out expanded) and
// the seam a runner implements: StepExecutor.execute(step, ctx) → StepObservation. evaluateExpectations
// (scenarios/evaluate.ts) compares the observation with the step's expectations; scenarios/run-plan.ts walks the plan.
import type { Logger } from '../common/log.js';
import type { TlsCiphersPresetId } from '../engine/tls/presets.js';
import type { MinTlsVersion } from '../engine/tls/policy.js';
import type { Purpose, HashName, TrustStoreName } from '../engine/pki/purposes.js';
import type { CapfAuthMode, CapfKeyOrder, CapfOperation, CertificateIssuer } from '../engine/capf/device-operations.js';
import type { SrtpSuiteName } from '../ciphers/srtp/suites.js';
import type { TlsVersionName } from '../ciphers/tls/suite-catalogue.js';
import type { MediaStreamCounts, ScenarioRecorder } from './results.js';
import type * as V from './vocabulary.js';

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export const formatLocation = (l: SourceLocation): string => `${l.file}:${l.line}:${l.column}`;

// ---- what exists ------------------------------------------------------------------------------------------------

export interface ScenarioPlan {
  file: string;
  name: string;
  description?: string;
  tags: string[];
  references: string[];
  timeoutMs: number;
  stepTimeoutMs: number;
  continueOnFailure: boolean;
  clusters: ClusterSpec[];
  /** Declared profiles plus the built-in non-secure ones (DEFAULT_PHONE_PROFILE, DEFAULT_TRUNK_PROFILE). */
  phoneProfiles: Record<string, PhoneProfileSpec>;
  trunkProfiles: Record<string, TrunkProfileSpec>;
  /** Every phone, groups expanded (agents → agents-1 … agents-N). */
  phones: PhoneSpec[];
  /** Group name → member phone names. */
  groups: Record<string, string[]>;
  trunks: TrunkSpec[];
  steps: StepSpec[];
  /** Counts after expansion. */
  stats: { actionSteps: number; expectations: number; phones: number };
}

export interface EnterpriseParametersSpec {
  tlsCiphers: TlsCiphersPresetId;
  srtpCiphers: V.SrtpCiphersPresetId;
  httpsCiphers: (typeof V.HTTPS_CIPHERS_OPTIONS)[number];
  minTlsVersion: MinTlsVersion;
  tftpFileSignatureAlgorithm: 'sha1' | 'sha512';
  phoneInteractionOnCertificateUpdate: 'auto-reset' | 'manual-reset';
  prepareClusterForRollback: boolean;
  autoRegistration: boolean;
  tlsResumptionTimer: number;
  cipherManagement?: { allTls?: string; sipTls?: string };
}

export interface CertificateSpec {
  purpose: Purpose;
  present: boolean;
  keyType: 'RSA' | 'EC';
  keySize: number;
  hash: HashName;
  signedBy: 'self' | 'enterprise-ca';
  multiServer: boolean;
  /** Another cluster whose key and certificate this one uses. */
  sharedWith?: string;
}

export interface CapfSpec {
  active: boolean;
  certificateIssuer: CertificateIssuer;
  validityDays: number;
  operationExpiresDays: number;
  endpointAdvancedEncryption: boolean;
  onlineCa?: { hostname: string; port: number; template: string; type: 'microsoft-ca' };
}

export interface ClusterSpec {
  name: string;
  description?: string;
  version: V.CucmVersion;
  hostname: string;
  domain: string;
  subscribers: string[];
  securityMode: V.ClusterSecurityMode;
  sipOAuth: boolean;
  build: 'restricted' | 'unrestricted';
  exportControlled: boolean;
  fips: boolean;
  commonCriteria: boolean;
  parameters: EnterpriseParametersSpec;
  certificates: Record<Purpose, CertificateSpec>;
  capf: CapfSpec;
  location: SourceLocation;
}

export interface PhoneProfileSpec {
  name: string;
  description?: string;
  deviceSecurityMode: V.DeviceSecurityModeName;
  /** Resolved: TLS for the secure modes. */
  transport: (typeof V.PHONE_TRANSPORTS)[number];
  tftpEncryptedConfig: boolean;
  excludeDigestCredentials: boolean;
  oauth: boolean;
  authMode: CapfAuthMode;
  keyOrder: CapfKeyOrder;
  rsaKeySize: number;
  ecKeySize: number;
  builtIn: boolean;
}

export interface TrunkProfileSpec {
  name: string;
  description?: string;
  deviceSecurityMode: V.DeviceSecurityModeName;
  incomingTransport: (typeof V.TRUNK_INCOMING_TRANSPORTS)[number];
  outgoingTransport: (typeof V.TRUNK_OUTGOING_TRANSPORTS)[number];
  incomingPort: number;
  x509SubjectNames: string[];
  enableDigestAuthentication: boolean;
  builtIn: boolean;
}

export interface PhoneCertificateSpec {
  keyType: 'RSA' | 'EC';
  keySize: number;
  expired: boolean;
}

export interface PhoneSpec {
  name: string;
  /** The group entry it came from, and its 1-based index in the group. */
  group?: string;
  index?: number;
  model: V.PhoneModel;
  /** 12 upper-case hex digits. */
  mac: string;
  /** SEP<MAC> (the CUCM device name, the LSC CN). */
  deviceName: string;
  cluster: string;
  profile: string;
  lines: string[];
  protocol: 'SIP';
  authMode: CapfAuthMode;
  authString?: string;
  capfOperation: CapfOperation;
  /** null = the phone has none; undefined mic = the model's default. */
  certificates: { mic?: PhoneCertificateSpec | null; lsc: PhoneCertificateSpec | null };
  offer: { tlsSuites?: string[]; tlsVersions?: TlsVersionName[]; srtpSuites?: SrtpSuiteName[] };
  location: SourceLocation;
}

export interface TrunkEndSpec {
  cluster: string;
  profile: string;
  port: number;
  srtpAllowed: boolean;
  node?: string;
}

export interface TrunkSpec {
  name: string;
  description?: string;
  ends: [TrunkEndSpec, TrunkEndSpec];
  location: SourceLocation;
}

// ---- what happens -----------------------------------------------------------------------------------------------

export type Matcher =
  | { op: 'equals'; value: string | number | boolean }
  | { op: 'oneOf'; values: (string | number)[] }
  | { op: 'compare'; cmp: '==' | '!=' | '<' | '<=' | '>' | '>='; value: number }
  | { op: 'range'; min?: number; max?: number }
  | { op: 'contains'; text: string }
  | { op: 'matches'; pattern: string }
  | { op: 'includes'; values: string[] }
  | { op: 'excludes'; values: string[] };

export interface ExpectationLeaf {
  /** Dotted path into ObservedFacts, e.g. `tls.suite`, `media.authFailures`, `cluster.itlCertificates`. */
  path: string;
  /** Only this subject (from expect.phones); otherwise every subject of the step. */
  subject?: string;
  matcher: Matcher;
  location: SourceLocation;
}

export interface ExpectationSpec {
  leaves: ExpectationLeaf[];
  /** True when the step states no outcome: `outcome: ok` is then expected of every subject. */
  implicitOk: boolean;
}

interface StepBase {
  /** Display id: "3", "4.2", "5#2" (repetition 2 of step 5), "5#2.1". */
  id: string;
  name: string;
  location: SourceLocation;
  /** Document path of the source step, e.g. `steps[4].parallel[1]`. */
  template: string;
  /** Repetition numbers (1-based) of the enclosing repeats, outermost first. */
  iteration: number[];
  timeoutMs: number;
  expect: ExpectationSpec;
}

export interface BootStep extends StepBase {
  kind: 'boot';
  phones: string[];
  register: boolean;
  door: (typeof V.CONFIG_DOORS)[number];
  concurrency: number;
}

export interface RegisterStep extends StepBase {
  kind: 'register';
  phones: string[];
  concurrency: number;
}

export interface EnrollStep extends StepBase {
  kind: 'enroll';
  phones: string[];
  authString?: string;
  operation: CapfOperation;
  concurrency: number;
}

export interface CallLeg {
  /** Unique call id (base id + repetition "#n" + fan-out "[i]"). */
  id: string;
  from: string;
  /** Called phone; absent when dialled by number only. */
  to?: string;
  dial?: string;
  via?: string;
}

export interface CallStep extends StepBase {
  kind: 'call';
  calls: CallLeg[];
  answer: boolean;
  durationMs?: number;
  media: { codec: (typeof V.CODECS)[number]; ptimeMs: number; packets?: number };
  concurrency: number;
}

export interface CallActionStep extends StepBase {
  kind: 'answer' | 'hold' | 'resume' | 'hangup';
  /** The calls acted on and the phone acting on each. */
  targets: { call: string; by: string }[];
  concurrency: number;
}

export interface WaitStep extends StepBase {
  kind: 'wait';
  durationMs: number;
}

export interface RegenerateStep extends StepBase {
  kind: 'regenerate';
  cluster: string;
  certificate: Purpose;
  node?: string;
  keyType?: 'RSA' | 'EC';
  keySize?: number;
  hash?: HashName;
}

export interface ResetStep extends StepBase {
  kind: 'reset';
  phones: string[];
  /** Set when the whole cluster's phones are reset (Apply Config / Enterprise Parameters Reset). */
  cluster?: string;
  type: (typeof V.RESET_TYPES)[number];
  concurrency: number;
}

export interface MoveStep extends StepBase {
  kind: 'move';
  phones: string[];
  to: string;
  concurrency: number;
}

export interface CliStep extends StepBase {
  kind: 'cli';
  cluster: string;
  node?: string;
  command: (typeof V.CLI_COMMANDS)[number];
}

export interface RestartStep extends StepBase {
  kind: 'restart';
  cluster: string;
  node?: string;
  services: (typeof V.CUCM_SERVICES)[number][];
}

export interface SetStep extends StepBase {
  kind: 'set';
  cluster: string;
  securityMode?: V.ClusterSecurityMode;
  /** Only the parameters the step changes. */
  parameters?: Partial<EnterpriseParametersSpec>;
  capf?: Partial<CapfSpec>;
  phones: string[];
  phone?: { profile?: string; authMode?: CapfAuthMode; authString?: string; capfOperation?: CapfOperation };
}

export interface ImportCertificatesStep extends StepBase {
  kind: 'importCertificates';
  from: string;
  into: string;
  certificates: Purpose[];
  store: TrustStoreName;
}

export interface ProbeStep extends StepBase {
  kind: 'probe';
  cluster: string;
  node?: string;
  port: number;
  tlsSuites?: string[];
  tlsVersions: TlsVersionName[];
  clientCertificate: 'none' | 'mic' | 'lsc';
  phone?: string;
}

export interface FaultSpec {
  id: string;
  type: V.FaultKind;
  cluster: string;
  node?: string;
  /** Phones affected (all phones when the file names none). */
  phones: string[];
  calls?: string[];
  tamper?: (typeof V.ITL_TAMPERING)[number];
  certificate?: (typeof V.FAULT_CERTIFICATES)[number];
  /** The TLS door that presents it (engine/cluster CertificateFaultPort); all doors of the purpose when absent. */
  port?: (typeof V.CERTIFICATE_FAULT_PORTS)[number];
  tlsSuites?: string[];
  srtpSuites?: SrtpSuiteName[];
  reason?: (typeof V.CAPF_REFUSALS)[number];
  corrupt?: (typeof V.CORRUPTION_TARGETS)[number];
  direction?: (typeof V.MEDIA_DIRECTIONS)[number];
  rate?: number;
  service?: (typeof V.CUCM_SERVICES)[number];
}

export interface FaultStep extends StepBase {
  kind: 'fault';
  fault: FaultSpec;
}

export interface ClearFaultStep extends StepBase {
  kind: 'clearFault';
  /** Fault ids, or every fault active at that point. */
  faults: string[];
}

export type ActionStep =
  | BootStep
  | RegisterStep
  | EnrollStep
  | CallStep
  | CallActionStep
  | WaitStep
  | RegenerateStep
  | ResetStep
  | MoveStep
  | CliStep
  | RestartStep
  | SetStep
  | ImportCertificatesStep
  | ProbeStep
  | FaultStep
  | ClearFaultStep;

export interface GroupStep extends StepBase {
  kind: V.GroupKind;
  children: StepSpec[];
  concurrency: number;
  /** Set on the sequence that `repeat: N` made of N copies of one step. */
  repeat?: number;
}

export type StepSpec = ActionStep | GroupStep;

export const isGroup = (s: StepSpec): s is GroupStep => s.kind === 'parallel' || s.kind === 'sequence';

// ---- what was observed --------------------------------------------------------------------------------------------

export interface ObservedTls {
  outcome?: (typeof V.TLS_OUTCOMES)[number];
  version?: string;
  suite?: string;
  certificate?: string;
  certificateType?: 'RSA' | 'ECDSA';
  clientCertificate?: 'lsc' | 'mic' | 'none';
  refusal?: string;
}

export type ObservedMediaStream = MediaStreamCounts;

/** The facts of one subject (a phone, the cluster, a probe); the keys mirror the expectation keys. */
export interface ObservedFacts {
  outcome?: V.StepOutcome;
  reason?: string;
  tls?: ObservedTls;
  registration?: { outcome?: (typeof V.REGISTRATION_OUTCOMES)[number]; status?: number; transport?: 'TCP' | 'UDP' | 'TLS'; securityMode?: V.DeviceSecurityModeName };
  call?: { outcome?: (typeof V.CALL_OUTCOMES)[number]; status?: number; state?: (typeof V.CALL_STATES)[number]; security?: (typeof V.CALL_SECURITY)[number] };
  /** One entry per stream; every media expectation is checked on each (streams: on their number). */
  media?: ObservedMediaStream[];
  enrollment?: {
    outcome?: (typeof V.ENROLLMENT_OUTCOMES)[number];
    authenticatedWith?: (typeof V.ENROLLMENT_AUTH)[number];
    keyType?: 'RSA' | 'EC';
    keySize?: number;
    issuer?: CertificateIssuer;
    reason?: string;
  };
  trust?: Partial<Record<(typeof V.TRUST_ITEMS)[number], V.TrustDecision>> & { tvs?: (typeof V.TVS_RESULTS)[number] };
  config?: { outcome?: (typeof V.CONFIG_OUTCOMES)[number]; file?: string; signed?: boolean; encrypted?: boolean; door?: (typeof V.CONFIG_DOORS)[number] };
  cluster?: {
    securityMode?: V.ClusterSecurityMode;
    ctl?: 'present' | 'absent';
    itlSigner?: 'ITLRecovery' | 'CallManager';
    ctlSigner?: 'ITLRecovery' | 'CallManager';
    /** Purposes with a record in the ITL. */
    itlCertificates?: Purpose[];
    phoneResets?: number;
    /** Warnings the cluster gave; a `warnings` expectation matches when any of them does. */
    warnings?: string[];
  };
}

export interface SubjectObservation {
  /** Phone name, cluster name, call id or "probe". */
  subject: string;
  kind: 'phone' | 'cluster' | 'call' | 'probe' | 'trunk';
  facts: ObservedFacts;
}

export interface StepObservation {
  /** Whether the action as a whole succeeded (a subject's facts.outcome overrides it for that subject). */
  outcome: V.StepOutcome;
  reason?: string;
  /** The subjects the step's expectations are checked on: for phone steps, one per phone. */
  subjects: SubjectObservation[];
}

// ---- the seam -----------------------------------------------------------------------------------------------------

export interface ScenarioContext {
  plan: ScenarioPlan;
  /** Aborted when the scenario's time limit passes or the run is cancelled. */
  signal: AbortSignal;
  log: Logger;
  /** Where connections, SIP messages, trust decisions, media statistics and logs go. */
  recorder: ScenarioRecorder;
}

export interface StepContext extends ScenarioContext {
  /** Aborted when the step's time limit passes (and with the scenario's). */
  signal: AbortSignal;
  /** The step's id: pass it as `stepId` to recorder calls made while parallel steps run. */
  stepId: string;
  /** Repetition numbers of the step (same as step.iteration). */
  iteration: number[];
}

/**
 * What a runner implements to drive the engine: build the clusters and phones of a plan (setup), perform one action
 * step and report what it observed (execute), release everything (teardown). It never judges expectations: the
 * plan runner does, with evaluateExpectations. Throwing from execute marks the step as an error (not a failure).
 */
export interface StepExecutor {
  setup?(ctx: ScenarioContext): Promise<void>;
  execute(step: ActionStep, ctx: StepContext): Promise<StepObservation>;
  teardown?(ctx: ScenarioContext): Promise<void>;
}

export type ExecutorFactory = (plan: ScenarioPlan) => StepExecutor;
