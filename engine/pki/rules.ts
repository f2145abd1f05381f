// CUCM's certificate rules, each a function that returns the normalised value or throws a PkiRuleError whose message
// quotes the guide (seed file:line in `source`). Where the seeds are silent the rule is ours and says so
// (source "trustline", explained in docs/decisions.md).
import type { CertificateInfo } from './certificates.js';
import { PkiRuleError } from './errors.js';
import { HASHES, PURPOSE_RULES, type HashName, type KeyType, type Purpose, type TrustStoreName } from './purposes.js';

export interface CertificateParameters {
  keyType: KeyType;
  keySize: number;
  hash: HashName;
}

export interface ParameterRequest {
  keyType?: string;
  keySize?: number;
  hash?: string;
}

export const RSA_KEY_SIZES: readonly number[] = [1024, 2048, 3072, 4096];
export const EC_KEY_SIZES: readonly number[] = [256, 384, 521];
/** RSA system certificates: the Hash Algorithm drop-down of CUCM 12.5 offers SHA1 and SHA256 for RSA keys. */
export const RSA_HASHES: readonly HashName[] = ['SHA1', 'SHA256'];
export const LSC_RSA_KEY_SIZES: readonly number[] = [512, 1024, 2048, 3072, 4096];
export const LSC_MAX_VALIDITY_DAYS = 1825;

const EC_HASH_RULE: Readonly<Record<number, { hashes: HashName[]; says: string }>> = {
  256: { hashes: ['SHA256', 'SHA384', 'SHA512'], says: 'For an EC 256 key size the hash algorithm can be SHA256, SHA384, or SHA512.' },
  384: { hashes: ['SHA384', 'SHA512'], says: 'For an EC 384 key size the hash algorithm can be SHA384 or SHA512.' },
  521: { hashes: ['SHA512'], says: 'For an EC 521 key size the only option is SHA512.' },
};

/** "SHA256", "sha-256", "SHA-256" → "SHA256"; anything else is refused naming the valid names. */
export function parseHash(name: string): HashName {
  const n = name.trim().toUpperCase().replace(/-/g, '');
  const found = HASHES.find((h) => h === n);
  if (!found) throw new PkiRuleError('E_HASH', `unknown hash algorithm "${name}": expected one of ${HASHES.join(', ')}`, 'trustline');
  return found;
}

/** The hashes CUCM offers for a key: "a hash algorithm strength that is greater than or equal to the key length strength". */
export function allowedHashes(keyType: KeyType, keySize: number): HashName[] {
  return keyType === 'RSA' ? [...RSA_HASHES] : [...(EC_HASH_RULE[keySize]?.hashes ?? [])];
}

/** Defaults: RSA 2048 with SHA256; EC "The default key size is 384 and default hashing algorithm is SHA384" (000:L112). */
export function defaultParameters(purpose: Purpose): CertificateParameters {
  return PURPOSE_RULES[purpose].keyType === 'RSA' ? { keyType: 'RSA', keySize: 2048, hash: 'SHA256' } : { keyType: 'EC', keySize: 384, hash: 'SHA384' };
}

/**
 * Fills the defaults in and applies CUCM's rules for a self-signed certificate or CSR of `purpose`: the key type is
 * fixed by the purpose, RSA 1024/2048/3072/4096, EC 256/384/521 with a hash at least as strong as the key, and no
 * SHA1 in FIPS mode.
 */
