// The emulated enterprise CA: CUCM's CA-signed procedure (CA into the trust store, CSR, signature, upload) for a
// single-node and a multi-server CallManager certificate, one CA shared by two clusters, persistence, openssl's view
// of the result, and the online-CA LSC path through ClusterPki.issueLsc's signer.
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { enrollWithEnterpriseCa, isSignedByCa } from '../../engine/pki/ca-enrollment.js';
import { EnterpriseCa, ENTERPRISE_CA_FILE } from '../../engine/pki/enterprise-ca.js';
import { PkiError } from '../../engine/pki/errors.js';
import { generateKey } from '../../engine/pki/keys.js';
import { verifyChain } from '../../engine/tls/peer-verification.js';
import { requirePeer } from '../support/peers.js';
import { FAST, freshCluster, openssl, tempDir } from './support.js';

describe('pki: enterprise CA', function () {
  this.timeout(60_000);
  let ca: EnterpriseCa;
  before(async () => {
    ca = await EnterpriseCa.create({ commonName: 'ent-pa-ca.ent-pa.com' });
  });

  it('signs a multi-server CallManager CSR: <host>-ms.<domain> with every node in the SAN, CA in CallManager-trust', async () => {
    const pki = await freshCluster('ent-two-nodes', { hostname: 'us-cm-pub', domain: 'ent-pa.com', subscribers: ['us-cm-sub1'], parameters: FAST });
    expect(isSignedByCa(pki, ca, 'CallManager', true)).to.equal(false);
    const r = await enrollWithEnterpriseCa(pki, ca, 'CallManager', { multiServer: true });
    expect(r.action).to.equal('signed');
    const pub = pki.certificate('CallManager');
    const sub = pki.certificate('CallManager', 'us-cm-sub1');
    expect(pub.certificate.subjectCN).to.equal('us-cm-pub-ms.ent-pa.com');
    expect(pub.certificate.dnsNames).to.include.members(['us-cm-pub-ms.ent-pa.com', 'us-cm-pub.ent-pa.com', 'us-cm-sub1.ent-pa.com']);
    expect(pub.signedBy).to.equal('ca');
    expect(pub.multiServer).to.equal(true);
    // One certificate and one key on every node (002 L1725-1728).
    expect(sub.der.equals(pub.der)).to.equal(true);
    expect(pub.certificate.issuer).to.equal(ca.subject);
    expect(pki.trustStore('CallManager-trust').some((t) => t.certificate.der.equals(ca.certificate.der))).to.equal(true);
    expect(pub.certificate.extendedKeyUsage).to.include.members(['serverAuth', 'clientAuth']);
    expect(r.events.map((e) => e.type)).to.include.members(['trust-certificate-added', 'csr-generated', 'certificate-uploaded']);
    // The TLS credentials carry the new key; a second run changes nothing.
    expect(new X509Certificate(pki.tlsCredentials('CallManager').identity.pem).checkPrivateKey(pki.privateKey('CallManager'))).to.equal(true);
    expect((await enrollWithEnterpriseCa(pki, ca, 'CallManager', { multiServer: true })).action).to.equal('unchanged');
  });

  it('one CA for two clusters: each one’s CallManager chains to the CA in the other one’s CallManager-trust', async () => {
    const us = await freshCluster('ent-us', { hostname: 'us-cm-pub', domain: 'ent-pa.com', parameters: FAST });
    const emea = await freshCluster('ent-emea', { hostname: 'emea-cm-pub', domain: 'ent-pa.com', parameters: FAST });
    await enrollWithEnterpriseCa(us, ca, 'CallManager', { multiServer: true });
    await enrollWithEnterpriseCa(emea, ca, 'CallManager', { multiServer: true });
    const anchors = (pki: typeof us) => pki.trustStore('CallManager-trust').map((t) => t.certificate.x509);
    const leaf = (pki: typeof us) => pki.certificate('CallManager').certificate.x509;
    expect(verifyChain({ leaf: leaf(us), intermediates: [] }, anchors(emea)).ok).to.equal(true);
    expect(verifyChain({ leaf: leaf(emea), intermediates: [] }, anchors(us)).ok).to.equal(true);
    expect(leaf(emea).subject).to.contain('CN=emea-cm-pub-ms.ent-pa.com');
  });

  it('openssl verifies the signed certificate against the CA', async function () {
    requirePeer(this, 'openssl', 'openssl');
    const pki = await freshCluster('ent-us', { hostname: 'us-cm-pub', domain: 'ent-pa.com', parameters: FAST });
    await enrollWithEnterpriseCa(pki, ca, 'CallManager', { multiServer: false });
    expect(pki.certificate('CallManager').certificate.subjectCN).to.equal('us-cm-pub');
    const dir = tempDir('ent-verify');
    writeFileSync(join(dir, 'ca.pem'), ca.certificate.pem);
    writeFileSync(join(dir, 'cm.pem'), pki.certificate('CallManager').pem);
    const out = await openssl(['verify', '-purpose', 'sslserver', '-CAfile', join(dir, 'ca.pem'), join(dir, 'cm.pem')]);
    expect(out).to.contain('cm.pem: OK');
  });

  it('persists atomically and reloads the same CA; a damaged file is refused with its path', async () => {
    const dir = tempDir('ent-store');
    const a = await EnterpriseCa.openOrCreate(dir, { commonName: 'persisted-ca' });
    const b = await EnterpriseCa.openOrCreate(dir);
    expect(b.certificate.der.equals(a.certificate.der)).to.equal(true);
    const key = await generateKey('RSA', 2048);
    b.addTemplate({ name: 'CiscoLSC' });
    expect(a.issued(b.issueFromTemplate('CiscoLSC', { commonName: 'SEP00EBD5100001' }, key.publicKey))).to.equal(true);
    const path = join(dir, ENTERPRISE_CA_FILE);
    writeFileSync(path, readFileSync(path, 'utf8').slice(0, 40));
    expect(() => EnterpriseCa.load(dir)).to.throw(PkiError, path);
  });

  it('issues LSCs from a template for a phone key, through issueLsc as the pki’s record', async () => {
    const pki = await freshCluster('ent-us', { hostname: 'us-cm-pub', domain: 'ent-pa.com', parameters: FAST });
    const template = ca.addTemplate({ name: 'CiscoLSC', validityDays: 365 });
    const phone = await generateKey('RSA', 2048);
    const lsc = await pki.issueLsc({
      deviceName: 'SEP00EBD5100001',
      publicKey: phone.publicKey,
      signer: { issuer: ca.certificate, chainPems: [ca.certificate.pem], sign: (r) => ca.issueFromTemplate(template.name, r.subject, r.publicKey, { now: r.now, validityDays: r.validityDays }) },
    });
    expect(lsc.certificate.issuer).to.equal(ca.subject);
    expect(lsc.certificate.subjectCN).to.equal('SEP00EBD5100001');
    expect(lsc.certificate.extendedKeyUsage).to.include.members(['serverAuth', 'clientAuth']);
    expect((lsc.certificate.notAfter.getTime() - lsc.certificate.notBefore.getTime()) / 86_400_000).to.equal(365);
    expect(pki.lsc('SEP00EBD5100001')?.der.equals(lsc.der)).to.equal(true);
    expect(() => ca.issueFromTemplate('NoSuchTemplate', { commonName: 'x' }, phone.publicKey)).to.throw(PkiError, 'no certificate template "NoSuchTemplate"');
    // A signer that hands back someone else's certificate is refused.
    const other = await generateKey('RSA', 2048);
    let refused: Error | undefined;
    await pki
      .issueLsc({ deviceName: 'SEP00EBD5100002', publicKey: phone.publicKey, signer: { issuer: ca.certificate, chainPems: [], sign: (r) => ca.issueFromTemplate(template.name, r.subject, other.publicKey) } })
      .catch((e: Error) => (refused = e));
    expect(refused?.message).to.contain('is not an LSC for SEP00EBD5100002');
  });
});
