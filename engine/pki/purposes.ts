// The certificate purposes of a CUCM 12.5 node and the rules the security guide attaches to each: key type, key usage
// and extended key usage (001 Table 23, L4446-4454), multi-server support, validity, where copies are trusted, and what
// regenerating one does to the cluster (001 L3023-3201, Table 26 L4610-4616). Seed line references are kept next to
// each fact so a reader can check them in ../shared/seeds.
import { PkiError } from './errors.js';

export const PURPOSES = ['CallManager', 'CallManager-ECDSA', 'tomcat', 'tomcat-ECDSA', 'TVS', 'CAPF', 'ITLRecovery', 'ipsec'] as const;
export type Purpose = (typeof PURPOSES)[number];

export type KeyType = 'RSA' | 'EC';
export type HashName = 'SHA1' | 'SHA256' | 'SHA384' | 'SHA512';
export const HASHES: readonly HashName[] = ['SHA1', 'SHA256', 'SHA384', 'SHA512'];

export type KeyUsageName = 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign';
export type EkuName = 'serverAuth' | 'clientAuth' | 'ipsecEndSystem';

export const EKU_OIDS: Readonly<Record<EkuName, string>> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  ipsecEndSystem: '1.3.6.1.5.5.7.3.5',
};

export const TRUST_STORES = [
  'CallManager-trust',
  'tomcat-trust',
  'CAPF-trust',
  'IPSec-trust',
  'TVS-trust',
  'Phone-SAST-trust',
  'Phone-CTL-trust',
  'Phone-VPN-trust',
  'Userlicensing-trust',
] as const;
export type TrustStoreName = (typeof TRUST_STORES)[number];

/** What changing a purpose's certificate (regenerate or upload) does to the cluster, as the guide documents it. */
export interface ChangeEffects {
  /** Services CUCM restarts by itself. */
  servicesRestartedAutomatically: string[];
  /** Services the administrator must restart (or deactivate and reactivate). */
  servicesToRestart: string[];
  /** The certificate is in the ITL, so TFTP rebuilds (and re-signs) it. */
  itlRebuilt: boolean;
  /** The certificate is in the CTL: in mixed mode `utils ctl update CTLFile` must run. */
  ctlUpdateIfMixedMode: boolean;
  /** Rounds of phone resets that follow when "Phone interaction on Certificate Update" resets phones automatically. */
  phoneResetRounds: 0 | 1 | 2;
  /** The documented cautions, quoted. */
  notes: string[];
  /** Seed references (file:line). */
  sources: string[];
}

export interface PurposeRule {
  purpose: Purpose;
  /** "the Key Type field is automatically set" per purpose (001 L3403). */
  keyType: KeyType;
  /** Table 23 "Multi server" column. */
  multiServer: boolean;
  /** The self-signed form carries "Auto-populated Domains" as subjectAltName (001 L3407). */
  autoPopulatedDomains: boolean;
  /** Exists once per cluster, on the publisher (CAPF "publisher only", ITLRecovery on the publisher). */
  publisherOnly: boolean;
  keyUsage: KeyUsageName[];
  extendedKeyUsage: EkuName[];
  /** basicConstraints CA:TRUE (the CAPF certificate issues LSCs). */
  ca: boolean;
  validityYears: number;
  /** A CSR may be generated for it (001 L1372-1380: CUCM, CAPF, IPSec, Tomcat, TVS). */
  csr: boolean;
  /** Trust stores that hold a copy of this (self-signed) certificate. */
  systemTrustStores: TrustStoreName[];
  /** Where the issuing CA chain must be before a CA-signed certificate for this purpose can be uploaded. */
  caTrustStore: TrustStoreName;
  /** What regenerating or replacing it does. */
  effects: ChangeEffects;
}

const NO_EFFECTS: ChangeEffects = {
  servicesRestartedAutomatically: [],
  servicesToRestart: [],
  itlRebuilt: false,
  ctlUpdateIfMixedMode: false,
  phoneResetRounds: 0,
  notes: [],
  sources: [],
};

const SERVER_KU: KeyUsageName[] = ['digitalSignature', 'keyEncipherment', 'dataEncipherment'];

