// Fallback simulation (`--as`): replay what a phone model, a CUCM "TLS Ciphers" preset (CUCM as TLS client) or a
// cipher list would offer, attempt by attempt with the client's own fallbacks, and report what it ends up with.
// Each attempt is a raw ClientHello (so 3DES and other suites node cannot run are still asked about), checked the
// way the client would check the answer, then confirmed with a real handshake when node's OpenSSL can run the suite.
import { TLS_VERSIONS, findSuite, getSuite, type TlsSuite, type TlsVersionName } from '../ciphers/tls/suite-catalogue.js';
import { groupCode, groupName } from '../engine/tls/client-hello.js';
import { buildTlsPolicy } from '../engine/tls/policy.js';
import { AUTHENTICATED_MODE_SUITES, expandCipherString, findPreset } from '../engine/tls/presets.js';
import { summarizeCertificate } from './certs.js';
import { refusalOf, suiteName } from './enumerate.js';
import type { Limiter } from './limiter.js';
import { rawProbe, type Target } from './raw-probe.js';
import { sipCheck } from './sip-check.js';
import { tlsConnect, unavailableSuites } from './tls-client.js';
import type { FallbackAttempt, FallbackReport, HandshakeSummary, SipResult } from './types.js';
import { formatVersion } from './tls-wire.js';

export interface FallbackStep {
  label: string;
  versions: readonly TlsVersionName[];
  suites: readonly TlsSuite[];
  /** supported_groups; undefined = the prober's default list. */
  groups?: readonly number[];
  /** A retry after a failure, flagged with TLS_FALLBACK_SCSV (RFC 7507). */
  fallbackScsv?: boolean;
}

export interface ClientProfile {
  id: string;
  description: string;
  /** Where the offer comes from, or "[inferred]" for our reading. */
  source: string;
  steps: FallbackStep[];
}

