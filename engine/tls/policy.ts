// From the cluster's TLS parameters (TLS Ciphers preset, `set tls min-version`, Common Criteria mode, Cipher
// Management, device security modes, port) to node:tls options, plus a forecast of what a given ClientHello will
// get (used to explain refusals and to pick the client's ECDHE group). Seed lines: seed 001 unless named.
import type { TlsSuite, TlsVersionName } from '../../ciphers/tls/suite-catalogue.js';
import { TLS_VERSIONS, findSuite } from '../../ciphers/tls/suite-catalogue.js';
import type { ClientHelloInfo } from './client-hello.js';
import { groupCode, groupName } from './client-hello.js';
import {
  resolveCipherSelection,
  type CipherManagement,
  type CipherSelection,
  type DeviceSecurityMode,
  type TlsInterface,
} from './presets.js';

/** `set tls min-version <minimum>`; 1.0 is the default (L4125, L4138, L4147). */
export type MinTlsVersion = '1.0' | '1.1' | '1.2';
export const DEFAULT_MIN_TLS_VERSION: MinTlsVersion = '1.0';

type VersionSets = Readonly<Record<MinTlsVersion, readonly TlsVersionName[]>>;

export interface PortVersionRow {
  readonly application: string;
  readonly ports: readonly number[];
  /** Versions per minimum, normal mode and Common Criteria mode. */
  readonly normal: VersionSets;
  readonly commonCriteria: VersionSets;
  readonly seedLine: number;
}

const T10: readonly TlsVersionName[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2'];
const T11: readonly TlsVersionName[] = ['TLSv1.1', 'TLSv1.2'];
const T12: readonly TlsVersionName[] = ['TLSv1.2'];
const ONLY11: readonly TlsVersionName[] = ['TLSv1.1'];
const STD_NORMAL: VersionSets = { '1.0': T10, '1.1': T11, '1.2': T12 };
// Common Criteria with minimum 1.0 prints "TLS 1.1" alone on every row; kept as printed.
const STD_CC: VersionSets = { '1.0': ONLY11, '1.1': T11, '1.2': T12 };

/** Table 21, "Ports Affected by TLS Version 1.2" (L4319-4337). Port 8080 (plain HTTP) is left out. */
export const PORT_VERSION_TABLE: readonly PortVersionRow[] = [
  { application: 'Tomcat (HTTPS)', ports: [443], normal: STD_NORMAL, commonCriteria: STD_CC, seedLine: 4323 },
  { application: 'SCCP-SEC-SIG', ports: [2443], normal: STD_NORMAL, commonCriteria: STD_CC, seedLine: 4324 },
  { application: 'CTL-SERV', ports: [2444], normal: STD_NORMAL, commonCriteria: STD_CC, seedLine: 4325 },
  { application: 'CTI (QBE)', ports: [2749], normal: STD_NORMAL, commonCriteria: STD_CC, seedLine: 4326 },
  { application: 'CAPF-SERV', ports: [3804], normal: STD_NORMAL, commonCriteria: STD_CC, seedLine: 4327 },
  { application: 'Intercluster Lookup Service', ports: [7501], normal: STD_NORMAL, commonCriteria: STD_CC, seedLine: 4331 },
  { application: 'AXL (SOAP) / Cisco Tomcat', ports: [8443], normal: STD_NORMAL, commonCriteria: STD_CC, seedLine: 4332 },
  {
    application: 'HA-Proxy',
    ports: [9443],
    normal: { '1.0': T12, '1.1': T12, '1.2': T12 },
    commonCriteria: { '1.0': ONLY11, '1.1': T12, '1.2': T12 },
    seedLine: 4333,
  },
  { application: 'SIP-SIG', ports: [5061], normal: STD_NORMAL, commonCriteria: STD_CC, seedLine: 4334 },
  {
    application: 'HA Proxy (configuration download)',
    ports: [6971, 6972],
    normal: { '1.0': T12, '1.1': T12, '1.2': T12 },
    commonCriteria: { '1.0': ONLY11, '1.1': T11, '1.2': T12 },
    seedLine: 4335,
  },
  { application: 'Trust Verification Service', ports: [2445], normal: STD_NORMAL, commonCriteria: STD_CC, seedLine: 4337 },
];

const SIP_ROW = PORT_VERSION_TABLE.find((r) => r.application === 'SIP-SIG')!;

/** The table row for a port; any port not in the table is a SIP trunk port ("5061 (configurable with trunk)"). */
export function versionRowForPort(port: number): PortVersionRow {
  return PORT_VERSION_TABLE.find((r) => r.ports.includes(port)) ?? SIP_ROW;
}

export function allowedTlsVersions(port: number, min: MinTlsVersion, commonCriteria = false): readonly TlsVersionName[] {
  const row = versionRowForPort(port);
  return (commonCriteria ? row.commonCriteria : row.normal)[min];
}

/** ECDHE groups trustline offers by default: the three curves the seeds name (L2015-2019). */
export const DEFAULT_CURVES: readonly string[] = ['P-256', 'P-384', 'P-521'];

export interface TlsPolicyParams {
  /** TLS Ciphers enterprise parameter: preset id or label. Default "All Ciphers, RSA Preferred". */
  tlsCiphers?: string;
  minTlsVersion?: MinTlsVersion;
  commonCriteria?: boolean;
  cipherManagement?: CipherManagement;
  /** Device security modes served on this port (phones of both kinds share 5061). Default both. */
  deviceSecurityModes?: readonly Exclude<DeviceSecurityMode, 'non-secure'>[];
  /** Listening port, for the version table. Default 5061. */
  port?: number;
  iface?: TlsInterface;
  /** ECDHE groups allowed; the client's order among them wins (L2017). */
  curves?: readonly string[];
  /** OpenSSL sigalgs list, passed through when set. */
  sigalgs?: string;
  /** Forces an OpenSSL security level; by default 0 when NULL suites or TLS 1.0/1.1 need it, else node's default. */
  securityLevel?: number;
}

/** The node:tls server options the policy produces (spread into tls.createSecureContext / TLSSocket options). */
export interface TlsServerOptions {
  ciphers: string;
  honorCipherOrder: true;
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
  ecdhCurve: string;
  sigalgs?: string;
  dhparam?: 'auto';
}

export interface TlsClientOptions {
  ciphers: string;
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
  ecdhCurve: string;
  sigalgs?: string;
}

export interface TlsPolicy {
  readonly port: number;
  readonly selection: CipherSelection;
  readonly modes: readonly Exclude<DeviceSecurityMode, 'non-secure'>[];
  /** Every suite the server accepts, in server preference order (encrypting suites, then NULL-SHA if served). */
  readonly suites: readonly TlsSuite[];
  readonly versions: readonly TlsVersionName[];
  readonly versionRow: PortVersionRow;
  readonly minTlsVersion: MinTlsVersion;
  readonly commonCriteria: boolean;
  readonly curves: readonly string[];
  /** undefined = node's default security level. */
  readonly securityLevel: number | undefined;
  readonly serverOptions: TlsServerOptions;
  /** One line for logs and reports. */
  readonly description: string;
}

export class TlsPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsPolicyError';
  }
}

