// The embedded cluster's configuration: what an administrator sets in CUCM (enterprise and service parameters, the
// cluster security mode, certificate options, phone and trunk security profiles, phones and trunks) plus where the
// emulation listens. `normalizeClusterConfig` checks an input (a parsed YAML file or an object) against
// cluster.schema.json, then the rules the schema cannot say (references, duplicates, presets), fills the defaults and
// returns a ClusterConfig. Names are the engine modules' own (TLS presets, purposes, CAPF modes, device security
// modes), and the scenario language's, so a scenario's cluster section maps onto this one field for field.
import _Ajv, { type ErrorObject } from 'ajv';
import { CAPF_AUTH_MODES, CAPF_EC_KEY_SIZES, CAPF_RSA_KEY_SIZES, type CapfAuthMode, type CapfKeyOrder, type CapfOperation, type CertificateIssuer } from '../capf/device-operations.js';
import { MediaPolicyError, resolveSrtpCiphers, type SrtpCiphersPolicy } from '../media-policy/index.js';
import { PURPOSE_RULES, PURPOSES, type HashName, type KeyType, type Purpose } from '../pki/purposes.js';
import type { OnlineCaSettings } from '../capf/lsc-issuer.js';
import { normalizeMacAddress } from '../tftp/provisioning-source.js';
import { parseHostPort } from '../../common/host-port.js';
import { compilePattern } from '../calls/route-plan.js';
import type { MinTlsVersion } from '../tls/policy.js';
import { findPreset, type DeviceSecurityMode, type TlsCiphersPresetId } from '../tls/presets.js';
import schema from './cluster.schema.json' with { type: 'json' };

const Ajv = _Ajv as unknown as typeof _Ajv.default;

export type ClusterSecurityMode = 'non-secure' | 'mixed';
export type PhoneTransport = 'TCP' | 'UDP' | 'TCP+UDP' | 'TLS';
export type PathSegment = string | number;

/** Every door the cluster opens. `false` leaves it closed; 0 lets the OS choose (tests). */
export interface ClusterPorts {
  sipUdp: number | false;
  sipTcp: number | false;
  sipTls: number | false;
  tftp: number | false;
  http: number | false;
  https6971: number | false;
  https6972: number | false;
  tvs: number | false;
  capf: number | false;
}

export type PortName = keyof ClusterPorts;
export const PORT_NAMES: readonly PortName[] = ['sipUdp', 'sipTcp', 'sipTls', 'tftp', 'http', 'https6971', 'https6972', 'tvs', 'capf'];

/** CUCM's ports (seed001-A §1.1, seed002 §18). */
export const DEFAULT_CLUSTER_PORTS: Readonly<ClusterPorts> = { sipUdp: 5060, sipTcp: 5060, sipTls: 5061, tftp: 69, http: 6970, https6971: 6971, https6972: 6972, tvs: 2445, capf: 3804 };

export interface NetworkConfig {
  /** Address every service binds to (default 127.0.0.1). */
  bind: string;
  /** Address written into phone configurations (CallManager, TVS, CAPF); default the bind address, or this host's first external IPv4 for 0.0.0.0. */
  advertise?: string;
  ports: ClusterPorts;
}

/** Enterprise and service parameters that change what the services do. */
export interface ClusterParameters {
  /** "TLS Ciphers" (engine/tls preset id). */
  tlsCiphers: TlsCiphersPresetId;
  /** `set tls min-version`. */
  minTlsVersion: MinTlsVersion;
  /** Cipher Management (OS Admin): All TLS / SIP TLS OpenSSL strings, which override TLS Ciphers. */
  cipherManagement?: { allTls?: string; sipTls?: string };
  /** "SRTP Ciphers": a preset id or label of engine/media-policy ("all" = All Supported Ciphers), or a suite list. */
  srtpCiphers: string | string[];
  /** "SIP Station Realm" service parameter: the realm of phone digest challenges. */
  sipStationRealm: string;
  /** "Cluster ID": the realm of trunk challenges. */
  clusterId: string;
  /** Nonce validity for profiles that give none, seconds (CUCM's default 600). */
  nonceValiditySeconds: number;
  /** "TFTP File Signature Algorithm". */
  tftpFileSignatureAlgorithm: 'sha1' | 'sha512';
  tlsResumptionTimer: number;
  tls12Only?: boolean;
  /** "Phone Interaction on Certificate Update": phones reset by themselves, or wait for the administrator. */
  phoneInteractionOnCertificateUpdate: 'auto-reset' | 'manual-reset';
  /** "Prepare Cluster for Rollback to pre-8.0": phones get an ITL with empty TVS and TFTP entries. */
  prepareClusterForRollback: boolean;
  autoRegistration: boolean;
  /** TVS members phones are told about; default this cluster's own TVS. */
  tvsMembers?: { address: string; port?: number }[];
}

