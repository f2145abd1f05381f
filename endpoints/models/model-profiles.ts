// What an emulated phone can do, per model family: TLS versions and suites it offers, the keys it holds and can make,
// its CAPF version, the trust files it fetches and understands, how it downloads its configuration, and the SRTP
// suites it offers. Values come from the seeds (line references in `sources`); "[inferred]" marks our reading where
// the public sources only give the behaviour of the family, not the exact list (research anchors §9: the per-model
// TLS/SRTP lists live in Cisco's Phone Feature List report, which is not public).
import type { TlsVersionName } from '../../ciphers/tls/suite-catalogue.js';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import type { DigestName } from '../../engine/trust/index.js';

export type KeyTypeName = 'RSA' | 'EC';
/** How the phone gets its configuration files: HTTP 6970, TFTP 69 (HTTPS 6971 is decided by `config.https6971`). */
export type FileTransportName = 'http' | 'tftp';
/** Encrypted configuration methods (001 L6084-6102): phone public key (PKI) or a manually entered symmetric key. */
export type EncryptedConfigMethod = 'pki' | 'manual';
/** What the phone does when its first TLS handshake fails: nothing more, or one more try at TLS 1.0/1.1. */
export type TlsFallback = 'none' | 'lower-versions';

export interface ModelProfile {
  /** Stable identifier used in scenarios and YAML (`extends:`). */
  id: string;
  family: string;
  kind: 'hardware-phone' | 'soft-client';
  /** Example models of the family, as Cisco writes them in loadInformation ("Cisco 8845"). */
  models: string[];
  /** The 4-digit model number in the MIC / TVS device identity `CP-<model>-SEP<MAC>` (anchors 2.7). */
  modelNumber: string;
  /** Device name prefix: SEP for phones, CSF for Jabber. */
  deviceNamePrefix: 'SEP' | 'CSF';
  tls: {
    /** Versions the firmware can speak, oldest first. */
    versions: TlsVersionName[];
    /** Suites offered for encrypting connections (HTTPS 6971, TVS, CAPF, SIP in encrypted mode), IANA names, in order. */
    suites: string[];
    /** Suites offered in the Authenticated device security mode (NULL-SHA, 001 L5750). */
    authenticatedSuites: string[];
    /** Server certificate key types the phone can verify. */
    serverKeyTypes: KeyTypeName[];
    fallback: TlsFallback;
  };
  certificates: {
    /** The manufacturer-installed certificate, or null (Jabber has none, 002 L1142-1145). */
    mic: { keyType: KeyTypeName; keySize: number } | null;
    /** CAPF protocol version (3 adds EC keys, 004 L232-246); null = no CAPF client. */
    capfVersion: 2 | 3 | null;
    /** Key sizes the phone can generate for an LSC, per type. */
    keyGeneration: Record<KeyTypeName, number[]>;
    /** Digests the phone verifies on trust lists and signed files. */
    fileDigests: DigestName[];
  };
  trust: {
    /** Downloads CTLSEP<MAC>.tlv / CTLFile.tlv (mixed mode). */
    ctl: boolean;
    /** Downloads ITLSEP<MAC>.tlv / ITLFile.tlv ("Jabber does not support ITL", 002 L1071). */
    itl: boolean;
    /** Highest trust-list signer version understood: EC records only count under 1.1 (anchors §3). */
    itlVersion: '1.0' | '1.1';
    /** Asks TVS about unknown signers (004:L39). */
    tvs: boolean;
    /** Largest trust list that loads (004:L161-163: over 64 KB / 39 certificates registration fails). */
    maxTrustListBytes: number;
    maxTrustListCertificates: number;
  };
  config: {
    /** Transports tried in order for every file (the HTTPS 6971 config attempt comes before them). */
    transports: FileTransportName[];
    /** Fetches SEP<MAC>.cnf.xml over HTTPS 6971 first when the ITL signer version is 1.1 (anchors §3). */
    https6971: boolean;
    /** Asks for `.sgn` configuration when it holds an ITL or CTL (002 L1078-1082). */
    signedConfig: boolean;
    encryptedConfig: EncryptedConfigMethod[];
    /** TFTP blksize option asked for (RFC 2348); 0 = no option, 512-byte blocks. */
    tftpBlockSize: number;
  };
  srtp: {
    /** SDES suites offered, in order (the 32/80 tag preference is the order of the HMAC suites). */
    suites: SrtpSuiteName[];
  };
  /** Where each value comes from: field path → seed reference. */
  sources: Record<string, string>;
}

