// The other operations and CAPF's service behaviour over TLS: Delete, Troubleshoot (fetch), the Offline CA (CSR
// queued, certificate imported later, then delivered), TLS 1.0 phones, the phone's retries (001 L5209), the keepalive
// while a phone generates its key (001 L5132-5142), and a second session of a busy device.
import { expect } from 'chai';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { createPublicKey, verify } from 'node:crypto';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { CapfCommand } from '../../engine/capf/capf-codec.js';
import type { PhoneCredentials } from '../../engine/capf/capf-client.js';
import { CapfRuleError } from '../../engine/capf/device-operations.js';
import { buildName, parseCertificate, parseCsr, signCertificate } from '../../engine/pki/certificates.js';
import { PkiError } from '../../engine/pki/errors.js';
import { bench, micFor, nextSession, phone, pooledKeys } from './support.js';

const DEV = 'SEP112233445566';

describe('capf end to end: Delete and Troubleshoot', function () {
  this.timeout(60_000);

  it('Delete: the phone drops its LSC, the cluster forgets it, the operation completes (END_SESSION 1)', async () => {
    const b = await bench();
    try {
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string' });
      const creds: PhoneCredentials = {};
      expect((await phone(b, { deviceName: DEV, authMode: 'null-string', credentials: creds })).outcome.status).to.equal('installed');
      await b.store.configureDevice(DEV, { operation: 'delete', authMode: 'existing-lsc' });
      const { outcome } = await phone(b, { deviceName: DEV, authMode: 'existing-lsc', credentials: creds, recordTranscript: true });
      expect(outcome).to.deep.include({ status: 'deleted', reason: 1, authenticatedWith: 'LSC' });
      expect(creds.lsc).to.equal(undefined);
      expect(b.pki.lsc(DEV)).to.equal(undefined);
      const rec = b.store.device(DEV)!;
      expect(rec.installed).to.equal(undefined);
      expect(rec.settings.operation).to.equal('none');
      expect(outcome.transcript!.filter((t) => t.direction === 'received').map((t) => t.command)).to.deep.equal([CapfCommand.AUTH_REQUEST, CapfCommand.DELETE_CERTIFICATE_REQUEST, CapfCommand.END_SESSION]);
    } finally {
      await b.close();
    }
  });

  it('Troubleshoot: the phone hands over its LSC (or its MIC when it has none); END_SESSION 0', async () => {
    const b = await bench();
    try {
      const mic = await micFor(b.pki, DEV);
      await b.store.configureDevice(DEV, { operation: 'troubleshoot', authMode: 'existing-mic' });
      const r1 = await phone(b, { deviceName: DEV, authMode: 'existing-mic', credentials: { mic } });
      expect(r1.outcome).to.deep.include({ status: 'fetched', fetched: 'MIC', reason: 0 });
      expect(b.store.device(DEV)!.fetched).to.deep.include({ kind: 'MIC', fingerprintSha256: parseCertificate(mic.der).fingerprintSha256 });

      const key = pooledKeys({ keyType: 'EC', keySize: 384 })[0]!;
      const lsc = await b.pki.issueLsc({ deviceName: DEV, publicKey: key });
      await b.store.configureDevice(DEV, { operation: 'troubleshoot' });
      const r2 = await phone(b, { deviceName: DEV, authMode: 'existing-mic', credentials: { mic, lsc: { der: lsc.der, privateKey: key } } });
      expect(r2.outcome).to.deep.include({ status: 'fetched', fetched: 'LSC' });
      expect(b.store.device(DEV)!.fetched!.subject).to.equal(lsc.certificate.subject);
      expect(b.store.device(DEV)!.settings.operation).to.equal('none');
    } finally {
      await b.close();
    }
  });
});