export function resolveParameters(purpose: Purpose, req: ParameterRequest = {}, opts: { fips?: boolean } = {}): CertificateParameters {
  const rule = PURPOSE_RULES[purpose];
  const keyType = rule.keyType;
  if (req.keyType !== undefined && req.keyType.trim().toUpperCase() !== keyType) {
    throw new PkiRuleError(
      'E_KEY_TYPE',
      `Key type ${req.keyType} is not available for ${purpose}: when you choose ${purpose} as the Certificate Purpose, the Key Type field is automatically set to ${keyType === 'EC' ? 'EC (Elliptical Curve)' : 'RSA'}.`,
      '001:L3403',
    );
  }
  const keySize = req.keySize ?? (keyType === 'RSA' ? 2048 : 384);
  if (!Number.isInteger(keySize)) throw new PkiRuleError('E_KEY_SIZE', `key length must be a whole number of bits, got ${String(req.keySize)}`, 'trustline');
  if (keyType === 'RSA') {
    if (!RSA_KEY_SIZES.includes(keySize)) {
      throw new PkiRuleError('E_RSA_KEY_SIZE', `Key length ${keySize} is not available for ${purpose}: choose any of the following values from the drop-down list: 1024, 2048, 3072, 4096.`, '001:L3411');
    }
  } else if (keySize === 3072 || keySize === 4096) {
    throw new PkiRuleError(
      'E_EC_KEY_SIZE',
      `Key length ${keySize} is not available for ${purpose}: Certificates with a key length value of 3072 or 4096 are chosen only for RSA certificates. These options are not available for ECDSA certificates.`,
      '001:L3411',
    );
  } else if (!EC_KEY_SIZES.includes(keySize)) {
    throw new PkiRuleError('E_EC_KEY_SIZE', `Key length ${keySize} is not available for ${purpose}: EC key sizes are 256, 384, and 521 bits.`, '000:L169');
  }
  const hash = req.hash !== undefined ? parseHash(req.hash) : keyType === 'RSA' ? 'SHA256' : EC_HASH_RULE[keySize]!.hashes[0]!;
  if (opts.fips && hash === 'SHA1') {
    throw new PkiRuleError(
      'E_FIPS_SHA1',
      `SHA1 is refused for ${purpose} in FIPS mode: If you generate a Self-Signed Certificate or Certificate Signing Request (CSR) on FIPS mode, certificates must be encrypted using the SHA256 hashing algorithm and can't select SHA1.`,
      '001:L8983',
    );
  }
  if (keyType === 'EC') {
    const r = EC_HASH_RULE[keySize]!;
    if (!r.hashes.includes(hash)) {
      throw new PkiRuleError(
        'E_EC_HASH',
        `Hash algorithm ${hash} is not available with EC key length ${keySize} for ${purpose}: ${r.says} The self-signed certificate request and the CSR request limit the hash algorithm choices depending on the EC key size.`,
        '000:L101-108',
      );
    }
  } else if (!RSA_HASHES.includes(hash)) {
    throw new PkiRuleError('E_RSA_HASH', `Hash algorithm ${hash} is not offered for RSA certificates (${purpose}): choose SHA1 or SHA256.`, 'trustline');
  }
  return { keyType, keySize, hash };
}

export interface NamingContext {
  hostname: string;
  domain?: string;
  /** The 8 hex digits of the CAPF common name (CAPF-xxxxxxxx). */
  capfId?: string;
}

/** `multiServer` is only for purposes Table 23 marks "Y", and only through a CSR (a CA must sign it). */
export function checkMultiServer(purpose: Purpose, mode: 'self-signed' | 'csr'): void {
  if (!PURPOSE_RULES[purpose].multiServer) {
    throw new PkiRuleError('E_MULTI_SERVER', `${purpose} cannot be a multi-server (SAN) certificate: Table 23 lists it with Multi server = N.`, '001:L4446-4454');
  }
  if (mode === 'self-signed') {
    throw new PkiRuleError(
      'E_MULTI_SERVER_SELF_SIGNED',
      `A multi-server (SAN) ${purpose} certificate cannot be self-signed: CA-signed certificate is also a requirement when using multi-server certificates. Generate a CSR with multi-server distribution and upload the CA-signed certificate.`,
      '002:L789',
    );
  }
}

/**
 * The common name CUCM gives each purpose: the host name for CallManager, tomcat, TVS and ipsec (001:L3407);
 * `<host>-EC` for the ECDSA ones (000:L94); multi-server `<host>-ms.<domain>` and `<host>-EC-ms.<domain>` (001:L3447);
 * `CAPF-<8 hex>` (the 'CAPF-' prefix is reserved for CAPF, 001:L4919) and `ITLRECOVERY_<host>`.
 */
export function commonNameFor(purpose: Purpose, ctx: NamingContext, multiServer = false): string {
  const ec = PURPOSE_RULES[purpose].keyType === 'EC';
  if (multiServer) {
    if (!ctx.domain) throw new PkiRuleError('E_DOMAIN', `a multi-server ${purpose} certificate needs the parent domain: its common name is <host-name>${ec ? '-EC' : ''}-ms.<domain>`, '001:L3447');
    return `${ctx.hostname}${ec ? '-EC' : ''}-ms.${ctx.domain}`;
  }
  if (purpose === 'CAPF') return `CAPF-${ctx.capfId ?? '00000000'}`;
  if (purpose === 'ITLRecovery') return `ITLRECOVERY_${ctx.hostname}`;
  return ec ? `${ctx.hostname}-EC` : ctx.hostname;
}

