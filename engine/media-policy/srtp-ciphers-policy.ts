// CUCM's "SRTP Ciphers" enterprise parameter: the presets as ordered suite lists (most preferred first), and the SRTP
// behaviour of the non-phone peers the seeds describe (music on hold, SCCP phones, CUBE). Seed line numbers refer to
// /work/shared/seeds/001_9f5cb64d98bb58ee.txt ("001") and 002_7b6426869c434b87.txt ("002"). Choices where the seeds
// leave room are in docs/decisions.md ("Media policy").
import { SRTP_SUITES, isSrtpSuiteName, type SrtpSuiteName } from '../../ciphers/srtp/suites.js';

/** Bad input to the media-policy functions (an unknown preset, suite or option): names the field and the value. */
export class MediaPolicyError extends Error {
  constructor(
    readonly field: string,
    readonly value: string,
    problem: string,
  ) {
    super(`${field} ${JSON.stringify(value.length > 120 ? value.slice(0, 117) + '...' : value)}: ${problem}`);
    this.name = 'MediaPolicyError';
  }
}

export type SrtpCiphersPresetId = 'all-supported' | 'strongest' | 'medium';

export interface SrtpCiphersPreset {
  readonly id: SrtpCiphersPresetId;
  /** The option's label in CUCM 12.x wording (002 L1846-1851). */
  readonly label: string;
  /** Other spellings the seeds and CUCM 11.x use for the same option; `resolveSrtpCiphers` accepts them. */
  readonly aliases: readonly string[];
  /** Suites the option allows, most preferred first. */
  readonly suites: readonly SrtpSuiteName[];
  readonly isDefault: boolean;
  /** Where the list and its order come from. */
  readonly seed: string;
  /** Our reading where the seeds disagree or are silent. */
  readonly note?: string;
}

/** An SRTP Ciphers setting resolved to its ordered suite list (a preset or a custom list). */
export interface SrtpCiphersPolicy {
  readonly id: SrtpCiphersPresetId | 'custom';
  readonly label: string;
  readonly suites: readonly SrtpSuiteName[];
}

/** Suites CUCM names for SIP lines and trunks (001 L1704-1710) that trustline does not implement: never offered, skipped in offers. */
export const UNIMPLEMENTED_CUCM_SRTP_SUITES: readonly string[] = ['F8_128_HMAC_SHA1_80'];

export const SRTP_CIPHERS_PRESETS: Readonly<Record<SrtpCiphersPresetId, SrtpCiphersPreset>> = {
  'all-supported': {
    id: 'all-supported',
    label: 'All Supported Ciphers',
    aliases: ['All Supported AES-256, AES-128 Ciphers', 'All supported'],
    suites: ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'],
    isDefault: true,
    seed:
      '002 L1846 (default "All Supported Ciphers"); 001 L1704-1710 (AEAD_AES_256_GCM, AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80/_32; GCM "treated with higher priority"); ' +
      '002 L1542-1548 (strongest first, "typically … AEAD AES-256 GCM", fallback to weaker); 001 L1738 and Table 8 L1757-1763 (_80 before _32)',
    note:
      'CUCM 11.x (doc 211622, research anchors §4) prints this option as AEAD_AES_256_GCM, AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_32 without _80; ' +
      'we follow 001 L1708 and Table 8, which keep _80 and prefer it to _32. F8_128_HMAC_SHA1_80 (001 L1710) is not implemented and left out.',
  },
  strongest: {
    id: 'strongest',
    label: 'Strongest - AEAD AES-256 GCM cipher only',
    aliases: ['AEAD AES256 GCM-based ciphers only', 'AEAD AES-256 GCM-based ciphers only', 'Strongest'],
    suites: ['AEAD_AES_256_GCM'],
    isDefault: false,
    seed: '002 L1848-1849; 001 L5726 (recommended with the "Strongest" TLS Ciphers options); 002 §16 item 40 (AES_CM-only peers cannot negotiate SRTP)',
  },
  medium: {
    id: 'medium',
    label: 'Medium - AEAD AES-256 GCM, AEAD AES-128 GCM ciphers only',
    aliases: ['Medium - AEAD AES-256,AES-128 GCM ciphers only', 'AEAD AES-256, AES-128 GCM-based ciphers', 'Medium'],
    suites: ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM'],
    isDefault: false,
    seed: '002 L1849-1850; 001 L5726 (spelled "Medium - AEAD AES-256,AES-128 GCM ciphers only"); 002 §16 item 40',
  },
};

