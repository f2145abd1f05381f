// The CAPF settings of one device (Phone Configuration "Certification Authority Proxy Function (CAPF) Information" and
// the Phone Security Profile) and CAPF's service/enterprise parameters, with CUCM's rules as pure functions: the
// authentication string, the "Operation Completes By" deadline, key order and sizes, and which key a phone is asked
// for (CAPF version 3 and "Endpoint Advanced Encryption Algorithm Support", seed 004 L238-242). Seed lines: 001 unless
// another seed is named. Persistence is capf-store.ts.
import { randomInt } from 'node:crypto';

/** Phone Configuration "Certificate Operation" (001 L7923, L5733: install/upgrade, delete, troubleshoot). */
export type CapfOperation = 'none' | 'install-upgrade' | 'delete' | 'troubleshoot';
/** "Authentication Mode" (001 L5733); the same names engine/tftp writes as `<capfAuthMode>`. */
export type CapfAuthMode = 'auth-string' | 'null-string' | 'existing-lsc' | 'existing-mic';
/** "Key Order" (001 L5736). */
export type CapfKeyOrder = 'rsa-only' | 'ec-only' | 'ec-preferred-rsa-backup';
/** "Certificate Issuer to Endpoint" (001 L4953, L4778-4780). */
export type CertificateIssuer = 'capf' | 'online-ca' | 'offline-ca';

export const CAPF_OPERATIONS: readonly CapfOperation[] = ['none', 'install-upgrade', 'delete', 'troubleshoot'];
export const CAPF_AUTH_MODES: readonly CapfAuthMode[] = ['auth-string', 'null-string', 'existing-lsc', 'existing-mic'];
export const CAPF_KEY_ORDERS: readonly CapfKeyOrder[] = ['rsa-only', 'ec-only', 'ec-preferred-rsa-backup'];
export const CERTIFICATE_ISSUERS: readonly CertificateIssuer[] = ['capf', 'online-ca', 'offline-ca'];
/** `<capfAuthMode>` / AUTH_TYPE codes (anchors §2.6). */
export const AUTH_MODE_CODES: Readonly<Record<CapfAuthMode, number>> = { 'auth-string': 1, 'null-string': 2, 'existing-lsc': 3, 'existing-mic': 4 };
/** "RSA Key Size (Bits)" (001 L5737) and "EC Key Size (Bits)" (001 L5738). */
export const CAPF_RSA_KEY_SIZES: readonly number[] = [512, 1024, 2048, 3072, 4096];
export const CAPF_EC_KEY_SIZES: readonly number[] = [256, 384, 521];

/** The CAPF settings of a device, as the administrator sets them. */
export interface CapfDeviceSettings {
  operation: CapfOperation;
  authMode: CapfAuthMode;
  /** 4 to 10 digits, single use (001 L7925); required for By Authentication String. */
  authString?: string;
  keyOrder: CapfKeyOrder;
  rsaKeySize: number;
  ecKeySize: number;
  /** "Operation Completes By" (ISO time); set from "CAPF Operation Expires in (days)" when an operation is chosen. */
  operationCompletesBy?: string;
}

/** CAPF service and enterprise parameters that change its behaviour. */
export interface CapfParameters {
  certificateIssuer: CertificateIssuer;
  /** "Duration Of Certificate Validity (in days)", 1-1825 (001 L4954). */
  validityDays: number;
  /** Keepalive to the endpoint, 5-60 minutes, default 15 (001 L5132-5142). */
  keepAliveMinutes: number;
  /** "CAPF Operation Expires in (days)" (001 L7932); the default of 10 is outside knowledge. */
  operationExpiresDays: number;
  /** "Endpoint Advanced Encryption Algorithms Support" (004 L242-246); off by default. */
  endpointAdvancedEncryption: boolean;
}

export const DEFAULT_CAPF_PARAMETERS: Readonly<CapfParameters> = {
  certificateIssuer: 'capf',
  validityDays: 1825,
  keepAliveMinutes: 15,
  operationExpiresDays: 10,
  endpointAdvancedEncryption: false,
};

/** Defaults: RSA Only, RSA 2048 (CAPF's default raised to 2048, 001 L1698), EC 384 (trustline). */
export const DEFAULT_DEVICE_SETTINGS: Readonly<CapfDeviceSettings> = {
  operation: 'none',
  authMode: 'null-string',
  keyOrder: 'rsa-only',
  rsaKeySize: 2048,
  ecKeySize: 384,
};

/** A refusal by one of CUCM's documented rules (or a trustline rule: source "trustline"). */
export class CapfRuleError extends Error {
  readonly code: string;
  readonly source: string;
  constructor(code: string, message: string, source: string) {
    super(message);
    this.name = 'CapfRuleError';
    this.code = code;
    this.source = source;
  }
}

