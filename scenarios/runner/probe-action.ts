// `probe`: one TLS handshake with a chosen ClientHello (suites, versions, optionally a phone's MIC or LSC) against a
// cluster door, and what came back: accepted with version, suite and the certificate the server chose, or refused
// with the reason. Ports are CUCM's numbers (5061, 6971, 6972, 2445, 3804), mapped to where the cluster listens.
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { findSuite, getSuite, type TlsVersionName } from '../../ciphers/tls/suite-catalogue.js';
import type { ObservedTls, ProbeStep, StepContext, StepObservation } from '../model.js';
import { certificatePurpose } from './facts.js';
import { clusterOf, phoneOf, type ClusterHandle, type World } from './world.js';

function portOf(h: ClusterHandle, port: number): number {
  const e = h.endpoints;
  const map: Record<number, number | undefined> = { 5061: e.sip.tls?.port, 6971: e.https6971?.port, 6972: e.https6972?.port, 2445: e.tvs?.port, 3804: e.capf?.port };
  const p = map[port];
  if (!p) throw new Error(`cluster ${h.name} has no TLS door for port ${port} (known: ${Object.keys(map).join(', ')})`);
  return p;
}

const ORDER: TlsVersionName[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What the SIP TLS listener recorded of the probe's connection. It refuses a missing or unknown client certificate
 * after the handshake by closing, which a client may see before its own Finished arrives: the server's record tells
 * whether the handshake itself was accepted (version, suite, certificate served) and at which stage it refused.
 */
async function serverView(h: ClusterHandle, localPort: number | undefined, client: ObservedTls, clientCertificate: ObservedTls['clientCertificate']): Promise<ObservedTls> {
  const listener = h.cluster.sipServer?.transport.secureListeners[0];
  if (!listener || localPort === undefined) return client;
  let rec = listener.records.find((r) => r.remote.endsWith(`:${localPort}`));
  for (let i = 0; i < 20 && (!rec || rec.outcome === 'pending'); i++) {
    await pause(10);
    rec = listener.records.find((r) => r.remote.endsWith(`:${localPort}`));
  }
  if (!rec?.protocol || !rec.suite) return client.outcome === 'refused' && rec?.refusal ? { ...client, refusal: `${rec.refusal.stage}: ${rec.refusal.reason}` } : client;
  const purpose = rec.certificate ? (certificatePurpose(h.cluster, undefined, rec.certificate.subject) ?? (rec.certificate.type === 'ECDSA' ? 'CallManager-ECDSA' : 'CallManager')) : undefined;
  const ecdsa = rec.certificate?.type === 'ECDSA';
  return {
    outcome: 'accepted',
    version: rec.protocol,
    suite: rec.suite.iana,
    ...(purpose ? { certificate: ecdsa && purpose === 'CallManager' ? 'CallManager-ECDSA' : purpose } : {}),
    ...(rec.certificate ? { certificateType: rec.certificate.type } : {}),
    ...(clientCertificate ? { clientCertificate } : {}),
  };
}

export async function probeStep(w: World, step: ProbeStep, ctx: StepContext): Promise<StepObservation> {
  const h = clusterOf(w, step.cluster);
  const port = portOf(h, step.port);
  const suites = (step.tlsSuites ?? []).map((s) => getSuite(s));
  const versions = [...step.tlsVersions].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  const old = versions[0] !== 'TLSv1.2' && versions[0] !== 'TLSv1.3';
  const nul = suites.some((s) => s.nullCipher);
  const ciphers = suites.length ? suites.map((s) => s.openssl).join(':') : 'ALL:!aNULL';
  let cert: { key: tls.SecureContextOptions['key']; cert: string } | undefined;
  if (step.clientCertificate !== 'none' && step.phone) {
    const p = phoneOf(w, step.phone);
    const held = step.clientCertificate === 'lsc' ? p.phone.lsc : p.phone.mic;
    if (!held) throw new Error(`phone ${step.phone} has no ${step.clientCertificate.toUpperCase()}`);
    cert = { key: held.privateKey.export({ type: 'pkcs8', format: 'pem' }), cert: new X509Certificate(held.der).toString() };
  }
  let localPort: number | undefined;
  const client: ObservedTls = await new Promise<ObservedTls>((resolve) => {
    let settled = false;
    const done = (t: ObservedTls) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(t);
    };
    const socket = tls.connect({
      host: h.address,
      port,
      ciphers: ciphers + (old || nul ? ':@SECLEVEL=0' : ''),
      minVersion: versions[0]!,
      maxVersion: versions.at(-1)!,
      rejectUnauthorized: false,
      ...(cert ? cert : {}),
    });
    socket.once('connect', () => (localPort = socket.localPort));
    const timer = setTimeout(() => done({ outcome: 'refused', refusal: 'no answer within 5 s' }), 5000);
    socket.once('secureConnect', () => {
      const c = socket.getCipher();
      const peer = socket.getPeerX509Certificate();
      const suite = findSuite(c.standardName ?? c.name);
      const purpose = peer ? certificatePurpose(h.cluster, peer.fingerprint256, peer.subject) : undefined;
      done({
        outcome: 'accepted',
        version: socket.getProtocol() ?? c.version,
        ...(suite ? { suite: suite.iana } : { suite: c.standardName ?? c.name }),
        ...(purpose ? { certificate: purpose } : {}),
        ...(peer ? { certificateType: peer.publicKey.asymmetricKeyType === 'ec' ? 'ECDSA' : 'RSA' } : {}),
        clientCertificate: step.clientCertificate,
      });
    });
    socket.once('error', (e: Error & { code?: string }) => done({ outcome: 'refused', refusal: e.message, clientCertificate: step.clientCertificate }));
  });
  const facts = step.port === 5061 ? await serverView(h, localPort, client, step.clientCertificate) : client;
  ctx.recorder.connection({
    from: 'probe',
    to: `${h.host}:${step.port}`,
    purpose: 'probe',
    outcome: facts.outcome ?? 'refused',
    ...(facts.version ? { version: facts.version } : {}),
    ...(facts.suite ? { suite: facts.suite } : {}),
    ...(facts.certificate ? { certificate: facts.certificate } : {}),
    ...(facts.certificateType ? { certificateType: facts.certificateType } : {}),
    clientCertificate: step.clientCertificate,
    ...(facts.refusal ? { refusal: facts.refusal } : {}),
    stepId: ctx.stepId,
  });
  // The probe itself worked whether the server accepted or refused: that is what it measures.
  return { outcome: 'ok', subjects: [{ subject: 'probe', kind: 'probe', facts: { outcome: 'ok', tls: facts } }] };
}
