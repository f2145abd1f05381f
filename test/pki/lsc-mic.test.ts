// CAPF-issued LSCs and the emulated manufacturing CA's MICs: fields, chains verified by node and openssl, persistence,
// the CAPF rules, and a mutual-TLS handshake where the cluster verifies a phone's LSC and MIC with CallManager-trust.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect, createServer } from 'node:tls';
import { ClusterPki } from '../../engine/pki/cluster-pki.js';
import { PkiError } from '../../engine/pki/errors.js';
import { generateKey, privateKeyToPem, spkiDer } from '../../engine/pki/keys.js';
import { requirePeer } from '../support/peers.js';
import { FAST, freshCluster, openssl, tempDir } from './support.js';

async function rejects(p: Promise<unknown>, code: string): Promise<PkiError> {
  try {
    await p;
  } catch (err) {
    expect((err as PkiError).code, (err as Error).message).to.equal(code);
    return err as PkiError;
  }
  expect.fail(`expected ${code}`);
}

describe('pki LSCs issued by CAPF', function () {
  this.timeout(120_000);

  it('issues an RSA LSC: CN = device, serverAuth+clientAuth, DS+KE, CA:FALSE, SHA-256, five years, signed by CAPF', async () => {
    const pki = await freshCluster();
    const phone = await generateKey('RSA', 2048);
    const lsc = await pki.issueLsc({ deviceName: 'SEP001122334455', publicKey: spkiDer(phone.publicKey) });
    const c = lsc.certificate;
    const capf = pki.certificate('CAPF').certificate;
    expect(c.subjectCN).to.equal('SEP001122334455');
    expect(c.issuer).to.equal(capf.subject);
    expect(c.extendedKeyUsage).to.deep.equal(['serverAuth', 'clientAuth']);
    expect(c.keyUsage).to.have.members(['digitalSignature', 'keyEncipherment']);
    expect(c.basicConstraints).to.deep.equal({ ca: false, critical: true });
    expect(c.signatureHash).to.equal('SHA256');
    expect(c.authorityKeyId!.equals(capf.subjectKeyId!)).to.equal(true);
    expect(Math.round((c.notAfter.getTime() - c.notBefore.getTime()) / 86_400_000)).to.equal(1825);
    expect(c.x509.verify(capf.publicKey)).to.equal(true);
    expect(c.x509.checkPrivateKey(phone.privateKey)).to.equal(true);
    expect(lsc.chainPems).to.deep.equal([capf.pem]);
    expect(pki.lsc('SEP001122334455')!.certificate.fingerprintSha256).to.equal(c.fingerprintSha256);
    expect(pki.events().at(-1)!.type).to.equal('lsc-issued');
  });

  it('issues EC LSCs on P-256, P-384 and P-521 from a PEM public key, with the validity asked for', async () => {
    const pki = await freshCluster();
    for (const size of [256, 384, 521]) {
      const phone = await generateKey('EC', size);
      const lsc = await pki.issueLsc({ deviceName: `SEP00000000000${size === 521 ? 1 : size === 384 ? 2 : 3}`, publicKey: phone.publicKey.export({ type: 'spki', format: 'pem' }) as string, validityDays: 30 });
      expect(lsc.certificate.key).to.deep.include({ keyType: 'EC', keySize: size });
      expect(lsc.certificate.signatureHash).to.equal('SHA256');
      expect(Math.round((lsc.certificate.notAfter.getTime() - lsc.certificate.notBefore.getTime()) / 86_400_000)).to.equal(30);
    }
    expect(pki.lscs()).to.have.length(3);
  });

  it('openssl verifies the LSC chain to CAPF, but its sslclient purpose check refuses it: CAPF has serverAuth only (Table 23)', async function () {
    requirePeer(this, 'openssl', 'openssl');
    const pki = await freshCluster();
    const phone = await generateKey('EC', 256);
    const lsc = await pki.issueLsc({ deviceName: 'SEPAABBCCDDEEFF', publicKey: phone.publicKey });
    const dir = tempDir('lsc-verify');
    writeFileSync(join(dir, 'capf.pem'), pki.certificate('CAPF').pem);
    writeFileSync(join(dir, 'lsc.pem'), lsc.pem);
    expect(await openssl(['verify', '-CAfile', join(dir, 'capf.pem'), join(dir, 'lsc.pem')])).to.contain(': OK');
    expect(await openssl(['verify', '-purpose', 'sslserver', '-CAfile', join(dir, 'capf.pem'), join(dir, 'lsc.pem')])).to.contain(': OK');
    const refused = await openssl(['verify', '-purpose', 'sslclient', '-CAfile', join(dir, 'capf.pem'), join(dir, 'lsc.pem')]).then(
      () => '',
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
    );
    expect(refused).to.contain('unsuitable certificate purpose');
    // CUCM-style verification (no EKU demand on the CA) accepts it for client use.
    expect(pki.verifyCertificateChain('CAPF-trust', [lsc.pem], { purpose: 'clientAuth' })).to.deep.include({ trusted: true });
  });

  it('replaces a device LSC on re-issue, deletes it on request, and keeps LSCs across reopen', async () => {
    const pki = await freshCluster();
    const k1 = await generateKey('EC', 256);
    const k2 = await generateKey('EC', 256);
    const first = await pki.issueLsc({ deviceName: 'SEP0000000000AA', publicKey: k1.publicKey });
    await pki.issueLsc({ deviceName: 'SEP0000000000BB', publicKey: k1.publicKey });
    const second = await pki.issueLsc({ deviceName: 'SEP0000000000AA', publicKey: k2.publicKey });
    expect(pki.events().at(-1)!.previous!.fingerprintSha256).to.equal(first.certificate.fingerprintSha256);
    const reopened = await ClusterPki.open(pki.dir);
    expect(reopened.lscs().map((l) => l.deviceName)).to.have.members(['SEP0000000000AA', 'SEP0000000000BB']);
    expect(reopened.lsc('SEP0000000000AA')!.certificate.fingerprintSha256).to.equal(second.certificate.fingerprintSha256);
    await reopened.deleteLsc('SEP0000000000BB');
    expect(reopened.lsc('SEP0000000000BB')).to.equal(undefined);
    await rejects(reopened.deleteLsc('SEP0000000000BB'), 'E_LSC_NOT_FOUND');
  });

  it('refuses a bad device name, a 768-bit RSA key, a validity beyond 1825 days, and a key that is not one', async () => {
    const pki = await freshCluster();
    const ec = await generateKey('EC', 256);
    await rejects(pki.issueLsc({ deviceName: 'SEP 0011', publicKey: ec.publicKey }), 'E_LSC_DEVICE');
    await rejects(pki.issueLsc({ deviceName: 'SEP001122334455', publicKey: (await generateKey('RSA', 768)).publicKey }), 'E_LSC_RSA_KEY_SIZE');
    const e = await rejects(pki.issueLsc({ deviceName: 'SEP001122334455', publicKey: ec.publicKey, validityDays: 2000 }), 'E_LSC_VALIDITY');
    expect(e.message).to.contain('between 1 and 1825');
    await rejects(pki.issueLsc({ deviceName: 'SEP001122334455', publicKey: Buffer.from('not a key') }), 'E_KEY');
    expect(pki.lscs()).to.deep.equal([]);
  });

  it('refuses EC LSCs in FIPS mode and issues RSA ones', async () => {
    const pki = await freshCluster('fips', { fips: true, parameters: FAST });
    const e = await rejects(pki.issueLsc({ deviceName: 'SEP001122334455', publicKey: (await generateKey('EC', 256)).publicKey }), 'E_LSC_FIPS_EC');
    expect(e.message).to.contain("FIPS enabled mode doesn't support Online CAPF and CAPFv3.");
    const rsa = await pki.issueLsc({ deviceName: 'SEP001122334455', publicKey: (await generateKey('RSA', 2048)).publicKey });
    expect(rsa.certificate.key.keyType).to.equal('RSA');
  });
});

