// The phone steps: boot (trust lists, configuration, then SIP registration unless `register: false`), register,
// enroll (a boot with the CAPF gate open), reset (restart, reset, reset-security-settings, factory), move (another
// TFTP server, then a boot), and the resets the cluster asks for itself. Each gives one subject per phone with the
// facts `expect:` reads (trust, config, registration, tls, enrollment).
import { join } from 'node:path';
import { phoneTlsOffer, PHONE_FILE, type ClientCredential, type PhoneSipOptions, type RegistrationResult } from '../../endpoints/index.js';
import type { Impairments } from '../../endpoints/media/index.js';
import { readJsonState, writeJsonState } from '../../endpoints/store/state-file.js';
import type { ObservedFacts, StepContext, SubjectObservation } from '../model.js';
import { configFacts, enrollmentFacts, registrationFacts, trustFacts } from './facts.js';
import { reopenPhone, type ConfigDoor } from './phone-setup.js';
import { recordBootConnections, recordRegistration, recordTrust } from './recording.js';
import { closeSip, takeTrust, type ClusterHandle, type PhoneHandle, type World } from './world.js';

const subject = (p: PhoneHandle, facts: ObservedFacts): SubjectObservation => ({ subject: p.name, kind: 'phone', facts });

/** Corrupts (or replays) every n-th packet the phone sends while a packet-corruption fault is on. */
function impairments(p: PhoneHandle): Impairments {
  const hit = (i: number) => p.corruption.active && p.corruption.every > 0 && (i + 1) % p.corruption.every === 0;
  return {
    corrupt: (i) => p.corruption.target !== 'replay' && hit(i),
    duplicate: (i) => p.corruption.target === 'replay' && hit(i),
  };
}

/** The phone's credential for SIP TLS: a fault's forged one, else its LSC, else its MIC. */
function credential(p: PhoneHandle): ClientCredential | undefined {
  if (p.override.clientCertificate) return p.override.clientCertificate;
  const lsc = p.phone.lsc;
  if (lsc) return { certificate: lsc.der, privateKey: lsc.privateKey, label: 'LSC' };
  const mic = p.phone.mic;
  return mic ? { certificate: mic.der, privateKey: mic.privateKey, label: 'MIC', ...(mic.chainPems ? { chainPems: mic.chainPems } : {}) } : undefined;
}

/** Registration options: the run's defaults, the phone's SRTP suites, and a SIP TLS offer when the scenario changes it. */
function sipOptions(w: World, p: PhoneHandle): PhoneSipOptions {
  const o: PhoneSipOptions = { ...w.sipDefaults, srtpSuites: p.override.srtpSuites ?? p.srtpSuites, media: { ...w.sipDefaults.media, impair: impairments(p), ...(w.capture ? { capture: w.capture.packet } : {}) } };
  const ready = p.lastBoot?.ready;
  const suites = p.override.tlsSuites ?? p.spec.offer.tlsSuites;
  const versions = p.spec.offer.tlsVersions;
  if (ready?.transport === 'TLS' && (suites || versions || p.override.clientCertificate)) {
    const model = {
      ...p.model,
      tls: { ...p.model.tls, ...(suites ? { suites, authenticatedSuites: suites } : {}), ...(versions ? { versions, fallback: versions.length > 1 ? p.model.tls.fallback : ('none' as const) } : {}) },
    };
    const c = ready.config;
    const cred = credential(p);
    o.tlsOffer = phoneTlsOffer({
      model,
      purpose: 'sip',
      mode: ready.securityMode === 'authenticated' ? 'authenticated' : 'encrypted',
      ...(c.disableTlsCiphers ? { disableTlsCiphers: c.disableTlsCiphers } : {}),
      ...(c.tls12Only !== undefined ? { tls12Only: c.tls12Only } : {}),
      ...(cred ? { clientCertificate: cred } : {}),
    });
  }
  return o;
}

export interface PhoneStepResult {
  subject: SubjectObservation;
  ok: boolean;
}

