// One embedded CUCM-like cluster: its PKI (engine/pki), CAPF state (engine/capf), configuration and cluster state in a
// state directory, and its services (services.ts) started and stopped together. The administrator's operations are
// methods: the cluster security mode, certificate regeneration, `utils itl|ctl reset localkey`, `utils ctl update
// CTLFile`, Prepare Cluster for Rollback, enterprise parameters, phones and their CAPF operations, Bulk Certificate
// Export/Import, and fault injections. Like CUCM, a change reaches a service when it restarts (restartServices);
// phones that must reset are listed (pendingPhoneResets). Everything that happens goes into one journal.
import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import { logger } from '../../common/log.js';
import { CapfStore, emulatedOnlineCa, type CapfDeviceInput, type CapfOperation, type OnlineCa, type SessionRecord } from '../capf/index.js';
import { ClusterPki, type PkiEvent, type Purpose, type RegenerateOptions } from '../pki/index.js';
import type { SrtpCiphersPolicy } from '../media-policy/index.js';
import type { ServerRequestHandler, SipServer } from '../sip/index.js';
import type { BuiltFile } from '../trust/index.js';
import { exportBulkCertificates, importBulkCertificates, type BulkCertificateBundle, type BulkImportResult } from '../tvs/index.js';
import {
  configToInput,
  findDevice,
  normalizeClusterConfig,
  srtpCiphersPolicy,
  type ClusterConfig,
  type ClusterConfigInput,
  type ClusterParameters,
  type ClusterSecurityMode,
  type DeviceCapfConfig,
  type DeviceConfig,
  type DeviceInput,
} from './config.js';
import type { CertificateOptions, TrunkConfig } from './config.js';
import { trunkRoutes } from './trunks.js';
import { RoutePlan, type TrunkRoute } from '../calls/index.js';
import { enrollWithEnterpriseCa } from '../pki/ca-enrollment.js';
import type { EnterpriseCa } from '../pki/enterprise-ca.js';
import { CERTIFICATE_FAULT_PORTS, ClusterFaults, forgeCertificate, PORT_PURPOSES, type CapfRefusal, type CertificateFaultKind, type CertificateFaultPort, type TamperMode } from './faults.js';
import { ClusterJournal, type ClusterEvent, type ClusterEventKind } from './journal.js';
import { ClusterProvisioningSource } from './provisioning.js';
import { ClusterServices, parseServiceName, SERVICE_KEYS, SERVICE_NAMES, type ClusterEndpoints, type ServiceKey } from './services.js';
import { ClusterDeviceDirectory } from './sip-directory.js';
import { ClusterStateStore, type ClusterState, type PendingPhoneReset } from './state.js';
import { buildCtlFor, buildItlFor, type TrustFileSigner } from './trust-files.js';

const log = logger('cluster');

/** CUCM's refusal of `utils ctl set-cluster mixed-mode` without export-controlled functionality (seed 001 L3816-3821). */
export const EXPORT_CONTROL_MESSAGE =
  'Command cannot be executed because the Unified Communications Manager cluster is not registered to a Smart/Virtual Account with Allow export-controlled functionality. Please ensure Product Token received from the Smart/Virtual Account has Allow export-controlled functionality checked when registering the UCM Cluster.';

/** An operation the cluster refuses (CUCM's rule or ours), with a code. */
export class ClusterOperationError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ClusterOperationError';
  }
}

export interface OperationResult {
  operation: string;
  message: string;
  /** Services (CUCM names) the change needs restarted before it takes effect, not restarted yet. */
  servicesToRestart: string[];
  /** Phones now waiting for a reset because of it. */
  phoneResets: number;
  warnings: string[];
  /** The PKI event, for certificate operations. */
  event?: PkiEvent;
}

export interface EmbeddedClusterOptions {
  stateDir: string;
  /** The configuration (input form, as a YAML file holds it, or already normalized). */
  config?: ClusterConfigInput | ClusterConfig;
  /** Where the config came from, for error messages. */
  configSource?: string;
  /** Offset for privileged ports that cannot be bound (69 → 69 + offset); undefined = fail to start. */
  privilegedPortOffset?: number;
}

export interface CreateOptions extends EmbeddedClusterOptions {
  /** Replace a cluster already in stateDir (its PKI too). */
  force?: boolean;
}

export interface ClusterStatus {
  name: string;
  stateDir: string;
  running: boolean;
  services: { key: ServiceKey; name: string; running: boolean }[];
  /** As set by `utils ctl set-cluster` ... */
  securityMode: ClusterSecurityMode;
  /** ... and as each service loaded it. */
  loaded: { tftp: ClusterSecurityMode; callManager: ClusterSecurityMode };
  itlSigner: TrustFileSigner;
  ctl?: { signWith: TrustFileSigner; writtenAt: string; by: string };
  ctlUpdateRequired: string[];
  pendingRestarts: string[];
  pendingPhoneResets: number;
  prepareClusterForRollback: boolean;
  faults: Record<string, unknown>;
  certificates: { purpose: Purpose; node: string; subject: string; keyType: string; keySize: number; notAfter: string; fingerprintSha256: string }[];
}

const isNormalized = (c: ClusterConfigInput | ClusterConfig): c is ClusterConfig => typeof (c as ClusterConfig).network?.ports?.sipTls !== 'undefined' && typeof (c as ClusterConfig).phoneProfiles === 'object' && typeof (c as ClusterConfig).parameters?.sipStationRealm === 'string' && 'exportControlled' in c;

function toInput(c: ClusterConfigInput | ClusterConfig | undefined): ClusterConfigInput {
  if (!c) return {};
  return isNormalized(c) ? configToInput(c) : structuredClone(c);
}

/** The PKI settings a configuration decides at creation (they cannot change afterwards). */
function pkiFingerprint(c: ClusterConfig): string {
  return JSON.stringify([c.hostname.toLowerCase(), c.domain, c.subscribers, c.fips]);
}

export class EmbeddedCluster {
  readonly stateDir: string;
  readonly pki: ClusterPki;
  readonly journal: ClusterJournal;
  readonly faults = new ClusterFaults();
  readonly source: ClusterProvisioningSource;
  readonly directory: ClusterDeviceDirectory;
  readonly #state: ClusterStateStore;
  readonly #services: ClusterServices;
  #config: ClusterConfig;
  #onlineCa: OnlineCa | undefined;
  #capf: CapfStore | undefined;
  #capfOpening: Promise<CapfStore> | undefined;
  /** What the TFTP and CallManager services loaded at their last start. */
  #tftpMode: ClusterSecurityMode;
  #sipMode: ClusterSecurityMode;
  #itlSigner: TrustFileSigner = 'itlRecovery';
  readonly #sipHandlers = new Map<string, ServerRequestHandler>();
  #pkiOff: (() => void) | undefined;
  /** Background work started by PKI events (state commits); operations wait for it. */
  #work: Promise<unknown> = Promise.resolve();
  #stopping: Promise<void> | undefined;