export const MAX_TRUST_LIST_BYTES = 64 * 1024;
export const MAX_TRUST_LIST_CERTIFICATES = 39;

/** 7900 series (SIP): TLS 1.0 and RSA only, SHA-1 file signatures, CAPF without EC keys. */
const LEGACY_79XX: ModelProfile = {
  id: 'cisco-79xx',
  family: 'Cisco Unified IP Phone 7900 series (SIP)',
  kind: 'hardware-phone',
  models: ['Cisco 7942', 'Cisco 7945', 'Cisco 7962', 'Cisco 7965', 'Cisco 7975'],
  modelNumber: '7962',
  deviceNamePrefix: 'SEP',
  tls: {
    versions: ['TLSv1'],
    suites: ['TLS_RSA_WITH_AES_128_CBC_SHA', 'TLS_RSA_WITH_3DES_EDE_CBC_SHA'],
    authenticatedSuites: ['TLS_RSA_WITH_NULL_SHA'],
    serverKeyTypes: ['RSA'],
    fallback: 'none',
  },
  certificates: {
    mic: { keyType: 'RSA', keySize: 2048 },
    capfVersion: 2,
    keyGeneration: { RSA: [512, 1024, 2048], EC: [] },
    fileDigests: ['sha1'],
  },
  trust: { ctl: true, itl: true, itlVersion: '1.0', tvs: true, maxTrustListBytes: MAX_TRUST_LIST_BYTES, maxTrustListCertificates: MAX_TRUST_LIST_CERTIFICATES },
  config: { transports: ['tftp'], https6971: false, signedConfig: true, encryptedConfig: ['pki', 'manual'], tftpBlockSize: 512 },
  srtp: { suites: ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] },
  sources: {
    'tls.versions': 'anchors 2.2/2.7 (capfd --tlsv1: "7900-series phones only speak TLS 1.0")',
    'tls.suites': '001 L5750 (Encrypted: "A TLS connection that uses AES128/SHA"); 3DES = RFC 3261 SHOULD [inferred]; 3DES cannot run in node (docs/decisions.md TLS)',
    'tls.authenticatedSuites': '001 L5750 ("A TLS connection that uses NULL/SHA opens for signaling")',
    'tls.serverKeyTypes': 'ECDSA only from CUCM 11.0 with CAPF v3 endpoints (004:L232-246) [inferred: 79xx are RSA only]',
    'certificates.mic': '001 L5508 (secure Cisco phones ship a MIC); size [inferred]',
    'certificates.capfVersion': '004:L242 ("Non-v3 endpoint → RSA LSC")',
    'certificates.keyGeneration': '001 L5765 (key size 1024 default, 512); 002 L1151-1152 (2048; 4096 only 7800/8800/Jabber)',
    'certificates.fileDigests': '001 L5212 ("For any other cryptographic operation that require validation of signature, only SHA-1 is supported"); 001 L6126 (SHA-512 breaks phones without it)',
    trust: '002 L1069-1077 (CTL in mixed mode, then ITL; leap of faith); 004:L161-163 (64 KB / 39 certificates)',
    'trust.itlVersion': 'anchors §3 (EC records and 6971 need signer version 1.1) [inferred: 79xx firmware predates it]',
    'config.transports': 'anchors 1.7 (observed 7962 TFTP request order CTLSEP, ITLSEP, ITLFile, SEP.cnf.xml)',
    'config.encryptedConfig': '001 L6099 (7942/7962 SIP: manual key, AES-128), L6102 (7961G/7962G/7965G…: PKI)',
    'srtp.suites': 'brief: AES_CM_128_HMAC_SHA1_32/80; order 80 then 32 [inferred]',
  },
};

