// A scenario's phone as an emulated Phone: its model (endpoints/models), a MIC from the cluster's emulated Cisco
// manufacturing CA (unless the scenario or the model says it has none), an LSC issued by the cluster's CAPF when the
// scenario says the phone is already enrolled (written into the phone's flash before it opens), a state directory of
// its own, and its TFTP server. CAPF runs through a gate the runner opens in `enroll` steps only, so a boot never
// enrolls behind the scenario's back.
import { generateKeyPair, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import type { EmbeddedCluster } from '../../engine/cluster/index.js';
import { builtinModels, engineCapfPort, Phone, PHONE_FILE, manufacturingIdentity, type CapfPort, type MicInput, type ModelProfile } from '../../endpoints/index.js';
import { readJsonState, writeJsonState } from '../../endpoints/store/state-file.js';
import type { PhoneCertificateSpec, PhoneSpec } from '../model.js';
import type { CapfGate, ClusterHandle, PhoneHandle } from './world.js';

/** The phone's flash format (endpoints/phone.ts): only what the runner seeds. */
const PHONE_FORMAT = 'trustline-phone';

const generate = promisify(generateKeyPair);

/** A key pair off the event loop (RSA generation is the slow part of opening many phones). */
function keyPair(c: PhoneCertificateSpec): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (c.keyType === 'EC') return generate('ec', { namedCurve: c.keySize === 521 ? 'secp521r1' : c.keySize === 384 ? 'secp384r1' : 'prime256v1' });
  return generate('rsa', { modulusLength: c.keySize });
}

/** The model of a scenario phone ("8865", "legacy", "Jabber" …). */
export function modelOf(spec: PhoneSpec): ModelProfile {
  return builtinModels.get(spec.model);
}

/** The phone's SRTP suites: the scenario's `offer.srtpSuites`, else the model's. */
export function srtpSuitesOf(spec: PhoneSpec, model: ModelProfile): SrtpSuiteName[] {
  return [...(spec.offer.srtpSuites ?? model.srtp.suites)];
}

/** A CAPF client that only runs while the gate is open; otherwise the phone is told to try later. */
export function gatedCapfPort(gate: CapfGate, port: CapfPort = engineCapfPort({ retries: 0, retryDelayMs: 0, messageTimeoutMs: 10_000, connectTimeoutMs: 5_000 })): CapfPort {
  return {
    enroll: (req) => (gate.open ? port.enroll(req) : Promise.resolve({ status: 'retry-later', detail: 'deferred: the scenario runs CAPF in its enroll steps' })),
  };
}

async function micFor(spec: PhoneSpec, model: ModelProfile, cluster: EmbeddedCluster): Promise<MicInput | undefined> {
  if (spec.certificates.mic === null || !model.certificates.mic) return undefined;
  const m = spec.certificates.mic;
  if (!m) return manufacturingIdentity(cluster.pki, spec.mac, model);
  const now = m.expired ? new Date(Date.now() - 30 * 365 * 86_400_000) : undefined;
  const mic = await cluster.pki.issueManufacturingCertificate(spec.deviceName, m.keyType, { model: model.modelNumber, keySize: m.keySize, ...(now ? { now } : {}) });
  return { certificate: mic.certificate.der, privateKey: mic.privateKey, chainPems: mic.chainPems };
}

/** Issues the LSC of a phone the scenario says is already enrolled, and writes it into the phone's flash. */
async function seedLsc(stateDir: string, spec: PhoneSpec, cluster: EmbeddedCluster): Promise<void> {
  const c = spec.certificates.lsc;
  if (!c) return;
  if (c.expired) throw new Error(`phone ${spec.name}: certificates.lsc.expired is not supported yet (CAPF issues LSCs valid from now)`);
  const { privateKey, publicKey } = await keyPair(c);
  const lsc = await cluster.pki.issueLsc({ deviceName: spec.deviceName, publicKey });
  const path = join(stateDir, PHONE_FILE);
  const state = await readJsonState(path, PHONE_FORMAT, (v) => v);
  if (!state) throw new Error(`phone ${spec.name}: ${path} was not written`);
  state.lsc = { certificate: new X509Certificate(lsc.der).toString(), privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), installedAt: new Date().toISOString() };
  const { format: _f, ...rest } = state as Record<string, unknown> & { format?: unknown };
  await writeJsonState(path, PHONE_FORMAT, rest);
}