export const DEFAULT_SRTP_CIPHERS: SrtpCiphersPresetId = 'all-supported';

/** Lower-case, one space, one kind of dash, no space around commas and dashes: labels are compared in this form. */
function normaliseLabel(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\s+/g, ' ')
    .replace(/\s*([,-])\s*/g, '$1')
    .trim();
}

const BY_LABEL: ReadonlyMap<string, SrtpCiphersPresetId> = (() => {
  const m = new Map<string, SrtpCiphersPresetId>();
  for (const p of Object.values(SRTP_CIPHERS_PRESETS)) {
    for (const name of [p.id, p.label, ...p.aliases]) m.set(normaliseLabel(name), p.id);
  }
  return m;
})();

export type SrtpCiphersInput = SrtpCiphersPresetId | string | SrtpCiphersPolicy | readonly string[];

/**
 * A preset by id, by CUCM label (12.x or 11.x wording, any case or dash), an already resolved policy, or a custom
 * ordered list of suite names (for peers outside CUCM). Throws MediaPolicyError naming what was not understood.
 */
export function resolveSrtpCiphers(input: SrtpCiphersInput | undefined): SrtpCiphersPolicy {
  if (input === undefined) return presetPolicy(DEFAULT_SRTP_CIPHERS);
  if (typeof input === 'string') {
    const id = BY_LABEL.get(normaliseLabel(input));
    if (!id) {
      const known = Object.values(SRTP_CIPHERS_PRESETS).map((p) => `"${p.label}" (${p.id})`).join(', ');
      throw new MediaPolicyError('SRTP Ciphers', input, `is not a preset (known: ${known}) — pass a suite list for a custom policy`);
    }
    return presetPolicy(id);
  }
  if (Array.isArray(input)) return customPolicy(input as readonly string[]);
  const p = input as SrtpCiphersPolicy;
  if (p && typeof p === 'object' && Array.isArray(p.suites)) {
    const checked = checkSuiteList(p.suites, 'SRTP Ciphers suites');
    return { id: p.id ?? 'custom', label: p.label ?? 'custom', suites: checked };
  }
  throw new MediaPolicyError('SRTP Ciphers', String(input), 'must be a preset id or label, a policy or a suite list');
}

function presetPolicy(id: SrtpCiphersPresetId): SrtpCiphersPolicy {
  const p = SRTP_CIPHERS_PRESETS[id];
  return { id, label: p.label, suites: p.suites };
}

function customPolicy(list: readonly string[]): SrtpCiphersPolicy {
  const suites = checkSuiteList(list, 'SRTP Ciphers suites');
  if (suites.length === 0) throw new MediaPolicyError('SRTP Ciphers suites', '[]', 'a custom policy needs at least one suite');
  return { id: 'custom', label: `custom: ${suites.join(', ')}`, suites };
}

/** Validates an ordered list of suite names (policy or device capabilities): known, implemented, no duplicates. */
export function checkSuiteList(list: readonly string[], field: string): SrtpSuiteName[] {
  if (!Array.isArray(list)) throw new MediaPolicyError(field, String(list), 'must be an array of SRTP suite names');
  const out: SrtpSuiteName[] = [];
  list.forEach((name, i) => {
    if (typeof name !== 'string') throw new MediaPolicyError(`${field}[${i}]`, String(name), 'must be a suite name');
    const upper = name.toUpperCase();
    if (UNIMPLEMENTED_CUCM_SRTP_SUITES.includes(upper)) throw new MediaPolicyError(`${field}[${i}]`, name, 'is a suite CUCM names but trustline does not implement');
    if (!isSrtpSuiteName(upper)) throw new MediaPolicyError(`${field}[${i}]`, name, `is not an SRTP suite (known: ${Object.keys(SRTP_SUITES).join(', ')})`);
    if (out.includes(upper)) throw new MediaPolicyError(`${field}[${i}]`, name, 'is listed twice');
    out.push(upper);
  });
  return out;
}