/** 8800 series: TLS 1.2 with EC suites first, ECDSA server certificates, CAPF v3, ITL 1.1, HTTPS 6971, AEAD SRTP. */
const CURRENT_88XX: ModelProfile = {
  id: 'cisco-88xx',
  family: 'Cisco IP Phone 8800 series',
  kind: 'hardware-phone',
  models: ['Cisco 8811', 'Cisco 8821', 'Cisco 8831', 'Cisco 8832', 'Cisco 8841', 'Cisco 8845', 'Cisco 8851', 'Cisco 8861', 'Cisco 8865'],
  modelNumber: '8845',
  deviceNamePrefix: 'SEP',
  tls: {
    versions: ['TLSv1', 'TLSv1.1', 'TLSv1.2'],
    suites: [
      'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_RSA_WITH_AES_256_CBC_SHA',
      'TLS_RSA_WITH_AES_128_CBC_SHA',
      'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
    ],
    authenticatedSuites: ['TLS_RSA_WITH_NULL_SHA'],
    serverKeyTypes: ['RSA', 'EC'],
    fallback: 'lower-versions',
  },
  certificates: {
    mic: { keyType: 'RSA', keySize: 2048 },
    capfVersion: 3,
    keyGeneration: { RSA: [1024, 2048, 3072, 4096], EC: [256, 384, 521] },
    fileDigests: ['sha1', 'sha256', 'sha512'],
  },
  trust: { ctl: true, itl: true, itlVersion: '1.1', tvs: true, maxTrustListBytes: MAX_TRUST_LIST_BYTES, maxTrustListCertificates: MAX_TRUST_LIST_CERTIFICATES },
  config: { transports: ['http', 'tftp'], https6971: true, signedConfig: true, encryptedConfig: ['pki'], tftpBlockSize: 1428 },
  srtp: { suites: ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] },
  sources: {
    'tls.versions': '002 L1396-1400 (TLS 1.2 when both sides support it, 1.0/1.1 still accepted)',
    'tls.suites':
      'anchors §3 (<disableTLSCiphers> codes 1-7: the suites the phone knows); 004:L246 ("EC ciphers get highest priority by default"); 004:L647-650 (fallback to AES128_SHA)',
    'tls.authenticatedSuites': '001 L5750',
    'tls.serverKeyTypes': '004:L223-230 (ECDSA suites, CallManager-ECDSA in the ITL)',
    'tls.fallback': 'brief ("current tries 1.2") [inferred: one retry at TLS 1.0/1.1 unless tls12Only]',
    'certificates.mic': '002 L1139-1145 (7800/8800 have MICs, Cisco Manufacturing CA, 10 years)',
    'certificates.capfVersion': '004:L232-246 (CAPF v3: EC LSCs)',
    'certificates.keyGeneration': '002 L1151-1152 (up to 4096 on 7800/8800); 001 L5737-5738 (EC 256/384/521)',
    'certificates.fileDigests': '001 L6126 (SHA-512 signing for phones that support it)',
    trust: '002 L1069-1077; 004:L81-83; 004:L161-163',
    'trust.itlVersion': 'anchors §3 (signer version 1.1: EC records, 6971)',
    'config.transports': 'anchors §3 ("phones try HTTP 6970 first, fall back to TFTP")',
    'config.https6971': 'anchors §3 (ITL signer version 1.1 → config over HTTPS 6971 first); 004:L262-270',
    'config.encryptedConfig': '001 L6102 (8811…8865: symmetric key encryption with phone public key)',
    'config.tftpBlockSize': '[inferred] 1428 fits a 1500-byte Ethernet MTU',
    'srtp.suites': '002 L1542-1548 (AEAD AES-256 GCM first, then AES-128 GCM, then AES_CM_128_HMAC_SHA1_80/32)',
  },
};

/** 7800 series: the 8800 series' security features (002 L1142, L1152, L1488; 001 L6102). */
const CURRENT_78XX: ModelProfile = {
  ...structuredClone(CURRENT_88XX),
  id: 'cisco-78xx',
  family: 'Cisco IP Phone 7800 series',
  models: ['Cisco 7811', 'Cisco 7821', 'Cisco 7832', 'Cisco 7841', 'Cisco 7861'],
  modelNumber: '7841',
  sources: {
    ...CURRENT_88XX.sources,
    family: '002 L1142 (MIC), L1152 (LSC up to 4096), L1488 (NGE suites, with the 8800 series); 001 L6102 (PKI-encrypted config) [inferred: same TLS lists as the 8800 series]',
  },
};

/** 9800 series: not in the seeds; modelled as the 8800 series [inferred]. */
const CURRENT_98XX: ModelProfile = {
  ...structuredClone(CURRENT_88XX),
  id: 'cisco-98xx',
  family: 'Cisco Desk Phone 9800 series',
  models: ['Cisco 9841', 'Cisco 9851', 'Cisco 9861', 'Cisco 9871'],
  modelNumber: '9861',
  sources: { ...CURRENT_88XX.sources, family: '[inferred] not in the seeds: the 8800 series values' },
};