export interface OpenPhoneOptions {
  spec: PhoneSpec;
  cluster: ClusterHandle;
  stateDir: string;
  /** Host names → addresses (every cluster's publisher name and FQDN). */
  hosts: Record<string, string>;
}

/** Opens a scenario phone against its cluster (MIC, seeded LSC, CAPF gate, trust decisions collected). */
export async function openPhone(o: OpenPhoneOptions): Promise<PhoneHandle> {
  const { spec, cluster } = o;
  const model = modelOf(spec);
  mkdirSync(o.stateDir, { recursive: true });
  const mic = await micFor(spec, model, cluster.cluster);
  const gate: CapfGate = { open: false };
  const options = {
    mac: spec.mac,
    model,
    stateDir: o.stateDir,
    deviceName: spec.deviceName,
    tftp: cluster.endpoints.fileServer,
    capf: gatedCapfPort(gate),
    hosts: o.hosts,
    timeouts: { fileMs: 5000, tvsConnectMs: 2000, tvsResponseMs: 3000, tftpRetransmitMs: 500 },
  };
  let phone = await Phone.open({ ...options, ...(mic ? { mic } : {}) });
  if (spec.certificates.lsc) {
    await seedLsc(o.stateDir, spec, cluster.cluster);
    phone = await Phone.open(options);
  }
  const handle: PhoneHandle = {
    name: spec.name,
    spec,
    phone,
    model,
    cluster,
    capf: gate,
    hosts: o.hosts,
    trustSince: [],
    srtpSuites: srtpSuitesOf(spec, model),
    override: {},
    wantsRegistration: false,
    door: 'tftp',
    corruption: { active: false, every: 0, target: 'auth-tag' },
  };
  await reopenPhone(handle, 'tftp');
  return handle;
}

export type ConfigDoor = PhoneHandle['door'];

/** The model as the boot's door makes it behave: TFTP only, HTTP 6970 only, or its own order (HTTPS 6971 first). */
export function modelForDoor(base: ModelProfile, door: ConfigDoor): ModelProfile {
  if (door === 'tftp' || door === 'http-6970') return { ...base, config: { ...base.config, transports: [door === 'tftp' ? 'tftp' : 'http'], https6971: false } };
  return base;
}

/** The file server the phone is given (DHCP option 150): for door https-6972 its HTTPS requests go to Tomcat. */
export function fileServerForDoor(cluster: ClusterHandle, door: ConfigDoor): Phone['tftpServer'] {
  const fs = cluster.endpoints.fileServer;
  if (door === 'https-6972' && cluster.endpoints.https6972) return { ...fs, https6971Port: cluster.endpoints.https6972.port };
  return fs;
}

/**
 * Opens the phone again from its flash with another door or TFTP server (the Phone object fixes both at open).
 * The SIP user agent must be closed first; the trust listener moves to the new object.
 */
export async function reopenPhone(h: PhoneHandle, door: ConfigDoor = h.door): Promise<void> {
  const phone = await Phone.open({
    mac: h.spec.mac,
    model: modelForDoor(h.model, door),
    stateDir: h.phone.stateDir,
    deviceName: h.spec.deviceName,
    tftp: fileServerForDoor(h.cluster, door),
    capf: gatedCapfPort(h.capf),
    hosts: h.hosts,
    timeouts: { fileMs: 5000, tvsConnectMs: 2000, tvsResponseMs: 3000, tftpRetransmitMs: 500 },
  });
  phone.trust.onEvent((e) => h.trustSince.push(e));
  h.phone = phone;
  h.door = door;
}