const S = (names: string) => names.split(/[:,\s]+/).filter(Boolean).map((n) => getSuite(n));
const NIST = [23, 24, 25];
const V10_12: TlsVersionName[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2'];

interface PhoneModel extends ClientProfile {
  aliases: readonly string[];
}

/**
 * Phone model offers. endpoints/ has no model table yet; these are our readings of the public feature lists, marked
 * [inferred] (docs/decisions.md, "Probe"): the suites per generation, and the 88xx retry, are not from a capture.
 */
export const PHONE_MODELS: readonly PhoneModel[] = [
  {
    id: 'cp-79xx',
    aliases: ['79xx', 'legacy', '7942', '7945', '7962', '7965', '7975'],
    description: 'legacy 79xx (SCCP/SIP, TLS 1.0 only, RSA only, TLS_RSA_WITH_AES_128_CBC_SHA)',
    source: '[inferred] 79xx firmware offers TLS 1.0 with the RFC 3261 suite only (research anchors 4, 8.8)',
    steps: [{ label: 'TLS 1.0, AES128-SHA', versions: ['TLSv1'], suites: S('AES128-SHA') }],
  },
  {
    id: 'cp-88xx',
    aliases: ['88xx', '8811', '8841', '8845', '8851', '8861', '8865'],
    description: 'current 88xx (TLS 1.2, ECDHE-ECDSA/RSA AES-GCM, then AES128-SHA; retries once with TLS 1.0)',
    source: '[inferred] the four ECDHE GCM suites CUCM pairs with CallManager-ECDSA (research anchors 4), AES128-SHA last',
    steps: [
      {
        label: 'TLS 1.0-1.2, ECDHE GCM then AES128-SHA',
        versions: V10_12,
        suites: S('ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA'),
        groups: NIST,
      },
      { label: 'retry: TLS 1.0, AES128-SHA, TLS_FALLBACK_SCSV', versions: ['TLSv1'], suites: S('AES128-SHA'), fallbackScsv: true },
    ],
  },
  {
    id: 'jabber',
    aliases: ['csf', 'jabber-csf'],
    description: 'Jabber-like soft client (CSF): TLS 1.0-1.2, wide list, ECDHE first',
    source: '[inferred] a desktop OpenSSL-style list restricted to the suites CUCM SIP TLS can negotiate (seed 001 L2267)',
    steps: [
      {
        label: 'TLS 1.0-1.2, wide list',
        versions: V10_12,
        suites: S(
          'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:' +
            'ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:' +
            'ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:' +
            'AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256:AES256-SHA:AES128-SHA',
        ),
        groups: [29, ...NIST],
      },
    ],
  },
];

export interface ResolveOptions {
  /** Versions for a cipher list (default TLS 1.0-1.2, plus 1.3 when the list has TLS 1.3 suites). */
  versions?: readonly TlsVersionName[];
}

/** Every name `--as` takes, for help texts. */
export function profileNames(): string[] {
  return [...PHONE_MODELS.map((m) => `${m.id} (${m.aliases.join(', ')})`), 'a TLS Ciphers preset id or label (CUCM as TLS client)', 'cucm-authenticated', 'a cipher list'];
}

/** A phone model, a CUCM preset, "cucm-authenticated", or a cipher list (names, code points or an OpenSSL string). */
export async function resolveProfile(text: string, opts: ResolveOptions = {}): Promise<ClientProfile> {
  const t = text.trim();
  const k = t.toLowerCase();
  const model = PHONE_MODELS.find((m) => m.id === k || m.aliases.includes(k));
  if (model) return model;
  if (k === 'cucm-authenticated') {
    return {
      id: 'cucm-authenticated',
      description: 'CUCM as TLS client for an Authenticated (NULL-SHA) SIP trunk',
      source: 'engine/tls/presets.ts AUTHENTICATED_MODE_SUITES (seed 001 L1996, L8556)',
      steps: [{ label: 'TLS 1.0-1.2, NULL-SHA only', versions: opts.versions ?? V10_12, suites: AUTHENTICATED_MODE_SUITES, groups: NIST }],
    };
  }
  const preset = findPreset(t.replace(/^preset:/i, ''));
  if (preset) {
    const policy = await buildTlsPolicy({ tlsCiphers: preset.id, deviceSecurityModes: ['encrypted'] });
    return {
      id: `preset:${preset.id}`,
      description: `CUCM as TLS client, TLS Ciphers "${preset.label}"`,
      source: `engine/tls/presets.ts (${preset.seed}); versions from set tls min-version ${policy.minTlsVersion}`,
      steps: [
        {
          label: `TLS ${policy.versions.map((v) => v.replace('TLSv', '')).join('/')}, preset order`,
          versions: opts.versions ?? policy.versions,
          suites: policy.selection.encrypting,
          groups: policy.curves.map((c) => groupCode(c)!),
        },
      ],
    };
  }
  // A cipher list: catalogue names first, else an OpenSSL cipher string expanded by node's OpenSSL.
  // "0xC0,0x2F" is one code point; other commas, colons and spaces separate names.
  const parts = t
    .replace(/0x([0-9a-f]{2})\s*,\s*0x([0-9a-f]{2})/gi, '0x$1$2')
    .split(/[:,\s]+/)
    .filter(Boolean);
  let suites: TlsSuite[];
  if (parts.length && parts.every((p) => findSuite(p))) suites = parts.map((p) => findSuite(p)!);
  else {
    let codes: number[];
    try {
      codes = await expandCipherString(t);
    } catch (e) {
      throw new Error(`--as ${JSON.stringify(text)}: not a phone model (${PHONE_MODELS.map((m) => m.id).join(', ')}), TLS Ciphers preset or cipher list (${(e as Error).message})`);
    }
    suites = codes.map((c) => findSuite(c)).filter((s): s is TlsSuite => !!s);
    if (!suites.length) throw new Error(`--as ${JSON.stringify(text)}: the cipher string selects no suite of the catalogue`);
  }
  const versions = opts.versions ?? (suites.some((s) => s.versions.includes('TLSv1.3')) ? [...V10_12, 'TLSv1.3' as const] : V10_12);
  return {
    id: 'cipher-list',
    description: `cipher list ${suites.map((s) => s.openssl).join(':')}`,
    source: 'command line',
    steps: [{ label: `${versions.join('/')}, given order`, versions, suites }],
  };
}

export interface FallbackOptions {
  timeoutMs: number;
  /** Time allowed for the answer to OPTIONS (default timeoutMs). */
  sipTimeoutMs?: number;
  /** Shares the run's connection bound. */
  limiter?: Limiter;
  /** Send OPTIONS through the confirmed connection (default true). */
  sip?: boolean;
}

async function confirm(target: Target, step: FallbackStep, opts: FallbackOptions): Promise<{ handshake: HandshakeSummary; sip?: SipResult }> {
  const missing = unavailableSuites(step.suites);
  if (missing.length === step.suites.length)
    return { handshake: { outcome: 'unavailable', detail: `node's OpenSSL cannot run ${missing.map((s) => s.openssl).join(', ')}: ServerHello only` } };
  const versions = TLS_VERSIONS.filter((v) => step.versions.includes(v));
  const run = async (): Promise<{ handshake: HandshakeSummary; sip?: SipResult }> => {
    const r = await tlsConnect(target, {
      suites: step.suites,
      minVersion: versions[0]!,
      maxVersion: versions[versions.length - 1]!,
      ...(step.groups ? { ecdhCurve: step.groups.map(groupName).join(':') } : {}),
      timeoutMs: opts.timeoutMs,
    });
    if (!r.ok || !r.socket) return { handshake: { outcome: 'failed', detail: r.error ?? 'handshake failed' } };
    try {
      const handshake: HandshakeSummary = {
        outcome: 'completed',
        ...(r.protocol ? { protocol: r.protocol } : {}),
        ...(r.suite ? { suite: r.suite } : {}),
        ...(r.certificate ? { certificate: r.certificate.label } : {}),
        detail: `${r.protocol} ${r.suite}${r.certificate ? `, ${r.certificate.label}` : ''}`,
      };
      if (opts.sip === false) return { handshake };
      return { handshake, sip: await sipCheck(r.socket, target, { method: 'OPTIONS', timeoutMs: opts.sipTimeoutMs ?? opts.timeoutMs }) };
    } finally {
      r.socket.destroy();
    }
  };
  return opts.limiter ? opts.limiter.run(run) : run();
}

async function attempt(target: Target, step: FallbackStep, opts: FallbackOptions): Promise<FallbackAttempt> {
  const offer = { versions: step.versions.map(String), suites: step.suites.map((s) => s.openssl), fallbackScsv: !!step.fallbackScsv };
  const hello = { versions: step.versions, suites: step.suites.map((s) => s.code), ...(step.groups ? { groups: step.groups } : {}), ...(step.fallbackScsv ? { fallbackScsv: true } : {}) };
  const ask = () => rawProbe(target, hello, { timeoutMs: opts.timeoutMs });
  const r = await (opts.limiter ? opts.limiter.run(ask) : ask());
  const fail = (detail: string): FallbackAttempt => ({ label: step.label, offer, outcome: 'failure', detail });
  const f = r.flight;
  if (r.outcome !== 'server-hello' || !f.serverHello) {
    const alert = r.outcome === 'alert' ? f.alert!.name : undefined;
    const why =
      alert === 'protocol_version'
        ? `server refuses ${step.versions.join('/')} (alert protocol_version)`
        : alert === 'handshake_failure' || alert === 'insufficient_security'
          ? `no suite in common: server refuses ${offer.suites.join(', ')} (alert ${alert})`
          : alert === 'inappropriate_fallback'
            ? 'server detected the downgrade retry (alert inappropriate_fallback, RFC 7507)'
            : refusalOf(r);
    return fail(why);
  }
  const sh = f.serverHello;
  if (sh.helloRetryRequest) return fail(`server asks for group ${sh.keyShare ? groupName(sh.keyShare.group) : '?'} (HelloRetryRequest), which the client does not offer`);
  if (!f.version || !step.versions.includes(f.version)) return fail(`server chose ${formatVersion(sh.versionCode)}, which the client does not support (${step.versions.join(', ')})`);
  const suite = step.suites.find((s) => s.code === sh.suite);
  if (!suite) return fail(`server chose ${suiteName(sh.suite)}, which the client did not offer`);
  const leaf = f.certificates?.[0];
  const certificate = leaf ? summarizeCertificate(leaf, f.certificates!.length - 1) : undefined;
  if (certificate?.curve && step.groups && !step.groups.some((g) => groupName(g) === certificate.curve))
    return { ...fail(`server sent an ECDSA ${certificate.curve} certificate; the client supports ${step.groups.map(groupName).join(', ')}`), certificate };
  const base: FallbackAttempt = {
    label: step.label,
    offer,
    outcome: 'success',
    version: f.version,
    suite: suite.openssl,
    ...(certificate ? { certificate } : {}),
    detail: `${f.version} ${suite.openssl}${certificate ? ` with ${certificate.label} (${certificate.subject})` : ''}`,
  };
  const c = await confirm(target, step, opts);
  const confirmed: FallbackAttempt = { ...base, handshake: c.handshake, ...(c.sip ? { sip: c.sip } : {}) };
  if (c.handshake.outcome === 'failed') return { ...confirmed, outcome: 'failure', detail: `${base.detail} chosen, but the handshake failed: ${c.handshake.detail}` };
  return confirmed;
}

export async function simulateFallback(target: Target, profile: ClientProfile, opts: FallbackOptions): Promise<FallbackReport> {
  const attempts: FallbackAttempt[] = [];
  for (const step of profile.steps) {
    const a = await attempt(target, step, opts);
    attempts.push(a);
    if (a.outcome === 'success') break;
  }
  const last = attempts[attempts.length - 1]!;
  const ok = last.outcome === 'success';
  const sipNote = last.sip ? `; SIP OPTIONS: ${last.sip.detail}` : '';
  return {
    profile: profile.id,
    description: profile.description,
    attempts,
    outcome: ok ? 'success' : 'failure',
    summary: ok
      ? `${last.detail}${attempts.length > 1 ? ` (after ${attempts.length - 1} failed attempt(s))` : ''}${sipNote}`
      : `fails: ${attempts.map((a) => `${a.label}: ${a.detail}`).join('; ')}`,
  };
}