function cipherString(suites: readonly TlsSuite[], securityLevel: number | undefined): string {
  const list = suites.map((s) => s.openssl).join(':');
  return securityLevel === undefined ? list : `${list}:@SECLEVEL=${securityLevel}`;
}

/**
 * Builds the policy for one listening port. Throws CipherStringError (CUCM's message) for an invalid Cipher
 * Management string and TlsPolicyError when the parameters leave nothing to negotiate.
 */
export async function buildTlsPolicy(params: TlsPolicyParams = {}): Promise<TlsPolicy> {
  const port = params.port ?? 5061;
  const minTlsVersion = params.minTlsVersion ?? DEFAULT_MIN_TLS_VERSION;
  if (!['1.0', '1.1', '1.2'].includes(minTlsVersion)) throw new TlsPolicyError(`min TLS version ${JSON.stringify(minTlsVersion)}: expected 1.0, 1.1 or 1.2`);
  const commonCriteria = params.commonCriteria ?? false;
  const modes = params.deviceSecurityModes ?? ['encrypted', 'authenticated'];
  if (modes.length === 0) throw new TlsPolicyError('no device security mode served (expected authenticated and/or encrypted)');
  const selection = await resolveCipherSelection({ tlsCiphers: params.tlsCiphers, cipherManagement: params.cipherManagement, iface: params.iface });
  const suites: TlsSuite[] = [];
  if (modes.includes('encrypted')) suites.push(...selection.encrypting);
  if (modes.includes('authenticated')) {
    if (!selection.authenticatedModeSupported) {
      if (!modes.includes('encrypted'))
        throw new TlsPolicyError(`authenticated mode is not supported once Cipher Management ${selection.source} is configured (seed 001 L1998, L2238)`);
    } else suites.push(...selection.authenticated.filter((s) => !suites.includes(s))); // NULL-SHA last: never preferred
  }
  const versions = allowedTlsVersions(port, minTlsVersion, commonCriteria);
  const usable = suites.filter((s) => s.versions.some((v) => versions.includes(v)));
  if (usable.length === 0)
    throw new TlsPolicyError(
      `no suite of ${selection.source} can run on port ${port} over ${versions.join('/')}` + (selection.dropped.length ? ` (${selection.dropped.join('; ')})` : ''),
    );
  const curves = (params.curves ?? DEFAULT_CURVES).map((c) => {
    const code = groupCode(c);
    if (code === undefined) throw new TlsPolicyError(`unknown ECDHE group ${JSON.stringify(c)}`);
    return groupName(code);
  });
  if (curves.length === 0) throw new TlsPolicyError('no ECDHE group allowed');
  // OpenSSL 3 refuses NULL suites and the MD5-SHA1 / SHA-1 signatures of TLS 1.0/1.1 above security level 0
  // (node 20, measured: "no suitable signature algorithm" for every TLS 1.0 handshake at level 1).
  const needsLevel0 = suites.some((s) => s.nullCipher) || versions.includes('TLSv1') || versions.includes('TLSv1.1');
  const securityLevel = params.securityLevel ?? (needsLevel0 ? 0 : undefined);
  const serverOptions: TlsServerOptions = {
    ciphers: cipherString(suites, securityLevel),
    honorCipherOrder: true,
    minVersion: versions[0]!,
    maxVersion: versions[versions.length - 1]!,
    ecdhCurve: curves.join(':'),
  };
  if (params.sigalgs) serverOptions.sigalgs = params.sigalgs;
  if (suites.some((s) => s.keyExchange === 'DHE')) serverOptions.dhparam = 'auto';
  const versionRow = versionRowForPort(port);
  const source =
    selection.source === 'enterprise parameter'
      ? `TLS Ciphers "${selection.preset.label}" (${selection.preset.seed})`
      : `Cipher Management ${selection.source} "${selection.cipherString}" (overrides TLS Ciphers, seed 001 L2000/L2251)`;
  const nullPart = suites.some((s) => s.nullCipher) ? '; Authenticated devices: NULL-SHA' : selection.authenticatedModeSupported ? '' : '; authenticated mode off';
  const description =
    `port ${port} (${versionRow.application}): ${source}${nullPart}; ` +
    `${versions.join(', ')} (min-version ${minTlsVersion}${commonCriteria ? ', Common Criteria' : ''}, seed 001 L${versionRow.seedLine}); ` +
    `server order ${suites.map((s) => s.openssl).join(' > ')}; ECDHE groups: client preference among ${curves.join(', ')}` +
    (securityLevel !== undefined ? `; OpenSSL security level ${securityLevel}` : '') +
    (selection.dropped.length ? `; ${selection.dropped.length} suite(s) of the string left out (selection.dropped)` : '');
  return { port, selection, modes, suites, versions, versionRow, minTlsVersion, commonCriteria, curves, securityLevel, serverOptions, description };
}

