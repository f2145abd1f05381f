// CSR generation and upload of the certificate an external CA signs: an openssl CA for the main path (the real peer),
// node-made certificates for the refusals that need a precise defect.
import { expect } from 'chai';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildName, parseCertificate, parseCsr, signCertificate, type CertificateInfo } from '../../engine/pki/certificates.js';
import { PkiRuleError } from '../../engine/pki/errors.js';
import { generateKey } from '../../engine/pki/keys.js';
import { requirePeer } from '../support/peers.js';
import { FAST, freshCluster, openssl, tempDir } from './support.js';

async function rejects(p: Promise<unknown>, code: string): Promise<PkiRuleError> {
  try {
    await p;
  } catch (err) {
    expect(err, (err as Error).message).to.be.instanceOf(PkiRuleError);
    expect((err as PkiRuleError).code, (err as Error).message).to.equal(code);
    return err as PkiRuleError;
  }
  expect.fail(`expected a refusal ${code}`);
}

interface ExternalCa {
  dir: string;
  certPath: string;
  keyPath: string;
  info: CertificateInfo;
}

async function opensslCa(name: string): Promise<ExternalCa> {
  const dir = tempDir('ext-ca');
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca.key');
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-subj', `/O=Example/CN=${name}`, '-days', '3650', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { dir, certPath, keyPath, info: parseCertificate(readFileSync(certPath)) };
}

