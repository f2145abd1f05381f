// Cluster certificate options the scenarios need: a cluster created without CallManager-ECDSA (S10's negative
// variant) and two clusters sharing one ITLRecovery key (S13 variant d).
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { EmbeddedCluster } from '../../engine/cluster/index.js';
import { ClusterPki } from '../../engine/pki/index.js';
import { parseItl, parseCtl, verifyTrustList } from '../../engine/trust/index.js';
import { euConfig, freshCluster, httpGet, tempDir, usConfig } from './support.js';

/** The certificate the server presents to a client offering these suites, or the handshake error. */
function served(port: number, ciphers: string): Promise<X509Certificate | Error> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, ciphers, maxVersion: 'TLSv1.2', rejectUnauthorized: false }, () => {
      const c = s.getPeerX509Certificate();
      s.destroy();
      resolve(c ?? new Error('no certificate'));
    });
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.on('error', (e) => resolve(e));
  });
}

describe('cluster: certificate options (no CallManager-ECDSA, shared ITLRecovery)', function () {
  this.timeout(120_000);

  it('a cluster created with CallManager-ECDSA present: false has none: RSA-only ITL/CTL, nothing for an ECDSA-only offer on SIP TLS, RSA on 6971', async () => {
    const config = { ...usConfig(), securityMode: 'mixed' as const, certificates: { 'CallManager-ECDSA': { present: false }, 'tomcat-ECDSA': { keySize: 256, hash: 'SHA256' as const } } };
    const c = await EmbeddedCluster.create({ stateDir: join(tempDir('no-ecdsa'), 'state'), config });
    try {
      expect(c.pki.has('CallManager-ECDSA')).to.equal(false);
      expect(c.pki.has('tomcat-ECDSA')).to.equal(true);
      expect(() => c.pki.certificate('CallManager-ECDSA')).to.throw(/no CallManager-ECDSA certificate/);
      await c.start();
      const itl = await httpGet(c.endpoints().http!.port, 'ITLFile.tlv');
      const ctl = await httpGet(c.endpoints().http!.port, 'CTLFile.tlv');
      expect(verifyTrustList(itl.body).ok && verifyTrustList(ctl.body).ok).to.equal(true);
      const ec = (bytes: Buffer, parse: typeof parseItl) => parse(bytes).records.filter((r) => r.certificate && new X509Certificate(r.certificate).publicKey.asymmetricKeyType === 'ec');
      expect(ec(itl.body, parseItl)).to.have.length(0);
      expect(ec(ctl.body, parseCtl)).to.have.length(0);
      // An ECDSA-only offer finds no certificate on SIP TLS (an RSA offer would be answered, then asked for a client
      // certificate, which this probe has none of).
      const sip = await served(c.endpoints().sip.tls!.port, 'ECDHE-ECDSA-AES256-GCM-SHA384');
      expect(sip).to.be.instanceOf(Error);
      const https = await served(c.endpoints().https6971!.port, 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384');
      expect((https as X509Certificate).fingerprint256).to.equal(new X509Certificate(c.pki.certificate('CallManager').der).fingerprint256);
    } finally {
      await c.close();
    }
  });

  it('only the ECDSA purposes can be left out', async () => {
    const dir = join(tempDir('no-tvs'), 'state');
    let err: unknown;
    try {
      await ClusterPki.create(dir, { without: ['TVS'] });
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/cannot be created without TVS/);
  });

  it('a cluster sharing the ITLRecovery key of another signs its ITL with it; a key that is not the certificate\'s is refused', async () => {
    const [us, sibling] = await Promise.all([freshCluster('us', usConfig()), freshCluster('eu', euConfig())]);
    try {
      const before = sibling.pki.certificate('CallManager').der;
      const r = await sibling.shareItlRecovery(us);
      expect(r.message).to.match(/ITLRecovery on cucm-eu replaced by the certificate and key of cluster us/);
      expect(sibling.pki.certificate('ITLRecovery').der.equals(us.pki.certificate('ITLRecovery').der)).to.equal(true);
      expect(sibling.pki.certificate('CallManager').der.equals(before)).to.equal(true);
      await sibling.start();
      const itl = await httpGet(sibling.endpoints().http!.port, 'ITLFile.tlv');
      const v = verifyTrustList(itl.body);
      expect(v.ok).to.equal(true);
      expect(parseItl(itl.body).records[v.signerRecord! - 1]!.certificate!.equals(us.pki.certificate('ITLRecovery').der)).to.equal(true);

      const wrongKey = { cert: us.pki.certificate('ITLRecovery').pem, key: us.pki.privateKey('CallManager') };
      let err: unknown;
      try {
        await sibling.pki.adoptSharedIdentity('ITLRecovery', wrongKey);
      } catch (e) {
        err = e;
      }
      expect(String(err)).to.match(/does not belong to the certificate/);
      err = undefined;
      try {
        await sibling.pki.adoptSharedIdentity('CallManager', { cert: us.pki.certificate('CallManager').pem, key: us.pki.privateKey('CallManager') });
      } catch (e) {
        err = e;
      }
      expect(String(err)).to.match(/only ITLRecovery can be shared/);
    } finally {
      await Promise.all([us.close(), sibling.close()]);
    }
  });
});
