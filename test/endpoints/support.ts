// Shared fixtures of the endpoints tests: clusters created once per process per host name (RSA generation is the
// cost) and copied per use, and a running "cluster" (provisioning server on TFTP/HTTP/HTTPS 6971, TVS, CAPF) on
// 127.0.0.1 with OS-chosen ports, wired the way the cluster glue will wire it (CAPF issues an LSC → the device record
// gets it, as CUCM's database does).
import { cpSync } from 'node:fs';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { getLogLevel, setLogLevel, type LogLevel } from '../../common/log.js';
import { CapfStore, startCapfServer, type CapfDeviceInput, type CapfParameters, type CapfServer, type KeyRequest } from '../../engine/capf/index.js';
import { ClusterPki, type ClusterPkiCreateOptions } from '../../engine/pki/index.js';
import { MemoryProvisioningSource, startProvisioningServer, type DeviceRecord, type EnterpriseParameters, type ProvisioningServer } from '../../engine/tftp/index.js';
import { buildClusterCtl, buildClusterItl, buildRollbackItl } from '../../engine/trust/index.js';
import { ClusterTrustSource, startTvsServer, type TvsServer } from '../../engine/tvs/index.js';
import { engineCapfPort, type CapfPort } from '../../endpoints/boot/capf-port.js';
import type { FileServerAddress } from '../../endpoints/boot/file-fetcher.js';
import { getModel, type ModelProfile } from '../../endpoints/models/model-profiles.js';
import { manufacturingIdentity, Phone, type PhoneOptions } from '../../endpoints/phone.js';
import { makeTempDir } from '../support/temp-dirs.js';

export function tempDir(prefix = 'endpoints'): string {
  return makeTempDir(prefix);
}

const FAST: ClusterPkiCreateOptions['parameters'] = { 'CallManager-ECDSA': { keySize: 256 }, 'tomcat-ECDSA': { keySize: 256 } };
const templates = new Map<string, Promise<string>>();

/** A private, opened copy of the cluster whose publisher is `hostname` (created once per process). */
export async function cluster(hostname = 'cucm-pub'): Promise<ClusterPki> {
  let t = templates.get(hostname);
  if (!t) {
    t = (async () => {
      const dir = join(tempDir(`template-${hostname}`), 'state');
      await ClusterPki.create(dir, { hostname, domain: `${hostname}.trustline.test`, parameters: FAST });
      return dir;
    })();
    templates.set(hostname, t);
  }
  const dir = join(tempDir(`copy-${hostname}`), 'state');
  cpSync(await t, dir, { recursive: true });
  return ClusterPki.open(dir);
}

export interface ItlOptions {
  /** Leave CallManager-ECDSA out: a signer-version 1.0 ITL. */
  rsaOnly?: boolean;
  signWith?: 'itlRecovery' | 'callManager';
  digest?: 'sha1' | 'sha512';
}

export function itlFor(pki: ClusterPki, o: ItlOptions = {}): Buffer {
  const i = pki.trustListInputs();
  return buildClusterItl({
    itlRecovery: i.itlRecovery,
    callManager: i.callManager,
    ...(o.rsaOnly ? {} : { callManagerEcdsa: i.callManagerEcdsa }),
    tvs: i.tvs,
    capf: i.capf,
    ...(o.signWith ? { signWith: o.signWith } : {}),
    ...(o.digest ? { digest: o.digest } : {}),
  }).bytes;
}

export function ctlFor(pki: ClusterPki): Buffer {
  const i = pki.trustListInputs();
  return buildClusterCtl({ itlRecovery: i.itlRecovery, callManager: i.callManager, callManagerEcdsa: i.callManagerEcdsa, capf: i.capf }).bytes;
}

/** "Prepare Cluster for Rollback to pre-8.0": the empty ITL, signed by the current ITLRecovery. */
export function rollbackItlFor(pki: ClusterPki): Buffer {
  return buildRollbackItl({ signer: pki.fileSigner('ITLRecovery') }).bytes;
}