/** Has the openssl CA sign a CSR, copying the requested extensions (or applying `ext` instead). */
async function opensslSign(ca: ExternalCa, csrPem: string, ext?: string): Promise<string> {
  const csrPath = join(ca.dir, 'req.csr');
  const outPath = join(ca.dir, 'signed.pem');
  writeFileSync(csrPath, csrPem);
  const args = ['x509', '-req', '-in', csrPath, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-CAcreateserial', '-out', outPath, '-days', '730', '-sha256'];
  if (ext) {
    writeFileSync(join(ca.dir, 'ext.cnf'), `[v3]\n${ext}\n`);
    args.push('-extfile', join(ca.dir, 'ext.cnf'), '-extensions', 'v3');
  } else {
    args.push('-copy_extensions', 'copyall');
  }
  await openssl(args);
  return readFileSync(outPath, 'utf8');
}

/** A node-made CA certificate signing `publicKey` with full control over the defects. */
function nodeSign(ca: ExternalCa, csrPem: string, opts: { commonName?: string; notBefore?: Date; notAfter?: Date; keyUsage?: ('digitalSignature' | 'keyEncipherment' | 'dataEncipherment')[] } = {}): string {
  const csr = parseCsr(csrPem);
  const now = Date.now();
  return signCertificate({
    subject: buildName({ commonName: opts.commonName ?? csr.subjectCN!, organization: 'Example' }),
    subjectPublicKey: csr.publicKey,
    issuer: buildName({ commonName: ca.info.subjectCN!, organization: 'Example' }),
    signingKey: createPrivateKey(readFileSync(ca.keyPath)),
    hash: 'SHA256',
    notBefore: opts.notBefore ?? new Date(now - 60_000),
    notAfter: opts.notAfter ?? new Date(now + 86_400_000),
    extensions: { keyUsage: opts.keyUsage ?? ['digitalSignature', 'keyEncipherment', 'dataEncipherment'], extendedKeyUsage: ['serverAuth', 'clientAuth'] },
  }).pem;
}

describe('pki CSR and CA-signed upload', function () {
  this.timeout(120_000);
  let ca: ExternalCa;

  before(async function () {
    requirePeer(this, 'openssl', 'openssl');
    ca = await opensslCa('Example Root CA');
  });

  it('generates a CallManager CSR whose extension request carries Table 23 and the SAN, verified by openssl', async () => {
    const pki = await freshCluster();
    const csr = await pki.generateCsr('CallManager');
    expect(csr.subject).to.match(/^CN=cucm-pub, OU=/);
    expect(pki.pendingCsr('CallManager')).to.equal(csr.pem);
    const f = join(tempDir('csr'), 'cm.csr');
    writeFileSync(f, csr.pem);
    const text = await openssl(['req', '-in', f, '-noout', '-verify', '-text']);
    expect(text).to.match(/Digital Signature, Key Encipherment, Data Encipherment/);
    expect(text).to.match(/TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(text).to.contain('DNS:cucm-pub.trustline.test');
    expect(text).to.contain('Public-Key: (2048 bit)');
    expect(csr.event.type).to.equal('csr-generated');
  });

  it('refuses the upload until the CA root is in CallManager-trust, then installs the CA-signed certificate', async () => {
    const pki = await freshCluster();
    const selfSigned = pki.certificate('CallManager').certificate;
    const csr = await pki.generateCsr('CallManager');
    const signed = await opensslSign(ca, csr.pem);
    const e = await rejects(pki.uploadCertificate('CallManager', signed), 'E_UPLOAD_CHAIN');
    expect(e.message).to.contain('To use CA-signed certificates, you must first install the CA root certificate chain on Unified Communications Manager');
    expect(e.message).to.contain('CallManager-trust');

    const [added] = await pki.importTrustCertificate('CallManager-trust', readFileSync(ca.certPath, 'utf8'), { description: 'Example Root CA' });
    expect(added!.action).to.equal('added');
    const events = await pki.uploadCertificate('CallManager', signed);
    expect(events).to.have.length(1);
    expect(events[0]!.type).to.equal('certificate-uploaded');
    expect(events[0]!.effects!.notes.join('\n')).to.contain('you might observe the phones reset automatically to update their ITL File');
    expect(events[0]!.effects!.itlRebuilt).to.equal(true);

    const now = pki.certificate('CallManager');
    expect(now.signedBy).to.equal('ca');
    expect(now.certificate.issuerCN).to.equal('Example Root CA');
    expect(now.certificate.keyUsage).to.include('dataEncipherment');
    expect(pki.pendingCsr('CallManager')).to.equal(undefined);
    expect(new X509Certificate(now.der).checkPrivateKey(pki.privateKey('CallManager'))).to.equal(true);
    // The self-signed copy left CallManager-trust; the CA root stays.
    expect(pki.isTrusted('CallManager-trust', selfSigned)).to.equal(false);
    expect(pki.isTrusted('CallManager-trust', ca.info)).to.equal(true);
    const f = join(ca.dir, 'installed.pem');
    writeFileSync(f, now.pem);
    expect(await openssl(['verify', '-CAfile', ca.certPath, f])).to.contain(': OK');
  });

  it('refuses a certificate for another key, one without Data Encipherment, an expired one, and a self-signed one', async () => {
    const pki = await freshCluster();
    await pki.importTrustCertificate('CallManager-trust', readFileSync(ca.certPath));
    const csr = await pki.generateCsr('CallManager');

    const otherDir = tempDir('other-csr');
    await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(otherDir, 'k'), '-out', join(otherDir, 'r.csr'), '-subj', '/CN=cucm-pub']);
    await rejects(pki.uploadCertificate('CallManager', await opensslSign(ca, readFileSync(join(otherDir, 'r.csr'), 'utf8'))), 'E_UPLOAD_KEY');

    const noDataEnc = await opensslSign(ca, csr.pem, 'keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth');
    const e = await rejects(pki.uploadCertificate('CallManager', noDataEnc), 'E_UPLOAD_KEY_USAGE');
    expect(e.message).to.contain("Ensure that 'Data Encipherment' bit is not changed or removed as part of the CA-signing certificate process.");

    const expired = nodeSign(ca, csr.pem, { notBefore: new Date(Date.now() - 3 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    await rejects(pki.uploadCertificate('CallManager', expired), 'E_UPLOAD_VALIDITY');

    await rejects(pki.uploadCertificate('CallManager', pki.certificate('CallManager').pem), 'E_UPLOAD_SELF_SIGNED');
    expect(pki.certificate('CallManager').signedBy).to.equal('self');
  });

  it('warns when the CA drops clientAuth, and a new CSR makes the previous one unserviceable', async () => {
    const pki = await freshCluster();
    await pki.importTrustCertificate('tomcat-trust', readFileSync(ca.certPath));
    const first = await pki.generateCsr('tomcat');
    const second = await pki.generateCsr('tomcat');
    expect(second.event.warnings.join()).to.contain('overwrite any existing CSRs');
    await rejects(pki.uploadCertificate('tomcat', await opensslSign(ca, first.pem)), 'E_UPLOAD_KEY');
    const [event] = await pki.uploadCertificate('tomcat', await opensslSign(ca, second.pem, 'keyUsage=digitalSignature,keyEncipherment,dataEncipherment\nextendedKeyUsage=serverAuth'));
    expect(event!.warnings.join('\n')).to.contain('no clientAuth extended key usage');
    expect(event!.effects!.servicesToRestart).to.include('Cisco Tomcat');
  });

  it('refuses an ECDSA certificate whose common name does not end in -EC (000 L94)', async () => {
    const pki = await freshCluster();
    await pki.importTrustCertificate('CallManager-trust', readFileSync(ca.certPath));
    const csr = await pki.generateCsr('CallManager-ECDSA', { keySize: 256 });
    expect(csr.subject).to.match(/^CN=cucm-pub-EC,/);
    const e = await rejects(pki.uploadCertificate('CallManager-ECDSA', nodeSign(ca, csr.pem, { commonName: 'cucm-pub.trustline.test' })), 'E_EC_COMMON_NAME');
    expect(e.message).to.contain('It requires the host portion of the common name to end in -EC');
    await pki.uploadCertificate('CallManager-ECDSA', nodeSign(ca, csr.pem));
    expect(pki.certificate('CallManager-ECDSA').signedBy).to.equal('ca');
  });

  it('makes a multi-server CallManager-ECDSA CSR on the publisher and applies the signed certificate to every node', async () => {
    const pki = await freshCluster('two-nodes', { subscribers: ['cucm-sub1'], parameters: FAST });
    await rejects(pki.generateCsr('CallManager-ECDSA', { multiServer: true, node: 'cucm-sub1' }), 'E_MULTI_SERVER_NODE');
    await rejects(pki.generateCsr('TVS', { multiServer: true }), 'E_MULTI_SERVER');
    await rejects(pki.generateCsr('ITLRecovery'), 'E_CSR_PURPOSE');
    const csr = await pki.generateCsr('CallManager-ECDSA', { multiServer: true, keySize: 256 });
    expect(csr.subject).to.match(/^CN=cucm-pub-EC-ms\.trustline\.test,/);
    expect(csr.dnsNames).to.deep.equal(['cucm-pub-EC-ms.trustline.test', 'cucm-pub.trustline.test', 'cucm-sub1.trustline.test', 'trustline.test']);
    await pki.importTrustCertificate('CallManager-trust', readFileSync(ca.certPath));
    const events = await pki.uploadCertificate('CallManager-ECDSA', await opensslSign(ca, csr.pem));
    expect(events.map((e) => e.node)).to.deep.equal(['cucm-pub', 'cucm-sub1']);
    const pub = pki.certificate('CallManager-ECDSA');
    const sub = pki.certificate('CallManager-ECDSA', 'cucm-sub1');
    expect(pub.multiServer).to.equal(true);
    expect(sub.certificate.fingerprintSha256).to.equal(pub.certificate.fingerprintSha256);
    expect(new X509Certificate(sub.der).checkPrivateKey(pki.privateKey('CallManager-ECDSA', 'cucm-sub1'))).to.equal(true);
    expect(pub.certificate.dnsNames).to.include('cucm-sub1.trustline.test');
  });

  it('accepts an intermediate CA sent with the certificate when the root is trusted, and serves the chain for TLS', async () => {
    const pki = await freshCluster();
    const root = createPrivateKey(readFileSync(ca.keyPath));
    const mid = await generateKey('EC', 256);
    const now = Date.now();
    const intermediate = signCertificate({
      subject: buildName({ commonName: 'Example Issuing CA', organization: 'Example' }),
      subjectPublicKey: mid.publicKey,
      issuer: buildName({ commonName: ca.info.subjectCN!, organization: 'Example' }),
      signingKey: root,
      hash: 'SHA256',
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 365 * 86_400_000),
      extensions: { basicConstraints: { ca: true, critical: true }, keyUsage: ['keyCertSign', 'cRLSign'] },
    });
    await pki.importTrustCertificate('TVS-trust', readFileSync(ca.certPath));
    const csr = await pki.generateCsr('TVS');
    const leaf = signCertificate({
      subject: buildName({ commonName: 'cucm-pub', organization: 'Example' }),
      subjectPublicKey: parseCsr(csr.pem).publicKey,
      issuer: buildName({ commonName: 'Example Issuing CA', organization: 'Example' }),
      signingKey: mid.privateKey,
      hash: 'SHA256',
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 86_400_000),
      extensions: { keyUsage: ['digitalSignature', 'keyEncipherment', 'dataEncipherment'], extendedKeyUsage: ['serverAuth', 'clientAuth'] },
    });
    await rejects(pki.uploadCertificate('TVS', leaf.pem), 'E_UPLOAD_CHAIN');
    await pki.uploadCertificate('TVS', leaf.pem + intermediate.pem);
    const tvs = pki.certificate('TVS');
    expect(tvs.chainPems).to.deep.equal([intermediate.pem]);
    expect(pki.tlsCredentials('TVS').cert).to.equal(leaf.pem + intermediate.pem);
    const regen = await pki.regenerate('TVS');
    expect(regen.warnings.join()).to.contain('overwrites the existing certificate including a third party signed certificate');
    expect(pki.certificate('TVS').signedBy).to.equal('self');
  });
});

