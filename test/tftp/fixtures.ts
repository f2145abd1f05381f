// A throwaway cluster for the configuration download tests: certificates from test/support/test-certs.ts (openssl),
// the ITL/CTL built with engine/trust, and one device per interesting security profile.
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { getLogLevel, setLogLevel, type LogLevel } from '../../common/log.js';
import { buildClusterCtl, buildClusterItl } from '../../engine/trust/index.js';
import { MemoryProvisioningSource, type ClusterInputs, type DeviceRecord, type EnterpriseParameters } from '../../engine/tftp/index.js';
import { makeTestPki, type TestCert, type TestPki } from '../support/test-certs.js';

export const MAC = {
  /** Encrypted profile, TFTP Encrypted Config, RSA LSC (and a MIC). */
  rsaLsc: '001122334455',
  /** Encrypted profile, TFTP Encrypted Config, ECDSA LSC: must present it on HTTPS. */
  ecLsc: 'AABBCCDDEEFF',
  /** Non-secure profile, no encryption, digest credentials in the config. */
  plain: '0000000000C1',
  /** TFTP Encrypted Config but no certificate and no key yet (CAPF has not run). */
  noKey: '0000000000D1',
  /** Manual key distribution (AES-128). */
  manual: '0000000000E1',
  /** Authenticated profile, MIC only, CAPF install pending (By Null String). */
  capf: '0000000000F1',
} as const;

export const SECRET = 'digest-secret-8841';

export interface TestCluster {
  pki: TestPki;
  itlRecovery: TestCert;
  tomcat: TestCert;
  tvs: TestCert;
  itl: Buffer;
  ctl: Buffer;
  callManagerKey: KeyObject;
  lscKey: KeyObject;
  micKey: KeyObject;
  otherKey: KeyObject;
  manualKey: Buffer;
  parameters: EnterpriseParameters;
  devices: DeviceRecord[];
  /** A new source each call (tests mutate theirs). */
  source(o?: { mixedMode?: boolean; staticFiles?: Map<string, Uint8Array>; parameters?: Partial<EnterpriseParameters> }): MemoryProvisioningSource;
}

const der = (c: TestCert) => Buffer.from(c.x509.raw);

let pending: Promise<TestCluster> | undefined;

export function testCluster(): Promise<TestCluster> {
  pending ??= build();
  return pending;
}

async function build(): Promise<TestCluster> {
  const pki = await makeTestPki();
  const [itlRecovery, tomcat, tvs] = await Promise.all([
    pki.issue({ name: 'itlrecovery', subject: '/CN=ITLRECOVERY_cucm-pub/OU=trustline tests/O=trustline' }),
    pki.issue({ name: 'tomcat', subject: '/CN=cucm-pub.trustline.test/OU=tomcat/O=trustline', san: 'DNS:localhost,IP:127.0.0.1' }),
    pki.issue({ name: 'tvs', subject: '/CN=cucm-pub-TVS/O=trustline' }),
  ]);
  const callManagerKey = createPrivateKey(pki.callManager.key);
  const callManager = { certDer: der(pki.callManager), privateKey: callManagerKey };
  const itlRecoveryKeyed = { certDer: der(itlRecovery), privateKey: createPrivateKey(itlRecovery.key) };
  const itl = buildClusterItl({
    itlRecovery: itlRecoveryKeyed,
    callManager,
    callManagerEcdsa: { certDer: der(pki.callManagerEcdsa) },
    tvs: [{ certDer: der(tvs) }],
    capf: [{ certDer: der(pki.capfCa) }],
  }).bytes;
  const ctl = buildClusterCtl({ itlRecovery: itlRecoveryKeyed, callManager, callManagerEcdsa: { certDer: der(pki.callManagerEcdsa) }, capf: [{ certDer: der(pki.capfCa) }] }).bytes;
  const manualKey = randomBytes(16);
  const parameters: EnterpriseParameters = {
    callManagers: [{ processNodeName: 'cucm-pub.trustline.test', description: 'publisher' }, { processNodeName: 'cucm-sub1.trustline.test', securedSipPort: 5063 }],
    capf: [{ processNodeName: 'cucm-pub.trustline.test' }],
    tlsCiphers: 'strongest-rsa',
    urls: { secureServicesURL: 'https://cucm-pub.trustline.test:8443/ccmcip/getservicesmenu.jsp' },
    autoRegistration: true,
    loads: [{ typeId: 683, model: 'Cisco 8841', load: 'sip88xx.14-2-1-0201-60' }],
  };
  const line = { button: 1, name: '1001', displayName: 'Phone One', authName: 'phone1', authPassword: SECRET };
  const devices: DeviceRecord[] = [
    {
      mac: MAC.rsaLsc,
      model: 'Cisco 8841',
      securityProfile: { name: 'Cisco 8841 - Encrypted TFTP', deviceSecurityMode: 'encrypted', tftpEncryptedConfig: true, capfAuthMode: 'existing-lsc' },
      lsc: der(pki.lsc),
      mic: der(pki.mic),
      loadInformation: 'sip88xx.14-2-1-0201-60',
      lines: [line],
    },
    {
      mac: MAC.ecLsc,
      model: 'Cisco 8845',
      securityProfile: { deviceSecurityMode: 'encrypted', tftpEncryptedConfig: true },
      lsc: der(pki.otherLsc),
      lines: [{ ...line, name: '1002' }],
    },
    { mac: MAC.plain, securityProfile: { deviceSecurityMode: 'non-secure', transport: 'UDP' }, lines: [{ ...line, name: '1003' }] },
    { mac: MAC.noKey, securityProfile: { deviceSecurityMode: 'non-secure', tftpEncryptedConfig: true }, lines: [{ ...line, name: '1004' }] },
    { mac: MAC.manual, model: 'Cisco 7962', securityProfile: { deviceSecurityMode: 'authenticated', tftpEncryptedConfig: true }, manualKey, lines: [{ ...line, name: '1005' }] },
    {
      mac: MAC.capf,
      securityProfile: { deviceSecurityMode: 'authenticated', capfAuthMode: 'null-string' },
      capfOperation: 'install-upgrade',
      mic: der(pki.mic),
    },
  ];
  const cluster: TestCluster = {
    pki,
    itlRecovery,
    tomcat,
    tvs,
    itl,
    ctl,
    callManagerKey,
    lscKey: createPrivateKey(pki.lsc.key),
    micKey: createPrivateKey(pki.mic.key),
    otherKey: createPrivateKey(pki.trunkPeer.key),
    manualKey,
    parameters,
    devices,
    source(o = {}) {
      const inputs: ClusterInputs = {
        itl,
        tftpSigner: callManager,
        parameters: { ...parameters, ...(o.parameters ?? {}) },
        ...(o.mixedMode === false ? {} : { ctl }),
        ...(o.staticFiles ? { staticFiles: o.staticFiles } : {}),
      };
      return new MemoryProvisioningSource(inputs, devices.map((d) => ({ ...d })));
    },
  };
  return cluster;
}

export function quietLogs(): void {
  let prev: LogLevel = 'warn';
  before(() => {
    prev = getLogLevel();
    setLogLevel('error');
  });
  after(() => setLogLevel(prev));
}
