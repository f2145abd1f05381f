// A scenario's cluster as an EmbeddedCluster: the scenario's cluster section, profiles and phones mapped onto the
// cluster configuration (the names are the same, field for field), created in the run's state directory, started on
// OS-chosen ports of its own loopback address, with the B2BUA plugged into its SIP server. Creating a PKI is the slow
// part (RSA keys), so one template per PKI identity (host, domain, nodes, FIPS, key parameters) is made per process
// and copied.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { B2bua, type LineMediaProfile } from '../../engine/calls/index.js';
import { EmbeddedCluster, type ClusterConfigInput, type DeviceInput, type PhoneProfileInput } from '../../engine/cluster/index.js';
import { OPTIONAL_PURPOSES, PURPOSE_RULES, type Purpose } from '../../engine/pki/index.js';
import type { EnterpriseCa } from '../../engine/pki/enterprise-ca.js';
import type { PhoneDevice } from '../../engine/sip/index.js';
import type { ClusterSpec, ScenarioPlan } from '../model.js';
import { newRoutePlan, trunkConfigFor, unsupportedTrunkFeatures } from './trunk-wiring.js';
import { Semaphore, type ClusterHandle } from './world.js';

/** Phones booting at once per cluster (below the TFTP service's 8 transfers per client address). */
const BOOTS_PER_CLUSTER = 6;

const EPHEMERAL = { sipUdp: 0, sipTcp: 0, sipTls: 0, tftp: 0, http: 0, https6971: 0, https6972: 0, tvs: 0, capf: 0 } as const;

/** What the embedded cluster cannot do yet, named per cluster so the scenario errors with the reason at setup. */
export function unsupportedClusterFeatures(spec: ClusterSpec, plan: ScenarioPlan): string[] {
  const out: string[] = [];
  for (const c of Object.values(spec.certificates)) {
    if (!c.present && !OPTIONAL_PURPOSES.includes(c.purpose)) out.push(`certificates.${c.purpose}.present: false (a cluster can leave out ${OPTIONAL_PURPOSES.join(', ')} only)`);
    if (c.multiServer && c.signedBy !== 'enterprise-ca') out.push(`certificates.${c.purpose}.multiServer needs signedBy: enterprise-ca (a multi-server certificate is CA-signed, 002 L789)`);
    else if (c.multiServer && !PURPOSE_RULES[c.purpose].multiServer) out.push(`certificates.${c.purpose}.multiServer (${c.purpose} cannot be multi-server: Table 23, 001 L4446-4454)`);
    if (c.signedBy === 'enterprise-ca' && c.sharedWith) out.push(`certificates.${c.purpose}: signedBy enterprise-ca and sharedWith together`);
    if (c.sharedWith && c.purpose !== 'ITLRecovery') out.push(`certificates.${c.purpose}.sharedWith: ${c.sharedWith} (clusters can share their ITLRecovery key only)`);
    else if (c.sharedWith && !plan.clusters.some((x) => x.name === c.sharedWith)) out.push(`certificates.${c.purpose}.sharedWith: ${c.sharedWith} (no such cluster)`);
    else if (c.sharedWith && plan.clusters.findIndex((x) => x.name === c.sharedWith) > plan.clusters.findIndex((x) => x.name === spec.name)) out.push(`certificates.${c.purpose}.sharedWith: ${c.sharedWith} (declare that cluster before ${spec.name})`);
  }
  if (spec.sipOAuth) out.push('sipOAuth (SIP OAuth is not emulated)');
  if (spec.build === 'unrestricted') out.push('build: unrestricted (the embedded cluster is a restricted build)');
  if (spec.subscribers.length) out.push(`subscribers (${spec.subscribers.join(', ')}): the embedded cluster runs the publisher only`);
  out.push(...unsupportedTrunkFeatures(spec, plan));
  return out;
}

