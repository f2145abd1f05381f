// The words of the scenario language. Wherever the engine already names a thing (TLS presets, suites, certificate
// purposes, CAPF modes, SRTP suites, device security modes), the list is taken from the engine module itself so the
// runner maps a scenario value to the engine 1:1; the rest (step kinds, outcomes, trust decisions) is defined here.
import { TLS_SUITES, TLS_VERSIONS } from '../ciphers/tls/suite-catalogue.js';
import { SRTP_SUITE_NAMES } from '../ciphers/srtp/suites.js';
import { TLS_CIPHERS_PRESETS, type TlsCiphersPresetId } from '../engine/tls/presets.js';
import { PURPOSES, TRUST_STORES, HASHES } from '../engine/pki/purposes.js';
import { CAPF_AUTH_MODES, CAPF_KEY_ORDERS, CAPF_OPERATIONS, CERTIFICATE_ISSUERS, CAPF_RSA_KEY_SIZES, CAPF_EC_KEY_SIZES } from '../engine/capf/device-operations.js';
import { SRTP_CIPHERS_PRESETS, DEFAULT_SRTP_CIPHERS, type SrtpCiphersPresetId } from '../engine/media-policy/srtp-ciphers-policy.js';
import { BUILTIN_MODELS, builtinModels } from '../endpoints/models/model-profiles.js';
import { TAMPER_MODES, CAPF_REFUSALS as CLUSTER_CAPF_REFUSALS, CERTIFICATE_FAULT_PORTS } from '../engine/cluster/faults.js';

export const TLS_PRESET_IDS = Object.keys(TLS_CIPHERS_PRESETS) as TlsCiphersPresetId[];
export const TLS_PRESET_LABELS: Readonly<Record<string, string>> = Object.fromEntries(Object.values(TLS_CIPHERS_PRESETS).map((p) => [p.id, p.label]));
/** Every catalogue suite by IANA name, the ones CUCM's presets use first (editors list them in this order). */
export const TLS_SUITE_NAMES: readonly string[] = (() => {
  const preset = Object.values(TLS_CIPHERS_PRESETS).flatMap((p) => p.suites.map((s) => s.iana));
  return [...new Set([...preset, 'TLS_RSA_WITH_NULL_SHA', ...TLS_SUITES.map((s) => s.iana)])];
})();
export { TLS_VERSIONS, SRTP_SUITE_NAMES, PURPOSES, TRUST_STORES, HASHES, CAPF_AUTH_MODES, CAPF_KEY_ORDERS, CAPF_OPERATIONS, CERTIFICATE_ISSUERS, CAPF_RSA_KEY_SIZES, CAPF_EC_KEY_SIZES };

/** Unified CM releases whose behaviour differs in ways scenarios can see (tokenless CTL signer, ECDSA, SIP OAuth). */
export const CUCM_VERSIONS = ['10.5', '11.5', '12.5', '14', '15'] as const;
export type CucmVersion = (typeof CUCM_VERSIONS)[number];

/** Cluster security mode (`utils ctl set-cluster mixed-mode` / `non-secure-mode`). */
export const CLUSTER_SECURITY_MODES = ['non-secure', 'mixed'] as const;
export type ClusterSecurityMode = (typeof CLUSTER_SECURITY_MODES)[number];

/** The same names as engine/tls/presets.ts DeviceSecurityMode and engine/tftp DeviceSecurityModeName. */
export const DEVICE_SECURITY_MODES = ['non-secure', 'authenticated', 'encrypted'] as const;
export type DeviceSecurityModeName = (typeof DEVICE_SECURITY_MODES)[number];

/** engine/tftp TransportName (Phone Security Profile "Transport Type"). */
export const PHONE_TRANSPORTS = ['TCP', 'UDP', 'TCP+UDP', 'TLS'] as const;
export const TRUNK_INCOMING_TRANSPORTS = ['TCP+UDP', 'TLS', 'TCP', 'UDP'] as const;
export const TRUNK_OUTGOING_TRANSPORTS = ['TCP', 'UDP', 'TLS'] as const;

/** "SRTP Ciphers" enterprise parameter: the ids of engine/media-policy (all-supported is the default). */
export const SRTP_CIPHERS_OPTIONS = Object.keys(SRTP_CIPHERS_PRESETS) as SrtpCiphersPresetId[];
export const SRTP_CIPHERS_LABELS: Readonly<Record<string, string>> = Object.fromEntries(Object.values(SRTP_CIPHERS_PRESETS).map((p) => [p.id, p.label]));
export { DEFAULT_SRTP_CIPHERS, type SrtpCiphersPresetId };
/** "HTTPS Ciphers" enterprise parameter (seed002 §8.4). */
export const HTTPS_CIPHERS_OPTIONS = ['rsa-only', 'all'] as const;
export const MIN_TLS_VERSIONS = ['1.0', '1.1', '1.2'] as const;
export const TFTP_SIGNATURE_ALGORITHMS = ['sha1', 'sha512'] as const;
/** "Phone Interaction on Certificate Update" (seed002 §15.3). */
export const PHONE_INTERACTION_OPTIONS = ['auto-reset', 'manual-reset'] as const;
export const LICENSING_BUILDS = ['restricted', 'unrestricted'] as const;

/**
 * Phone models as endpoints/models knows them: every model number of the built-in families ("8865", "7962"), the
 * family ids ("cisco-88xx") and the short aliases ("legacy", "current", "jabber"). Editors offer this list; the
 * loader accepts whatever endpoints/models' registry finds (also "Cisco 8865").
 */