/** CAPF service and enterprise parameters. */
export interface CapfSettings {
  /** CAPF activated on the publisher (its service runs and its certificate is in the ITL/CTL). */
  active: boolean;
  certificateIssuer: CertificateIssuer;
  validityDays: number;
  keepAliveMinutes: number;
  operationExpiresDays: number;
  /** "Endpoint Advanced Encryption Algorithm Support". */
  endpointAdvancedEncryption: boolean;
  /** Online CA mode's service parameters (Certificate Issuer to Endpoint = Online CA, 002 L2244-2281). */
  onlineCa?: OnlineCaSettings;
}

export interface CertificateOptions {
  keyType?: KeyType;
  keySize?: number;
  hash?: HashName;
  /** false: the cluster is created without this certificate (CallManager-ECDSA, tomcat-ECDSA only). */
  present?: boolean;
  /** 'enterprise-ca': the certificate in use is one an enterprise CA signed for the cluster's CSR (EmbeddedCluster.useEnterpriseCa). */
  signedBy?: 'self' | 'enterprise-ca';
  /** Multi-server (SAN) distribution: one certificate `<host>-ms.<domain>` for every node; needs signedBy enterprise-ca. */
  multiServer?: boolean;
}

export interface PhoneSecurityProfileConfig {
  name: string;
  description?: string;
  deviceSecurityMode: DeviceSecurityMode;
  /** "Transport Type"; the secure modes always use TLS. */
  transport: PhoneTransport;
  tftpEncryptedConfig: boolean;
  excludeDigestCredentials: boolean;
  /** "Enable Digest Authentication". */
  digestAuthentication: boolean;
  /** "Nonce Validity Time" (seconds); default the cluster parameter. */
  nonceValiditySeconds?: number;
  /** CAPF "Authentication Mode". */
  authMode: CapfAuthMode;
  keyOrder: CapfKeyOrder;
  rsaKeySize: number;
  ecKeySize: number;
  builtIn: boolean;
}

export interface TrunkSecurityProfileConfig {
  name: string;
  description?: string;
  deviceSecurityMode: DeviceSecurityMode;
  incomingTransport: 'TCP+UDP' | 'TLS' | 'TCP' | 'UDP';
  outgoingTransport: 'TCP' | 'UDP' | 'TLS';
  /** "Incoming Port": 5060 for non-secure, 5061 for TLS by default. */
  incomingPort: number;
  /** "X.509 Subject Name": the peer certificate names admitted on this trunk. */
  x509SubjectNames: string[];
  enableDigestAuthentication: boolean;
  nonceValiditySeconds?: number;
  applicationLevelAuthorization: boolean;
  acceptPresenceSubscription: boolean;
  acceptOutOfDialogRefer: boolean;
  acceptUnsolicitedNotification: boolean;
  acceptReplacesHeader: boolean;
  builtIn: boolean;
}

export interface LineConfig {
  /** Directory number. */
  dn: string;
  displayName?: string;
}

export interface DeviceCapfConfig {
  /** "Certificate Operation". */
  operation: CapfOperation;
  /** Overrides the profile's Authentication Mode. */
  authMode?: CapfAuthMode;
  /** "Authentication String" (4-10 digits, single use). */
  authString?: string;
  /** "Operation Completes By" (ISO time); default now + operationExpiresDays. */
  operationCompletesBy?: string;
}

export interface DeviceConfig {
  /** The label used in configuration files and reports (e.g. "alice"). */
  label: string;
  /** 12 upper-case hex digits. */
  mac: string;
  /** CUCM device name: SEP<MAC> unless given (CSF… for soft clients). */
  name: string;
  model?: string;
  protocol: 'SIP';
  /** Phone security profile name. */
  profile: string;
  lines: LineConfig[];
  /** "Digest User" and its digest credentials. */
  digestUser?: { userId: string; password?: string };
  capf: DeviceCapfConfig;
  loadInformation?: string;
  /** The phone's MIC (PEM), when the cluster is told it (CAPF Troubleshoot does that too). */
  micPem?: string;
  /** Manual key distribution: the symmetric key entered on the phone (hex, 16 or 32 bytes). */
  manualKeyHex?: string;
}

export interface TrunkConfig {
  name: string;
  description?: string;
  /** Trunk security profile name. */
  profile: string;
  /** Peers: the addresses allowed on this trunk (its ACL) and where calls are sent. */
  destinations: { address: string; port: number }[];
  /** "SRTP Allowed". */
  srtpAllowed: boolean;
  /** The other embedded cluster at the far end, when there is one (reports and migration scenarios). */
  peerCluster?: string;
}

/** A route pattern (Call Routing > Route/Hunt > Route Pattern): numbers that are not lines go to a trunk or are refused. */
export interface RoutePatternConfig {
  /** CUCM pattern: digits, X, [1-3], [^5], ! and "." (engine/calls route-plan). */
  pattern: string;
  /** A trunk of `trunks`. */
  trunk?: string;
  /** Block this pattern: the caller gets this status (400-699). */
  reject?: { status: number; reason?: string };
}

