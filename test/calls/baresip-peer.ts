// baresip 1.0 (Debian baresip-core) as a registered secure phone for the B2BUA interop tests: the shared peer of
// test/support/baresip.ts, with an LSC from the test cluster's pki (key + certificate in one PEM) and the CallManager
// certificate as its CA. It registers over TLS (regint > 0) to our server, which admits it as an Encrypted phone by its
// certificate. Config keys: research peers-and-perf.md §1.1.
import { generateKeyPairSync } from 'node:crypto';
import type { ClusterPki } from '../../engine/pki/index.js';
import { type BaresipPeer, startBaresip as startPeer } from '../support/baresip.js';
import { tempDir } from '../sip-engine/support.js';

export { toneWav, type BaresipPeer } from '../support/baresip.js';

export async function startBaresip(o: { pki: ClusterPki; deviceName: string; line: string; serverTlsPort: number }): Promise<BaresipPeer> {
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const lsc = await o.pki.issueLsc({ deviceName: o.deviceName, publicKey: k.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
  return startPeer({
    dir: tempDir('baresip'),
    certificatePem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() + lsc.pem + lsc.chainPems.join(''),
    caPem: o.pki.tlsCredentials('CallManager').cert,
    aor: `sip:${o.line}@127.0.0.1:${o.serverTlsPort};transport=tls`,
  });
}
