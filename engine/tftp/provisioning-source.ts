// What the configuration download service needs from the cluster, as plain values: the trust files, the TFTP
// signing key, the enterprise parameters and one record per phone. The cluster (engine/pki and the database
// emulation) implements ProvisioningSource; tests and tools can use MemoryProvisioningSource.
import type { KeyObject } from 'node:crypto';

export type DeviceSecurityModeName = 'non-secure' | 'authenticated' | 'encrypted';
/** Phone Security Profile "Transport Type"; TLS is implied by the authenticated and encrypted modes. */
export type TransportName = 'TCP' | 'UDP' | 'TCP+UDP' | 'TLS';
/** Phone Security Profile / Phone Configuration "Authentication Mode" for CAPF. */
export type CapfAuthModeName = 'auth-string' | 'null-string' | 'existing-lsc' | 'existing-mic';
/** Phone Configuration "Certificate Operation". */
export type CapfOperation = 'none' | 'install-upgrade' | 'delete' | 'troubleshoot';

export interface PhoneSecurityProfile {
  name?: string;
  deviceSecurityMode: DeviceSecurityModeName;
  /** For non-secure mode; default TCP (seed 001 L5800: "A TCP connection opens"). Secure modes always use TLS. */
  transport?: TransportName;
  /** "TFTP Encrypted Config". */
  tftpEncryptedConfig?: boolean;
  /** "Exclude Digest Credentials in Configuration File". */
  excludeDigestCredentials?: boolean;
  capfAuthMode?: CapfAuthModeName;
}

export interface SipLine {
  /** Button number, 1-based. */
  button: number;
  /** Directory number (the SIP user). */
  name: string;
  displayName?: string;
  /** Digest credentials: the secrets an encrypted config protects. */
  authName?: string;
  authPassword?: string;
}

export interface DeviceRecord {
  /** 12 hex digits, any case, separators allowed; the file names use it upper-case. */
  mac: string;
  /** Model as Cisco writes it in loadInformation (e.g. "Cisco 8841"). */
  model?: string;
  protocol?: 'SIP' | 'SCCP';
  securityProfile: PhoneSecurityProfile;
  capfOperation?: CapfOperation;
  /** The phone's certificates as CAPF recorded them (DER). */
  lsc?: Uint8Array;
  mic?: Uint8Array;
  /** Manual key distribution: the symmetric key entered on the phone (16 or 32 bytes). Wins over certificates. */
  manualKey?: Uint8Array;
  /** Firmware load name. */
  loadInformation?: string;
  lines?: SipLine[];
}

export interface CallManagerNode {
  /** Host name or address phones connect to (`<processNodeName>`). */
  processNodeName: string;
  name?: string;
  description?: string;
  /** Default 5060. */
  sipPort?: number;
  /** Default 5061. */
  securedSipPort?: number;
}

export interface TvsServer {
  address: string;
  /** Default 2445. */
  port?: number;
}

export interface CapfServer {
  processNodeName: string;
  /** Default 3804. */
  phonePort?: number;
}

export type ServiceUrlName =
  | 'authenticationURL'
  | 'directoryURL'
  | 'idleURL'
  | 'informationURL'
  | 'messagesURL'
  | 'proxyServerURL'
  | 'servicesURL'
  | 'secureAuthenticationURL'
  | 'secureDirectoryURL'
  | 'secureIdleURL'
  | 'secureInformationURL'
  | 'secureMessagesURL'
  | 'secureServicesURL';

export interface FirmwareLoad {
  /** Cisco's model type number, used in XMLDefault's `<loadInformation{typeId}>` element names. */
  typeId: number;
  model: string;
  load: string;
}

/** The enterprise and service parameters that reach the phone's configuration. */
export interface EnterpriseParameters {
  /** The Unified CM group, highest priority first (at most 5 are written, as phones take 5). */
  callManagers: CallManagerNode[];
  /** TVS servers; default: one per CallManager node of the group, port 2445 (the CM group decides TVS, 002 L1747). */
  tvs?: TvsServer[];
  /** CAPF (the publisher); none when CAPF is not activated. */
  capf?: CapfServer[];
  /** "TLS Ciphers" preset (id or label); derives disableTLSCiphers when disabledTlsCiphers is not given. */
  tlsCiphers?: string;
  /** `<disableTLSCiphers>` codes 1..7, written as given. */
  disabledTlsCiphers?: number[];
  /** Default 3600 seconds. */
  tlsResumptionTimer?: number;
  tls12Only?: boolean;
  /** "TFTP File Signature Algorithm": default SHA-1 (seed 001 L6159). */
  tftpFileSignatureAlgorithm?: 'sha1' | 'sha512';
  /** Auto-registration (written into XMLDefault.cnf.xml); default false. */
  autoRegistration?: boolean;
  ipAddressMode?: number;
  urls?: Partial<Record<ServiceUrlName, string>>;
  /** Default firmware per model, for XMLDefault.cnf.xml. */
  loads?: FirmwareLoad[];
}