export interface ClusterConfig {
  name: string;
  description?: string;
  /** Publisher host name and domain (the certificates' names). */
  hostname: string;
  domain: string;
  subscribers: string[];
  fips: boolean;
  commonCriteria: boolean;
  /** Smart Licensing "Allow export-controlled functionality": without it mixed mode cannot be set (seed 001 L3816-3821). */
  exportControlled: boolean;
  /** Cluster security mode at creation (later changes go through EmbeddedCluster.setSecurityMode). */
  securityMode: ClusterSecurityMode;
  network: NetworkConfig;
  parameters: ClusterParameters;
  certificates: Partial<Record<Purpose, CertificateOptions>>;
  capf: CapfSettings;
  phoneProfiles: Record<string, PhoneSecurityProfileConfig>;
  trunkProfiles: Record<string, TrunkSecurityProfileConfig>;
  /** Keyed by label. */
  devices: Record<string, DeviceConfig>;
  trunks: Record<string, TrunkConfig>;
  routePatterns: RoutePatternConfig[];
}

// ---- inputs: everything optional ------------------------------------------------------------------------------------

type Optional<T, Keep extends keyof T = never> = { [K in Exclude<keyof T, Keep>]?: T[K] } & { [K in Keep]: T[K] };

export type PhoneProfileInput = Optional<Omit<PhoneSecurityProfileConfig, 'name' | 'builtIn'>, 'deviceSecurityMode'>;
export type TrunkProfileInput = Optional<Omit<TrunkSecurityProfileConfig, 'name' | 'builtIn' | 'x509SubjectNames'>, 'deviceSecurityMode'> & { x509SubjectNames?: string[] | string };
export interface DeviceInput {
  mac: string;
  name?: string;
  model?: string | number;
  protocol?: 'SIP';
  profile?: string;
  line?: string | number;
  lines?: (string | number | { dn: string | number; displayName?: string })[];
  digestUser?: string | { userId: string; password?: string };
  capf?: Partial<DeviceCapfConfig>;
  /** Shorthands of capf.operation / capf.authString (the scenario language's spelling). */
  capfOperation?: CapfOperation;
  authString?: string;
  loadInformation?: string;
  micPem?: string;
  manualKeyHex?: string;
}
export interface TrunkInput {
  description?: string;
  profile?: string;
  destinations: (string | { address: string; port?: number })[];
  srtpAllowed?: boolean;
  peerCluster?: string;
}

export interface ClusterConfigInput {
  name?: string;
  description?: string;
  hostname?: string;
  domain?: string;
  subscribers?: string[];
  fips?: boolean;
  commonCriteria?: boolean;
  exportControlled?: boolean;
  securityMode?: ClusterSecurityMode;
  network?: { bind?: string; advertise?: string; ports?: Partial<ClusterPorts> };
  parameters?: Partial<ClusterParameters> & { srtpCiphers?: string | string[] };
  certificates?: Partial<Record<Purpose, CertificateOptions>>;
  capf?: Partial<Omit<CapfSettings, 'onlineCa'>> & { onlineCa?: Partial<OnlineCaSettings> & Pick<OnlineCaSettings, 'hostname' | 'template'> };
  phoneProfiles?: Record<string, PhoneProfileInput>;
  trunkProfiles?: Record<string, TrunkProfileInput>;
  devices?: Record<string, DeviceInput>;
  trunks?: Record<string, TrunkInput>;
  routePatterns?: RoutePatternConfig[];
}

// ---- defaults --------------------------------------------------------------------------------------------------------

/** CUCM's predefined non-secure phone profile (digest off, TCP). */
export const DEFAULT_PHONE_PROFILE = 'Universal Device Template - Model-independent Security Profile';
/** CUCM's predefined non-secure trunk profile. */
export const DEFAULT_TRUNK_PROFILE = 'Non Secure SIP Trunk Profile';

export const DEFAULT_PARAMETERS: Readonly<ClusterParameters> = {
  tlsCiphers: 'all-rsa',
  minTlsVersion: '1.0',
  srtpCiphers: 'all-supported',
  sipStationRealm: 'ccmsipline',
  clusterId: 'StandAloneCluster',
  nonceValiditySeconds: 600,
  tftpFileSignatureAlgorithm: 'sha1',
  tlsResumptionTimer: 3600,
  phoneInteractionOnCertificateUpdate: 'auto-reset',
  prepareClusterForRollback: false,
  autoRegistration: false,
};

export const DEFAULT_CAPF_SETTINGS: Readonly<CapfSettings> = {
  active: true,
  certificateIssuer: 'capf',
  validityDays: 1825,
  keepAliveMinutes: 15,
  operationExpiresDays: 10,
  endpointAdvancedEncryption: false,
};

