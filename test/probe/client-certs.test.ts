// Client certificates: no certificate, a given MIC or LSC, generated RSA and ECDSA ones, against a server that closes
// after the handshake on refusal (trustline's listener, TLS 1.2, like CUCM) and one that refuses inside the TLS 1.3
// handshake (node:tls with rejectUnauthorized), whose CertificateRequest is only visible decrypted.
import { expect } from 'chai';
import net from 'node:net';
import tls from 'node:tls';
import { getLogLevel, setLogLevel } from '../../common/log.js';
import { clientCertVariants, loadClientCert, probeClientCerts } from '../../probe/client-certs.js';
import { Limiter } from '../../probe/limiter.js';
import { enumerate } from '../../probe/enumerate.js';
import { findSuite } from '../../ciphers/tls/suite-catalogue.js';
import { runProbe } from '../../probe/run.js';
import { makeTestPki, type TestPki } from '../support/test-certs.js';
import { answerSip, startTrustline } from './support.js';

describe('probe: client certificates', function () {
  this.timeout(30_000);
  let pki: TestPki;
  let level: ReturnType<typeof getLogLevel>;
  const closers: Array<() => Promise<void>> = [];
  before(async () => {
    pki = await makeTestPki();
    level = getLogLevel();
    setLogLevel('error');
  });
  after(async () => {
    await Promise.all(closers.map((c) => c()));
    setLogLevel(level);
  });

  it('trustline (mutual TLS, MIC issuer trusted): asks, names its CAs, keeps the MIC, closes on the others after the handshake', async () => {
    const tl = await startTrustline(
      pki.callManager,
      pki.callManagerEcdsa,
      { tlsCiphers: 'all-rsa' },
      {
        requestClientCert: true,
        clientCa: [pki.manufacturingCa.cert, pki.capfCa.cert],
        verifyPeer: (peer) => (peer.leaf.checkIssued(pki.manufacturingCa.x509) ? { ok: true } : { ok: false, reason: 'not issued by the manufacturing CA' }),
      },
    );
    closers.push(() => tl.listener.close());
    const r = await runProbe(
      { host: '127.0.0.1', port: tl.port },
      {
        timeoutMs: 3000,
        versions: ['TLSv1.2'],
        groups: false,
        sigalgs: false,
        sip: 'once',
        givenClientCerts: [loadClientCert(`${pki.mic.certPath},${pki.mic.keyPath}`), loadClientCert(`${pki.lsc.certPath},${pki.lsc.keyPath}`)],
      },
    );
    const by = Object.fromEntries(r.clientCertificates.map((c) => [c.variant, c]));
    expect(Object.keys(by)).to.deep.equal(['none', 'given mic.crt', 'given lsc.crt', 'generated RSA 2048', 'generated ECDSA P-256']);
    for (const c of r.clientCertificates) {
      expect(c.requested, c.variant).to.equal(true);
      expect(c.version).to.equal('TLSv1.2');
      expect(c.acceptableCas).to.deep.equal(['CN=Test Manufacturing CA, O=trustline tests', 'CN=CAPF-test, OU=trustline tests, O=trustline']);
    }
    expect(by['given mic.crt']!.outcome).to.equal('accepted');
    expect(by['given mic.crt']!.sip!.status).to.equal(200);
    expect(by['given mic.crt']!.subject).to.equal('CN=CP-7841-SEP001122334455, O=Cisco Systems Inc., OU=trustline tests');
    for (const v of ['none', 'given lsc.crt', 'generated RSA 2048', 'generated ECDSA P-256']) {
      expect(by[v]!.outcome, `${v}: ${by[v]!.detail}`).to.equal('closed-after-handshake');
      expect(by[v]!.detail, v).to.match(/closed/);
    }
    // The same refusals are in the listener's records.
    expect(tl.listener.records.filter((x) => x.refusal?.stage === 'client-certificate').length).to.be.greaterThan(3);
    // The SIP step presents the first given certificate (the MIC): answered.
    const sipped = r.versions[0]!.suites.find((p) => p.sip)!;
    expect(sipped.sip!.status).to.equal(200);
  });

  it('TLS 1.3 server refusing in the handshake: CertificateRequest read from the decrypted flight, alert named', async () => {
    const server = tls.createServer(
      {
        key: pki.callManagerEcdsa.key,
        cert: pki.callManagerEcdsa.cert,
        minVersion: 'TLSv1.3',
        requestCert: true,
        rejectUnauthorized: true,
        ca: [pki.manufacturingCa.cert],
      },
      (s) => answerSip(s),
    );
    server.on('tlsClientError', () => {});
    const sockets = new Set<net.Socket>();
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const target = { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
    const limiter = new Limiter(3);
    const e = await enumerate(target, { timeoutMs: 3000, limiter, versions: ['TLSv1.3'], groups: false, sigalgs: false });
    const suites = e.versions[0]!.suites.filter((p) => p.result === 'accepted').map((p) => findSuite(p.code)!);
    expect(suites.length).to.equal(3);
    const mic = loadClientCert(`${pki.mic.certPath},${pki.mic.keyPath}`);
    const reports = await probeClientCerts(target, clientCertVariants([mic]), { timeoutMs: 3000, limiter, version: 'TLSv1.3', suites });
    const by = Object.fromEntries(reports.map((c) => [c.variant, c]));
    for (const c of reports) {
      expect(c.requested, c.variant).to.equal(true);
      expect(c.acceptableCas).to.deep.equal(['CN=Test Manufacturing CA, O=trustline tests']);
      expect(c.requestSigalgs).to.include('ecdsa_secp256r1_sha256');
    }
    // No certificate: OpenSSL itself refuses, with TLS 1.3's certificate_required alert after the client's Finished.
    expect(by.none!.outcome, by.none!.detail).to.equal('refused-in-handshake');
    expect(by.none!.detail).to.equal('server sent alert certificate_required after the handshake');
    // An untrusted certificate: node verifies it after the handshake and closes, without an alert.
    for (const v of ['generated RSA 2048', 'generated ECDSA P-256']) expect(by[v]!.outcome, by[v]!.detail).to.equal('closed-after-handshake');
    expect(by['given mic.crt']!.outcome).to.equal('accepted');
    expect(by['given mic.crt']!.sip!.status).to.equal(200);
  });
});