describe('capf end to end: Offline CA', function () {
  this.timeout(60_000);

  it('queues a CSR, answers RETRY_LATER until the CA-signed certificate is imported, then delivers it', async () => {
    const b = await bench();
    try {
      await b.store.setParameters({ certificateIssuer: 'offline-ca' });
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string', keyOrder: 'rsa-only', rsaKeySize: 2048 });
      const creds: PhoneCredentials = {};
      const first = await phone(b, { deviceName: DEV, authMode: 'null-string', credentials: creds });
      expect(first.outcome).to.deep.include({ status: 'retry-later', retryDelaySeconds: 3600 });
      expect(creds.pendingKey).to.not.equal(undefined);
      expect(b.pki.lsc(DEV)).to.equal(undefined);
      const [pending] = b.store.pendingCsrs();
      expect(pending).to.deep.include({ deviceName: DEV, keyType: 'RSA', keySize: 2048 });

      // The queued request: the phone's key, the LSC subject and usages, signed by CAPF (the phone keeps its private key).
      const csr = AsnConvert.parse(Buffer.from(pending!.csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'), CertificationRequest);
      const spki = Buffer.from(AsnConvert.serialize(csr.certificationRequestInfo.subjectPKInfo));
      expect(spki.equals(createPublicKey(creds.pendingKey!).export({ type: 'spki', format: 'der' }))).to.equal(true);
      const info = Buffer.from(AsnConvert.serialize(csr.certificationRequestInfo));
      expect(verify('sha256', info, b.pki.certificate('CAPF').certificate.publicKey, Buffer.from(csr.signature))).to.equal(true);
      try {
        parseCsr(pending!.csrPem);
        expect.fail('no proof of possession is possible');
      } catch (err) {
        expect((err as PkiError).code).to.equal('E_CSR_SIGNATURE');
      }

      // Before the import: RETRY_LATER again, no new key.
      const second = await phone(b, { deviceName: DEV, authMode: 'null-string', credentials: creds });
      expect(second.outcome.status).to.equal('retry-later');
      expect(second.keyRequests).to.have.length(0);

      // The offline CA signs the public key; its root must be in CAPF-trust first.
      const caKey = pooledKeys({ keyType: 'RSA', keySize: 2048 })[3]!;
      const caName = buildName({ commonName: 'Offline Lab CA', organization: 'Lab' });
      const now = new Date();
      const ca = signCertificate({ subject: caName, subjectPublicKey: createPublicKey(caKey), signingKey: caKey, hash: 'SHA256', notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + 365 * 86_400_000), extensions: { basicConstraints: { ca: true, critical: true }, keyUsage: ['keyCertSign', 'cRLSign'], keyUsageCritical: true } });
      const leaf = signCertificate({
        subject: buildName({ commonName: DEV, organization: 'Lab' }),
        subjectPublicKey: createPublicKey(pending!.publicKeyPem),
        issuer: caName,
        signingKey: caKey,
        hash: 'SHA256',
        notBefore: new Date(now.getTime() - 60_000),
        notAfter: new Date(now.getTime() + 30 * 86_400_000),
        extensions: { basicConstraints: { ca: false, critical: true }, keyUsage: ['digitalSignature', 'keyEncipherment'], keyUsageCritical: true, extendedKeyUsage: ['serverAuth', 'clientAuth'] },
      });
      try {
        await b.store.importOfflineCertificate(b.pki, leaf.pem);
        expect.fail('imported without its CA in CAPF-trust');
      } catch (err) {
        expect((err as CapfRuleError).code).to.equal('E_OFFLINE_CHAIN');
      }
      await b.pki.importTrustCertificate('CAPF-trust', ca.pem, { description: 'Certificate for External LSC-Signing CA' });
      const partial = await b.store.importOfflineCertificate(b.pki, leaf.pem);
      expect(partial.warnings.join()).to.match(/not in CallManager-trust/);
      await b.pki.importTrustCertificate('CallManager-trust', ca.pem);
      const imported = await b.store.importOfflineCertificate(b.pki, leaf.pem + ca.pem);
      expect(imported).to.deep.include({ deviceName: DEV, warnings: [] });

      const third = await phone(b, { deviceName: DEV, authMode: 'null-string', credentials: creds });
      expect(third.outcome.status, third.outcome.detail).to.equal('installed');
      expect(third.keyRequests).to.have.length(0);
      expect(creds.lsc!.der.equals(leaf.der)).to.equal(true);
      expect(creds.pendingKey).to.equal(undefined);
      const rec = b.store.device(DEV)!;
      expect(rec.installed).to.deep.include({ issuedBy: 'offline-ca', fingerprintSha256: leaf.fingerprintSha256, issuer: 'CN=Offline Lab CA, O=Lab' });
      expect(rec.settings.operation).to.equal('none');
      expect(b.store.pendingCsrs()).to.have.length(0);
      expect(b.pki.verifyCertificateChain('CallManager-trust', [leaf.pem], { purpose: 'clientAuth' }).trusted).to.equal(true);
    } finally {
      await b.close();
    }
  });

  it('a phone that lost the key of its CSR refuses the certificate; the CSR is dropped and enrolment starts again', async () => {
    const b = await bench();
    try {
      await b.store.setParameters({ certificateIssuer: 'offline-ca' });
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string', rsaKeySize: 1024 });
      const creds: PhoneCredentials = {};
      await phone(b, { deviceName: DEV, authMode: 'null-string', credentials: creds });
      const pending = b.store.pendingCsrs()[0]!;
      const caKey = pooledKeys({ keyType: 'RSA', keySize: 2048 })[2]!;
      const ca = signCertificate({ subject: buildName({ commonName: 'Lab CA 2' }), subjectPublicKey: createPublicKey(caKey), signingKey: caKey, hash: 'SHA256', notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), extensions: { basicConstraints: { ca: true, critical: true }, keyUsage: ['keyCertSign'] } });
      await b.pki.importTrustCertificate('CAPF-trust', ca.pem);
      const leaf = signCertificate({ subject: buildName({ commonName: DEV }), subjectPublicKey: createPublicKey(pending.publicKeyPem), issuer: buildName({ commonName: 'Lab CA 2' }), signingKey: caKey, hash: 'SHA256', notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), extensions: { keyUsage: ['digitalSignature', 'keyEncipherment'], extendedKeyUsage: ['clientAuth'] } });
      await b.store.importOfflineCertificate(b.pki, leaf.pem);
      delete creds.pendingKey; // a factory reset
      const r = await phone(b, { deviceName: DEV, authMode: 'null-string', credentials: creds });
      expect(r.outcome).to.deep.include({ status: 'refused', reason: 7 });
      expect(b.store.pendingCsrs()).to.have.length(0);
      expect(b.store.device(DEV)!.settings.operation).to.equal('install-upgrade');
      const again = await phone(b, { deviceName: DEV, authMode: 'null-string', credentials: creds });
      expect(again.outcome.status).to.equal('retry-later');
      expect(again.keyRequests).to.have.length(1);
    } finally {
      await b.close();
    }
  });
});

