// CUCM's "TLS Ciphers" enterprise parameter presets, the device security modes' suite rules, and the Cipher
// Management overrides (All TLS / SIP TLS as OpenSSL cipher strings). Seed line numbers refer to
// /work/shared/seeds/001_9f5cb64d98bb58ee.txt unless another seed is named.
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { findSuite, getSuite, isSuiteAvailable, describeCode, type TlsSuite } from '../../ciphers/tls/suite-catalogue.js';

export type TlsCiphersPresetId =
  | 'strongest-rsa'
  | 'strongest-ecdsa'
  | 'medium-rsa'
  | 'medium-ecdsa'
  | 'all-rsa'
  | 'all-ecdsa'
  | 'ecdsa-only';

export interface TlsCiphersPreset {
  readonly id: TlsCiphersPresetId;
  /** The option's label as the seed prints it. */
  readonly label: string;
  /** Server preference order (first = most preferred). */
  readonly suites: readonly TlsSuite[];
  /** Where the list comes from. */
  readonly seed: string;
  /** Our reading where the seed is ambiguous (docs/decisions.md, "TLS"). */
  readonly note?: string;
}

const S = getSuite;
const ECDHE_RSA_256 = S('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
const ECDHE_ECDSA_256 = S('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384');
const ECDHE_RSA_128 = S('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
const ECDHE_ECDSA_128 = S('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
const RSA_AES128_SHA = S('TLS_RSA_WITH_AES_128_CBC_SHA');

// The enterprise parameter help (seed 001 L5726-5729) prints each option as "TLS_ECDHE_RSA with AES256_GCM_SHA384"
// bullets, in priority order; "ECDSA only" is described in prose at L3459 (= seed 004 L649).
export const TLS_CIPHERS_PRESETS: Readonly<Record<TlsCiphersPresetId, TlsCiphersPreset>> = {
  'strongest-rsa': {
    id: 'strongest-rsa',
    label: 'Strongest- AES-256 SHA-384 only: RSA Preferred',
    suites: [ECDHE_RSA_256, ECDHE_ECDSA_256],
    seed: 'seed 001 L5726',
    note: 'the seed prints "TLS_ECDHE_RSA with AES256_GCM_SHA384" twice; the second bullet is read as the ECDHE_ECDSA suite, as in the ECDSA Preferred twin',
  },
  'strongest-ecdsa': {
    id: 'strongest-ecdsa',
    label: 'Strongest- AES-256 SHA-384 only: ECDSA Preferred',
    suites: [ECDHE_ECDSA_256, ECDHE_RSA_256],
    seed: 'seed 001 L5726',
  },
  'medium-rsa': {
    id: 'medium-rsa',
    label: 'Medium- AES-256 AES-128 only: RSA Preferred',
    suites: [ECDHE_RSA_256, ECDHE_ECDSA_256, ECDHE_RSA_128, ECDHE_ECDSA_128],
    seed: 'seed 001 L5726',
  },
  'medium-ecdsa': {
    id: 'medium-ecdsa',
    label: 'Medium- AES-256 AES-128 only: ECDSA Preferred',
    suites: [ECDHE_ECDSA_256, ECDHE_RSA_256, ECDHE_ECDSA_128, ECDHE_RSA_128],
    seed: 'seed 001 L5726 (label), L5729 (list)',
  },
  'all-rsa': {
    id: 'all-rsa',
    label: 'All Ciphers, RSA Preferred',
    suites: [ECDHE_RSA_256, ECDHE_ECDSA_256, ECDHE_RSA_128, ECDHE_ECDSA_128, RSA_AES128_SHA],
    seed: 'seed 001 L5729; default per seed 002 L1838',
  },
  'all-ecdsa': {
    id: 'all-ecdsa',
    label: 'All Ciphers, ECDSA Preferred',
    suites: [ECDHE_ECDSA_256, ECDHE_RSA_256, ECDHE_ECDSA_128, ECDHE_RSA_128, RSA_AES128_SHA],
    seed: 'seed 001 L5729',
  },
  'ecdsa-only': {
    id: 'ecdsa-only',
    label: 'ECDSA only',
    suites: [ECDHE_ECDSA_256, ECDHE_ECDSA_128],
    seed: 'seed 001 L3459 (= seed 004 L649)',
    note: 'the seed names "TLS_ECDHE_ECDSA_WITH_AES128_SHA256" and "TLS_ECDHE_ECDSA_WITH_AES256_SHA384" (in both orders); read as the two ECDHE_ECDSA GCM suites, AES-256 first like every other preset',
  },
};

/** "All Ciphers RSA Preferred" is the default (seed 002 L1838; seed 001 L5729 lists it). */
export const DEFAULT_TLS_CIPHERS_PRESET: TlsCiphersPresetId = 'all-rsa';

const squeezeLabel = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '');

/** Finds a preset by id ("all-rsa") or by label, ignoring case, spaces and punctuation ("All Ciphers RSA Preferred"). */
export function findPreset(idOrLabel: string): TlsCiphersPreset | undefined {
  const byId = (TLS_CIPHERS_PRESETS as Record<string, TlsCiphersPreset>)[idOrLabel];
  if (byId) return byId;
  const k = squeezeLabel(idOrLabel);
  return Object.values(TLS_CIPHERS_PRESETS).find((p) => squeezeLabel(p.label) === k || squeezeLabel(p.id) === k);
}

export function getPreset(idOrLabel: string): TlsCiphersPreset {
  const p = findPreset(idOrLabel);
  if (!p) {
    const known = Object.values(TLS_CIPHERS_PRESETS).map((x) => `"${x.label}" (${x.id})`).join(', ');
    throw new Error(`unknown TLS Ciphers option ${JSON.stringify(idOrLabel)}; known: ${known}`);
  }
  return p;
}

// ---------------------------------------------------------------------------------------------------------------
// Device security modes (Phone / SIP Trunk Security Profile "Device Security Mode").

export type DeviceSecurityMode = 'non-secure' | 'authenticated' | 'encrypted';

/** Authenticated = TLS with NULL/SHA, no encryption (seed 001 L1996, L2119, L5726, L8556). */
export const AUTHENTICATED_MODE_SUITES: readonly TlsSuite[] = [S('TLS_RSA_WITH_NULL_SHA')];

/**
 * Whether a negotiated suite fits a device's security mode: Authenticated devices use NULL-SHA only ("SIP interface
 * in authenticated mode only supports NULL-SHA ciphers", L1996); Encrypted devices need an encrypting suite (L5750);
 * Non Secure devices use TCP, not TLS (L5726).
 */
export function checkSuiteForMode(mode: DeviceSecurityMode, suite: TlsSuite): { ok: true } | { ok: false; reason: string } {
  if (mode === 'non-secure') return { ok: false, reason: 'device security mode is Non Secure (TCP/UDP), not TLS' };
  if (mode === 'authenticated' && !AUTHENTICATED_MODE_SUITES.includes(suite))
    return { ok: false, reason: `device security mode Authenticated requires NULL-SHA, negotiated ${suite.openssl}` };
  if (mode === 'encrypted' && suite.nullCipher)
    return { ok: false, reason: `device security mode Encrypted requires an encrypting suite, negotiated ${suite.openssl}` };
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------------------------
// Cipher Management (OS Administration > Security > Cipher Management, seed 001 L1974-2350).

/** CUCM's message for a rejected cipher string (L2191-2195). */
export const CUCM_INVALID_CIPHER_STRING = 'You have entered an invalid Cipher String.';

/** "TLS Disabled Ciphers": never allowed once Cipher Management is configured (L2317-2333), verbatim. */
export const CIPHER_MANAGEMENT_DISABLED: readonly string[] = (
  'EDH-RSA-DES-CBC-SHA:EDH-DSS-DES-CBC-SHA:ADH-DES-CBC-SHA:' +
  'DES-CBC-SHA:KRB5-DES-CBC-SHA:KRB5-DES-CBC-MD5:EXP-EDH-RSA-DES-CBC-SHA:' +
  'EXP-EDH-DSS-DES-CBC-SHA:EXP-ADH-DES-CBC-SHA:EXP-DES-CBC-SHA:EXP-RC2-CBC-MD5:' +
  'EXP-KRB5-RC2-CBC-SHA:EXP-KRB5-DES-CBC-SHA:EXP-KRB5-RC2-CBC-MD5:EXP-KRB5-DES-CBC-MD5:' +
  'EXP-ADH-RC4-MD5:EXP-RC4-MD5:EXP-KRB5-RC4-SHA:EXP-KRB5-RC4-MD5:ADH-AES256-GCM-SHA384:' +
  'ADH-AES256-SHA256:ADH-AES256-SHA:ADH-CAMELLIA256-SHA:ADH-AES128-GCM-SHA256:ADH-AES128-SHA256:' +
  'ADH-AES128-SHA:ADH-SEED-SHA:ADH-CAMELLIA128-SHA:ADH-DES-CBC3-SHA:ADH-RC4-MD5:' +
  'AECDH-AES256-SHA:AECDH-AES128-SHA:AECDH-DES-CBC3-SHA:AECDH-RC4-SHA:AECDH-NULL-SHA:' +
  'DES-CBC3-MD5:IDEA-CBC-MD5:RC2-CBC-MD5:RC4-MD5:ECDHE-RSA-RC4-SHA:ECDHE-ECDSA-RC4-SHA:' +
  'ECDH-RSA-RC4-SHA:ECDH-ECDSA-RC4-SHA:RC4-SHA:RC4-MD5:PSK-RC4-SHA:KRB5-RC4-SHA:' +
  'KRB5-RC4-MD5:IDEA-CBC-SHA:KRB5-IDEA-CBC-SHA:KRB5-IDEA-CBC-MD5:DHE-RSA-SEED-SHA:' +
  'DHE-DSS-SEED-SHA:SEED-SHA:KRB5-DES-CBC3-MD5:NULL-MD5:PSK-AES256-CBC-SHA:' +
  'PSK-AES128-CBC-SHA:PSK-3DES-EDE-CBC-SHA:ECDHE-RSA-NULL-SHA:ECDHE-ECDSA-NULL-SHA:' +
  'ECDH-RSA-NULL-SHA:ECDH-ECDSA-NULL-SHA:NULL-SHA256:NULL-SHA'
).split(':');

const DISABLED_UPPER = new Set(CIPHER_MANAGEMENT_DISABLED.map((n) => n.toUpperCase()));

export function isDisabledByCipherManagement(s: TlsSuite): boolean {
  return [s.openssl, ...s.opensslAliases].some((n) => DISABLED_UPPER.has(n.toUpperCase()));
}

export class CipherStringError extends Error {
  constructor(
    /** Which Cipher Management field ("All TLS", "SIP TLS") or "cipher string". */
    readonly field: string,
    readonly cipherString: string,
    /** Why, in OpenSSL's or our words (CUCM shows only the fixed message). */
    readonly detail: string,
  ) {
    super(CUCM_INVALID_CIPHER_STRING);
    this.name = 'CipherStringError';
  }
}

export type CipherStringCheck =
  | {
      ok: true;
      /** Suites trustline will use, in OpenSSL's order for the string. */
      suites: TlsSuite[];
      /** What OpenSSL selected that trustline leaves out, each with the reason. */
      dropped: string[];
    }
  | { ok: false; message: typeof CUCM_INVALID_CIPHER_STRING; detail: string };

/**
 * Lists the TLS 1.0-1.2 suites an OpenSSL cipher string selects, in OpenSSL's order, by letting node's own
 * OpenSSL write a ClientHello for it (OpenSSL has no API in node that lists a context's ciphers).
 */
export async function expandCipherString(cipherString: string): Promise<number[]> {
  const ciphers = /@SECLEVEL=/i.test(cipherString) ? cipherString : `${cipherString}:@SECLEVEL=0`;
  return new Promise<number[]>((resolve, reject) => {
    let settled = false;
    const sink = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        if (!settled) {
          settled = true;
          try {
            resolve(cipherSuitesOfRawHello(Buffer.from(chunk)));
          } catch (e) {
            reject(e);
          }
          setImmediate(() => socket.destroy());
        }
        cb();
      },
    });
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect({ socket: sink, ciphers, minVersion: 'TLSv1', maxVersion: 'TLSv1.2', rejectUnauthorized: false });
    } catch (e) {
      reject(e);
      return;
    }
    socket.on('error', (e) => {
      if (!settled) {
        settled = true;
        reject(e);
      }
    });
  });
}