/** Device names CAPF accepts: the LSC common name rule of engine/pki (1-64 letters, digits, '.', '_', '-'). */
export function isDeviceName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name);
}

export function checkDeviceName(name: string): void {
  if (!isDeviceName(name)) throw new CapfRuleError('E_DEVICE_NAME', `"${name}" is not a device name (1-64 letters, digits, '.', '_' or '-', e.g. SEP001122334455)`, 'trustline');
}

export function checkAuthString(s: string): void {
  if (!/^[0-9]{4,10}$/.test(s)) throw new CapfRuleError('E_AUTH_STRING', 'Authentication String: ensure that the string contains 4 to 10 digits.', '001:L7925');
}

/** "Generate String": a random authentication string (8 digits; CUCM's length is not documented). */
export function generateAuthString(): string {
  return Array.from({ length: 8 }, () => String(randomInt(10))).join('');
}

export function checkParameters(p: CapfParameters): void {
  if (!CERTIFICATE_ISSUERS.includes(p.certificateIssuer)) throw new CapfRuleError('E_PARAMETER', `Certificate Issuer to Endpoint "${String(p.certificateIssuer)}": choose capf, online-ca or offline-ca`, '001:L4953');
  if (!Number.isInteger(p.validityDays) || p.validityDays < 1 || p.validityDays > 1825) {
    throw new CapfRuleError('E_PARAMETER', `Duration Of Certificate Validity (in days) ${p.validityDays}: enter a number between 1 and 1825.`, '001:L4954');
  }
  if (!Number.isInteger(p.keepAliveMinutes) || p.keepAliveMinutes < 5 || p.keepAliveMinutes > 60) {
    throw new CapfRuleError('E_PARAMETER', `CAPF keepalive ${p.keepAliveMinutes}: enter a number between 5 and 60 (minutes).`, '001:L5141');
  }
  if (!Number.isInteger(p.operationExpiresDays) || p.operationExpiresDays < 1 || p.operationExpiresDays > 365) {
    throw new CapfRuleError('E_PARAMETER', `CAPF Operation Expires in (days) ${p.operationExpiresDays}: 1 to 365 (trustline bound)`, 'trustline');
  }
  if (typeof p.endpointAdvancedEncryption !== 'boolean') throw new CapfRuleError('E_PARAMETER', 'Endpoint Advanced Encryption Algorithms Support is true or false', '004:L246');
}

/** Input of configureDevice: any subset of the settings; `generateAuthString` asks for "Generate String". */
export type CapfDeviceInput = Partial<CapfDeviceSettings> & { generateAuthString?: boolean };

/**
 * Applies `input` over the current settings with CUCM's rules: valid enumerations and key sizes, a 4-10 digit string
 * for By Authentication String, never a string the device already used (single use, 001 L7925), and a deadline for
 * every operation: the one given, or now + "CAPF Operation Expires in (days)" (001 L7932).
 */