/** Jabber (CSF): no MIC, no ITL, unsigned configuration, LSC through CAPF with an authentication or null string. */
const JABBER_CSF: ModelProfile = {
  id: 'jabber-csf',
  family: 'Cisco Jabber (CSF soft client)',
  kind: 'soft-client',
  models: ['Cisco Unified Client Services Framework'],
  modelNumber: '0000',
  deviceNamePrefix: 'CSF',
  tls: {
    versions: ['TLSv1.2'],
    suites: [
      'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      'TLS_RSA_WITH_AES_256_CBC_SHA',
      'TLS_RSA_WITH_AES_128_CBC_SHA',
    ],
    authenticatedSuites: ['TLS_RSA_WITH_NULL_SHA'],
    serverKeyTypes: ['RSA', 'EC'],
    fallback: 'none',
  },
  certificates: {
    mic: null,
    capfVersion: 3,
    keyGeneration: { RSA: [2048, 4096], EC: [256, 384] },
    fileDigests: ['sha1', 'sha256', 'sha512'],
  },
  trust: { ctl: false, itl: false, itlVersion: '1.1', tvs: false, maxTrustListBytes: MAX_TRUST_LIST_BYTES, maxTrustListCertificates: MAX_TRUST_LIST_CERTIFICATES },
  config: { transports: ['http', 'tftp'], https6971: false, signedConfig: false, encryptedConfig: [], tftpBlockSize: 1428 },
  srtp: { suites: ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] },
  sources: {
    'certificates.mic': '002 L1142-1145 ("Jabber does not have a MIC")',
    'certificates.capfVersion': '004:L236 (CAPF v3 asks Jabber for EC keys); anchors 2.5 (a capture shows VERSION 2) [inferred: 3]',
    'certificates.keyGeneration': '002 L1152 (up to 4096 bits with Jabber)',
    trust: '002 L1070-1072 ("Jabber does not support ITL"); 002 L1080-1082 (unsigned config) [inferred: no CTL either]',
    'tls.versions': '[inferred] current Jabber releases: TLS 1.2',
    'srtp.suites': '002 L1542-1548',
  },
};

export const BUILTIN_MODELS: readonly ModelProfile[] = [LEGACY_79XX, CURRENT_78XX, CURRENT_88XX, CURRENT_98XX, JABBER_CSF];

/** Short names scenarios may use for the built-in families. */
const ALIASES: Readonly<Record<string, string>> = {
  legacy: 'cisco-79xx',
  '79xx': 'cisco-79xx',
  '78xx': 'cisco-78xx',
  current: 'cisco-88xx',
  '88xx': 'cisco-88xx',
  '98xx': 'cisco-98xx',
  jabber: 'jabber-csf',
  csf: 'jabber-csf',
};

/** A registry of models: the built-in ones plus user-defined ones (model-loader.ts). */
export class ModelRegistry {
  readonly #models = new Map<string, ModelProfile>();

  constructor(models: readonly ModelProfile[] = BUILTIN_MODELS) {
    for (const m of models) this.add(m);
  }

  /** Adds or replaces a model (ids compare case-insensitively). */
  add(m: ModelProfile): void {
    this.#models.set(m.id.toLowerCase(), m);
  }

  /**
   * By id, alias, model name ("Cisco 8865") or number ("8865"). A model of a family gets the family's profile with its
   * own number and name, so its MIC and TVS identity read `CP-8865-…`.
   */
  find(name: string): ModelProfile | undefined {
    const key = name.trim().toLowerCase();
    const direct = this.#models.get(ALIASES[key] ?? key);
    if (direct) return direct;
    const bare = key.replace(/^cisco\s+/, '');
    const all = [...this.#models.values()];
    const byNumber = all.find((m) => m.modelNumber === bare);
    if (byNumber) return byNumber;
    const family = all.find((m) => m.models.some((n) => n.toLowerCase().replace(/^cisco\s+/, '') === bare));
    if (!family) return undefined;
    const model = family.models.find((n) => n.toLowerCase().replace(/^cisco\s+/, '') === bare)!;
    return /^[0-9]{4}$/.test(bare) ? { ...family, modelNumber: bare, models: [model] } : family;
  }

  get(name: string): ModelProfile {
    const m = this.find(name);
    if (!m) throw new Error(`unknown phone model ${JSON.stringify(name)} (known: ${this.list().map((x) => x.id).join(', ')})`);
    return m;
  }

  list(): ModelProfile[] {
    return [...this.#models.values()];
  }
}

export const builtinModels = new ModelRegistry();

/** A built-in model by id, alias or model name. */
export function getModel(name: string): ModelProfile {
  return builtinModels.get(name);
}

/** The TVS/CAPF device identity a MIC carries: `CP-<model>-SEP<MAC>` (anchors 2.7). */
export function micDeviceIdentity(model: ModelProfile, deviceName: string): string {
  return `CP-${model.modelNumber}-${deviceName}`;
}