function builtInPhoneProfile(): PhoneSecurityProfileConfig {
  return {
    name: DEFAULT_PHONE_PROFILE,
    deviceSecurityMode: 'non-secure',
    transport: 'TCP+UDP',
    tftpEncryptedConfig: false,
    excludeDigestCredentials: false,
    digestAuthentication: false,
    authMode: 'null-string',
    keyOrder: 'rsa-only',
    rsaKeySize: 2048,
    ecKeySize: 384,
    builtIn: true,
  };
}

function builtInTrunkProfile(): TrunkSecurityProfileConfig {
  return {
    name: DEFAULT_TRUNK_PROFILE,
    deviceSecurityMode: 'non-secure',
    incomingTransport: 'TCP+UDP',
    outgoingTransport: 'TCP',
    incomingPort: 5060,
    x509SubjectNames: [],
    enableDigestAuthentication: false,
    applicationLevelAuthorization: false,
    acceptPresenceSubscription: false,
    acceptOutOfDialogRefer: false,
    acceptUnsolicitedNotification: false,
    acceptReplacesHeader: false,
    builtIn: true,
  };
}

// ---- errors -----------------------------------------------------------------------------------------------------------

export interface ConfigIssue {
  /** Where in the configuration: ['devices', 'alice', 'mac']. */
  path: PathSegment[];
  message: string;
  /** The problem is the key itself (an unknown setting), not its value. */
  at?: 'key';
}

export function formatConfigPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][\w$-]*$/.test(s) ? (i ? '.' : '') + s : `[${JSON.stringify(s)}]`)).join('');
}

/** A configuration that cannot be used; `issues` names each problem and where it is. */
export class ClusterConfigError extends Error {
  constructor(
    readonly issues: ConfigIssue[],
    readonly source?: string,
  ) {
    super(`${source ? `${source}: ` : ''}invalid cluster configuration:\n${issues.map((i) => `  ${formatConfigPath(i.path)}: ${i.message}`).join('\n')}`);
    this.name = 'ClusterConfigError';
  }
}

// ---- schema ------------------------------------------------------------------------------------------------------------

export const CLUSTER_CONFIG_SCHEMA: Readonly<Record<string, unknown>> = schema as Record<string, unknown>;

let validator: ReturnType<InstanceType<typeof Ajv>['compile']> | undefined;

function schemaValidator() {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    validator = ajv.compile(CLUSTER_CONFIG_SCHEMA);
  }
  return validator;
}

function pointerPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