/** Position of a suite in the policy (0 = most preferred), or -1 when the policy does not allow it. */
export function suiteRank(policy: SrtpCiphersPolicy, suite: SrtpSuiteName): number {
  return policy.suites.indexOf(suite);
}

/** Suites a SIP ↔ non-SIP call keeps to: "SIP to non-SIP calls will continue to use AES 128 and SHA-1 based ciphers" (001 L1732). */
export const NON_SIP_SRTP_SUITES: readonly SrtpSuiteName[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

/** What a peer does when SRTP cannot be agreed: fall back to RTP (CUCM, 001 L1634) or refuse the call (CUBE default, 002 L1711-1715). */
export type NoSrtpAction = 'rtp' | 'reject';

/** SRTP behaviour of a non-phone peer the seeds describe. Phones' suites live in endpoints/models. */
export interface SrtpPeerProfile {
  readonly id: string;
  readonly description: string;
  /** Suites the peer supports, in its own preference order. */
  readonly suites: readonly SrtpSuiteName[];
  readonly onNoSrtp: NoSrtpAction;
  readonly seed: string;
}

export const SRTP_PEER_PROFILES: Readonly<Record<string, SrtpPeerProfile>> = {
  ipvms: {
    id: 'ipvms',
    description: 'IP Voice Media Streaming (music on hold, IVR, annunciator)',
    suites: ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'],
    onNoSrtp: 'rtp',
    seed: '001 L1736-1738 ("precedence is given to the AES_CM_128_HMAC_SHA1_80 … reverts to … _32 … negotiation occurs over RTP"), Table 8 L1757-1763',
  },
  'sccp-phone': {
    id: 'sccp-phone',
    description: 'a phone running SCCP',
    suites: ['AES_CM_128_HMAC_SHA1_32'],
    onNoSrtp: 'rtp',
    seed: '001 L1745 ("The SCCP phone supports only 32-bit authentication tag")',
  },
  'cube-default': {
    id: 'cube-default',
    description: 'Cisco IOS gateway / CUBE, default SRTP configuration',
    suites: ['AES_CM_128_HMAC_SHA1_32'],
    onNoSrtp: 'reject',
    seed: '002 L1704-1706 ("AES_CM_128_HMAC_SHA1_32 is negotiated by default"); L1711-1712 (called endpoint without SRTP: "the call is dropped")',
  },
  'cube-srtp-fallback': {
    id: 'cube-srtp-fallback',
    description: 'CUBE with `srtp fallback` and `srtp negotiate`',
    suites: ['AES_CM_128_HMAC_SHA1_32'],
    onNoSrtp: 'rtp',
    seed: '002 L1713-1715 (falls back from SRTP to RTP instead of dropping the call)',
  },
  'cube-srtp-auth-sha1-80': {
    id: 'cube-srtp-auth-sha1-80',
    description: 'CUBE with `srtp-auth sha1-80`',
    suites: ['AES_CM_128_HMAC_SHA1_80'],
    onNoSrtp: 'reject',
    seed: '002 L1706 ("AES_CM_128_HMAC_SHA1_80 can also be configured"); [inferred] the command replaces the default suite',
  },
  'cube-srtp-pass-thru': {
    id: 'cube-srtp-pass-thru',
    description: 'CUBE with `srtp pass-thru` (NGE suites end to end, no RTP↔SRTP interworking)',
    suites: ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'],
    onNoSrtp: 'reject',
    seed: '002 L1706-1710 (NGE suites only with pass-through; "media interworking between RTP and SRTP … is not supported")',
  },
};