describe('pki MICs from the emulated Cisco manufacturing CA', function () {
  this.timeout(120_000);

  it('issues RSA and EC MICs (CP-<model>-<device> when a model is given), ten years, chaining to the trusted CAs', async () => {
    const pki = await freshCluster();
    const { root, issuing } = pki.manufacturingCa();
    expect([root.subjectCN, issuing.subjectCN]).to.deep.equal(['Cisco Root CA M2', 'Cisco Manufacturing CA SHA2']);
    expect(issuing.x509.verify(root.publicKey)).to.equal(true);
    const rsa = await pki.issueManufacturingCertificate('SEP001122334455', 'RSA', { model: '8845' });
    expect(rsa.certificate.subjectCN).to.equal('CP-8845-SEP001122334455');
    expect(rsa.certificate.key).to.deep.include({ keyType: 'RSA', keySize: 2048 });
    expect(rsa.certificate.x509.verify(issuing.publicKey)).to.equal(true);
    expect(rsa.certificate.x509.checkPrivateKey(rsa.privateKey)).to.equal(true);
    expect(rsa.chainPems).to.deep.equal([issuing.pem, root.pem]);
    expect(rsa.certificate.notAfter.getUTCFullYear() - rsa.certificate.notBefore.getUTCFullYear()).to.equal(10);
    const ec = await pki.issueManufacturingCertificate('SEPAABBCCDDEEFF', 'EC');
    expect(ec.certificate.subjectCN).to.equal('SEPAABBCCDDEEFF');
    expect(ec.certificate.key).to.deep.include({ keyType: 'EC', keySize: 256 });
    for (const store of ['CallManager-trust', 'CAPF-trust']) {
      expect(pki.isTrusted(store, root)).to.equal(true);
      expect(pki.isTrusted(store, issuing)).to.equal(true);
    }
  });

  it('openssl verifies a MIC through the issuing CA to the root', async function () {
    requirePeer(this, 'openssl', 'openssl');
    const pki = await freshCluster();
    const mic = await pki.issueManufacturingCertificate('SEP001122334455', 'EC');
    const dir = tempDir('mic-verify');
    writeFileSync(join(dir, 'root.pem'), pki.manufacturingCa().root.pem);
    writeFileSync(join(dir, 'ca.pem'), pki.manufacturingCa().issuing.pem);
    writeFileSync(join(dir, 'mic.pem'), mic.certificate.pem);
    expect(await openssl(['verify', '-purpose', 'sslclient', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'ca.pem'), join(dir, 'mic.pem')])).to.contain(': OK');
  });

  it('keeps the manufacturing CA across reopen, so MICs issued before still chain', async () => {
    const pki = await freshCluster();
    const mic = await pki.issueManufacturingCertificate('SEP001122334455', 'EC');
    const reopened = await ClusterPki.open(pki.dir);
    expect(mic.certificate.x509.verify(reopened.manufacturingCa().issuing.publicKey)).to.equal(true);
  });
});