function schemaIssue(e: ErrorObject): ConfigIssue {
  const path = pointerPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: [...path, String(p.additionalProperty)], message: `unknown setting "${String(p.additionalProperty)}"`, at: 'key' };
    case 'required':
      return { path, message: `"${String(p.missingProperty)}" is required` };
    case 'enum':
      return { path, message: `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'type':
      return { path, message: `expected ${String(p.type).replace(/,/g, ' or ')}` };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

/** Structural checks only (cluster.schema.json); normalizeClusterConfig runs them first. */
export function schemaIssues(input: unknown): ConfigIssue[] {
  const v = schemaValidator();
  if (v(input)) return [];
  const issues = (v.errors ?? []).filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.keyword !== 'if').map(schemaIssue);
  // One message per path and text (ajv repeats some under unions).
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = formatConfigPath(i.path) + '\u0000' + i.message;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---- normalization -----------------------------------------------------------------------------------------------------

const HOST = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** The SRTP Ciphers value as engine/media-policy reads it ("all" is the scenario language's spelling of the default). */
export function srtpCiphersPolicy(value: string | string[]): SrtpCiphersPolicy {
  if (value === 'all') return resolveSrtpCiphers('all-supported');
  return resolveSrtpCiphers(value);
}

/**
 * Checks `input` and fills every default. Throws ClusterConfigError listing every problem with its path (schema
 * violations first, then the cross-checks: unknown profiles, duplicate MACs and device names, MAC format, presets).
 */
export function normalizeClusterConfig(input: ClusterConfigInput | unknown, source?: string): ClusterConfig {
  const structural = schemaIssues(input ?? {});
  if (structural.length) throw new ClusterConfigError(structural, source);
  const i = (input ?? {}) as ClusterConfigInput;
  const issues: ConfigIssue[] = [];
  const issue = (path: PathSegment[], message: string) => issues.push({ path, message });

  const hostname = i.hostname ?? 'cucm-pub';
  if (!HOST.test(hostname)) issue(['hostname'], `"${hostname}" is not a host name (letters, digits and inner hyphens, at most 63)`);
  const domain = i.domain ?? 'trustline.test';
  const subscribers = i.subscribers ?? [];
  subscribers.forEach((s, n) => {
    if (!HOST.test(s)) issue(['subscribers', n], `"${s}" is not a host name`);
    if (s.toLowerCase() === hostname.toLowerCase()) issue(['subscribers', n], `"${s}" is the publisher's host name`);
  });

  const parameters: ClusterParameters = { ...DEFAULT_PARAMETERS, ...(i.parameters ?? {}) } as ClusterParameters;
  const preset = findPreset(parameters.tlsCiphers);
  if (!preset) issue(['parameters', 'tlsCiphers'], `unknown TLS Ciphers option "${parameters.tlsCiphers}"`);
  else parameters.tlsCiphers = preset.id;
  try {
    srtpCiphersPolicy(parameters.srtpCiphers);
  } catch (e) {
    if (!(e instanceof MediaPolicyError)) throw e;
    issue(['parameters', 'srtpCiphers'], e.message);
  }

  const { onlineCa: onlineCaInput, ...capfInput } = i.capf ?? {};
  const capf: CapfSettings = { ...DEFAULT_CAPF_SETTINGS, ...capfInput };

  const certificates: Partial<Record<Purpose, CertificateOptions>> = {};
  for (const [purpose, opts] of Object.entries(i.certificates ?? {})) {
    if (!PURPOSES.includes(purpose as Purpose)) issue(['certificates', purpose], `unknown certificate purpose (known: ${PURPOSES.join(', ')})`);
    else {
      certificates[purpose as Purpose] = { ...opts };
      if (opts.multiServer && opts.signedBy !== 'enterprise-ca') issue(['certificates', purpose, 'multiServer'], 'a multi-server (SAN) certificate must be CA-signed: add signedBy: enterprise-ca (002 L789)');
      else if (opts.multiServer && !PURPOSE_RULES[purpose as Purpose].multiServer) issue(['certificates', purpose, 'multiServer'], `${purpose} cannot be a multi-server certificate (Table 23: Multi server = N, 001 L4446-4454)`);
    }
  }
  if (onlineCaInput) capf.onlineCa = { hostname: onlineCaInput.hostname, port: onlineCaInput.port ?? 443, template: onlineCaInput.template, type: onlineCaInput.type ?? 'microsoft-ca' };

  const network: NetworkConfig = {
    bind: i.network?.bind ?? '127.0.0.1',
    ports: { ...DEFAULT_CLUSTER_PORTS, ...(i.network?.ports ?? {}) },
    ...(i.network?.advertise ? { advertise: i.network.advertise } : {}),
  };
  const fixed = new Map<string, PortName>();
  for (const name of PORT_NAMES) {
    const p = network.ports[name];
    if (p === false || p === 0) continue;
    // SIP UDP and TCP share 5060 (one is datagram, the other stream); so do TFTP (UDP) and any TCP door.
    const proto = name === 'sipUdp' || name === 'tftp' ? 'udp' : 'tcp';
    const other = fixed.get(`${proto}:${p}`);
    if (other) issue(['network', 'ports', name], `port ${p} is already ${other}'s`);
    fixed.set(`${proto}:${p}`, name);
  }

  const phoneProfiles: Record<string, PhoneSecurityProfileConfig> = { [DEFAULT_PHONE_PROFILE]: builtInPhoneProfile() };
  for (const [name, p] of Object.entries(i.phoneProfiles ?? {})) {
    const path = ['phoneProfiles', name];
    const secure = p.deviceSecurityMode !== 'non-secure';
    const transport = secure ? 'TLS' : (p.transport ?? 'TCP');
    if (!secure && transport === 'TLS') issue([...path, 'transport'], 'a Non Secure profile uses TCP, UDP or TCP+UDP; TLS comes with the Authenticated and Encrypted modes');
    if (secure && p.transport !== undefined && p.transport !== 'TLS') issue([...path, 'transport'], `the ${p.deviceSecurityMode} mode always uses TLS, not ${p.transport}`);
    const prof: PhoneSecurityProfileConfig = {
      name,
      deviceSecurityMode: p.deviceSecurityMode,
      transport,
      tftpEncryptedConfig: p.tftpEncryptedConfig ?? false,
      excludeDigestCredentials: p.excludeDigestCredentials ?? false,
      digestAuthentication: p.digestAuthentication ?? false,
      authMode: p.authMode ?? 'null-string',
      keyOrder: p.keyOrder ?? 'rsa-only',
      rsaKeySize: p.rsaKeySize ?? 2048,
      ecKeySize: p.ecKeySize ?? 384,
      builtIn: false,
    };
    if (p.description !== undefined) prof.description = p.description;
    if (p.nonceValiditySeconds !== undefined) prof.nonceValiditySeconds = p.nonceValiditySeconds;
    if (!CAPF_RSA_KEY_SIZES.includes(prof.rsaKeySize)) issue([...path, 'rsaKeySize'], `choose one of ${CAPF_RSA_KEY_SIZES.join(', ')}`);
    if (!CAPF_EC_KEY_SIZES.includes(prof.ecKeySize)) issue([...path, 'ecKeySize'], `choose one of ${CAPF_EC_KEY_SIZES.join(', ')}`);
    phoneProfiles[name] = prof;
  }

  const trunkProfiles: Record<string, TrunkSecurityProfileConfig> = { [DEFAULT_TRUNK_PROFILE]: builtInTrunkProfile() };
  for (const [name, p] of Object.entries(i.trunkProfiles ?? {})) {
    const path = ['trunkProfiles', name];
    const secure = p.deviceSecurityMode !== 'non-secure';
    const names = typeof p.x509SubjectNames === 'string' ? p.x509SubjectNames.split(/[\s,;:]+/).filter(Boolean) : (p.x509SubjectNames ?? []);
    if (secure && names.length === 0) issue([...path, 'x509SubjectNames'], `a ${p.deviceSecurityMode} trunk profile needs the X.509 subject name(s) of the peer`);
    if (secure && p.incomingTransport !== undefined && p.incomingTransport !== 'TLS') issue([...path, 'incomingTransport'], `the ${p.deviceSecurityMode} mode takes TLS only`);
    if (p.applicationLevelAuthorization && !p.enableDigestAuthentication) issue([...path, 'applicationLevelAuthorization'], 'Enable Application Level Authorization requires Enable Digest Authentication (seed 001 L8567)');
    const prof: TrunkSecurityProfileConfig = {
      name,
      deviceSecurityMode: p.deviceSecurityMode,
      incomingTransport: secure ? 'TLS' : (p.incomingTransport ?? 'TCP+UDP'),
      outgoingTransport: p.outgoingTransport ?? (secure ? 'TLS' : 'TCP'),
      incomingPort: p.incomingPort ?? (secure ? 5061 : 5060),
      x509SubjectNames: names,
      enableDigestAuthentication: p.enableDigestAuthentication ?? false,
      applicationLevelAuthorization: p.applicationLevelAuthorization ?? false,
      acceptPresenceSubscription: p.acceptPresenceSubscription ?? false,
      acceptOutOfDialogRefer: p.acceptOutOfDialogRefer ?? false,
      acceptUnsolicitedNotification: p.acceptUnsolicitedNotification ?? false,
      acceptReplacesHeader: p.acceptReplacesHeader ?? false,
      builtIn: false,
    };
    if (p.description !== undefined) prof.description = p.description;
    if (p.nonceValiditySeconds !== undefined) prof.nonceValiditySeconds = p.nonceValiditySeconds;
    trunkProfiles[name] = prof;
  }

  const devices: Record<string, DeviceConfig> = {};
  const byMac = new Map<string, string>();
  const byName = new Map<string, string>();
  const byDigestUser = new Map<string, string>();
  for (const [label, d] of Object.entries(i.devices ?? {})) {
    const device = normalizeDevice(label, d, phoneProfiles, issue);
    if (!device) continue;
    const path = ['devices', label];
    const dupMac = byMac.get(device.mac);
    if (dupMac) issue([...path, 'mac'], `MAC ${device.mac} is already ${dupMac}'s`);
    const dupName = byName.get(device.name.toUpperCase());
    if (dupName && !dupMac) issue([...path, 'name'], `device name ${device.name} is already ${dupName}'s`);
    if (device.digestUser) {
      const dupUser = byDigestUser.get(device.digestUser.userId.toLowerCase());
      if (dupUser) issue([...path, 'digestUser'], `digest user ${device.digestUser.userId} is already the digest user of ${dupUser} (one phone per digest user)`);
      byDigestUser.set(device.digestUser.userId.toLowerCase(), label);
    }
    byMac.set(device.mac, label);
    byName.set(device.name.toUpperCase(), label);
    devices[label] = device;
  }

  const trunks: Record<string, TrunkConfig> = {};
  for (const [name, t] of Object.entries(i.trunks ?? {})) {
    const path = ['trunks', name];
    const profile = t.profile ?? DEFAULT_TRUNK_PROFILE;
    if (!trunkProfiles[profile]) issue([...path, 'profile'], `unknown trunk security profile "${profile}" (known: ${Object.keys(trunkProfiles).join(', ')})`);
    const secure = trunkProfiles[profile]?.deviceSecurityMode !== 'non-secure';
    const destinations = t.destinations.map((dst, n) => {
      const d = typeof dst === 'string' ? destination(dst, secure ? 5061 : 5060) : { address: dst.address, port: dst.port ?? (secure ? 5061 : 5060) };
      if (!d) issue([...path, 'destinations', n], `"${String(dst)}" is not an address or address:port`);
      return d ?? { address: String(dst), port: 0 };
    });
    const trunk: TrunkConfig = { name, profile, destinations, srtpAllowed: t.srtpAllowed ?? false };
    if (t.description !== undefined) trunk.description = t.description;
    if (t.peerCluster !== undefined) trunk.peerCluster = t.peerCluster;
    trunks[name] = trunk;
  }

  const routePatterns: RoutePatternConfig[] = [];
  for (const [n, r] of (i.routePatterns ?? []).entries()) {
    const path = ['routePatterns', n];
    if ((r.trunk === undefined) === (r.reject === undefined)) issue(path, `route pattern "${r.pattern}": give exactly one of trunk and reject`);
    if (r.trunk !== undefined && !trunks[r.trunk]) issue([...path, 'trunk'], `unknown trunk "${r.trunk}" (known: ${Object.keys(trunks).join(', ') || 'none'})`);
    try {
      compilePattern(r.pattern);
    } catch (e) {
      issue([...path, 'pattern'], (e as Error).message);
    }
    routePatterns.push({ pattern: r.pattern, ...(r.trunk !== undefined ? { trunk: r.trunk } : {}), ...(r.reject ? { reject: { ...r.reject } } : {}) });
  }

  if (issues.length) throw new ClusterConfigError(issues, source);
  const config: ClusterConfig = {
    name: i.name ?? hostname,
    hostname,
    domain,
    subscribers,
    fips: i.fips ?? false,
    commonCriteria: i.commonCriteria ?? false,
    exportControlled: i.exportControlled ?? true,
    securityMode: i.securityMode ?? 'non-secure',
    network,
    parameters,
    certificates,
    capf,
    phoneProfiles,
    trunkProfiles,
    devices,
    trunks,
    routePatterns,
  };
  if (i.description !== undefined) config.description = i.description;
  return config;
}