/** The subjectAltName DNS names ("Auto-populated Domains"): the node's FQDN, or for multi-server every node plus the domain. */
export function dnsNamesFor(purpose: Purpose, ctx: { hostname: string; domain?: string; nodes: string[] }, multiServer = false, extra: string[] = []): string[] {
  if (!PURPOSE_RULES[purpose].autoPopulatedDomains && !multiServer) return [...extra];
  const fqdn = (h: string) => (ctx.domain ? `${h}.${ctx.domain}` : h);
  const names = multiServer ? [commonNameFor(purpose, ctx, true), ...ctx.nodes.map(fqdn), ...(ctx.domain ? [ctx.domain] : [])] : [fqdn(ctx.hostname)];
  return [...new Set([...names, ...extra])];
}

/** CallManager-ECDSA / tomcat-ECDSA: "It requires the host portion of the common name to end in -EC" (000:L94, L99). */
export function checkEcCommonName(purpose: Purpose, commonName: string | undefined): void {
  if (PURPOSE_RULES[purpose].keyType !== 'EC') return;
  const host = (commonName ?? '').split('.')[0]!;
  if (/-EC$/i.test(host) || /-EC-ms$/i.test(host)) return;
  throw new PkiRuleError(
    'E_EC_COMMON_NAME',
    `The common name "${commonName ?? ''}" cannot be used for ${purpose}: It requires the host portion of the common name to end in -EC. This prevents having the same common name as the CallManager certificate. In case of Multi Server SAN certificate, this must end in -EC-ms.`,
    '000:L94-99',
  );
}

/** "Customers who currently use third-party CAs should use the CSR mechanism to issue certificates for: CUCM, CAPF, IPSec, Tomcat, TVS". */
export function checkCsrPurpose(purpose: Purpose): void {
  if (PURPOSE_RULES[purpose].csr) return;
  throw new PkiRuleError(
    'E_CSR_PURPOSE',
    `A certificate signing request cannot be generated for ${purpose}: the CSR mechanism issues certificates for Unified Communications Manager (CallManager, CallManager-ECDSA), CAPF, IPSec, Tomcat and TVS.`,
    '001:L1372-1380',
  );
}

/** A CA-signed certificate must keep the key usages of Table 23; a missing EKU only warns (the failure comes later). */
export function checkUploadedUsages(purpose: Purpose, cert: CertificateInfo): string[] {
  const rule = PURPOSE_RULES[purpose];
  const ku = cert.keyUsage ?? [];
  if (rule.keyUsage.includes('dataEncipherment') && !ku.includes('dataEncipherment')) {
    throw new PkiRuleError('E_UPLOAD_KEY_USAGE', `The CA-signed ${purpose} certificate lacks the Data Encipherment key usage: Ensure that 'Data Encipherment' bit is not changed or removed as part of the CA-signing certificate process.`, '001:L4468');
  }
  const missing = rule.keyUsage.filter((u) => !ku.includes(u));
  if (missing.length) {
    throw new PkiRuleError('E_UPLOAD_KEY_USAGE', `The CA-signed ${purpose} certificate lacks the key usage ${missing.join(', ')} that Table 23 lists for ${purpose}.`, '001:L4446-4454');
  }
  if (rule.ca && cert.basicConstraints && !cert.basicConstraints.ca) {
    throw new PkiRuleError('E_UPLOAD_CA', `The CA-signed ${purpose} certificate has basicConstraints CA:FALSE: the CAPF certificate is used to issue LSC to the endpoints, so it must be a CA.`, '001:L4615');
  }
  const eku = cert.extendedKeyUsage ?? [];
  return rule.extendedKeyUsage
    .filter((u) => !eku.includes(u))
    .map((u) => `the CA-signed ${purpose} certificate has no ${u} extended key usage (Table 23 lists it); ${u === 'clientAuth' ? 'server-to-server TLS fails without TLS Web Client Authentication (002:L1954-1961)' : 'peers may refuse it'}`);
}

