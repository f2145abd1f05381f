// The cluster as engine/tftp's ProvisioningSource: the ITL (and the CTL in mixed mode) built from the PKI and the
// cluster state, the TFTP signer (the CallManager key), the enterprise parameters as phones see them (the bound
// addresses and ports of CallManager, TVS and CAPF), and one DeviceRecord per configured phone (its profile, its
// pending CAPF operation, the LSC CAPF issued, its MIC when known). Caches until the cluster announces a change.
import type { CapfOperation } from '../capf/index.js';
import type { ClusterPki } from '../pki/index.js';
import type { BuiltFile } from '../trust/index.js';
import {
  normalizeMacAddress,
  type CallManagerNode,
  type CapfServer,
  type ClusterInputs,
  type DeviceRecord,
  type EnterpriseParameters,
  type ProvisioningSource,
  type SourceChange,
  type TvsServer,
} from '../tftp/index.js';
import type { ClusterConfig, ClusterSecurityMode, DeviceConfig } from './config.js';
import { buildItlFor, type TrustFileSigner } from './trust-files.js';

/** What the TFTP service loaded when it last started, plus what commands wrote since. */
export interface TftpView {
  securityMode: ClusterSecurityMode;
  itlSigner: TrustFileSigner;
  /** CTLFile.tlv as last written; served in mixed mode only. */
  ctl?: Uint8Array;
}

/** Phone-facing addresses and ports of the services (the bound ones once started). */
export interface PhoneFacing {
  callManagers: CallManagerNode[];
  tvs: TvsServer[];
  capf: CapfServer[];
}

export interface ProvisioningView {
  pki: ClusterPki;
  config(): ClusterConfig;
  tftp(): TftpView;
  phoneFacing(): PhoneFacing;
  /** The device's pending CAPF operation as CAPF records it (it returns to none once done). */
  capfOperation(deviceName: string): CapfOperation | undefined;
  /** The phone's MIC when the cluster knows it (configuration, CAPF Troubleshoot, or registered by the emulation). */
  mic(device: DeviceConfig): Uint8Array | undefined;
}

/** The phone-facing enterprise parameters (engine/tftp's model). */
export function enterpriseParameters(config: ClusterConfig, facing: PhoneFacing): EnterpriseParameters {
  const p = config.parameters;
  const out: EnterpriseParameters = {
    callManagers: facing.callManagers,
    tvs: p.tvsMembers ? p.tvsMembers.map((m) => ({ address: m.address, ...(m.port !== undefined ? { port: m.port } : {}) })) : facing.tvs,
    capf: facing.capf,
    tlsCiphers: p.tlsCiphers,
    tlsResumptionTimer: p.tlsResumptionTimer,
    tftpFileSignatureAlgorithm: p.tftpFileSignatureAlgorithm,
    autoRegistration: p.autoRegistration,
  };
  if (p.tls12Only !== undefined) out.tls12Only = p.tls12Only;
  return out;
}

/** The database view of one phone, as engine/tftp reads it. */
export function deviceRecord(config: ClusterConfig, d: DeviceConfig, live: { capfOperation?: CapfOperation; lsc?: Uint8Array; mic?: Uint8Array }): DeviceRecord {
  const profile = config.phoneProfiles[d.profile]!;
  const rec: DeviceRecord = {
    mac: d.mac,
    protocol: d.protocol,
    securityProfile: {
      name: profile.name,
      deviceSecurityMode: profile.deviceSecurityMode,
      transport: profile.transport,
      tftpEncryptedConfig: profile.tftpEncryptedConfig,
      excludeDigestCredentials: profile.excludeDigestCredentials,
      capfAuthMode: d.capf.authMode ?? profile.authMode,
    },
    capfOperation: live.capfOperation ?? d.capf.operation,
    lines: d.lines.map((l, n) => ({
      button: n + 1,
      name: l.dn,
      ...(l.displayName !== undefined ? { displayName: l.displayName } : {}),
      ...(d.digestUser ? { authName: d.digestUser.userId } : {}),
      ...(d.digestUser?.password !== undefined ? { authPassword: d.digestUser.password } : {}),
    })),
  };
  if (d.model !== undefined) rec.model = /^\d/.test(d.model) ? `Cisco ${d.model}` : d.model;
  if (d.loadInformation !== undefined) rec.loadInformation = d.loadInformation;
  if (live.lsc) rec.lsc = live.lsc;
  if (live.mic) rec.mic = live.mic;
  if (d.manualKeyHex) rec.manualKey = Buffer.from(d.manualKeyHex, 'hex');
  return rec;
}

export class ClusterProvisioningSource implements ProvisioningSource {
  readonly #view: ProvisioningView;
  readonly #listeners = new Set<(c: SourceChange) => void>();
  #inputs: ClusterInputs | undefined;
  #itl: BuiltFile | undefined;

  constructor(view: ProvisioningView) {
    this.#view = view;
  }

  /** ITLFile.tlv as the TFTP service serves it now (built on first use after each change). */
  itl(): BuiltFile {
    if (!this.#itl) {
      const v = this.#view;
      const c = v.config();
      const t = v.tftp();
      this.#itl = buildItlFor(v.pki, {
        securityMode: t.securityMode,
        signWith: t.itlSigner,
        rollback: c.parameters.prepareClusterForRollback,
        capfActive: c.capf.active,
        digest: c.parameters.tftpFileSignatureAlgorithm,
      });
    }
    return this.#itl;
  }

  /** CTLFile.tlv when the TFTP service serves one (mixed mode). */
  ctl(): Uint8Array | undefined {
    const t = this.#view.tftp();
    return t.securityMode === 'mixed' ? t.ctl : undefined;
  }

  cluster(): ClusterInputs {
    if (!this.#inputs) {
      const v = this.#view;
      const ctl = this.ctl();
      const signer = v.pki.fileSigner('CallManager');
      this.#inputs = {
        itl: this.itl().bytes,
        ...(ctl ? { ctl } : {}),
        tftpSigner: { certDer: signer.certDer, privateKey: signer.privateKey },
        parameters: enterpriseParameters(v.config(), v.phoneFacing()),
      };
    }
    return this.#inputs;
  }

  device(mac: string): DeviceRecord | undefined {
    const m = normalizeMacAddress(mac);
    const c = this.#view.config();
    const d = Object.values(c.devices).find((x) => x.mac === m);
    if (!d) return undefined;
    const lsc = this.#view.pki.lsc(d.name)?.der;
    const mic = this.#view.mic(d);
    const op = this.#view.capfOperation(d.name);
    return deviceRecord(c, d, { ...(op ? { capfOperation: op } : {}), ...(lsc ? { lsc } : {}), ...(mic ? { mic } : {}) });
  }

  /** Drops what was built and tells the file service (which drops its own cache). */
  changed(change: SourceChange): void {
    if (change.scope === 'cluster') {
      this.#inputs = undefined;
      this.#itl = undefined;
    }
    for (const l of [...this.#listeners]) l(change);
  }

  onChange(listener: (c: SourceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