/** A trunk destination: address[:port] (engine-wide parser, common/host-port.ts), undefined when it is not one. */
function destination(s: string, dflt: number): { address: string; port: number } | undefined {
  try {
    const { host, port } = parseHostPort(s, dflt);
    return { address: host, port };
  } catch {
    return undefined;
  }
}

function normalizeDevice(label: string, d: DeviceInput, profiles: Record<string, PhoneSecurityProfileConfig>, issue: (p: PathSegment[], m: string) => void): DeviceConfig | undefined {
  const path = ['devices', label];
  const mac = normalizeMacAddress(String(d.mac));
  if (!mac) {
    issue([...path, 'mac'], `"${d.mac}" is not a MAC address (12 hex digits, separators allowed)`);
    return undefined;
  }
  const name = d.name ?? `SEP${mac}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) issue([...path, 'name'], `"${name}" is not a device name (1-64 letters, digits, '.', '_' or '-')`);
  const profile = d.profile ?? DEFAULT_PHONE_PROFILE;
  if (!profiles[profile]) issue([...path, 'profile'], `unknown phone security profile "${profile}" (known: ${Object.keys(profiles).join(', ')})`);
  const rawLines = [...(d.line !== undefined ? [d.line] : []), ...(d.lines ?? [])];
  const lines: LineConfig[] = rawLines.map((l) => (typeof l === 'object' ? { dn: String(l.dn), ...(l.displayName !== undefined ? { displayName: l.displayName } : {}) } : { dn: String(l) }));
  lines.forEach((l, n) => {
    if (!/^[0-9*#+A-Za-z._-]{1,48}$/.test(l.dn)) issue([...path, 'lines', n], `"${l.dn}" is not a directory number`);
  });
  if (new Set(lines.map((l) => l.dn)).size !== lines.length) issue([...path, 'lines'], 'a directory number is listed twice');
  const capf: DeviceCapfConfig = { operation: d.capf?.operation ?? d.capfOperation ?? 'none' };
  const authMode = d.capf?.authMode;
  if (authMode !== undefined) capf.authMode = authMode;
  const authString = d.capf?.authString ?? d.authString;
  if (authString !== undefined) {
    capf.authString = authString;
    if (!/^[0-9]{4,10}$/.test(authString)) issue([...path, 'capf', 'authString'], 'Authentication String: ensure that the string contains 4 to 10 digits (001 L7925)');
  }
  if (d.capf?.operationCompletesBy !== undefined) {
    if (Number.isNaN(Date.parse(d.capf.operationCompletesBy))) issue([...path, 'capf', 'operationCompletesBy'], `"${d.capf.operationCompletesBy}" is not a date and time`);
    capf.operationCompletesBy = d.capf.operationCompletesBy;
  }
  const effectiveAuth = authMode ?? profiles[profile]?.authMode;
  if (capf.operation !== 'none' && effectiveAuth === 'auth-string' && capf.authString === undefined) {
    issue([...path, 'capf', 'authString'], 'By Authentication String: the device needs an Authentication String for its CAPF operation');
  }
  if (effectiveAuth !== undefined && !CAPF_AUTH_MODES.includes(effectiveAuth)) issue([...path, 'capf', 'authMode'], `unknown CAPF authentication mode "${effectiveAuth}"`);
  const device: DeviceConfig = { label, mac, name, protocol: 'SIP', profile, lines, capf };
  if (d.model !== undefined) device.model = String(d.model);
  if (d.digestUser !== undefined) device.digestUser = typeof d.digestUser === 'string' ? { userId: d.digestUser } : { ...d.digestUser };
  if (d.loadInformation !== undefined) device.loadInformation = d.loadInformation;
  if (d.micPem !== undefined) device.micPem = d.micPem;
  if (d.manualKeyHex !== undefined) {
    if (!/^([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/.test(d.manualKeyHex)) issue([...path, 'manualKeyHex'], 'a manual key is 16 or 32 bytes in hex');
    device.manualKeyHex = d.manualKeyHex;
  }
  return device;
}

/** The input form of a configuration (what a YAML file holds), e.g. to persist it or edit and normalize it again. */
export function configToInput(c: ClusterConfig): ClusterConfigInput {
  const strip = <T extends { name?: string; builtIn?: boolean }>(p: T) => {
    const { name: _n, builtIn: _b, ...rest } = p;
    return rest;
  };
  const input: ClusterConfigInput = {
    name: c.name,
    hostname: c.hostname,
    domain: c.domain,
    subscribers: [...c.subscribers],
    fips: c.fips,
    commonCriteria: c.commonCriteria,
    exportControlled: c.exportControlled,
    securityMode: c.securityMode,
    network: { bind: c.network.bind, ports: { ...c.network.ports }, ...(c.network.advertise ? { advertise: c.network.advertise } : {}) },
    parameters: { ...c.parameters },
    certificates: { ...c.certificates },
    capf: { ...c.capf },
    phoneProfiles: Object.fromEntries(Object.values(c.phoneProfiles).filter((p) => !p.builtIn).map((p) => [p.name, strip(p) as PhoneProfileInput])),
    trunkProfiles: Object.fromEntries(Object.values(c.trunkProfiles).filter((p) => !p.builtIn).map((p) => [p.name, strip(p) as TrunkProfileInput])),
    devices: Object.fromEntries(
      Object.values(c.devices).map((d) => {
        const { label: _l, lines, ...rest } = d;
        return [d.label, { ...rest, lines: lines.map((l) => ({ ...l })) } as DeviceInput];
      }),
    ),
    trunks: Object.fromEntries(Object.values(c.trunks).map((t) => [t.name, { ...strip(t), destinations: t.destinations.map((x) => ({ ...x })) } as TrunkInput])),
    routePatterns: c.routePatterns.map((r) => ({ ...r, ...(r.reject ? { reject: { ...r.reject } } : {}) })),
  };
  if (c.description !== undefined) input.description = c.description;
  return input;
}

/** The device of a configuration by label, device name or MAC (any case, separators allowed). */
export function findDevice(c: ClusterConfig, ref: string): DeviceConfig | undefined {
  if (c.devices[ref]) return c.devices[ref];
  const mac = normalizeMacAddress(ref);
  const upper = ref.toUpperCase();
  return Object.values(c.devices).find((d) => d.name.toUpperCase() === upper || (mac !== undefined && d.mac === mac));
}

const PORT_KEYS: Readonly<Record<string, PortName[]>> = {
  sip: ['sipUdp', 'sipTcp'],
  'sip-udp': ['sipUdp'],
  'sip-tcp': ['sipTcp'],
  'sip-tls': ['sipTls'],
  tftp: ['tftp'],
  http: ['http'],
  https6971: ['https6971'],
  'https-6971': ['https6971'],
  https6972: ['https6972'],
  'https-6972': ['https6972'],
  tvs: ['tvs'],
  capf: ['capf'],
};

/**
 * The `--ports` forms: "0" (every port chosen by the OS), a base port N >= 1024 (a block: SIP N, SIP TLS N+1, TFTP N+2,
 * HTTP N+3, HTTPS N+4/N+5, TVS N+6, CAPF N+7), or a list "tftp=6969,sip-tls=5062,capf=off" (keys sip, sip-udp,
 * sip-tcp, sip-tls, tftp, http, https6971, https6972, tvs, capf; values a port, 0 or off).
 */
export function parsePortsSpec(spec: string): Partial<ClusterPorts> {
  const s = spec.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n === 0) return Object.fromEntries(PORT_NAMES.map((k) => [k, 0])) as Partial<ClusterPorts>;
    if (n < 1024 || n + 7 > 65535) throw new Error(`--ports ${s}: a base port is 1024 to 65528 (or 0 for ports chosen by the OS)`);
    return { sipUdp: n, sipTcp: n, sipTls: n + 1, tftp: n + 2, http: n + 3, https6971: n + 4, https6972: n + 5, tvs: n + 6, capf: n + 7 };
  }
  const out: Partial<ClusterPorts> = {};
  for (const part of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = /^([a-z0-9-]+)=(\d+|off)$/i.exec(part);
    const keys = m ? PORT_KEYS[m[1]!.toLowerCase()] : undefined;
    if (!m || !keys) throw new Error(`--ports: "${part}" is not key=port (keys: ${Object.keys(PORT_KEYS).join(', ')}; port a number, 0 or off)`);
    const v = m[2]!.toLowerCase() === 'off' ? false : Number(m[2]);
    if (v !== false && v > 65535) throw new Error(`--ports: ${part}: port out of range`);
    for (const k of keys) out[k] = v;
  }
  return out;
}