/** The checks CUCM applies to a certificate uploaded to a trust store (size, validity, the reserved 'CAPF-' name). */
export function checkTrustCandidate(store: TrustStoreName, cert: CertificateInfo, now: Date): void {
  if (cert.key.keyType === 'RSA' && cert.key.keySize > 4096) {
    throw new PkiRuleError('E_TRUST_SIZE', `Cannot upload "${cert.subject}" to ${store}: it has a ${cert.key.keySize}-bit key. The maximum supported size of certificate for DER or PEM is 4096 bits.`, '001:L1281');
  }
  if (now < cert.notBefore || now > cert.notAfter) {
    throw new PkiRuleError(
      'E_TRUST_VALIDITY',
      `Cannot upload "${cert.subject}" to ${store}: the validity of incoming certificate is verified, and it is valid only from ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}.`,
      '001:L1288',
    );
  }
  const looksLikeCapf = cert.selfSigned && (cert.keyUsage ?? []).includes('keyCertSign') && (cert.extendedKeyUsage ?? []).includes('serverAuth');
  if (cert.basicConstraints?.ca && /CAPF-/.test(cert.subjectCN ?? '') && !looksLikeCapf) {
    throw new PkiRuleError(
      'E_TRUST_CAPF_NAME',
      `Cannot upload the CA certificate "${cert.subject}" to ${store}: Ensure that the intermediate or root CA certificate doesn't contain the 'CAPF-' substring in the Common Name. The 'CAPF-' common name is reserved for CAPF certificates.`,
      '001:L4919',
    );
  }
}

/**
 * The trust-store rule for two certificates of one entity (same common name, different serial): "If the validity start
 * time stamp of incoming certificate is later than the validity start time stamp of the existing certificate", the
 * incoming one replaces it; "Else, the new incoming certificate is not uploaded" (001:L1287-1293).
 */
export function checkSameEntity(store: TrustStoreName, incoming: CertificateInfo, existing: { subjectCN?: string; serialHex: string; notBefore: Date }): 'replace' {
  if (incoming.notBefore > existing.notBefore) return 'replace';
  throw new PkiRuleError(
    'E_TRUST_SAME_ENTITY',
    `Cannot upload "${incoming.subject}" (serial ${incoming.serialHex}) to ${store}: it has the same common name as the certificate with serial ${existing.serialHex} already there, and its validity does not start later. Only one certificate that belongs to any entity is supported in a particular trust folder, irrespective of the signature algorithm.`,
    '001:L1287-1293',
  );
}

export interface LscKeyRequest {
  deviceName: string;
  keyType: KeyType;
  keySize: number;
  validityDays?: number;
}

/** CAPF's rules for an LSC: device name, RSA/EC key sizes of the Phone Security Profile, CAPFv3 not in FIPS, validity days. */
export function checkLscRequest(req: LscKeyRequest, opts: { fips?: boolean } = {}): { validityDays: number } {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(req.deviceName)) {
    throw new PkiRuleError('E_LSC_DEVICE', `deviceName "${req.deviceName}" is not a device name (1-64 letters, digits, '.', '_' or '-', e.g. SEP001122334455)`, 'trustline');
  }
  if (req.keyType === 'RSA' && !LSC_RSA_KEY_SIZES.includes(req.keySize)) {
    throw new PkiRuleError('E_LSC_RSA_KEY_SIZE', `RSA key size ${req.keySize} cannot get an LSC: RSA Key Size (Bits): choose one of the values 512, 1024, 2048, 3072, or 4096.`, '001:L5737');
  }
  if (req.keyType === 'EC') {
    if (opts.fips) throw new PkiRuleError('E_LSC_FIPS_EC', `Cannot issue an EC LSC to ${req.deviceName}: FIPS enabled mode doesn't support Online CAPF and CAPFv3.`, '001:L4942');
    if (!EC_KEY_SIZES.includes(req.keySize)) throw new PkiRuleError('E_LSC_EC_KEY_SIZE', `EC key size ${req.keySize} cannot get an LSC: EC Key Size (Bits): choose one of the values 256, 384, or 521.`, '001:L5738');
  }
  const validityDays = req.validityDays ?? LSC_MAX_VALIDITY_DAYS;
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > LSC_MAX_VALIDITY_DAYS) {
    throw new PkiRuleError('E_LSC_VALIDITY', `validityDays ${String(req.validityDays)}: Duration Of Certificate Validity (in days) is a number between 1 and 1825.`, '001:L4954');
  }
  return { validityDays };
}

/** A node host name as CUCM accepts it: a DNS label that starts with a letter, at most 63 characters. */
export function checkHostname(hostname: string, field = 'hostname'): void {
  if (!/^[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(hostname)) {
    throw new PkiRuleError('E_HOSTNAME', `${field} "${hostname}" is not a host name: letters, digits and '-', starting with a letter, ending with a letter or digit, at most 63 characters`, 'trustline');
  }
}

export function checkDomain(domain: string): void {
  const labels = domain.split('.');
  if (domain.length > 253 || labels.some((l) => !/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))) {
    throw new PkiRuleError('E_DOMAIN', `domain "${domain}" is not a DNS domain name`, 'trustline');
  }
}