describe('pki material in a mutual TLS handshake', function () {
  this.timeout(60_000);

  it('the CallManager listener verifies a phone LSC and MIC against CallManager-trust with verifyCertificateChain', async () => {
    const pki = await freshCluster();
    const phone = await generateKey('EC', 256);
    const lsc = await pki.issueLsc({ deviceName: 'SEP001122334455', publicKey: phone.publicKey });
    const mic = await pki.issueManufacturingCertificate('SEP001122334455', 'EC', { model: '8845' });
    const rogue = await (await freshCluster('fips', { fips: true, parameters: FAST })).issueManufacturingCertificate('SEP001122334455', 'RSA');
    const cm = pki.tlsCredentials('CallManager');
    const seen: { cn: string; openssl: boolean; opensslError?: string; cucm: boolean; reason?: string }[] = [];
    // OpenSSL's own check is recorded but not enforced: it refuses CAPF-issued LSCs (see the openssl test above).
    const server = createServer({ key: cm.key, cert: cm.cert, ca: pki.trustedPems('CallManager-trust'), requestCert: true, rejectUnauthorized: false }, (s) => {
      const peer = s.getPeerX509Certificate();
      const v = peer ? pki.verifyCertificateChain('CallManager-trust', [peer.raw], { purpose: 'clientAuth' }) : { trusted: false, reason: 'none' };
      seen.push({
        cn: peer?.subject.split('\n').find((l) => l.startsWith('CN='))?.slice(3) ?? '?',
        openssl: s.authorized,
        ...(s.authorizationError ? { opensslError: String(s.authorizationError) } : {}),
        cucm: v.trusted,
        ...(v.reason ? { reason: v.reason } : {}),
      });
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const dial = (key: string, cert: string) =>
      new Promise<void>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, key, cert, ca: pki.trustedPems('CallManager-trust'), checkServerIdentity: () => undefined }, () => {
          expect(s.authorized).to.equal(true);
          s.on('close', () => resolve());
          s.resume();
        });
        s.on('error', reject);
      });
    try {
      await dial(privateKeyToPem(phone.privateKey), lsc.pem);
      await dial(mic.privateKeyPem, mic.certificate.pem);
      await dial(rogue.privateKeyPem, rogue.certificate.pem);
    } finally {
      server.close();
    }
    expect(seen.map((x) => [x.cn, x.cucm])).to.deep.equal([
      ['SEP001122334455', true],
      ['CP-8845-SEP001122334455', true],
      ['SEP001122334455', false],
    ]);
    expect(seen[0]).to.deep.include({ openssl: false, opensslError: 'INVALID_PURPOSE' });
    expect(seen[1]!.openssl).to.equal(true);
    expect(seen[2]!.reason).to.contain('no trusted certificate issued');
  });
});