export const PHONE_MODELS: readonly string[] = [
  ...BUILTIN_MODELS.flatMap((m) => m.models.map((n) => n.replace(/^Cisco /, '')).filter((n) => /^[0-9]{4}$/.test(n))),
  ...BUILTIN_MODELS.map((m) => m.id),
  'legacy',
  'current',
  'jabber',
  'Jabber',
];
export type PhoneModel = string;
export const isKnownModel = (name: string): boolean => builtinModels.find(name) !== undefined;

export const KEY_TYPES = ['RSA', 'EC'] as const;
export const CERTIFICATE_TYPES = ['RSA', 'ECDSA'] as const;
export const KEY_SIZES = [256, 384, 521, 1024, 2048, 3072, 4096] as const;
export const CERTIFICATE_SIGNERS = ['self', 'enterprise-ca'] as const;

/** Where a phone fetches its configuration (engine/tftp front doors). */
export const CONFIG_DOORS = ['tftp', 'http-6970', 'https-6971', 'https-6972'] as const;
export const RESET_TYPES = ['restart', 'reset', 'reset-security-settings', 'factory'] as const;

/** CUCM services a `restart` step names (the spellings of engine/pki/purposes.ts effects). */
export const CUCM_SERVICES = [
  'Cisco CallManager',
  'Cisco CTIManager',
  'Cisco TFTP',
  'Cisco Tomcat',
  'Cisco Trust Verification Service',
  'Cisco Certificate Authority Proxy Function',
  'Cisco Certificate Enrollment Service',
] as const;

/** OS administration CLI commands the scenarios can run (seed002 §18 "CLI"). */
export const CLI_COMMANDS = [
  'utils ctl set-cluster mixed-mode',
  'utils ctl set-cluster non-secure-mode',
  'utils ctl update CTLFile',
  'utils ctl reset localkey',
  'utils itl reset localkey',
  'utils itl reset remotekey',
  'utils sipOAuth-mode enable',
  'utils sipOAuth-mode disable',
] as const;

/** The action a step performs; `parallel` and `sequence` group other steps. */
export const ACTION_KINDS = [
  'boot',
  'register',
  'enroll',
  'call',
  'answer',
  'hold',
  'resume',
  'hangup',
  'wait',
  'regenerate',
  'reset',
  'move',
  'cli',
  'restart',
  'set',
  'importCertificates',
  'probe',
  'fault',
  'clearFault',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];
export const GROUP_KINDS = ['parallel', 'sequence'] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];
export const STEP_KINDS = [...ACTION_KINDS, ...GROUP_KINDS] as const;
export type StepKind = ActionKind | GroupKind;

/** Fault injections (the issue's list, plus a service outage). */
export const FAULT_KINDS = [
  'tampered-itl',
  'expired-certificate',
  'wrong-certificate',
  'cipher-mismatch',
  'capf-refusal',
  'packet-corruption',
  'service-down',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** engine/cluster/faults.ts: how a file is tampered, and the TLS doors whose certificate a fault replaces. */
export const ITL_TAMPERING = TAMPER_MODES;
export { CERTIFICATE_FAULT_PORTS };
/** Certificates a fault can replace: a cluster purpose, or the phone's own MIC/LSC. */
export const FAULT_CERTIFICATES = [...PURPOSES, 'mic', 'lsc'] as const;
/** publisher-down stops CAPF; the others are engine/cluster's per-device refusals. */
export const CAPF_REFUSALS = ['publisher-down', ...CLUSTER_CAPF_REFUSALS] as const;
export const CORRUPTION_TARGETS = ['payload', 'auth-tag', 'header', 'replay'] as const;
export const MEDIA_DIRECTIONS = ['sent', 'received', 'both'] as const;
export const CODECS = ['G711u', 'G711a', 'G722', 'G729', 'OPUS'] as const;

// ---- observations and expectations --------------------------------------------------------------------------------

export const STEP_OUTCOMES = ['ok', 'failed'] as const;
export type StepOutcome = (typeof STEP_OUTCOMES)[number];
export const TLS_OUTCOMES = ['accepted', 'refused'] as const;
export const CLIENT_CERTIFICATES = ['lsc', 'mic', 'none'] as const;
export const REGISTRATION_OUTCOMES = ['registered', 'refused', 'failed', 'timeout'] as const;
export const CALL_OUTCOMES = ['connected', 'ringing', 'rejected', 'failed', 'dropped'] as const;
export const CALL_STATES = ['ringing', 'connected', 'held', 'ended'] as const;
/** The lock icon: encrypted (locked), authenticated (shield), non-secure. */
export const CALL_SECURITY = ['encrypted', 'authenticated', 'non-secure'] as const;
export const ENROLLMENT_OUTCOMES = ['issued', 'refused', 'failed', 'not-attempted'] as const;
export const ENROLLMENT_AUTH = ['mic', 'lsc', 'auth-string', 'null-string'] as const;
/**
 * What a phone decided about a trust file or certificate: accepted without checks on first use, verified against
 * what it holds, verified through TVS, accepted unsigned (empty ITL), rejected, rejected by TVS, or never offered.
 */
export const TRUST_DECISIONS = ['leap-of-faith', 'verified', 'verified-by-tvs', 'accepted-unsigned', 'rejected', 'rejected-by-tvs', 'not-offered'] as const;
export type TrustDecision = (typeof TRUST_DECISIONS)[number];
export const TRUST_ITEMS = ['ctl', 'itl', 'config', 'firmware', 'serverCertificate', 'capfCertificate', 'tvsCertificate'] as const;
export const TVS_RESULTS = ['valid', 'invalid', 'unreachable', 'not-queried'] as const;
export const CONFIG_OUTCOMES = ['downloaded', 'not-found', 'forbidden', 'decrypt-failed', 'rejected'] as const;
export const TRUST_LIST_SIGNERS = ['ITLRecovery', 'CallManager'] as const;
export const PRESENCE = ['present', 'absent'] as const;