/**
 * Options for trustline acting as TLS client (outbound trunk): the same list in the same order (seed 000
 * L241-245); an Authenticated trunk offers NULL-SHA only (L5729, L8556).
 */
export function clientOptionsFor(policy: TlsPolicy, mode: Exclude<DeviceSecurityMode, 'non-secure'>): TlsClientOptions {
  const suites = mode === 'authenticated' ? policy.selection.authenticated : policy.selection.encrypting;
  if (suites.length === 0) throw new TlsPolicyError(`no suites for an ${mode} client (${policy.selection.source})`);
  const level = suites.some((s) => s.nullCipher) || policy.versions[0] !== 'TLSv1.2' ? (policy.securityLevel ?? 0) : policy.securityLevel;
  const o: TlsClientOptions = {
    ciphers: cipherString(suites, level),
    minVersion: policy.serverOptions.minVersion,
    maxVersion: policy.serverOptions.maxVersion,
    ecdhCurve: policy.serverOptions.ecdhCurve,
  };
  if (policy.serverOptions.sigalgs) o.sigalgs = policy.serverOptions.sigalgs;
  return o;
}

/** The ecdhCurve for one connection: the client's groups, in the client's order, among those the policy allows. */
export function ecdhCurveForClient(policy: TlsPolicy, hello: ClientHelloInfo): string {
  if (!hello.groups) return policy.serverOptions.ecdhCurve;
  const mine = hello.groups.map(groupName).filter((g) => policy.curves.includes(g));
  return mine.length ? mine.join(':') : policy.serverOptions.ecdhCurve;
}