function cipherSuitesOfRawHello(b: Buffer): number[] {
  // record header 5, handshake header 4, legacy_version 2, random 32, session id <1+n>, cipher_suites <2+n>
  let o = 5 + 4 + 2 + 32;
  o += 1 + b[o]!;
  const n = b.readUInt16BE(o);
  o += 2;
  const out: number[] = [];
  for (let i = 0; i < n; i += 2) out.push(b.readUInt16BE(o + i));
  return out;
}

/**
 * Validates a Cipher Management string the way CUCM does, by asking OpenSSL (L2232-2234: "ALL:BAD:!MD5" is valid,
 * "AES128_SHA" is not), and rejects strings that leave nothing to negotiate once CUCM's always-disabled ciphers
 * (L2317-2333) and what trustline cannot serve are removed.
 */
export async function validateCipherString(cipherString: string): Promise<CipherStringCheck> {
  const invalid = (detail: string): CipherStringCheck => ({ ok: false, message: CUCM_INVALID_CIPHER_STRING, detail });
  const s = cipherString.trim();
  if (!s) return invalid('empty cipher string');
  try {
    tls.createSecureContext({ ciphers: s });
  } catch (e) {
    return invalid(`OpenSSL refuses it: ${(e as Error).message}`);
  }
  let codes: number[];
  try {
    codes = await expandCipherString(s);
  } catch (e) {
    return invalid(`OpenSSL selects no cipher suite from it: ${(e as Error).message}`);
  }
  const suites: TlsSuite[] = [];
  const dropped: string[] = [];
  for (const code of codes) {
    const suite = findSuite(code);
    if (!suite) {
      if (code !== 0x00ff) dropped.push(`${describeCode(code)}: not in trustline's suite catalogue`);
      continue;
    }
    if (isDisabledByCipherManagement(suite)) dropped.push(`${suite.openssl}: always disabled by Cipher Management (seed 001 L2317-2333)`);
    else if (suite.authentication === 'none') dropped.push(`${suite.openssl}: anonymous suites are never offered`);
    else if (!isSuiteAvailable(suite)) dropped.push(`${suite.openssl}: not available in node's OpenSSL`);
    else suites.push(suite);
  }
  if (suites.length === 0) return invalid(`selects no cipher suite trustline can serve${dropped.length ? ` (${dropped.join('; ')})` : ''}`);
  return { ok: true, suites, dropped };
}

