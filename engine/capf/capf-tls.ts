// TLS for CAPF's port 3804: the CAPF certificate, no client certificate asked for (device authentication is in-band,
// anchors §2.2), the versions of Table 21's CAPF-SERV row through engine/tls (TLS 1.0-1.2 by default, so 7900-series
// phones can connect), and the suites CUCM lists for the Certificate Authority Proxy Function (001 L2269: RSA key
// exchange only, no ECDHE), restricted to what node's OpenSSL can negotiate.
import { findSuite, isSuiteAvailable, type TlsVersionName } from '../../ciphers/tls/suite-catalogue.js';
import { allowedTlsVersions, type MinTlsVersion } from '../tls/policy.js';

export const CAPF_PORT = 3804;

/** 001 L2269, in the printed order. */
export const CAPF_SEED_CIPHERS: readonly string[] = ['AES256-GCM-SHA384', 'AES256-SHA256', 'AES256-SHA', 'CAMELLIA256-SHA', 'AES128-GCM-SHA256', 'AES128-SHA256', 'AES128-SHA', 'CAMELLIA128-SHA'];

export interface CapfTlsParams {
  /** `set tls min-version` (default 1.0). */
  minTlsVersion?: MinTlsVersion;
  commonCriteria?: boolean;
  /** An OpenSSL cipher string replacing the seed list. */
  ciphers?: string;
  /** OpenSSL security level; default 0 when TLS 1.0/1.1 are allowed (OpenSSL 3 refuses their signatures above it). */
  securityLevel?: number;
}

export interface CapfTlsOptions {
  ciphers: string;
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
  honorCipherOrder: true;
  requestCert: false;
  versions: readonly TlsVersionName[];
  description: string;
}

export function capfTlsOptions(p: CapfTlsParams = {}): CapfTlsOptions {
  const versions = allowedTlsVersions(CAPF_PORT, p.minTlsVersion ?? '1.0', p.commonCriteria ?? false);
  const suites = p.ciphers ? [p.ciphers] : CAPF_SEED_CIPHERS.filter((n) => {
    const s = findSuite(n);
    return s !== undefined && isSuiteAvailable(s);
  });
  const legacy = versions.includes('TLSv1') || versions.includes('TLSv1.1');
  const level = p.securityLevel ?? (legacy ? 0 : undefined);
  const ciphers = suites.join(':') + (level !== undefined ? `:@SECLEVEL=${level}` : '');
  return {
    ciphers,
    minVersion: versions[0]!,
    maxVersion: versions[versions.length - 1]!,
    honorCipherOrder: true,
    requestCert: false,
    versions,
    description: `CAPF ${CAPF_PORT}: ${versions.join(', ')} (CAPF-SERV, 001 L4327); ${p.ciphers ? `ciphers "${p.ciphers}"` : `RSA key exchange suites of 001 L2269: ${suites.join(' > ')}`}${level !== undefined ? `; OpenSSL security level ${level}` : ''}; no client certificate requested`,
  };
}
