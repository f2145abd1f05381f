// Fault injection: cluster-side faults through engine/cluster (tampered ITL per phone, expired or wrong certificates
// on TLS doors, CAPF refusals, services down), phone-side ones here (an LSC or MIC from an unknown issuer or expired,
// a narrower TLS/SRTP offer, corrupted or replayed SRTP packets on a call). Each fault stays until `clearFault`.
import { PORT_PURPOSES, type CertificateFaultPort } from '../../engine/cluster/index.js';
import { parseCertificate, signCertificate, nameFromDer } from '../../engine/pki/certificates.js';
import { generateKey } from '../../engine/pki/keys.js';
import type { FaultSpec, FaultStep, ClearFaultStep, StepContext, StepObservation } from '../model.js';
import { registerPhone } from './phone-actions.js';
import { clusterOf, phoneOf, type ActiveFault, type PhoneHandle, type World } from './world.js';

/** Downloads a tampered-ITL fault covers (until cleared). */
const TAMPER_COUNT = 1_000_000;

/** A certificate for the phone's own identity that the cluster cannot accept: another key (unknown issuer) or expired. */
async function forgedPhoneCertificate(p: PhoneHandle, which: 'lsc' | 'mic', kind: 'wrong' | 'expired'): Promise<NonNullable<PhoneHandle['override']['clientCertificate']>> {
  const held = which === 'lsc' ? p.phone.lsc : p.phone.mic;
  if (!held) throw new Error(`phone ${p.name} has no ${which.toUpperCase()} to replace`);
  const cur = parseCertificate(held.der);
  const keyType = held.privateKey.asymmetricKeyType === 'ec' ? 'EC' : 'RSA';
  const keySize = keyType === 'EC' ? 256 : 2048;
  const now = Date.now();
  const keys = kind === 'expired' ? { privateKey: held.privateKey, publicKey: cur.x509.publicKey } : await generateKey(keyType, keySize);
  const cert = signCertificate({
    subject: nameFromDer(cur.subjectNameDer),
    subjectPublicKey: keys.publicKey,
    signingKey: keys.privateKey,
    hash: 'SHA256',
    notBefore: kind === 'expired' ? new Date(now - 5 * 365 * 86_400_000) : new Date(now - 3600_000),
    notAfter: kind === 'expired' ? new Date(now - 86_400_000) : new Date(now + 365 * 86_400_000),
    extensions: { keyUsage: ['digitalSignature', 'keyEncipherment'], extendedKeyUsage: ['clientAuth', 'serverAuth'] },
  });
  return { certificate: cert.der, privateKey: keys.privateKey, label: which.toUpperCase(), kind: which };
}

/** The phones a fault names, or every phone of its cluster. */
function affected(w: World, f: FaultSpec): PhoneHandle[] {
  const names = f.phones.length ? f.phones : [...w.phones.values()].filter((p) => p.cluster.name === f.cluster).map((p) => p.name);
  return names.map((n) => phoneOf(w, n));
}

/** Registered phones pick up a changed offer by registering again (their user agent is rebuilt). */
async function reregister(w: World, phones: PhoneHandle[], ctx: StepContext): Promise<void> {
  for (const p of phones) if (p.phone.sip?.registered) await registerPhone(w, p, ctx);
}