/** The key and certificate that sign TFTP files: the TFTP node's CallManager (RSA) certificate. */
export interface FileSigner {
  certDer: Uint8Array;
  privateKey: KeyObject;
}

export type FileBytes = Uint8Array | (() => Uint8Array);

export interface ClusterInputs {
  /** ITLFile.tlv as built (engine/trust buildClusterItl / buildRollbackItl). */
  itl: FileBytes;
  /** CTLFile.tlv; present exactly when the cluster is in mixed mode. */
  ctl?: FileBytes;
  tftpSigner: FileSigner;
  parameters: EnterpriseParameters;
  /** Other files served as they are and as `.sgn` (ring lists, dial plans, locale files, firmware). */
  staticFiles?: ReadonlyMap<string, Uint8Array>;
}

export type SourceChange = { scope: 'cluster'; reason?: string } | { scope: 'device'; mac: string; reason?: string };

export interface ProvisioningSource {
  /** Cluster-wide inputs; called for every request, so keep it cheap (return the same objects until they change). */
  cluster(): ClusterInputs;
  /** The device record for a MAC (12 upper-case hex digits), undefined for a device not in the database. */
  device(mac: string): DeviceRecord | undefined;
  /** Per-device trust list (`ITLSEP<MAC>.tlv` / `CTLSEP<MAC>.tlv`); by default the cluster's file. */
  deviceTrustList?(kind: 'itl' | 'ctl', mac: string): Uint8Array | undefined;
  /** Regeneration events (certificates, profiles, parameters): generated files are cached until one arrives. */
  onChange?(listener: (change: SourceChange) => void): () => void;
}

export function normalizeMacAddress(mac: string): string | undefined {
  const m = mac.replace(/^SEP/i, '').replace(/[:.-]/g, '').toUpperCase();
  return /^[0-9A-F]{12}$/.test(m) ? m : undefined;
}

/** A ProvisioningSource held in memory; every setter announces the change. */
export class MemoryProvisioningSource implements ProvisioningSource {
  #cluster: ClusterInputs;
  readonly #devices = new Map<string, DeviceRecord>();
  readonly #listeners = new Set<(c: SourceChange) => void>();

  constructor(cluster: ClusterInputs, devices: DeviceRecord[] = []) {
    this.#cluster = cluster;
    for (const d of devices) this.#devices.set(this.#key(d.mac), d);
  }

  #key(mac: string): string {
    const m = normalizeMacAddress(mac);
    if (!m) throw new TypeError(`${JSON.stringify(mac)} is not a 12-hex-digit MAC address`);
    return m;
  }

  cluster(): ClusterInputs {
    return this.#cluster;
  }

  device(mac: string): DeviceRecord | undefined {
    return this.#devices.get(mac);
  }

  devices(): DeviceRecord[] {
    return [...this.#devices.values()];
  }

  setCluster(update: Partial<ClusterInputs>, reason = 'cluster inputs changed'): void {
    this.#cluster = { ...this.#cluster, ...update };
    this.#emit({ scope: 'cluster', reason });
  }

  setParameters(update: Partial<EnterpriseParameters>, reason = 'enterprise parameters changed'): void {
    this.setCluster({ parameters: { ...this.#cluster.parameters, ...update } }, reason);
  }

  /** Adds or replaces a device record. */
  putDevice(d: DeviceRecord, reason = 'device record changed'): void {
    const mac = this.#key(d.mac);
    this.#devices.set(mac, d);
    this.#emit({ scope: 'device', mac, reason });
  }

  removeDevice(mac: string): void {
    const m = this.#key(mac);
    if (this.#devices.delete(m)) this.#emit({ scope: 'device', mac: m, reason: 'device removed' });
  }

  onChange(listener: (c: SourceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(c: SourceChange): void {
    for (const l of [...this.#listeners]) l(c);
  }
}