/** What the server holds, for the forecast. */
export interface ServerCertificates {
  rsa: boolean;
  /** Curve of the CallManager-ECDSA certificate ("P-256"...), undefined when there is none. */
  ecdsaCurve?: string;
}

export interface NegotiationForecast {
  version?: TlsVersionName;
  suite?: TlsSuite;
  certificate?: 'RSA' | 'ECDSA';
  /** ECDHE group for ECDHE suites (the client's first allowed group). */
  group?: string;
  /** Why the handshake cannot succeed, when it cannot. */
  refusal?: string;
}

const RSA_SIGALGS = new Set([0x0201, 0x0301, 0x0401, 0x0501, 0x0601, 0x0804, 0x0805, 0x0806]);
const ECDSA_SIGALGS = new Set([0x0203, 0x0303, 0x0403, 0x0503, 0x0603]);

/**
 * Predicts the outcome of a ClientHello under the policy: the highest common version; then the first suite of the
 * server order that the client offers, that runs in that version and that has a usable certificate (ECDSA only with
 * a CallManager-ECDSA certificate whose curve the client lists, L2009-2019 and seed 000 L232-237).
 */
export function forecastNegotiation(policy: TlsPolicy, hello: ClientHelloInfo, certs: ServerCertificates): NegotiationForecast {
  const common = TLS_VERSIONS.filter((v) => hello.versions.includes(v) && policy.versions.includes(v));
  const version = common[common.length - 1];
  if (!version)
    return {
      refusal: `protocol version: client offers ${hello.versions.join(', ') || 'none'}; port ${policy.port} accepts ${policy.versions.join(', ')} (min-version ${policy.minTlsVersion})`,
    };
  const offered = hello.cipherSuites; // a handful of policy suites are looked up: no Set needed
  const clientGroups = hello.groups?.map(groupName);
  const sharedGroups = clientGroups ? clientGroups.filter((g) => policy.curves.includes(g)) : [...policy.curves];
  const sigOk = (set: Set<number>) => version !== 'TLSv1.2' || !hello.sigalgs || hello.sigalgs.some((a) => set.has(a));
  const hints: string[] = [];
  for (const suite of policy.suites) {
    if (!offered.includes(suite.code) || !suite.versions.includes(version)) continue;
    if (suite.keyExchange === 'ECDHE' && sharedGroups.length === 0) {
      hints.push(`${suite.openssl}: no common ECDHE group (client ${clientGroups?.join(', ')}; allowed ${policy.curves.join(', ')})`);
      continue;
    }
    if (suite.authentication === 'ECDSA') {
      if (!certs.ecdsaCurve) {
        hints.push(`${suite.openssl}: no CallManager-ECDSA certificate`);
        continue;
      }
      if (clientGroups && !clientGroups.includes(certs.ecdsaCurve)) {
        hints.push(`${suite.openssl}: the ECDSA certificate's curve ${certs.ecdsaCurve} is not among the client's groups ${clientGroups.join(', ')} (seed 001 L2011, L2019)`);
        continue;
      }
      if (!sigOk(ECDSA_SIGALGS)) {
        hints.push(`${suite.openssl}: client lists no ECDSA signature algorithm`);
        continue;
      }
    } else if (suite.authentication === 'RSA') {
      if (!certs.rsa) {
        hints.push(`${suite.openssl}: no RSA certificate`);
        continue;
      }
      if (suite.keyExchange !== 'RSA' && !sigOk(RSA_SIGALGS)) {
        hints.push(`${suite.openssl}: client lists no RSA signature algorithm`);
        continue;
      }
    }
    return {
      version,
      suite,
      certificate: suite.authentication === 'ECDSA' ? 'ECDSA' : 'RSA',
      ...(suite.keyExchange === 'ECDHE' ? { group: sharedGroups[0] } : {}),
    };
  }
  const clientNames = hello.cipherSuites.map((c) => findSuite(c)?.openssl).filter((n): n is string => !!n);
  return {
    version,
    refusal:
      `no shared cipher in ${version}: client offers ${clientNames.join(', ') || 'no known suite'}; ` +
      `port ${policy.port} accepts ${policy.suites.map((s) => s.openssl).join(', ')}` +
      (hints.length ? ` (${hints.join('; ')})` : ''),
  };
}
