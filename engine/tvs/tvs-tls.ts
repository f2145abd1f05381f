// TLS settings of the TVS port (2445), from the engine/tls helpers: the versions of Table 21 for 2445 (seed 001 L4337,
// `set tls min-version`, Common Criteria) and the port's own cipher list (Table 10, L2273: static-RSA key exchange
// only, no ECDHE), with OpenSSL security level 0 whenever TLS 1.0/1.1 is allowed (7900-series phones speak TLS 1.0).
import { getSuite, isSuiteAvailable, type TlsSuite, type TlsVersionName } from '../../ciphers/tls/suite-catalogue.js';
import { allowedTlsVersions, DEFAULT_MIN_TLS_VERSION, type MinTlsVersion } from '../tls/policy.js';

export const TVS_PORT = 2445;

/** "Cisco Trust Verification Service TCP / TLS 2445" (seed 001 L2273), in printed (server preference) order. */
export const TVS_PORT_CIPHERS: readonly string[] = [
  'AES256-GCM-SHA384',
  'AES256-SHA256',
  'AES256-SHA',
  'CAMELLIA256-SHA',
  'AES128-GCM-SHA256',
  'AES128-SHA256',
  'AES128-SHA',
  'CAMELLIA128-SHA',
];

export interface TvsTlsParams {
  /** `set tls min-version` (default 1.0, seed 001 L4125). */
  minTlsVersion?: MinTlsVersion;
  commonCriteria?: boolean;
  /** Forces an OpenSSL security level; default 0 when TLS 1.0/1.1 is allowed, else node's. */
  securityLevel?: number;
}

export interface TvsTlsProfile {
  versions: readonly TlsVersionName[];
  suites: readonly TlsSuite[];
  /** node:tls options shared by the server and by emulated phones. */
  ciphers: string;
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
  securityLevel: number | undefined;
  description: string;
}

export function tvsTlsProfile(params: TvsTlsParams = {}): TvsTlsProfile {
  const min = params.minTlsVersion ?? DEFAULT_MIN_TLS_VERSION;
  const versions = allowedTlsVersions(TVS_PORT, min, params.commonCriteria ?? false);
  const suites = TVS_PORT_CIPHERS.map((n) => getSuite(n)).filter((s) => isSuiteAvailable(s) && s.versions.some((v) => versions.includes(v)));
  if (!suites.length) throw new Error(`no TVS cipher suite can run over ${versions.join('/')}`);
  const legacy = versions.includes('TLSv1') || versions.includes('TLSv1.1');
  const securityLevel = params.securityLevel ?? (legacy ? 0 : undefined);
  const list = suites.map((s) => s.openssl).join(':');
  return {
    versions,
    suites,
    ciphers: securityLevel === undefined ? list : `${list}:@SECLEVEL=${securityLevel}`,
    minVersion: versions[0]!,
    maxVersion: versions[versions.length - 1]!,
    securityLevel,
    description:
      `TVS ${TVS_PORT}: ${versions.join(', ')} (min-version ${min}${params.commonCriteria ? ', Common Criteria' : ''}, seed 001 L4337); ` +
      `server order ${list} (seed 001 L2273)${securityLevel !== undefined ? `; OpenSSL security level ${securityLevel}` : ''}`,
  };
}