/** The Cipher Management TLS fields that bear on SIP and CTI (HTTPS TLS is Tomcat's and not modelled here). */
export interface CipherManagement {
  allTls?: string;
  sipTls?: string;
}

/** Interfaces the TLS Ciphers parameter governs: SIP line/trunk and Secure CTI Manager (seed 000 L202-203, L275-277). */
export type TlsInterface = 'sip' | 'cti';

/**
 * Suites each interface can negotiate at all, whatever Cipher Management says ("Cipher Limitations", L2226; Table 10):
 * SIP 5061 is L2267, printed with missing separators and tokenised here in order; its 4th token reads
 * "ECDHE-ECDSA-AES256-SHA" like the 6th and is taken as ECDHE-ECDSA-AES256-SHA384 (the RSA twin precedes it).
 * CTIManager 2749 is L2272.
 */
export const INTERFACE_SUPPORTED_CIPHERS: Readonly<Record<TlsInterface, readonly string[]>> = {
  sip: [
    'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-SHA384', 'ECDHE-ECDSA-AES256-SHA384',
    'ECDHE-RSA-AES256-SHA', 'ECDHE-ECDSA-AES256-SHA', 'AES256-GCM-SHA384', 'AES256-SHA256', 'AES256-SHA', 'CAMELLIA256-SHA',
    'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-SHA256', 'ECDHE-ECDSA-AES128-SHA256',
    'ECDHE-RSA-AES128-SHA', 'ECDHE-ECDSA-AES128-SHA', 'AES128-GCM-SHA256', 'AES128-SHA256', 'AES128-SHA', 'CAMELLIA128-SHA',
    'ECDHE-ECDSA-DES-CBC3-SHA',
  ],
  cti: [
    'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-SHA384', 'ECDHE-RSA-AES256-SHA', 'AES256-GCM-SHA384', 'AES256-SHA256',
    'AES256-SHA', 'CAMELLIA256-SHA', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-SHA256', 'ECDHE-RSA-AES128-SHA',
    'AES128-GCM-SHA256', 'AES128-SHA256', 'AES128-SHA', 'CAMELLIA128-SHA',
  ],
};