export function resolveDeviceSettings(current: CapfDeviceSettings | undefined, input: CapfDeviceInput, ctx: { now: Date; parameters: CapfParameters; usedAuthStringHashes?: readonly string[]; hash: (s: string) => string }): CapfDeviceSettings {
  const { generateAuthString: generate, ...rest } = input;
  const s: CapfDeviceSettings = { ...DEFAULT_DEVICE_SETTINGS, ...(current ?? {}), ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
  if (!CAPF_OPERATIONS.includes(s.operation)) throw new CapfRuleError('E_OPERATION', `Certificate Operation "${String(s.operation)}": choose none, install-upgrade, delete or troubleshoot`, '001:L7923');
  if (!CAPF_AUTH_MODES.includes(s.authMode)) throw new CapfRuleError('E_AUTH_MODE', `Authentication Mode "${String(s.authMode)}": choose auth-string, null-string, existing-lsc or existing-mic`, '001:L5733');
  if (!CAPF_KEY_ORDERS.includes(s.keyOrder)) throw new CapfRuleError('E_KEY_ORDER', `Key Order "${String(s.keyOrder)}": choose rsa-only, ec-only or ec-preferred-rsa-backup`, '001:L5736');
  if (!CAPF_RSA_KEY_SIZES.includes(s.rsaKeySize)) throw new CapfRuleError('E_RSA_KEY_SIZE', `RSA Key Size (Bits) ${s.rsaKeySize}: choose one of the values 512, 1024, 2048, 3072, or 4096.`, '001:L5737');
  if (!CAPF_EC_KEY_SIZES.includes(s.ecKeySize)) throw new CapfRuleError('E_EC_KEY_SIZE', `EC Key Size (Bits) ${s.ecKeySize}: choose one of the values 256, 384, or 521.`, '001:L5738');
  if (generate) s.authString = generateAuthString();
  if (s.authString !== undefined) {
    checkAuthString(s.authString);
    if (input.authString !== undefined && ctx.usedAuthStringHashes?.includes(ctx.hash(s.authString))) {
      throw new CapfRuleError('E_AUTH_STRING_USED', 'This string supports one-time use only; after you use the string for the instance, you cannot use it again.', '001:L7925');
    }
  }
  if (s.operation !== 'none' && s.authMode === 'auth-string' && s.authString === undefined) {
    throw new CapfRuleError('E_AUTH_STRING_MISSING', 'By Authentication String: enter an Authentication String (4 to 10 digits) or click Generate String.', '001:L5126, L7925');
  }
  if (s.operationCompletesBy !== undefined && Number.isNaN(Date.parse(s.operationCompletesBy))) {
    throw new CapfRuleError('E_DEADLINE', `Operation Completes By "${s.operationCompletesBy}" is not a date and time`, '001:L7932');
  }
  const operationChanged = input.operation !== undefined && input.operation !== current?.operation;
  if (s.operation === 'none') delete s.operationCompletesBy;
  else if (input.operationCompletesBy === undefined && (operationChanged || s.operationCompletesBy === undefined)) {
    s.operationCompletesBy = new Date(ctx.now.getTime() + ctx.parameters.operationExpiresDays * 86_400_000).toISOString();
  }
  if (s.operationCompletesBy !== undefined) s.operationCompletesBy = new Date(s.operationCompletesBy).toISOString();
  return s;
}

/** True when the operation's "Operation Completes By" has passed. */
export function operationExpired(s: CapfDeviceSettings, now: Date): boolean {
  return s.operation !== 'none' && s.operationCompletesBy !== undefined && now.getTime() > Date.parse(s.operationCompletesBy);
}

export interface KeyRequest {
  keyType: 'RSA' | 'EC';
  /** RSA modulus bits, or EC curve size (256, 384, 521). */
  keySize: number;
}

export type KeyPlan =
  | { decision: 'request'; first: KeyRequest; fallback?: KeyRequest; rule: string }
  | { decision: 'refuse'; reason: string; source: string };

/**
 * Which key CAPF asks the phone for (seed 004 L238-242, 001 L2977):
 * - RSA Only → RSA of the RSA key size;
 * - a phone without CAPF version 3 (or a FIPS cluster: "FIPS enabled mode doesn't support … CAPFv3", 001 L4942) → RSA,
 *   whatever the key order and the Endpoint Advanced Encryption parameter;
 * - a CAPF v3 phone with EC Only or EC Preferred and the parameter off → no LSC at all;
 * - EC Only → EC of the EC key size; EC Preferred, RSA Backup → EC first, RSA if the phone says it cannot do EC.
 */
export function planKeyRequest(s: CapfDeviceSettings, ctx: { phoneVersion: number; endpointAdvancedEncryption: boolean; fips: boolean }): KeyPlan {
  const rsa: KeyRequest = { keyType: 'RSA', keySize: s.rsaKeySize };
  const ec: KeyRequest = { keyType: 'EC', keySize: s.ecKeySize };
  if (s.keyOrder === 'rsa-only') return { decision: 'request', first: rsa, rule: 'Key Order RSA Only (001 L5736)' };
  if (ctx.fips) return { decision: 'request', first: rsa, rule: "FIPS mode: no CAPFv3, so RSA (001 L4942)" };
  if (ctx.phoneVersion < 3) return { decision: 'request', first: rsa, rule: `the phone speaks CAPF version ${ctx.phoneVersion}, not 3: RSA-based LSCs are issued (004 L242)` };
  if (!ctx.endpointAdvancedEncryption) {
    return {
      decision: 'refuse',
      reason: `If Cisco endpoint supports CAPF version 3, and you choose ${s.keyOrder === 'ec-only' ? 'EC Only' : 'EC Preferred, RSA Backup'} without enabling Endpoint Advanced Encryption Algorithm Support parameter, then the ECDSA or RSA-based LSCs are not issued.`,
      source: '004:L242',
    };
  }
  if (s.keyOrder === 'ec-only') return { decision: 'request', first: ec, rule: 'Key Order EC Only, CAPF v3 phone, Endpoint Advanced Encryption on (004 L234-242)' };
  return { decision: 'request', first: ec, fallback: rsa, rule: 'Key Order EC Preferred, RSA Backup: EC first, RSA if the phone has no EC (004 L238)' };
}