describe('capf end to end: transport', function () {
  this.timeout(60_000);

  it('serves a TLS 1.0 phone (7900 series) with AES128-SHA; refuses it when the minimum is 1.2', async () => {
    const b = await bench();
    try {
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string', rsaKeySize: 1024 });
      const legacy = { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'AES128-SHA:@SECLEVEL=0' } as const;
      const { outcome } = await phone(b, { deviceName: DEV, authMode: 'null-string', tls: legacy });
      expect(outcome.status, outcome.detail).to.equal('installed');
      expect(outcome.tls).to.deep.equal({ protocol: 'TLSv1', cipher: 'TLS_RSA_WITH_AES_128_CBC_SHA', serverVerified: true });
    } finally {
      await b.close();
    }
    const strict = await bench({ server: { minTlsVersion: '1.2' } });
    try {
      await strict.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string' });
      const { outcome } = await phone(strict, { deviceName: DEV, authMode: 'null-string', tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'AES128-SHA:@SECLEVEL=0' } });
      expect(outcome.status).to.equal('failed');
      expect(outcome.detail).to.match(/communication failure after 1 attempt/);
      expect(strict.store.journal().some((j) => j.step === 'tls' && j.outcome === 'failed')).to.equal(true);
    } finally {
      await strict.close();
    }
  });

  it('a phone that does not trust the certificate served does not talk to it', async () => {
    const b = await bench();
    try {
      const other = await bench({ clusterKey: 'foreign' });
      try {
        const { outcome } = await phone(b, { deviceName: DEV, authMode: 'null-string', trustedCertificates: [other.capfPem] });
        expect(outcome.status).to.equal('failed');
        expect(outcome.detail).to.match(/self.signed|unable to verify|certificate/i);
      } finally {
        await other.close();
      }
    } finally {
      await b.close();
    }
  });

  it('retries a communication failure (3 more times by default, 30 s apart: here 20 ms) and then succeeds', async () => {
    const b = await bench();
    // A network that drops the first two connections.
    let n = 0;
    const sockets = new Set<Socket>();
    const proxy: Server = createServer((c) => {
      sockets.add(c);
      c.on('close', () => sockets.delete(c));
      if (++n <= 2) {
        c.destroy();
        return;
      }
      const up = netConnect(b.server.port, '127.0.0.1');
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string', rsaKeySize: 1024 });
      const port = (proxy.address() as { port: number }).port;
      const { outcome } = await phone(b, { deviceName: DEV, authMode: 'null-string', port, retries: 3, retryDelayMs: 20 });
      expect(outcome).to.deep.include({ status: 'installed', attempts: 3 });

      const dead = await phone(b, { deviceName: DEV, authMode: 'null-string', port: 1, retries: 3, retryDelayMs: 5 });
      expect(dead.outcome).to.deep.include({ status: 'failed', attempts: 4 });
      expect(dead.outcome.detail).to.match(/after 4 attempt\(s\) \(3 retries at 5 ms, 001 L5209\)/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
      await b.close();
    }
  });

  it('sends keepalives (STATUS_REQUEST) while a slow phone generates its key, and still installs', async () => {
    const b = await bench({ server: { keepAliveMs: 40 } });
    try {
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string', rsaKeySize: 1024 });
      const { outcome } = await phone(b, { deviceName: DEV, authMode: 'null-string', keyGenerationDelayMs: 300, recordTranscript: true });
      expect(outcome.status, outcome.detail).to.equal('installed');
      const got = outcome.transcript!.filter((t) => t.direction === 'received' && t.command === CapfCommand.STATUS_REQUEST).length;
      expect(got).to.be.greaterThan(0);
      expect(b.store.journal().some((j) => j.step === 'keepalive')).to.equal(true);
    } finally {
      await b.close();
    }
  });

  it('a second session of a device whose session is running gets RETRY_LATER; a silent phone is timed out', async () => {
    const b = await bench({ server: { timeouts: { authResponseMs: 300 } } });
    try {
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string', rsaKeySize: 1024 });
      const slow = phone(b, { deviceName: DEV, authMode: 'null-string', keyGenerationDelayMs: 400 });
      await new Promise((r) => setTimeout(r, 100));
      const second = await phone(b, { deviceName: DEV, authMode: 'null-string' });
      expect(second.outcome.status).to.equal('retry-later');
      expect((await slow).outcome.status).to.equal('installed');

      const session = nextSession(b);
      const s = tlsConnect({ host: '127.0.0.1', port: b.server.port, rejectUnauthorized: false });
      const closed = new Promise<void>((r) => s.on('close', () => r()));
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      const rec = await session;
      await closed;
      expect(rec).to.deep.include({ outcome: 'failed', endReason: 7 });
      expect(rec.detail).to.match(/no AUTH_RESPONSE within 300 ms/);
    } finally {
      await b.close();
    }
  });
});