async function inject(w: World, f: FaultSpec, ctx: StepContext): Promise<ActiveFault['clear']> {
  const h = clusterOf(w, f.cluster);
  const c = h.cluster;
  switch (f.type) {
    case 'tampered-itl': {
      const names = f.phones.length ? affected(w, f).map((p) => `ITLSEP${p.spec.mac}.tlv`) : ['ITLFile.tlv', ...affected(w, f).map((p) => `ITLSEP${p.spec.mac}.tlv`)];
      for (const n of names) await c.tamperNextFile(n, { mode: f.tamper ?? 'signature', count: TAMPER_COUNT });
      return () => c.clearFaults('tampered-file');
    }
    case 'expired-certificate':
    case 'wrong-certificate': {
      const kind = f.type === 'expired-certificate' ? 'expired' : 'wrong';
      const cert = f.certificate!;
      if (cert === 'lsc' || cert === 'mic') {
        const phones = affected(w, f);
        for (const p of phones) p.override.clientCertificate = await forgedPhoneCertificate(p, cert, kind);
        return async () => {
          for (const p of phones) delete p.override.clientCertificate;
        };
      }
      const ports = f.port ? [f.port] : (Object.entries(PORT_PURPOSES) as [CertificateFaultPort, readonly string[]][]).filter(([, ps]) => ps.includes(cert)).map(([port]) => port);
      if (!ports.length) throw new Error(`no TLS door presents the ${cert} certificate`);
      for (const port of ports) await c.serveCertificate(port, kind);
      h.endpoints = c.endpoints();
      return async () => {
        for (const port of ports) await c.serveCertificate(port, 'normal');
        h.endpoints = c.endpoints();
      };
    }
    case 'cipher-mismatch': {
      const phones = affected(w, f);
      for (const p of phones) {
        if (f.tlsSuites) p.override.tlsSuites = f.tlsSuites;
        if (f.srtpSuites) p.override.srtpSuites = f.srtpSuites;
      }
      await reregister(w, phones, ctx);
      return async () => {
        for (const p of phones) {
          delete p.override.tlsSuites;
          delete p.override.srtpSuites;
        }
        await reregister(w, phones, ctx);
      };
    }
    case 'capf-refusal': {
      if (f.reason === 'publisher-down') {
        await c.stopServices(['Cisco Certificate Authority Proxy Function']);
        return async () => {
          await c.startServices(['Cisco Certificate Authority Proxy Function']);
        };
      }
      for (const p of affected(w, f)) c.refuseCapf(p.name, f.reason!);
      return () => c.clearFaults('capf-refusal');
    }
    case 'service-down': {
      const service = f.service!;
      await c.stopServices([service]);
      return async () => {
        await c.startServices([service]);
        h.endpoints = c.endpoints();
      };
    }
    case 'packet-corruption': {
      const every = Math.max(1, Math.round(1 / (f.rate ?? 0.01)));
      const target = f.corrupt ?? 'auth-tag';
      const senders = new Set<PhoneHandle>();
      const named = new Set(f.phones);
      for (const id of f.calls ?? []) {
        const call = w.calls.get(id);
        if (!call) throw new Error(`no call "${id}" was placed`);
        const sides = [call.from, ...(call.to ? [call.to] : [])];
        const hit = sides.filter((p) => !named.size || named.has(p.name));
        for (const p of hit) {
          const other = sides.find((x) => x !== p);
          if (f.direction !== 'sent' && other) senders.add(other);
          if (f.direction !== 'received') senders.add(p);
        }
      }
      for (const p of senders) p.corruption = { active: true, every, target };
      return async () => {
        for (const p of senders) p.corruption = { active: false, every: 0, target };
      };
    }
  }
}

export async function faultStep(w: World, step: FaultStep, ctx: StepContext): Promise<StepObservation> {
  const f = step.fault;
  if (w.faults.has(f.id)) throw new Error(`fault "${f.id}" is already active`);
  const clear = await inject(w, f, ctx);
  w.faults.set(f.id, { spec: f, clear });
  ctx.log.info(`fault ${f.id} (${f.type}) injected on ${f.cluster}`);
  return { outcome: 'ok', subjects: [] };
}

export async function clearFaultStep(w: World, step: ClearFaultStep, ctx: StepContext): Promise<StepObservation> {
  const ids = step.faults.length ? step.faults : [...w.faults.keys()];
  for (const id of ids) {
    const f = w.faults.get(id);
    if (!f) {
      ctx.log.warn(`clearFault: fault "${id}" is not active`);
      continue;
    }
    w.faults.delete(id);
    await f.clear();
    ctx.log.info(`fault ${id} cleared`);
  }
  return { outcome: 'ok', subjects: [] };
}