  private constructor(stateDir: string, pki: ClusterPki, state: ClusterStateStore, config: ClusterConfig, capf: CapfStore, privilegedPortOffset: number | undefined) {
    this.stateDir = stateDir;
    this.pki = pki;
    this.#state = state;
    this.#config = config;
    this.#capf = capf;
    this.#tftpMode = state.state.securityMode;
    this.#sipMode = state.state.securityMode;
    this.journal = new ClusterJournal(config.name);
    this.source = new ClusterProvisioningSource({
      pki,
      config: () => this.#config,
      tftp: () => {
        const ctl = this.#ctlBytes();
        return { securityMode: this.#tftpMode, itlSigner: this.#itlSigner, ...(ctl ? { ctl } : {}) };
      },
      phoneFacing: () => this.#services.phoneFacing(),
      capfOperation: (name) => this.#capf?.device(name)?.settings.operation,
      mic: (d) => this.#mic(d),
    });
    this.directory = new ClusterDeviceDirectory({ config: () => this.#config, securityMode: () => this.#sipMode });
    this.#services = new ClusterServices({
      clusterName: config.name,
      pki,
      config: () => this.#config,
      capfStore: () => this.#capfStore(),
      source: this.source,
      journal: this.journal,
      faults: this.faults,
      directory: this.directory,
      foreignSigner: (name) => this.#foreignTrustList(name),
      loading: (key) => this.#loading(key),
      onCapfSession: (s) => this.#onCapfSession(s),
      sipHandlers: () => this.#sipHandlers,
      onlineCa: () => this.#onlineCa,
      ...(privilegedPortOffset !== undefined ? { privilegedPortOffset } : {}),
    });
    this.#pkiOff = pki.onEvent((e) => this.#onPkiEvent(e));
  }

  // ---- creation ---------------------------------------------------------------------------------------------------------

  /** Creates a cluster in `stateDir`: PKI (unless one is there already), CAPF state, configuration, CTL in mixed mode. */
  static async create(o: CreateOptions): Promise<EmbeddedCluster> {
    const stateDir = resolve(o.stateDir);
    const input = toInput(o.config);
    const config = normalizeClusterConfig(input, o.configSource);
    const store = new ClusterStateStore(stateDir);
    if (store.exists() && !o.force) throw new ClusterOperationError('E_EXISTS', `${stateDir} already holds a cluster (open it, or create with force to replace it)`);
    let pki: ClusterPki;
    if (ClusterPki.exists(stateDir) && !o.force) {
      pki = await ClusterPki.open(stateDir);
      const s = pki.settings;
      if (s.nodes[0]!.toLowerCase() !== config.hostname.toLowerCase()) {
        throw new ClusterOperationError('E_PKI_MISMATCH', `${stateDir} holds a PKI for host ${s.nodes[0]}, the configuration says ${config.hostname} (use another state directory, or force)`);
      }
    } else {
      pki = await ClusterPki.create(stateDir, {
        hostname: config.hostname,
        domain: config.domain,
        subscribers: config.subscribers,
        fips: config.fips,
        parameters: Object.fromEntries(Object.entries(config.certificates).map(([p, { present: _present, signedBy: _s, multiServer: _m, ...params }]) => [p, params])),
        without: (Object.entries(config.certificates) as [Purpose, CertificateOptions][]).filter(([, c]) => c.present === false).map(([p]) => p),
        ...(o.force ? { force: true } : {}),
      });
    }
    const capf = await CapfStore.open(resolve(stateDir, 'capf'), { pki, parameters: capfParameters(config) });
    await capf.setParameters(capfParameters(config));
    const state: ClusterState = { createdAt: new Date().toISOString(), config: configToInput(config), securityMode: config.securityMode, pendingRestarts: [], phoneResets: [] };
    await store.create(state, o.force === true);
    const cluster = new EmbeddedCluster(stateDir, pki, store, config, capf, o.privilegedPortOffset);
    if (config.securityMode === 'mixed') await cluster.#writeCtl('itlRecovery', 'installation in mixed mode');
    for (const d of Object.values(config.devices)) await cluster.#syncCapfDevice(d, undefined);
    cluster.#operation('create', `cluster ${config.name} created in ${stateDir} (${config.securityMode} mode, ${Object.keys(config.devices).length} phone(s))`);
    return cluster;
  }

  /** Opens the cluster in `stateDir`; a `config` replaces the stored one (PKI settings must stay the same). */
  static async open(o: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
    const stateDir = resolve(o.stateDir);
    const store = new ClusterStateStore(stateDir);
    if (!store.exists()) throw new ClusterOperationError('E_NO_CLUSTER', `no cluster in ${stateDir} (create one: trustline cluster start --state ${o.stateDir})`);
    const state = await store.load();
    const stored = normalizeClusterConfig(state.config, `${store.dir} (stored configuration)`);
    const pki = await ClusterPki.open(stateDir);
    let config = stored;
    if (o.config) {
      config = normalizeClusterConfig(toInput(o.config), o.configSource);
      if (pkiFingerprint(config) !== pkiFingerprint(stored)) {
        throw new ClusterOperationError('E_PKI_MISMATCH', `the configuration's host name, domain, subscribers or FIPS mode differ from the cluster in ${stateDir} (${stored.hostname}.${stored.domain}); they are fixed at creation`);
      }
    }
    const capf = await CapfStore.open(resolve(stateDir, 'capf'), { pki, parameters: capfParameters(config) });
    const cluster = new EmbeddedCluster(stateDir, pki, store, config, capf, o.privilegedPortOffset);
    if (o.config) {
      await capf.setParameters(capfParameters(config));
      await store.update((s) => {
        s.config = configToInput(config);
      });
      for (const d of Object.values(config.devices)) {
        const before = findDevice(stored, d.label);
        if (!before || JSON.stringify(before.capf) !== JSON.stringify(d.capf) || before.profile !== d.profile) await cluster.#syncCapfDevice(d, before);
      }
      // The file declares the mode it wants; the services load it when they start.
      if (config.securityMode !== state.securityMode) await cluster.setSecurityMode(config.securityMode);
    }
    cluster.#operation('open', `cluster ${config.name} opened from ${stateDir} (${state.securityMode} mode)`);
    return cluster;
  }

  /** Opens the cluster in `stateDir`, or creates it there. */
  static async openOrCreate(o: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
    return new ClusterStateStore(resolve(o.stateDir)).exists() ? EmbeddedCluster.open(o) : EmbeddedCluster.create(o);
  }

  static exists(stateDir: string): boolean {
    return new ClusterStateStore(resolve(stateDir)).exists();
  }

  // ---- reading ------------------------------------------------------------------------------------------------------------

  get name(): string {
    return this.#config.name;
  }

  get config(): ClusterConfig {
    return this.#config;
  }

  get securityMode(): ClusterSecurityMode {
    return this.#state.state.securityMode;
  }

  get running(): boolean {
    return this.#services.anyRunning;
  }

  /** The running services (undefined when stopped), for tests and the B2BUA. */
  get services(): ClusterServices {
    return this.#services;
  }

  get sipServer(): SipServer | undefined {
    return this.#services.sip;
  }

  /** The CAPF store (opened on demand). */
  capfStore(): Promise<CapfStore> {
    return this.#capfStore();
  }

  endpoints(): ClusterEndpoints {
    return this.#services.endpoints();
  }

  /** ITLFile.tlv as the TFTP service serves it now. */
  itl(): BuiltFile {
    return this.source.itl();
  }

  /** CTLFile.tlv as the TFTP service serves it now (mixed mode), else undefined. */
  ctl(): Buffer | undefined {
    const c = this.source.ctl();
    return c ? Buffer.from(c) : undefined;
  }

  /** Phones the cluster is waiting to see reset, oldest first. */
  pendingPhoneResets(): readonly PendingPhoneReset[] {
    return this.#state.state.phoneResets;
  }

  /** Services a change asked to restart that were not restarted yet (CUCM names). */
  pendingRestarts(): readonly string[] {
    return this.#state.state.pendingRestarts;
  }

  /** The journal: every event, or one kind, or those after a sequence number. */
  events<K extends ClusterEventKind>(filter: { kind?: K; since?: number } = {}): Extract<ClusterEvent, { kind: K }>[] {
    return this.journal.events(filter);
  }

  onEvent(listener: (e: ClusterEvent) => void): () => void {
    return this.journal.onEvent(listener);
  }

  status(): ClusterStatus {
    const s = this.#state.state;
    return {
      name: this.name,
      stateDir: this.stateDir,
      running: this.running,
      services: SERVICE_KEYS.map((key) => ({ key, name: SERVICE_NAMES[key], running: this.#services.running(key) })),
      securityMode: s.securityMode,
      loaded: { tftp: this.#tftpMode, callManager: this.#sipMode },
      itlSigner: this.#itlSigner,
      ...(s.ctl ? { ctl: { signWith: s.ctl.signWith, writtenAt: s.ctl.writtenAt, by: s.ctl.by } } : {}),
      ctlUpdateRequired: [...(s.ctlUpdateRequired ?? [])],
      pendingRestarts: [...s.pendingRestarts],
      pendingPhoneResets: s.phoneResets.length,
      prepareClusterForRollback: this.#config.parameters.prepareClusterForRollback,
      faults: { tamper: this.faults.tamperRules, certificates: this.faults.certificateFaults(), capf: this.faults.capfRefusals() },
      certificates: this.pki.certificates().map((c) => ({
        purpose: c.purpose,
        node: c.node,
        subject: c.certificate.subject,
        keyType: c.keyType,
        keySize: c.keySize,
        notAfter: c.certificate.notAfter.toISOString(),
        fingerprintSha256: c.certificate.fingerprintSha256,
      })),
    };
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------------------------

  /** Starts every service; resolves with where they listen. On failure whatever started is stopped again. */
  async start(): Promise<ClusterEndpoints> {
    if (this.#stopping) await this.#stopping;
    await this.#capfStore();
    await this.#services.startAll();
    // Every service has just loaded the current state: nothing is waiting for a restart any more.
    if (this.#state.state.pendingRestarts.length) {
      await this.#update((s) => {
        s.pendingRestarts = [];
      });
    }
    const e = this.endpoints();
    this.#operation('start', `cluster ${this.name} started on ${e.bind}`, { endpoints: e as unknown as Record<string, unknown> });
    return e;
  }

  /** Stops every service, flushes the CAPF journal and ends its timer. Idempotent. */
  stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = (async () => {
        await this.#work.catch(() => undefined);
        const wasRunning = this.running;
        await this.#services.stopAll();
        const capf = this.#capf;
        this.#capf = undefined;
        await capf?.close();
        if (wasRunning) this.#operation('stop', `cluster ${this.name} stopped`);
      })().finally(() => {
        this.#stopping = undefined;
      });
    }
    return this.#stopping;
  }

  /** stop(), and the cluster stops listening to its PKI: the object is done. */
  async close(): Promise<void> {
    await this.stop();
    this.#pkiOff?.();
    this.#pkiOff = undefined;
  }

  /**
   * Restarts services by CUCM name ("Cisco TFTP", "Cisco CallManager", …) or key ("tftp", "callmanager"): they reload
   * certificates, the security mode and parameters. When the cluster is stopped the change applies at the next start.
   */
  async restartServices(names: readonly string[]): Promise<OperationResult> {
    const keys = [...new Set(names.map(parseServiceName))].sort((a, b) => SERVICE_KEYS.indexOf(a) - SERVICE_KEYS.indexOf(b));
    await this.#work;
    if (this.running) for (const k of keys) await this.#services.restart(k);
    else for (const k of keys) this.#loading(k);
    const restarted = keys.map((k) => SERVICE_NAMES[k]);
    await this.#update((s) => {
      s.pendingRestarts = s.pendingRestarts.filter((n) => !restarted.includes(n));
    });
    return this.#result('restart', `${this.running ? 'restarted' : 'will load the change at start'}: ${restarted.join(', ')}`);
  }

  /** Stops services (a "service-down" fault, or CAPF deactivated for a while); startServices brings them back. */
  async stopServices(names: readonly string[]): Promise<OperationResult> {
    const keys = [...new Set(names.map(parseServiceName))];
    await this.#work;
    for (const k of keys) await this.#services.stop(k);
    this.#operation('stop-services', `stopped: ${keys.map((k) => SERVICE_NAMES[k]).join(', ')}`);
    return this.#result('stop-services', `stopped: ${keys.map((k) => SERVICE_NAMES[k]).join(', ')}`);
  }

  /** Starts services stopped by stopServices (on the ports they had). */
  async startServices(names: readonly string[]): Promise<OperationResult> {
    const keys = [...new Set(names.map(parseServiceName))].sort((a, b) => SERVICE_KEYS.indexOf(a) - SERVICE_KEYS.indexOf(b));
    await this.#work;
    if (keys.includes('capf')) await this.#capfStore();
    for (const k of keys) await this.#services.start(k);
    this.#operation('start-services', `started: ${keys.map((k) => SERVICE_NAMES[k]).join(', ')}`);
    return this.#result('start-services', `started: ${keys.map((k) => SERVICE_NAMES[k]).join(', ')}`);
  }

  /** `utils service restart Cisco TFTP`: the ITL is signed by ITLRecovery again and the security mode is reloaded. */
  restartTftp(): Promise<OperationResult> {
    return this.restartServices(['tftp']);
  }

  // ---- security mode, trust lists ----------------------------------------------------------------------------------------

  /**
   * `utils ctl set-cluster mixed-mode` / `non-secure-mode`. Mixed mode writes the tokenless CTL (ITLRecovery-signed);
   * non-secure mode removes it. The change takes effect when TFTP, CallManager and CTIManager restart (002 L2195):
   * pass `restart: true` to do that now.
   */
  async setSecurityMode(mode: ClusterSecurityMode, opts: { restart?: boolean } = {}): Promise<OperationResult> {
    const warnings: string[] = [];
    const command = mode === 'mixed' ? 'utils ctl set-cluster mixed-mode' : 'utils ctl set-cluster non-secure-mode';
    if (mode === 'mixed' && !this.#config.exportControlled) throw new ClusterOperationError('E_EXPORT_CONTROL', EXPORT_CONTROL_MESSAGE);
    if (mode === 'mixed' && !this.#config.capf.active) warnings.push('Activate CAPF before enabling mixed mode. Otherwise the CTL must be updated afterwards (002 L2202-2204).');
    const services = [SERVICE_NAMES.tftp, SERVICE_NAMES.callmanager, SERVICE_NAMES.ctimanager];
    await this.#work;
    if (mode === 'mixed') await this.#writeCtl('itlRecovery', command);
    await this.#update((s) => {
      s.securityMode = mode;
      if (mode === 'non-secure') {
        delete s.ctl;
        delete s.ctlUpdateRequired;
      }
      s.pendingRestarts = [...new Set([...s.pendingRestarts, ...services])];
    });
    const resets = await this.#queuePhoneResets(`${command}: restart all devices (001 L1180)`, undefined, false);
    this.#operation('set-security-mode', `${command}: cluster security mode ${mode}; takes effect when ${services.join(', ')} restart`, { mode });
    if (opts.restart) await this.restartServices(services);
    return this.#result('set-security-mode', `${command} done`, { warnings, phoneResets: resets });
  }

  /** `utils ctl update CTLFile`: the CTL rewritten from the current certificates, signed by ITLRecovery. */
  async ctlUpdate(): Promise<OperationResult> {
    this.#requireMixed('utils ctl update CTLFile');
    await this.#work;
    await this.#writeCtl('itlRecovery', 'utils ctl update CTLFile');
    await this.#update((s) => {
      delete s.ctlUpdateRequired;
      s.pendingRestarts = [...new Set([...s.pendingRestarts, SERVICE_NAMES.tftp, SERVICE_NAMES.callmanager])];
    });
    const resets = await this.#queuePhoneResets('utils ctl update CTLFile: restart all devices (001 L1186)', undefined, false);
    this.#operation('ctl-update', 'utils ctl update CTLFile: CTL rewritten, signed by ITLRecovery');
    return this.#result('ctl-update', 'CTL updated', { phoneResets: resets });
  }

  /** `utils ctl reset localkey`: a CTL signed by the CallManager key, until `utils ctl update CTLFile` (001 L3462-3486). */
  async ctlResetLocalKey(): Promise<OperationResult> {
    this.#requireMixed('utils ctl reset localkey');
    await this.#work;
    await this.#writeCtl('callManager', 'utils ctl reset localkey');
    this.#operation('ctl-reset-localkey', 'utils ctl reset localkey: CTL signed by the CallManager key; reset the phones, then run utils ctl update CTLFile');
    return this.#result('ctl-reset-localkey', 'CTL signed by the CallManager key');
  }

  /** `utils itl reset localkey`: the ITL signed by the CallManager key until the TFTP service restarts (004 L652-685). */
  async itlResetLocalKey(): Promise<OperationResult> {
    await this.#work;
    this.#itlSigner = 'callManager';
    this.source.changed({ scope: 'cluster', reason: 'utils itl reset localkey' });
    this.#operation('itl-reset-localkey', 'utils itl reset localkey: ITL signed by the CallManager key; reset the phones (Enterprise Parameters → Reset), then restart Cisco TFTP');
    return this.#result('itl-reset-localkey', 'ITL signed by the CallManager key until Cisco TFTP restarts');
  }

  /** "Prepare Cluster for Rollback to pre-8.0": the ITL with empty TVS and TFTP entries; phones reset (10.5+). */
  async prepareRollback(on: boolean): Promise<OperationResult> {
    await this.#updateConfig((i) => {
      i.parameters = { ...(i.parameters ?? {}), prepareClusterForRollback: on };
    }, `Prepare Cluster for Rollback to pre-8.0 = ${on}`);
    const resets = await this.#queuePhoneResets(`Prepare Cluster for Rollback to pre-8.0 set to ${on} (phones reset automatically, 001 L2898)`, undefined, true);
    this.#operation('prepare-rollback', `Prepare Cluster for Rollback to pre-8.0 = ${on}${on ? ': phones get the ITL with empty TVS and TFTP entries' : ''}`, { on });
    return this.#result('prepare-rollback', `Prepare Cluster for Rollback to pre-8.0 = ${on}`, { phoneResets: resets });
  }

  /** Where the services listen (only while stopped: the next start binds there). */
  async setNetwork(patch: { bind?: string; advertise?: string; ports?: Partial<ClusterConfig['network']['ports']> }): Promise<void> {
    if (this.running) throw new ClusterOperationError('E_RUNNING', 'stop the cluster before changing where it listens');
    await this.#updateConfig((i) => {
      i.network = { ...(i.network ?? {}), ...(patch.bind ? { bind: patch.bind } : {}), ...(patch.advertise ? { advertise: patch.advertise } : {}), ports: { ...(i.network?.ports ?? {}), ...(patch.ports ?? {}) } };
    }, 'network settings changed');
    this.#services.forgetPorts();
  }

  /** Enterprise/service parameters. TLS settings reach the TLS services when they restart (`restart: true` does it now). */
  async setParameters(patch: Partial<ClusterParameters>, opts: { restart?: boolean } = {}): Promise<OperationResult> {
    if (patch.prepareClusterForRollback !== undefined) {
      const { prepareClusterForRollback, ...rest } = patch;
      await this.prepareRollback(prepareClusterForRollback);
      if (Object.keys(rest).length === 0) return this.#result('set-parameters', 'parameters changed');
      patch = rest;
    }
    await this.#updateConfig((i) => {
      i.parameters = { ...(i.parameters ?? {}), ...patch };
    }, `enterprise parameters: ${Object.keys(patch).join(', ')}`);
    const keys = new Set<ServiceKey>();
    const changed = Object.keys(patch);
    if (changed.some((k) => k === 'tlsCiphers' || k === 'cipherManagement')) keys.add('callmanager');
    if (changed.includes('minTlsVersion')) for (const k of ['callmanager', 'tftp', 'tomcat', 'tvs', 'capf'] as const) keys.add(k);
    if (changed.some((k) => k === 'sipStationRealm' || k === 'clusterId')) keys.add('callmanager');
    const services = [...keys].map((k) => SERVICE_NAMES[k]);
    if (services.length) {
      await this.#update((s) => {
        s.pendingRestarts = [...new Set([...s.pendingRestarts, ...services])];
      });
    }
    this.#operation('set-parameters', `enterprise parameters changed: ${changed.join(', ')}${services.length ? `; restart ${services.join(', ')}` : ''}`, { ...patch });
    if (opts.restart && services.length) await this.restartServices(services);
    return this.#result('set-parameters', `parameters changed: ${changed.join(', ')}`);
  }

  // ---- certificates --------------------------------------------------------------------------------------------------------

  /**
   * Regenerates a certificate (engine/pki). The ITL is rebuilt at once; the services the guide says to restart are
   * listed in pendingRestarts; phones are listed for reset as "Phone Interaction on Certificate Update" says; in mixed
   * mode a CTL update is listed as required.
   */
  async regenerate(purpose: Purpose, opts: RegenerateOptions = {}): Promise<OperationResult> {
    await this.#work;
    const event = await this.pki.regenerate(purpose, opts);
    await this.#work;
    const warnings = [...event.warnings];
    if (this.securityMode === 'mixed' && event.effects?.ctlUpdateIfMixedMode) warnings.push(`the CTL lists ${purpose}: run utils ctl update CTLFile (001 L3910-3936)`);
    return this.#result('regenerate', event.message, { event, warnings, phoneResets: this.#state.state.phoneResets.filter((r) => r.cause === event.seq).length });
  }

  /**
   * Uses `other`'s ITLRecovery certificate and key as this cluster's own, so both sign their ITLs with one key and a
   * phone moving between them trusts the new ITL without asking TVS (seed002 §17 S13 variant d). Call it when the
   * cluster is set up (before phones meet it); in mixed mode the CTL is rewritten with the shared signer.
   */
  async shareItlRecovery(other: { name: string; pki: ClusterPki }): Promise<OperationResult> {
    await this.#work;
    const t = other.pki.tlsCredentials('ITLRecovery');
    const event = await this.pki.adoptSharedIdentity('ITLRecovery', { cert: t.identity.pem, key: t.key }, `cluster ${other.name}`);
    if (this.securityMode === 'mixed') await this.#writeCtl(this.#state.state.ctl?.signWith ?? 'itlRecovery', `ITLRecovery shared with cluster ${other.name}`);
    await this.#work;
    this.#operation('share-itl-recovery', event.message);
    return this.#result('share-itl-recovery', event.message, { event });
  }

  /**
   * Has `ca` sign every certificate the configuration marks `signedBy: enterprise-ca` (multi-server when it says so),
   * by CUCM's procedure (engine/pki ca-enrollment: CA into the trust store, CSR, signature, upload). Certificates
   * already this CA's are left alone. In mixed mode the CTL is rewritten with the new certificates; running services
   * that load them are restarted (Cisco TFTP, CallManager and CTIManager for CallManager, 002 L2038-2040).
   */
  async useEnterpriseCa(ca: EnterpriseCa): Promise<OperationResult> {
    await this.#work;
    const wanted = (Object.entries(this.#config.certificates) as [Purpose, CertificateOptions][]).filter(([, o]) => o.signedBy === 'enterprise-ca');
    const signed: Purpose[] = [];
    const restart = new Set<string>();
    for (const [purpose, o] of wanted) {
      const r = await enrollWithEnterpriseCa(this.pki, ca, purpose, { multiServer: o.multiServer ?? false });
      if (r.action !== 'signed') continue;
      signed.push(purpose);
      for (const e of r.events) for (const svc of e.effects?.servicesToRestart ?? []) restart.add(svc);
    }
    await this.#work;
    if (signed.length && this.securityMode === 'mixed') {
      await this.#writeCtl(this.#state.state.ctl?.signWith ?? 'itlRecovery', `CA-signed ${signed.join(', ')}`);
      await this.#update((s) => {
        if (s.ctlUpdateRequired) s.ctlUpdateRequired = s.ctlUpdateRequired.filter((p) => !signed.includes(p as Purpose));
        if (!s.ctlUpdateRequired?.length) delete s.ctlUpdateRequired;
      });
    }
    const message = signed.length ? `${signed.join(', ')} signed by ${ca.certificate.subjectCN ?? ca.subject}` : `every enterprise-ca certificate is already signed by ${ca.certificate.subjectCN ?? ca.subject}`;
    this.#operation('enterprise-ca', message, { purposes: signed });
    if (signed.length && this.running) await this.restartServices([...restart].filter((n) => SERVICE_KEYS.some((k) => SERVICE_NAMES[k] === n)));
    return this.#result('enterprise-ca', message);
  }

  /**
   * CAPF's Online CA mode on `ca` (002 L2225-2288): the CA certificate into CAPF-trust, tomcat-trust (the IIS side)
   * and CallManager-trust (encrypted phones register with its LSCs), the configured capf.onlineCa settings, then CAPF
   * restarted when it runs. Issuing still needs Certificate Issuer to Endpoint = online-ca.
   */
  async useOnlineCa(ca: EnterpriseCa): Promise<OperationResult> {
    const settings = this.#config.capf.onlineCa;
    if (!settings) throw new ClusterOperationError('E_NO_ONLINE_CA', `cluster ${this.name} has no capf.onlineCa (Online CA Hostname, Port, Template: 002 L2244-2281)`);
    await this.#work;
    for (const store of ['CAPF-trust', 'tomcat-trust', 'CallManager-trust'] as const) await this.pki.importTrustCertificate(store, ca.certificate.pem, { description: `online CA ${settings.hostname}` });
    this.#onlineCa = emulatedOnlineCa(ca, settings);
    await this.#work;
    const message = `Online CA ${settings.hostname}:${settings.port} (template ${settings.template}) issues LSCs through CAPF; its CA is in CAPF-trust, tomcat-trust and CallManager-trust`;
    this.#operation('online-ca', message);
    if (this.running && this.#config.capf.active) await this.restartServices(['capf']);
    return this.#result('online-ca', message);
  }

  /** The online CA CAPF uses (after useOnlineCa). */
  get onlineCa(): OnlineCa | undefined {
    return this.#onlineCa;
  }

  /** The B2BUA's route plan from the configuration: a route per trunk and the route patterns. */
  routePlan(): RoutePlan {
    return new RoutePlan({ trunks: this.trunkRoutes(), patterns: this.#config.routePatterns });
  }

  /** Routes for the B2BUA to the configured trunks (engine/cluster trunks.ts); `port` overrides a destination's port. */
  trunkRoutes(port?: (t: TrunkConfig) => number | undefined): TrunkRoute[] {
    return trunkRoutes(this.#config, port);
  }

  /** Bulk Certificate Export (engine/tvs): this cluster's certificates of the given types (default TFTP, ITLRecovery). */
  bulkExport(types?: readonly string[]): BulkCertificateBundle {
    const b = exportBulkCertificates(this.pki, types ? { types } : {});
    this.#operation('bulk-export', `Bulk Certificate Export: ${b.certificates.length} certificate(s)`);
    return b;
  }

  /** Bulk Certificate Import into this cluster's trust stores (its TVS then vouches for the other cluster's signers). */
  async bulkImport(bundle: BulkCertificateBundle, types?: readonly string[]): Promise<BulkImportResult[]> {
    await this.#work;
    const r = await importBulkCertificates(this.pki, bundle, types ? { types } : {});
    this.#operation('bulk-import', `Bulk Certificate Import: ${r.map((x) => `${x.type} ${x.subject} ${x.action}`).join('; ')}`, { results: r as unknown as Record<string, unknown> });
    return r;
  }

  // ---- phones -------------------------------------------------------------------------------------------------------------

  device(ref: string): DeviceConfig | undefined {
    return findDevice(this.#config, ref);
  }

  #deviceOrThrow(ref: string): DeviceConfig {
    const d = this.device(ref);
    if (!d) throw new ClusterOperationError('E_NO_DEVICE', `no phone "${ref}" in cluster ${this.name} (known: ${Object.values(this.#config.devices).map((x) => `${x.label} (${x.name})`).join(', ') || 'none'})`);
    return d;
  }

  /** Adds a phone (Device → Phone → Add New). */
  async addDevice(label: string, input: DeviceInput): Promise<DeviceConfig> {
    if (label in this.#config.devices) throw new ClusterOperationError('E_DEVICE_EXISTS', `phone "${label}" exists in cluster ${this.name}`);
    await this.#updateConfig((i) => {
      i.devices = { ...(i.devices ?? {}), [label]: input };
    }, `phone ${label} added`);
    const d = this.device(label)!;
    await this.#syncCapfDevice(d, undefined);
    this.#operation('add-device', `phone ${label} (${d.name}) added with profile ${d.profile}`);
    return d;
  }

  /** Changes a phone's settings (profile, lines, digest user, CAPF, …); the phone gets them at its next download. */
  async updateDevice(ref: string, patch: Partial<DeviceInput>): Promise<DeviceConfig> {
    const before = this.#deviceOrThrow(ref);
    await this.#updateConfig((i) => {
      const cur = i.devices![before.label]!;
      i.devices![before.label] = { ...cur, ...patch, ...(patch.capf ? { capf: { ...(cur.capf ?? {}), ...patch.capf } } : {}) };
      if (patch.lines !== undefined || patch.line !== undefined) {
        const next = i.devices![before.label]!;
        next.lines = patch.lines ?? [];
        if (patch.line === undefined) delete next.line;
      }
    }, `phone ${before.label} changed`);
    const d = this.#config.devices[before.label]!;
    if (JSON.stringify(before.capf) !== JSON.stringify(d.capf) || before.profile !== d.profile) await this.#syncCapfDevice(d, before);
    this.#operation('update-device', `phone ${d.label} (${d.name}) changed: ${Object.keys(patch).join(', ')}`);
    return d;
  }

  async removeDevice(ref: string): Promise<void> {
    const d = this.#deviceOrThrow(ref);
    await this.#updateConfig((i) => {
      delete i.devices![d.label];
    }, `phone ${d.label} removed`);
    const store = await this.#capfStore();
    if (store.device(d.name)) await store.removeDevice(d.name).catch((e: Error) => log.warn(`CAPF: ${e.message}`));
    await this.#update((s) => {
      s.phoneResets = s.phoneResets.filter((r) => r.device !== d.name);
    });
    this.#operation('remove-device', `phone ${d.label} (${d.name}) removed`);
  }

  /** Phone Configuration → Certificate Operation (install-upgrade, delete, troubleshoot, none). */
  async setCapfOperation(ref: string, operation: CapfOperation, opts: Omit<Partial<DeviceCapfConfig>, 'operation'> = {}): Promise<DeviceConfig> {
    const d = this.#deviceOrThrow(ref);
    return this.updateDevice(d.label, { capf: { ...d.capf, ...opts, operation } });
  }

  /** Tells the cluster a phone's MIC (as CAPF Troubleshoot would): configs can then be encrypted to it. */
  async setDeviceMic(ref: string, certificate: string | Uint8Array): Promise<void> {
    const pem = typeof certificate === 'string' ? certificate : new X509Certificate(certificate).toString();
    new X509Certificate(pem);
    await this.updateDevice(ref, { micPem: pem });
  }

  /**
   * Reset of phones (Apply Config / Reset, or Enterprise Parameters → Reset with no names): every named phone is asked
   * to reset (journal events the emulated phones listen for) and leaves the pending list. Once no reset is pending, the
   * PKI is told the phones settled (the TFTP-last ordering check, engine/pki).
   */
  async resetPhones(refs?: readonly string[], reason = 'reset by the administrator'): Promise<string[]> {
    await this.#work;
    const names = refs ? refs.map((r) => this.#deviceOrThrow(r).name) : Object.values(this.#config.devices).map((d) => d.name);
    for (const n of names) this.journal.record({ source: 'cluster', kind: 'phone-reset', device: n, state: 'requested', reason }, `phone ${n}: reset requested (${reason})`);
    await this.#update((s) => {
      s.phoneResets = s.phoneResets.filter((r) => !names.includes(r.device));
    });
    if (this.#state.state.phoneResets.length === 0 && this.pki.pendingPhoneResets().length > 0) await this.pki.phonesSettled();
    return names;
  }

  // ---- SIP: where the B2BUA plugs in ------------------------------------------------------------------------------------

  /** The "SRTP Ciphers" policy (engine/media-policy) the call-routing layer offers and answers with. */
  srtpPolicy(): SrtpCiphersPolicy {
    return srtpCiphersPolicy(this.#config.parameters.srtpCiphers);
  }

  /**
   * The call-routing layer's entry point: INVITEs (new and in-dialog) after admission (engine/sip setInviteHandler).
   * Kept across CallManager restarts. Without one, INVITEs are answered 501 by engine/sip. engine/calls plugs in as
   * `const b = new B2bua(() => cluster.sipServer, { srtpCiphers: () => cluster.srtpPolicy() })` and
   * `for (const m of B2bua.HANDLED_METHODS) cluster.onSipRequest(m, b.handler)`.
   */
  setInviteHandler(handler: ServerRequestHandler): void {
    this.onSipRequest('INVITE', handler);
  }

  /** A handler for another method after admission ('*' for any method without its own). */
  onSipRequest(method: string, handler: ServerRequestHandler): void {
    this.#sipHandlers.set(method.toUpperCase(), handler);
    this.#services.sip?.onRequest(method, handler);
  }

  // ---- fault injection ----------------------------------------------------------------------------------------------------

  /**
   * The next `count` answers with file `name` (e.g. ITLFile.tlv, SEP…cnf.xml.sgn) are tampered: 'signature' flips a bit
   * of the SIGNATURE, 'record' one of the last record (the content for config files), 'signer' re-signs a trust list
   * with a key nobody trusts.
   */
  async tamperNextFile(name: string, opts: { mode?: TamperMode; count?: number } = {}): Promise<void> {
    const mode = opts.mode ?? 'signature';
    if (mode === 'signer') await this.faults.foreignSigner();
    this.faults.armTamper(name, mode, opts.count ?? 1);
    this.journal.record({ source: 'fault', kind: 'fault', fault: 'tampered-file', state: 'armed', detail: { name, mode, count: opts.count ?? 1 } }, `fault armed: next ${opts.count ?? 1} download(s) of ${name} tampered (${mode})`);
  }

  /**
   * A TLS door presents an expired certificate (same key, ended yesterday) or a wrong one (same subject, another key)
   * instead of its own; the service is restarted with it when running. 'normal' puts the real one back.
   */
  async serveCertificate(port: CertificateFaultPort, kind: CertificateFaultKind | 'normal'): Promise<void> {
    if (!CERTIFICATE_FAULT_PORTS.includes(port)) throw new ClusterOperationError('E_FAULT', `no such TLS door "${port}" (known: ${CERTIFICATE_FAULT_PORTS.join(', ')})`);
    if (kind === 'normal') this.faults.clearCertificateFault(port);
    else this.faults.setCertificateFault(port, kind, await Promise.all(PORT_PURPOSES[port].map((p) => forgeCertificate(this.pki, p, kind))));
    await this.#applyCertificateFault(port);
    this.journal.record({ source: 'fault', kind: 'fault', fault: 'certificate', state: kind === 'normal' ? 'cleared' : 'applied', detail: { port, kind } }, kind === 'normal' ? `fault cleared: ${port} presents its own certificate again` : `fault: ${port} presents a ${kind} certificate`);
  }

  async #applyCertificateFault(port: CertificateFaultPort): Promise<void> {
    if (!this.running) return;
    switch (port) {
      case 'tvs': {
        const tvs = this.#services.tvs;
        if (!tvs) return;
        const f = this.faults.credentials('tvs', 'TVS');
        const real = this.pki.tlsCredentials('TVS');
        tvs.setCredentials(f ? { key: f.key, cert: f.cert } : { key: real.key, cert: real.cert });
        return;
      }
      case 'capf':
        this.#services.capf?.refreshCredentials();
        return;
      case 'sip-tls':
        if (this.#services.running('callmanager')) await this.#services.restart('callmanager');
        return;
      case 'https-6971':
        if (this.#services.running('tftp')) await this.#services.restart('tftp');
        return;
      case 'https-6972':
        if (this.#services.running('tomcat')) await this.#services.restart('tomcat');
        return;
    }
  }

  /** CAPF refuses a phone: 'unknown-device', 'auth-failed', 'operation-expired' or 'key-rejected'. */
  refuseCapf(ref: string, how: CapfRefusal): void {
    const d = this.#deviceOrThrow(ref);
    this.faults.refuseCapf(d.name, how);
    this.journal.record({ source: 'fault', kind: 'fault', fault: 'capf-refusal', state: 'armed', detail: { device: d.name, refusal: how } }, `fault armed: CAPF refuses ${d.name} (${how})`);
  }

  /** Clears every fault (or those of one kind) and puts real certificates back on the doors. */
  async clearFaults(kind?: 'tampered-file' | 'certificate' | 'capf-refusal'): Promise<void> {
    if (!kind || kind === 'tampered-file') this.faults.clearTamper();
    if (!kind || kind === 'capf-refusal') this.faults.clearCapf();
    if (!kind || kind === 'certificate') for (const p of this.faults.clearCertificateFault()) await this.#applyCertificateFault(p);
    this.journal.record({ source: 'fault', kind: 'fault', fault: kind ?? 'all', state: 'cleared' }, `faults cleared${kind ? ` (${kind})` : ''}`);
  }

  // ---- internals ------------------------------------------------------------------------------------------------------------

  #loading(key: ServiceKey): void {
    const mode = this.#state.state.securityMode;
    if (key === 'tftp') {
      this.#tftpMode = mode;
      this.#itlSigner = 'itlRecovery';
      this.source.changed({ scope: 'cluster', reason: 'Cisco TFTP (re)loaded' });
    }
    if (key === 'callmanager') this.#sipMode = mode;
  }

  #ctlBytes(): Buffer | undefined {
    const ctl = this.#state.state.ctl;
    return ctl ? this.#state.object(ctl.object) : undefined;
  }

  async #writeCtl(signWith: TrustFileSigner, by: string): Promise<void> {
    const built = buildCtlFor(this.pki, { signWith, capfActive: this.#config.capf.active, digest: this.#config.parameters.tftpFileSignatureAlgorithm });
    for (const w of built.warnings) log.warn(`CTL: ${w}`);
    await this.#update((s, put) => {
      s.ctl = { object: put('CTLFile.tlv', built.bytes), signWith, writtenAt: new Date().toISOString(), by };
    });
    this.source.changed({ scope: 'cluster', reason: `CTL written (${by})` });
  }

  #requireMixed(command: string): void {
    if (this.securityMode !== 'mixed' || !this.#state.state.ctl) throw new ClusterOperationError('E_NOT_MIXED', `${command}: the cluster is not in mixed mode (run utils ctl set-cluster mixed-mode first)`);
  }

  /** The ITL (or CTL) re-signed by a key nobody trusts, for the 'signer' tamper mode. */
  #foreignTrustList(name: string): Buffer | undefined {
    const signer = this.faults.foreignSignerReady;
    if (!signer) return undefined;
    const lower = name.toLowerCase();
    if (lower === 'itlfile.tlv' || /^itlsep[0-9a-f]{12}\.tlv$/.test(lower)) {
      return buildItlFor(this.pki, {
        securityMode: this.#tftpMode,
        signWith: 'itlRecovery',
        rollback: false,
        capfActive: this.#config.capf.active,
        signerOverride: signer,
      }).bytes;
    }
    return undefined;
  }

  #mic(d: DeviceConfig): Uint8Array | undefined {
    if (d.micPem) return new X509Certificate(d.micPem).raw;
    const fetched = this.#capf?.device(d.name)?.fetched;
    if (fetched?.kind === 'MIC' && fetched.pem) return new X509Certificate(fetched.pem).raw;
    return undefined;
  }

  async #capfStore(): Promise<CapfStore> {
    if (this.#capf) return this.#capf;
    this.#capfOpening ??= CapfStore.open(resolve(this.stateDir, 'capf'), { pki: this.pki, parameters: capfParameters(this.#config) }).then((s) => {
      this.#capf = s;
      this.#capfOpening = undefined;
      return s;
    });
    return this.#capfOpening;
  }

  /** Puts a phone's CAPF settings (its own and its profile's) into the CAPF store, as saving the phone page does. */
  async #syncCapfDevice(d: DeviceConfig, before: DeviceConfig | undefined): Promise<void> {
    const store = await this.#capfStore();
    const profile = this.#config.phoneProfiles[d.profile]!;
    const cur = store.device(d.name);
    const input: CapfDeviceInput = {
      operation: d.capf.operation,
      authMode: d.capf.authMode ?? profile.authMode,
      keyOrder: profile.keyOrder,
      rsaKeySize: profile.rsaKeySize,
      ecKeySize: profile.ecKeySize,
    };
    if (d.capf.authString !== undefined && (d.capf.authString !== cur?.settings.authString || before?.capf.authString !== d.capf.authString)) {
      if (d.capf.authString !== cur?.settings.authString) input.authString = d.capf.authString;
    }
    if (d.capf.operationCompletesBy !== undefined) input.operationCompletesBy = d.capf.operationCompletesBy;
    await store.configureDevice(d.name, input);
    this.source.changed({ scope: 'device', mac: d.mac, reason: 'CAPF settings changed' });
  }

  #onCapfSession(s: SessionRecord): void {
    this.journal.record({ source: 'capf', kind: 'capf-session', session: s }, `CAPF session ${s.sessionId} ${s.device ?? s.peer}${s.operation ? ` ${s.operation}` : ''}: ${s.outcome} (${s.detail})`);
    const d = s.device ? findDevice(this.#config, s.device) : undefined;
    if (!d) return;
    this.source.changed({ scope: 'device', mac: d.mac, reason: `CAPF session ${s.outcome}` });
    if ((s.outcome === 'installed' || s.outcome === 'deleted' || s.outcome === 'fetched') && d.capf.operation !== 'none') {
      // CUCM sets the phone back to "No Pending Operation"; the configuration follows so a reopen does not re-arm it.
      this.#background(
        this.#updateConfig((i) => {
          const dev = i.devices![d.label]!;
          dev.capf = { ...(dev.capf ?? {}), operation: 'none' };
          delete dev.capfOperation;
        }, `CAPF ${s.outcome}: ${d.name} back to No Pending Operation`),
      );
    }
  }

  #onPkiEvent(e: PkiEvent): void {
    this.journal.record({ source: 'pki', kind: 'pki-event', event: e }, `PKI #${e.seq}: ${e.message}`);
    if ((e.type === 'lsc-issued' || e.type === 'lsc-deleted') && e.deviceName) {
      const d = findDevice(this.#config, e.deviceName);
      if (d) this.source.changed({ scope: 'device', mac: d.mac, reason: e.type });
      return;
    }
    if (e.type !== 'certificate-regenerated' && e.type !== 'certificate-uploaded') return;
    this.source.changed({ scope: 'cluster', reason: e.message });
    const f = e.effects;
    if (!f) return;
    const mixed = this.securityMode === 'mixed';
    this.#background(
      (async () => {
        await this.#update((s) => {
          s.pendingRestarts = [...new Set([...s.pendingRestarts, ...f.servicesToRestart])];
          if (mixed && f.ctlUpdateIfMixedMode && e.purpose) s.ctlUpdateRequired = [...new Set([...(s.ctlUpdateRequired ?? []), e.purpose])];
        });
        if (f.phoneResetRounds > 0) {
          await this.#queuePhoneResets(`${e.purpose} ${e.type === 'certificate-regenerated' ? 'regenerated' : 'uploaded'}: phones download the new ITL (event #${e.seq}, ${f.phoneResetRounds} round(s))`, e.seq, this.#config.parameters.phoneInteractionOnCertificateUpdate === 'auto-reset');
        }
      })(),
    );
  }

  async #queuePhoneResets(reason: string, cause: number | undefined, automatic: boolean): Promise<number> {
    const devices = Object.values(this.#config.devices);
    if (devices.length === 0) return 0;
    const since = new Date().toISOString();
    await this.#update((s) => {
      for (const d of devices) s.phoneResets.push({ device: d.name, reason, ...(cause !== undefined ? { cause } : {}), automatic, since });
      if (s.phoneResets.length > 10_000) s.phoneResets.splice(0, s.phoneResets.length - 10_000);
    });
    for (const d of devices) this.journal.record({ source: 'cluster', kind: 'phone-reset', device: d.name, state: 'pending', reason, ...(cause !== undefined ? { cause } : {}) }, `phone ${d.name}: reset pending (${reason})${automatic ? ', automatic' : ''}`);
    return devices.length;
  }

  #background(p: Promise<unknown>): void {
    const run = this.#work.then(() => p);
    this.#work = run.catch((err: Error) => log.error(`cluster ${this.name}: ${err.message}`));
  }

  #update(fn: Parameters<ClusterStateStore['update']>[0]): Promise<void> {
    return this.#state.update(fn).then(() => undefined);
  }

  /** Applies `mutate` to the input form of the configuration, validates it, and commits it. */
  async #updateConfig(mutate: (i: ClusterConfigInput) => void, reason: string): Promise<void> {
    const input = configToInput(this.#config);
    mutate(input);
    const next = normalizeClusterConfig(input);
    if (pkiFingerprint(next) !== pkiFingerprint(this.#config)) throw new ClusterOperationError('E_PKI_MISMATCH', 'host name, domain, subscribers and FIPS mode are fixed at creation');
    await this.#update((s) => {
      s.config = configToInput(next);
    });
    this.#config = next;
    this.source.changed({ scope: 'cluster', reason });
  }

  #operation(operation: string, message: string, detail?: Record<string, unknown>): void {
    log.info(message);
    this.journal.record({ source: 'cluster', kind: 'operation', operation, ...(detail ? { detail } : {}) }, message);
  }

  #result(operation: string, message: string, extra: Partial<OperationResult> = {}): OperationResult {
    return { operation, message, servicesToRestart: [...this.#state.state.pendingRestarts], phoneResets: 0, warnings: [], ...extra };
  }
}

function capfParameters(c: ClusterConfig) {
  return {
    certificateIssuer: c.capf.certificateIssuer,
    validityDays: c.capf.validityDays,
    keepAliveMinutes: c.capf.keepAliveMinutes,
    operationExpiresDays: c.capf.operationExpiresDays,
    endpointAdvancedEncryption: c.capf.endpointAdvancedEncryption,
  };
}