export interface CipherSelection {
  /** Which setting decided: SIP TLS beats All TLS beats the enterprise parameter (L2000, L2119-2121, L2249-2251). */
  readonly source: 'SIP TLS' | 'All TLS' | 'enterprise parameter';
  readonly preset: TlsCiphersPreset;
  readonly cipherString?: string;
  /** Suites for Encrypted devices, server preference order. */
  readonly encrypting: readonly TlsSuite[];
  /** Suites for Authenticated devices ([] when Cipher Management is configured: L1998, L2238). */
  readonly authenticated: readonly TlsSuite[];
  readonly authenticatedModeSupported: boolean;
  readonly dropped: readonly string[];
}

/**
 * Resolves which suites an interface uses. A configured Cipher Management string replaces the enterprise parameter
 * and ends authenticated (NULL) mode; an invalid one throws CipherStringError carrying CUCM's message.
 */
export async function resolveCipherSelection(opts: {
  tlsCiphers?: string;
  cipherManagement?: CipherManagement;
  iface?: TlsInterface;
}): Promise<CipherSelection> {
  const preset = getPreset(opts.tlsCiphers ?? DEFAULT_TLS_CIPHERS_PRESET);
  const iface = opts.iface ?? 'sip';
  const sip = iface === 'sip' ? opts.cipherManagement?.sipTls?.trim() : undefined; // SIP TLS: not SCCP/CTI (L1994)
  const all = opts.cipherManagement?.allTls?.trim();
  const field = sip ? 'SIP TLS' : all ? 'All TLS' : undefined;
  const cipherString = sip || all;
  if (!field || !cipherString) {
    // Preset suites are negotiable as listed; NULL-SHA only in authenticated mode (L2119).
    return { source: 'enterprise parameter', preset, encrypting: preset.suites, authenticated: AUTHENTICATED_MODE_SUITES, authenticatedModeSupported: true, dropped: [] };
  }
  const check = await validateCipherString(cipherString);
  if (!check.ok) throw new CipherStringError(field, cipherString, check.detail);
  // A valid string may still name suites the interface cannot negotiate; they are left out, not an error (L2226).
  const supported = new Set(INTERFACE_SUPPORTED_CIPHERS[iface].map((n) => getSuite(n).code));
  const seedLine = iface === 'sip' ? 'L2267' : 'L2272';
  const encrypting = check.suites.filter((s) => supported.has(s.code));
  const dropped = [
    ...check.dropped,
    ...check.suites.filter((s) => !supported.has(s.code)).map((s) => `${s.openssl}: not supported on the ${iface.toUpperCase()} interface (seed 001 L2226, ${seedLine})`),
  ];
  return { source: field, preset, cipherString, encrypting, authenticated: [], authenticatedModeSupported: false, dropped };
}