/** REGISTER with what the last boot gave (a fresh user agent and connection). */
export async function registerPhone(w: World, p: PhoneHandle, ctx: StepContext): Promise<PhoneStepResult> {
  const boot = p.lastBoot;
  if (!boot?.ready) {
    const reason = boot ? `not registered: the boot ended at ${boot.failedStep}: ${boot.reason}` : 'not registered: the phone has not booted';
    return { ok: false, subject: subject(p, { outcome: 'failed', reason, registration: { outcome: 'failed' } }) };
  }
  await closeSip(w, p);
  takeTrust(p);
  let r: RegistrationResult;
  try {
    r = await p.phone.register(sipOptions(w, p));
  } catch (e) {
    return { ok: false, subject: subject(p, { outcome: 'failed', reason: (e as Error).message, registration: { outcome: 'failed' } }) };
  }
  const events = takeTrust(p);
  recordTrust(ctx, p.name, events);
  const facts: ObservedFacts = { ...registrationFacts(r, p.cluster.cluster) };
  const trust = trustFacts(events);
  if (trust) facts.trust = trust;
  recordRegistration(ctx, p, r, facts);
  const ok = r.outcome === 'registered';
  facts.outcome = ok ? 'ok' : 'failed';
  if (!ok) facts.reason = r.reason;
  return { ok, subject: subject(p, facts) };
}

function merge(a: ObservedFacts, b: ObservedFacts): ObservedFacts {
  const out: ObservedFacts = { ...a, ...b };
  if (a.trust || b.trust) out.trust = { ...a.trust, ...b.trust };
  return out;
}

/**
 * Power cycle: the SIP user agent closes (calls end, registration drops), the phone boots against its TFTP server
 * through `door`, then registers when asked. `capf: true` opens the CAPF gate for this boot (an enroll step).
 */
export async function bootPhone(w: World, p: PhoneHandle, ctx: StepContext, o: { register: boolean; door?: ConfigDoor; capf?: boolean }): Promise<PhoneStepResult & { facts: ObservedFacts }> {
  await closeSip(w, p);
  if (o.door && o.door !== p.door) await reopenPhone(p, o.door);
  takeTrust(p);
  p.capf.open = o.capf === true;
  let boot;
  try {
    boot = await p.cluster.boots.run(() => p.phone.boot());
  } finally {
    p.capf.open = false;
  }
  p.lastBoot = boot;
  const events = takeTrust(p);
  recordTrust(ctx, p.name, events);
  recordBootConnections(ctx, p, boot, p.door === 'https-6972' ? p.cluster.endpoints.https6972?.port : undefined);
  const facts: ObservedFacts = {};
  const trust = trustFacts(events, boot);
  if (trust) facts.trust = trust;
  const config = configFacts(boot, p.door === 'https-6972' ? 'https-6972' : 'https-6971');
  if (config) facts.config = config;
  const https = boot.events.filter((e): e is Extract<typeof e, { type: 'fetch' }> => e.type === 'fetch' && !!e.tls?.protocol && e.status === 'ok').at(-1);
  if (https?.tls) {
    const t = https.tls;
    const purpose = t.serverKeyType === 'ec' ? (p.door === 'https-6972' ? 'tomcat-ECDSA' : 'CallManager-ECDSA') : p.door === 'https-6972' ? 'tomcat' : 'CallManager';
    facts.tls = {
      outcome: 'accepted',
      ...(t.protocol ? { version: t.protocol } : {}),
      ...(t.suite ? { suite: t.suite } : {}),
      certificate: purpose,
      certificateType: t.serverKeyType === 'ec' ? 'ECDSA' : 'RSA',
      clientCertificate: t.clientCertificate?.toLowerCase() === 'lsc' ? 'lsc' : t.clientCertificate ? 'mic' : 'none',
    };
  }
  // A phone whose configuration it cannot use for SIP (an encrypted profile without certificate) has still booted.
  const booted = boot.status === 'ready' || boot.failedStep === 'ready';
  if (!o.register) {
    facts.outcome = booted ? 'ok' : 'failed';
    facts.reason = boot.status === 'ready' ? boot.reason : `the boot ended at ${boot.failedStep}: ${boot.reason}`;
    return { ok: booted, subject: subject(p, facts), facts };
  }
  const reg = await registerPhone(w, p, ctx);
  const all = merge(facts, reg.subject.facts);
  if (facts.tls && !reg.subject.facts.tls) all.tls = facts.tls;
  return { ok: reg.ok, subject: subject(p, all), facts: all };
}

/** Who signed the LSC the cluster recorded for a device: its CAPF, the online CA, else (an imported one) the offline CA. */
function lscIssuer(h: ClusterHandle, deviceName: string): 'capf' | 'online-ca' | 'offline-ca' {
  const c = h.cluster;
  const lsc = c.pki.lsc(deviceName)?.certificate;
  if (!lsc) return c.config.capf.certificateIssuer;
  if (lsc.issuer === c.pki.certificate('CAPF').certificate.subject) return 'capf';
  if (c.onlineCa && lsc.issuer === c.onlineCa.certificate.subject) return 'online-ca';
  return 'offline-ca';
}