/** The cluster configuration a scenario's cluster section stands for (phones: those that are ever on it). */
export function clusterConfigFor(spec: ClusterSpec, plan: ScenarioPlan, address: string, phones: readonly string[], addresses: Readonly<Record<string, string>> = { [spec.name]: address }): ClusterConfigInput {
  const p = spec.parameters;
  const phoneProfiles: Record<string, PhoneProfileInput> = {};
  for (const prof of Object.values(plan.phoneProfiles)) {
    if (prof.builtIn) continue;
    phoneProfiles[prof.name] = {
      deviceSecurityMode: prof.deviceSecurityMode,
      ...(prof.deviceSecurityMode === 'non-secure' ? { transport: prof.transport } : {}),
      tftpEncryptedConfig: prof.tftpEncryptedConfig,
      excludeDigestCredentials: prof.excludeDigestCredentials,
      authMode: prof.authMode,
      keyOrder: prof.keyOrder,
      rsaKeySize: prof.rsaKeySize,
      ecKeySize: prof.ecKeySize,
      ...(prof.description ? { description: prof.description } : {}),
    };
  }
  const devices: Record<string, DeviceInput> = {};
  for (const name of phones) {
    const ph = plan.phones.find((x) => x.name === name)!;
    const profile = plan.phoneProfiles[ph.profile]!;
    devices[ph.name] = {
      mac: ph.mac,
      name: ph.deviceName,
      model: ph.model,
      ...(profile.builtIn ? {} : { profile: ph.profile }),
      lines: ph.lines,
      capf: { operation: ph.capfOperation, ...(ph.authMode !== profile.authMode ? { authMode: ph.authMode } : {}), ...(ph.authString !== undefined ? { authString: ph.authString } : {}) },
    };
  }
  const certificates: NonNullable<ClusterConfigInput['certificates']> = {};
  for (const [purpose, c] of Object.entries(spec.certificates))
    certificates[purpose as Purpose] = {
      keyType: c.keyType,
      keySize: c.keySize,
      hash: c.hash,
      ...(c.present ? {} : { present: false }),
      ...(c.signedBy === 'enterprise-ca' ? { signedBy: 'enterprise-ca' as const } : {}),
      ...(c.multiServer ? { multiServer: true } : {}),
    };
  return {
    name: spec.name,
    ...(spec.description ? { description: spec.description } : {}),
    hostname: spec.hostname,
    domain: spec.domain,
    subscribers: spec.subscribers,
    fips: spec.fips,
    commonCriteria: spec.commonCriteria,
    exportControlled: spec.exportControlled,
    securityMode: spec.securityMode,
    network: { bind: address, ports: { ...EPHEMERAL } },
    parameters: {
      tlsCiphers: p.tlsCiphers,
      minTlsVersion: p.minTlsVersion,
      srtpCiphers: p.srtpCiphers,
      tftpFileSignatureAlgorithm: p.tftpFileSignatureAlgorithm,
      tlsResumptionTimer: p.tlsResumptionTimer,
      phoneInteractionOnCertificateUpdate: p.phoneInteractionOnCertificateUpdate,
      prepareClusterForRollback: p.prepareClusterForRollback,
      autoRegistration: p.autoRegistration,
      ...(p.cipherManagement ? { cipherManagement: p.cipherManagement } : {}),
    },
    certificates,
    capf: {
      active: spec.capf.active,
      certificateIssuer: spec.capf.certificateIssuer,
      validityDays: spec.capf.validityDays,
      operationExpiresDays: spec.capf.operationExpiresDays,
      endpointAdvancedEncryption: spec.capf.endpointAdvancedEncryption,
      ...(spec.capf.onlineCa ? { onlineCa: { ...spec.capf.onlineCa } } : {}),
    },
    phoneProfiles,
    devices,
    ...trunkConfigFor(spec, plan, addresses),
  };
}

/** Phones that are ever on a cluster: those it starts with and those a `move` step sends there. */
export function phonesOfCluster(plan: ScenarioPlan, cluster: string): string[] {
  const names = new Set(plan.phones.filter((p) => p.cluster === cluster).map((p) => p.name));
  const visit = (steps: ScenarioPlan['steps']) => {
    for (const s of steps) {
      if (s.kind === 'parallel' || s.kind === 'sequence') visit(s.children);
      else if (s.kind === 'move' && s.to === cluster) for (const p of s.phones) names.add(p);
    }
  };
  visit(plan.steps);
  return plan.phones.filter((p) => names.has(p.name)).map((p) => p.name);
}

/** PKI templates of this process: creating a cluster's PKI once per identity, copying it for every run. */
export class ClusterTemplates {
  #dir: string | undefined;
  readonly #made = new Map<string, Promise<string>>();