export const PURPOSE_RULES: Readonly<Record<Purpose, PurposeRule>> = {
  CallManager: {
    purpose: 'CallManager',
    keyType: 'RSA',
    multiServer: true,
    autoPopulatedDomains: true,
    publisherOnly: false,
    keyUsage: SERVER_KU,
    extendedKeyUsage: ['serverAuth', 'clientAuth'],
    ca: false,
    validityYears: 5,
    csr: true,
    systemTrustStores: ['CallManager-trust'],
    caTrustStore: 'CallManager-trust',
    effects: {
      servicesRestartedAutomatically: [],
      servicesToRestart: ['Cisco CallManager', 'Cisco CTIManager', 'Cisco TFTP'],
      itlRebuilt: true,
      ctlUpdateIfMixedMode: true,
      phoneResetRounds: 1,
      notes: [
        'If you plan to regenerate multiples certificates you must regenerate the TFTP certificate last. Wait for the possible phone restarts to complete before you regenerate the TFTP certificate. You might need to manually delete the ITL File from all Cisco IP Phones, if you do not follow this procedure.',
        'If the TFTP service was activated, wait until all the phones have automatically restarted.',
        'Whenever the TFTP certificate gets regenerated, you must create a new system backup.',
      ],
      sources: ['001:L3086-3098', '001:L3197-3201', '001:L1418', '001:L3015', '001:L4614', '001:L3927'],
    },
  },
  'CallManager-ECDSA': {
    purpose: 'CallManager-ECDSA',
    keyType: 'EC',
    multiServer: true,
    autoPopulatedDomains: true,
    publisherOnly: false,
    keyUsage: SERVER_KU,
    extendedKeyUsage: ['serverAuth', 'clientAuth'],
    ca: false,
    validityYears: 5,
    csr: true,
    systemTrustStores: ['CallManager-trust'],
    caTrustStore: 'CallManager-trust',
    effects: {
      servicesRestartedAutomatically: [],
      servicesToRestart: ['Cisco CallManager', 'Cisco TFTP'],
      itlRebuilt: true,
      ctlUpdateIfMixedMode: true,
      phoneResetRounds: 1,
      notes: [
        'When you update CallManager, CallManager ECDSA, or Tomcat certificates, you must deactivate and reactivate the TFTP service.',
        'The CallManager-ECDSA certificate have the Function of CCM+TFTP in both the ITL and CTL file.',
      ],
      sources: ['001:L3015', '001:L4614', '000:L136-141'],
    },
  },
  tomcat: {
    purpose: 'tomcat',
    keyType: 'RSA',
    multiServer: true,
    autoPopulatedDomains: true,
    publisherOnly: false,
    keyUsage: SERVER_KU,
    extendedKeyUsage: ['serverAuth', 'clientAuth'],
    ca: false,
    validityYears: 5,
    csr: true,
    systemTrustStores: ['tomcat-trust'],
    caTrustStore: 'tomcat-trust',
    effects: {
      servicesRestartedAutomatically: [],
      servicesToRestart: ['Cisco Tomcat', 'Cisco TFTP'],
      itlRebuilt: false,
      ctlUpdateIfMixedMode: false,
      phoneResetRounds: 0,
      notes: [
        'When SIP OAuth is enabled, you must restart the Cisco CallManager service after tomcat certificate regeneration and service restart.',
        'TFTP service should be restarted when a Tomcat certificate is uploaded. Else, the TFTP continues to offer the old cached self-signed tomcat certificate.',
      ],
      sources: ['001:L3178-3191', '001:L3015', '001:L4548', '001:L4613'],
    },
  },
  'tomcat-ECDSA': {
    purpose: 'tomcat-ECDSA',
    keyType: 'EC',
    multiServer: true,
    autoPopulatedDomains: true,
    publisherOnly: false,
    keyUsage: SERVER_KU,
    extendedKeyUsage: ['serverAuth', 'clientAuth'],
    ca: false,
    validityYears: 5,
    csr: true,
    systemTrustStores: ['tomcat-trust'],
    caTrustStore: 'tomcat-trust',
    effects: {
      servicesRestartedAutomatically: [],
      servicesToRestart: ['Cisco Tomcat', 'Cisco TFTP'],
      itlRebuilt: false,
      ctlUpdateIfMixedMode: false,
      phoneResetRounds: 0,
      notes: ['When SIP OAuth is enabled, you must restart the Cisco CallManager service after tomcat certificate regeneration and service restart.'],
      sources: ['001:L3178-3191', '001:L3015', '001:L4613'],
    },
  },
  TVS: {
    purpose: 'TVS',
    keyType: 'RSA',
    multiServer: false,
    autoPopulatedDomains: true,
    publisherOnly: false,
    keyUsage: SERVER_KU,
    extendedKeyUsage: ['serverAuth', 'clientAuth'],
    ca: false,
    validityYears: 5,
    csr: true,
    systemTrustStores: [],
    caTrustStore: 'TVS-trust',
    effects: {
      servicesRestartedAutomatically: ['Cisco Trust Verification Service'],
      servicesToRestart: [],
      itlRebuilt: true,
      ctlUpdateIfMixedMode: true,
      phoneResetRounds: 1,
      notes: [
        'If you plan to regenerate both TVS and TFTP certificates, regenerate the TVS certificate, wait for the possible phone restarts to complete, and then regenerate the TFTP certificate.',
        'TVS service is automatically restarted when TVS certificate is regenerated.',
      ],
      sources: ['001:L3057-3076', '004:L101'],
    },
  },
  CAPF: {
    purpose: 'CAPF',
    keyType: 'RSA',
    multiServer: false,
    autoPopulatedDomains: false,
    publisherOnly: true,
    keyUsage: ['digitalSignature', 'keyCertSign'],
    extendedKeyUsage: ['serverAuth'],
    ca: true,
    validityYears: 5,
    csr: true,
    systemTrustStores: ['CAPF-trust', 'CallManager-trust'],
    caTrustStore: 'CAPF-trust',
    effects: {
      servicesRestartedAutomatically: ['Cisco Certificate Authority Proxy Function'],
      servicesToRestart: [],
      itlRebuilt: true,
      ctlUpdateIfMixedMode: true,
      phoneResetRounds: 1,
      notes: [
        'If the CAPF certificate is on the publisher, you might observe the phones restarting automatically to update their ITL file.',
        'CAPF service is automatically restarted when CAPF certificate is regenerated.',
      ],
      sources: ['001:L3035-3054', '001:L4615', '004:L102'],
    },
  },
  ITLRecovery: {
    purpose: 'ITLRecovery',
    keyType: 'RSA',
    multiServer: false,
    autoPopulatedDomains: false,
    publisherOnly: true,
    keyUsage: SERVER_KU,
    extendedKeyUsage: ['serverAuth', 'clientAuth'],
    ca: false,
    validityYears: 20,
    csr: false,
    systemTrustStores: [],
    caTrustStore: 'Phone-SAST-trust',
    effects: {
      servicesRestartedAutomatically: [],
      servicesToRestart: ['Cisco TFTP'],
      itlRebuilt: true,
      ctlUpdateIfMixedMode: true,
      phoneResetRounds: 2,
      notes: [
        'Do not regenerate the ITLRecovery Certificate very frequently as this certificate has a long validity with phones and also it contains the CallManager Certificate.',
        'Sign the ITL file using `utils itl reset localkey` in the CallManager Certificate to accept the new ITL file, reset in batches all the phones in the cluster, restart TFTP Service to have the ITL file re-signed by the New ITLRecovery Certificate, and reset in batches all phones in the cluster for a second time to pick up the new ITL File.',
        'Regenerating ITLRecovery will affect SAML SSO login of cluster incase system wide certificate is used for enablement.',
      ],
      sources: ['001:L3102-3170', '004:L151-159'],
    },
  },
  ipsec: {
    purpose: 'ipsec',
    keyType: 'RSA',
    multiServer: false,
    autoPopulatedDomains: false,
    publisherOnly: false,
    keyUsage: SERVER_KU,
    extendedKeyUsage: ['serverAuth', 'clientAuth', 'ipsecEndSystem'],
    ca: false,
    validityYears: 5,
    csr: true,
    systemTrustStores: ['IPSec-trust'],
    caTrustStore: 'IPSec-trust',
    effects: { ...NO_EFFECTS, notes: ['The guide documents no service restart or phone reset for the ipsec certificate.'], sources: ['001:L4446-4454'] },
  },
};

export function isPurpose(name: string): name is Purpose {
  return (PURPOSES as readonly string[]).includes(name);
}

/** The canonical purpose for a user-typed name (case-insensitive); throws naming the valid purposes. */
export function parsePurpose(name: string): Purpose {
  const found = PURPOSES.find((p) => p.toLowerCase() === name.trim().toLowerCase());
  if (!found) throw new PkiError('E_PURPOSE', `unknown certificate purpose "${name}": expected one of ${PURPOSES.join(', ')}`);
  return found;
}

/** The canonical trust store for a user-typed name (case-insensitive); throws naming the valid stores. */
export function parseTrustStore(name: string): TrustStoreName {
  const found = TRUST_STORES.find((s) => s.toLowerCase() === name.trim().toLowerCase());
  if (!found) throw new PkiError('E_TRUST_STORE', `unknown trust store "${name}": expected one of ${TRUST_STORES.join(', ')}`);
  return found;
}