/** The phone's CAPF session: a boot whose configuration asks for a certificate operation, CAPF allowed. */
export async function enrollPhone(w: World, p: PhoneHandle, ctx: StepContext, o: { authString?: string; reregister: boolean }): Promise<PhoneStepResult> {
  if (o.authString !== undefined) await p.phone.enterAuthString(o.authString);
  const r = await bootPhone(w, p, ctx, { register: false, capf: true });
  const boot = p.lastBoot!;
  const device = p.cluster.cluster.device(p.name);
  const profile = device ? p.cluster.cluster.config.phoneProfiles[device.profile] : undefined;
  const authMode = device?.capf.authMode ?? profile?.authMode;
  const enrollment = enrollmentFacts(boot, authMode, lscIssuer(p.cluster, p.spec.deviceName));
  const ok = enrollment.outcome === 'issued';
  const facts: ObservedFacts = { outcome: ok ? 'ok' : 'failed', ...(ok ? {} : { reason: enrollment.reason ?? 'no LSC issued' }), enrollment };
  if (r.facts.trust?.capfCertificate) facts.trust = { capfCertificate: r.facts.trust.capfCertificate };
  // After CAPF the phone resets and registers again (001 L6082).
  if (o.reregister && boot.ready) await registerPhone(w, p, ctx);
  return { ok, subject: subject(p, facts) };
}

export type ResetType = 'restart' | 'reset' | 'reset-security-settings' | 'factory';

/** A reset from the administrator (or the phone's settings menu): the cluster forgets the pending reset, the phone reboots. */
export async function resetPhone(w: World, p: PhoneHandle, ctx: StepContext, type: ResetType, o: { tellCluster?: boolean } = {}): Promise<PhoneStepResult> {
  if (o.tellCluster !== false && p.cluster.cluster.device(p.name)) await p.cluster.cluster.resetPhones([p.name], `${type} (scenario step ${ctx.stepId})`);
  if (type === 'reset-security-settings' || type === 'factory') {
    await closeSip(w, p);
    await p.phone.resetSecuritySettings();
  }
  if (type === 'factory') {
    const path = join(p.phone.stateDir, PHONE_FILE);
    const state = await readJsonState(path, 'trustline-phone', (v) => v);
    if (state) {
      const { format: _f, lsc: _l, authString: _a, manualKey: _m, lastConfig: _c, ...rest } = state as Record<string, unknown>;
      await writeJsonState(path, 'trustline-phone', { ...rest, encryptedConfigExpected: false });
    }
    await reopenPhone(p);
  }
  const r = await bootPhone(w, p, ctx, { register: p.wantsRegistration });
  return { ok: r.ok, subject: r.subject };
}

/** DHCP option 150 now names another cluster: the phone keeps its trust and boots there, then registers. */
export async function movePhone(w: World, p: PhoneHandle, to: ClusterHandle, ctx: StepContext): Promise<PhoneStepResult> {
  await closeSip(w, p);
  p.cluster = to;
  await reopenPhone(p);
  p.wantsRegistration = true;
  const r = await bootPhone(w, p, ctx, { register: true });
  return { ok: r.ok, subject: r.subject };
}

/**
 * The resets a cluster operation queued for itself ("Phone Interaction on Certificate Update: auto-reset", Prepare
 * Cluster for Rollback): the phones on that cluster that have booted reset now, and register again if they were.
 */
export async function automaticResets(w: World, h: ClusterHandle, ctx: StepContext, concurrency = 16): Promise<SubjectObservation[]> {
  const pending = h.cluster.pendingPhoneResets().filter((r) => r.automatic);
  if (!pending.length) return [];
  const names = new Set(pending.map((r) => r.device.toUpperCase()));
  const phones = [...w.phones.values()].filter((p) => p.cluster === h && p.lastBoot && names.has(p.spec.deviceName.toUpperCase()));
  await h.cluster.resetPhones([...new Set(pending.map((r) => r.device))].filter((d) => h.cluster.device(d)), 'automatic reset (Phone Interaction on Certificate Update)');
  const out: SubjectObservation[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, phones.length) }, async () => {
      while (next < phones.length) {
        const p = phones[next++]!;
        out.push((await resetPhone(w, p, ctx, 'reset', { tellCluster: false })).subject);
      }
    }),
  );
  return out;
}