export interface EnvOptions {
  mixedMode?: boolean;
  itl?: ItlOptions;
  devices?: DeviceRecord[];
  parameters?: Partial<EnterpriseParameters>;
  /** Start TVS (default true). */
  tvs?: boolean;
  /** Start CAPF (default false). */
  capf?: boolean;
  /** CAPF service parameters (e.g. Endpoint Advanced Encryption Algorithms Support). */
  capfParameters?: Partial<CapfParameters>;
  https6971?: boolean;
  /** HTTPS 6971 with the RSA CallManager certificate only (no CallManager-ECDSA). */
  https6971RsaOnly?: boolean;
}

export interface ClusterEnv {
  pki: ClusterPki;
  source: MemoryProvisioningSource;
  server: ProvisioningServer;
  tvs?: TvsServer;
  capf?: CapfServer;
  capfStore?: CapfStore;
  address: FileServerAddress;
  /** Rebuilds the ITL (and CTL in mixed mode) from the current pki and publishes them. */
  republish(o?: ItlOptions): void;
  /** Sets the CAPF operation on both sides (the device record for cnf.xml and CAPF's own settings). */
  capfOperation(mac: string, input: CapfDeviceInput): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(pki: ClusterPki, o: EnvOptions = {}): Promise<ClusterEnv> {
  const tvs = o.tvs === false ? undefined : await startTvsServer({ trust: new ClusterTrustSource(pki), credentials: pki.tlsCredentials('TVS'), port: 0, host: '127.0.0.1' });
  let capfStore: CapfStore | undefined;
  let capf: CapfServer | undefined;
  if (o.capf) {
    capfStore = await CapfStore.open(join(tempDir('capf-store'), 'capf'), { pki, journalFlushMs: 10, ...(o.capfParameters ? { parameters: o.capfParameters } : {}) });
    capf = await startCapfServer({ pki, store: capfStore, host: '127.0.0.1', port: 0 });
  }
  const parameters: EnterpriseParameters = {
    callManagers: [{ processNodeName: '127.0.0.1', name: pki.publisher }],
    ...(tvs ? { tvs: [{ address: '127.0.0.1', port: tvs.port }] } : { tvs: [] }),
    ...(capf ? { capf: [{ processNodeName: '127.0.0.1', phonePort: capf.port }] } : {}),
    ...(o.parameters ?? {}),
  };
  const source = new MemoryProvisioningSource(
    { itl: itlFor(pki, o.itl), ...(o.mixedMode ? { ctl: ctlFor(pki) } : {}), tftpSigner: pki.fileSigner('CallManager'), parameters },
    o.devices ?? [],
  );
  const https = o.https6971 !== false;
  const server = await startProvisioningServer({
    source,
    address: '127.0.0.1',
    tftp: { port: 0 },
    http: { port: 0 },
    ...(https
      ? { https6971: { port: 0, certificates: o.https6971RsaOnly ? [pki.tlsCredentials('CallManager')] : [pki.tlsCredentials('CallManager'), pki.tlsCredentials('CallManager-ECDSA')] } }
      : {}),
  });
  const ports = server.ports;
  if (capf && capfStore) {
    // The cluster glue: an LSC issued by CAPF reaches the device record (CUCM's database) and ends the operation.
    capf.on('session', (s) => {
      if (s.outcome !== 'installed' || !s.device) return;
      const mac = s.device.replace(/^SEP/i, '');
      const d = source.device(mac.toUpperCase());
      const lsc = pki.lsc(s.device);
      if (d && lsc) source.putDevice({ ...d, lsc: lsc.der, capfOperation: 'none' }, 'CAPF installed an LSC');
    });
  }
  const env: ClusterEnv = {
    pki,
    source,
    server,
    ...(tvs ? { tvs } : {}),
    ...(capf ? { capf } : {}),
    ...(capfStore ? { capfStore } : {}),
    address: { host: '127.0.0.1', tftpPort: ports.tftp!, httpPort: ports.http!, ...(ports.https6971 ? { https6971Port: ports.https6971 } : {}) },
    republish(io: ItlOptions = {}) {
      source.setCluster({ itl: itlFor(pki, io), ...(source.cluster().ctl ? { ctl: ctlFor(pki) } : {}), tftpSigner: pki.fileSigner('CallManager') }, 'certificates changed');
    },
    async capfOperation(mac: string, input: CapfDeviceInput) {
      const d = source.device(mac.toUpperCase());
      if (!d) throw new Error(`no device ${mac}`);
      const op = input.operation ?? 'install-upgrade';
      source.putDevice({ ...d, capfOperation: op, securityProfile: { ...d.securityProfile, ...(input.authMode ? { capfAuthMode: input.authMode } : {}) } });
      await capfStore!.configureDevice(`SEP${mac.toUpperCase()}`, { ...input, operation: op });
    },
    async close() {
      await server.close();
      await tvs?.stop();
      await capf?.close();
      await capfStore?.close();
    },
  };
  return env;
}

/** A device record with the given profile (non-secure, no encryption by default). */
export function device(mac: string, profile: Partial<DeviceRecord['securityProfile']> = {}, extra: Partial<DeviceRecord> = {}): DeviceRecord {
  return {
    mac,
    model: 'Cisco 8845',
    securityProfile: { deviceSecurityMode: 'non-secure', ...profile },
    lines: [{ button: 1, name: `1${mac.slice(-3)}`, authName: `u${mac.slice(-3)}`, authPassword: 'digest-secret' }],
    ...extra,
  };
}

const keyPool = new Map<string, KeyObject[]>();

/** CAPF key generation from a pool (RSA generation is slow); each request gets the next key of its kind. */
export function pooledCapf(): CapfPort {
  const used = new Map<string, number>();
  return engineCapfPort({
    retries: 0,
    retryDelayMs: 10,
    messageTimeoutMs: 10_000,
    generateKey: async (req: KeyRequest) => {
      const k = `${req.keyType}-${req.keySize}`;
      let keys = keyPool.get(k);
      if (!keys) {
        keys = Array.from({ length: 3 }, () =>
          req.keyType === 'RSA'
            ? generateKeyPairSync('rsa', { modulusLength: req.keySize }).privateKey
            : generateKeyPairSync('ec', { namedCurve: ({ 256: 'prime256v1', 384: 'secp384r1', 521: 'secp521r1' } as Record<number, string>)[req.keySize]! }).privateKey,
        );
        keyPool.set(k, keys);
      }
      const i = used.get(k) ?? 0;
      used.set(k, i + 1);
      return keys[i % keys.length]!;
    },
  });
}

export interface NewPhoneOptions extends Partial<Omit<PhoneOptions, 'mac' | 'model' | 'tftp'>> {
  /** Do not give the phone a MIC. */
  noMic?: boolean;
  /** The cluster whose emulated manufacturing CA issues the MIC (default the env's). */
  micFrom?: ClusterPki;
}

/** A phone pointed at `env`, with a MIC from the env's manufacturing CA, state in a fresh directory. */
export async function newPhone(env: ClusterEnv, mac: string, model: ModelProfile | string = 'cisco-88xx', o: NewPhoneOptions = {}): Promise<Phone> {
  const m = typeof model === 'string' ? getModel(model) : model;
  const { noMic, micFrom, ...rest } = o;
  const mic = noMic || !m.certificates.mic ? undefined : await manufacturingIdentity(micFrom ?? env.pki, mac, m);
  return Phone.open({
    mac,
    model: m,
    stateDir: o.stateDir ?? join(tempDir('phone'), 'flash'),
    tftp: env.address,
    capf: pooledCapf(),
    timeouts: { fileMs: 5000, tvsConnectMs: 2000, tvsResponseMs: 2000, tftpRetransmitMs: 200 },
    ...(mic ? { mic } : {}),
    ...rest,
  });
}

/** Quiet logs for a suite (refusals are logged at warn by design). */
export function quietLogs(level: LogLevel = 'error'): void {
  let prev: LogLevel = 'warn';
  before(() => {
    prev = getLogLevel();
    setLogLevel(level);
  });
  after(() => setLogLevel(prev));
}
