// Shared fixtures of the cluster tests. Creating a cluster generates its PKI (RSA keys: the slow part), so each
// configuration is created once per process as a template and every test gets a copy of its state directory.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddedCluster, type ClusterConfigInput, type ClusterPorts } from '../../engine/cluster/index.js';
import { makeTempDir } from '../support/temp-dirs.js';

export function tempDir(prefix = 'cluster'): string {
  return makeTempDir(prefix);
}

/** Every door on a port the OS chooses. */
export const EPHEMERAL: ClusterPorts = { sipUdp: 0, sipTcp: 0, sipTls: 0, tftp: 0, http: 0, https6971: 0, https6972: 0, tvs: 0, capf: 0 };

export const ALICE = '001B540A0001';
export const BOB = '001B540A0002';
export const CAROL = '001B540A0003';

/** The "US" cluster: an encrypted profile (MIC first), an authenticated one, a non-secure one with digest; three phones. */
export function usConfig(): ClusterConfigInput {
  return {
    name: 'us',
    hostname: 'cucm-us',
    domain: 'us.trustline.test',
    network: { bind: '127.0.0.1', ports: { ...EPHEMERAL } },
    // P-256 for the ECDSA purposes: quicker, and CUCM allows it.
    certificates: { 'CallManager-ECDSA': { keySize: 256, hash: 'SHA256' }, 'tomcat-ECDSA': { keySize: 256, hash: 'SHA256' } },
    phoneProfiles: {
      'UDT-Encrypted-LSC': { deviceSecurityMode: 'encrypted', authMode: 'existing-mic', keyOrder: 'rsa-only', rsaKeySize: 2048 },
      'UDT-Encrypted-LSC-TFTPenc': { deviceSecurityMode: 'encrypted', tftpEncryptedConfig: true, authMode: 'existing-lsc', keyOrder: 'rsa-only', rsaKeySize: 2048 },
      'UDT-Authenticated': { deviceSecurityMode: 'authenticated', authMode: 'null-string' },
      'NonSecure-Digest': { deviceSecurityMode: 'non-secure', transport: 'TCP', digestAuthentication: true },
    },
    devices: {
      alice: { mac: '00:1B:54:0A:00:01', model: '8865', profile: 'UDT-Encrypted-LSC', line: 1001, capfOperation: 'install-upgrade' },
      bob: { mac: '00:1B:54:0A:00:02', model: '8845', profile: 'UDT-Authenticated', line: 1002 },
      carol: { mac: '00:1B:54:0A:00:03', model: '8841', profile: 'NonSecure-Digest', line: 1003, digestUser: { userId: 'carol', password: 'secret' } },
    },
  };
}

/** The "EU" cluster (another PKI): the destination of migrations. */
export function euConfig(): ClusterConfigInput {
  return {
    name: 'eu',
    hostname: 'cucm-eu',
    domain: 'eu.trustline.test',
    network: { bind: '127.0.0.1', ports: { ...EPHEMERAL } },
    certificates: { 'CallManager-ECDSA': { keySize: 256, hash: 'SHA256' }, 'tomcat-ECDSA': { keySize: 256, hash: 'SHA256' } },
  };
}

const templates = new Map<string, Promise<string>>();

/** The state directory of a cluster created once per process (never started; copy it with freshCluster). */
export function templateDir(key: 'us' | 'eu'): Promise<string> {
  let t = templates.get(key);
  if (!t) {
    t = (async () => {
      const dir = join(tempDir(`template-${key}`), 'state');
      const c = await EmbeddedCluster.create({ stateDir: dir, config: key === 'us' ? usConfig() : euConfig() });
      await c.close();
      return dir;
    })();
    templates.set(key, t);
  }
  return t;
}

/** A private copy of a template cluster, opened (with `config` replacing the stored configuration when given). */
export async function freshCluster(key: 'us' | 'eu' = 'us', config?: ClusterConfigInput): Promise<EmbeddedCluster> {
  const src = await templateDir(key);
  const dir = join(tempDir(`copy-${key}`), 'state');
  cpSync(src, dir, { recursive: true });
  return EmbeddedCluster.open({ stateDir: dir, ...(config ? { config } : {}) });
}

/** GET over HTTP; status and body. */
export async function httpGet(port: number, name: string, host = '127.0.0.1'): Promise<{ status: number; body: Buffer }> {
  const r = await fetch(`http://${host}:${port}/${name}`);
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
}