  /** A state directory holding a fresh copy of a cluster created (never started) with this PKI identity. */
  async copy(config: ClusterConfigInput, to: string): Promise<void> {
    // signedBy/multiServer apply after the copy (useEnterpriseCa), so they do not make another template.
    const pkiParams = Object.fromEntries(Object.entries(config.certificates ?? {}).map(([p, { signedBy: _s, multiServer: _m, ...o }]) => [p, o]));
    const key = JSON.stringify([config.hostname, config.domain, config.subscribers, config.fips, pkiParams]);
    let made = this.#made.get(key);
    if (!made) {
      this.#dir ??= mkdtempSync(join(tmpdir(), 'trustline-templates-'));
      const dir = join(this.#dir, `t${this.#made.size + 1}`);
      made = (async () => {
        const c = await EmbeddedCluster.create({ stateDir: dir, config: { hostname: config.hostname!, domain: config.domain!, subscribers: config.subscribers ?? [], fips: config.fips ?? false, certificates: pkiParams } });
        await c.close();
        return dir;
      })();
      this.#made.set(key, made);
      made.catch(() => this.#made.delete(key));
    }
    cpSync(await made, to, { recursive: true });
  }

  /** Removes the templates (the process is done running scenarios). */
  dispose(): void {
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
    this.#made.clear();
  }
}

let sharedTemplates: ClusterTemplates | undefined;
/** The process's templates, removed when it exits. */
export function processTemplates(): ClusterTemplates {
  if (!sharedTemplates) {
    const t = new ClusterTemplates();
    sharedTemplates = t;
    process.once('exit', () => t.dispose());
  }
  return sharedTemplates;
}

export interface StartClusterOptions {
  spec: ClusterSpec;
  plan: ScenarioPlan;
  /** Parent of the cluster's state directory (used unless `stateDir` names one). */
  runDir: string;
  stateDir?: string;
  address: string;
  templates: ClusterTemplates;
  /** The line's SRTP suites as the cluster knows them from the device (the runner's phone handles). */
  lineMedia: (device: PhoneDevice | undefined, dn: string) => LineMediaProfile | undefined;
  /** Clusters already started (a `sharedWith` certificate comes from one of them). */
  started?: ReadonlyMap<string, ClusterHandle>;
  /** Every cluster's loopback address (trunk destinations). */
  addresses?: Readonly<Record<string, string>>;
  /** The run's enterprise CA, when a cluster has certificates signedBy enterprise-ca or CAPF's online CA. */
  enterpriseCa?: EnterpriseCa;
}

/** Creates (or opens, when the scenario names a state directory that holds one) and starts a scenario cluster. */
export async function startCluster(o: StartClusterOptions): Promise<ClusterHandle> {
  const config = clusterConfigFor(o.spec, o.plan, o.address, phonesOfCluster(o.plan, o.spec.name), o.addresses);
  const stateDir = o.stateDir ?? join(o.runDir, 'clusters', o.spec.name);
  let cluster: EmbeddedCluster;
  // A state directory kept from an earlier run (--state) holds the cluster already: the scenario's section applies.
  if (EmbeddedCluster.exists(stateDir)) cluster = await EmbeddedCluster.open({ stateDir, config });
  else {
    mkdirSync(join(stateDir, '..'), { recursive: true });
    await o.templates.copy(config, stateDir);
    cluster = await EmbeddedCluster.open({ stateDir, config });
  }
  try {
    for (const c of Object.values(o.spec.certificates)) {
      if (c.purpose !== 'ITLRecovery' || !c.sharedWith) continue;
      const from = o.started?.get(c.sharedWith);
      if (!from) throw new Error(`certificates.ITLRecovery.sharedWith: cluster ${c.sharedWith} is not started before ${o.spec.name}`);
      if (!cluster.pki.certificate('ITLRecovery').der.equals(from.cluster.pki.certificate('ITLRecovery').der)) await cluster.shareItlRecovery(from.cluster);
    }
    if (o.enterpriseCa) {
      // The administrator's steps before the services start: CA-signed certificates, then Online CA mode for CAPF.
      await cluster.useEnterpriseCa(o.enterpriseCa);
      if (cluster.config.capf.onlineCa) await cluster.useOnlineCa(o.enterpriseCa);
    }
    const endpoints = await cluster.start();
    // Opening in mixed mode queued "restart all devices" for phones that have not booted yet: nothing to reset.
    if (cluster.pendingPhoneResets().length) await cluster.resetPhones(undefined, 'scenario setup: no phone has booted yet');
    const routePlan = newRoutePlan();
    const b2bua = new B2bua(() => cluster.sipServer, { srtpCiphers: () => cluster.srtpPolicy(), lineMedia: o.lineMedia, routePlan });
    for (const m of B2bua.HANDLED_METHODS) cluster.onSipRequest(m, b2bua.handler);
    return { name: o.spec.name, spec: o.spec, cluster, b2bua, routePlan, endpoints, address: o.address, host: o.spec.hostname, boots: new Semaphore(BOOTS_PER_CLUSTER) };
  } catch (e) {
    await cluster.close().catch(() => undefined);
    throw e;
  }
}

export async function stopCluster(h: ClusterHandle): Promise<void> {
  await h.b2bua.close().catch(() => undefined);
  await h.cluster.close();
}
