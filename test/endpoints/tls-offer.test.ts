// The phone's TLS client offer per model and configuration, and its fallback against real node:tls servers on
// 127.0.0.1 (CallManager certificates from a ClusterPki): what is offered, what is negotiated, what is recorded.
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { ClusterPki } from '../../engine/pki/index.js';
import { connectWithOffer, getModel, phoneTlsOffer } from '../../endpoints/index.js';
import { cluster, quietLogs } from './support.js';

async function server(o: tls.TlsOptions): Promise<{ port: number; close: () => Promise<void> }> {
  const s = tls.createServer(o, (sock) => sock.end());
  s.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { port: (s.address() as AddressInfo).port, close: () => new Promise((r) => s.close(() => r())) };
}

describe('endpoints: TLS client offer', function () {
  this.timeout(30_000);
  quietLogs();
  let pki: ClusterPki;
  const closers: (() => Promise<void>)[] = [];
  before(async () => {
    pki = await cluster('cucm-tls');
  });
  after(async () => {
    await Promise.all(closers.map((c) => c()));
  });
  const start = async (o: tls.TlsOptions) => {
    const s = await server(o);
    closers.push(s.close);
    return s.port;
  };

  it('legacy: one attempt, TLS 1.0, AES128-SHA at security level 0; 3DES is named as not runnable', () => {
    const o = phoneTlsOffer({ model: getModel('legacy'), purpose: 'sip', mode: 'encrypted' });
    expect(o.attempts.map((a) => [a.label, a.minVersion, a.maxVersion, a.ciphers])).to.deep.equal([['TLSv1', 'TLSv1', 'TLSv1', 'AES128-SHA:@SECLEVEL=0']]);
    expect(o.dropped).to.deep.equal([{ suite: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', reason: "node's OpenSSL cannot negotiate it" }]);
  });

  it('current: TLS 1.2 first, then a TLS 1.0/1.1 retry with the suites those versions carry; the configuration trims it', () => {
    const m = getModel('current');
    const o = phoneTlsOffer({ model: m, purpose: 'sip', mode: 'encrypted' });
    expect(o.attempts.map((a) => [a.label, a.minVersion, a.maxVersion])).to.deep.equal([
      ['TLSv1.2', 'TLSv1.2', 'TLSv1.2'],
      ['fallback TLSv1/TLSv1.1', 'TLSv1', 'TLSv1.1'],
    ]);
    expect(o.attempts[0]!.ciphers).to.equal('ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA:AES128-SHA');
    expect(o.attempts[1]!.ciphers).to.equal('AES256-SHA:AES128-SHA:@SECLEVEL=0');
    // <disableTLSCiphers>5,7 (the ECDSA GCM suites) and <tls12Only>.
    const trimmed = phoneTlsOffer({ model: m, purpose: 'sip', mode: 'encrypted', disableTlsCiphers: [5, 7], tls12Only: true });
    expect(trimmed.attempts).to.have.length(1);
    expect(trimmed.attempts[0]!.suites.map((s) => s.iana)).to.not.include.members(['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256']);
    expect(trimmed.dropped.filter((d) => /disableTLSCiphers/.test(d.reason)).map((d) => d.suite)).to.have.length(2);
    // Authenticated mode: NULL-SHA only; 6971: ECDSA suites only.
    expect(phoneTlsOffer({ model: m, purpose: 'sip', mode: 'authenticated' }).attempts[0]!.ciphers).to.equal('NULL-SHA:@SECLEVEL=0');
    expect(phoneTlsOffer({ model: m, purpose: 'https-config' }).attempts[0]!.suites.every((s) => s.authentication === 'ECDSA')).to.equal(true);
    // Nothing left to offer is said, not thrown.
    const none = phoneTlsOffer({ model: getModel('legacy'), purpose: 'sip', tls12Only: true });
    expect(none.attempts).to.deep.equal([]);
    expect(none.description).to.match(/nothing to offer \(no TLS version left\)/);
  });

  it('against a TLS 1.2 server with both CallManager certificates: ECDSA suite, EC certificate recorded', async () => {
    const port = await start({ key: [pki.tlsCredentials('CallManager').key, pki.tlsCredentials('CallManager-ECDSA').key], cert: [pki.tlsCredentials('CallManager').cert, pki.tlsCredentials('CallManager-ECDSA').cert], minVersion: 'TLSv1.2', honorCipherOrder: false });
    const c = await connectWithOffer(phoneTlsOffer({ model: getModel('current'), purpose: 'sip', mode: 'encrypted' }), { host: '127.0.0.1', port });
    expect(c.failure).to.equal(undefined);
    expect(c.connected).to.deep.include({ outcome: 'connected', protocol: 'TLSv1.2', suite: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384' });
    expect(c.connected!.serverCertificate).to.include({ keyType: 'ec' });
    expect(c.connected!.serverCertificate!.der.equals(pki.certificate('CallManager-ECDSA').der)).to.equal(true);
    c.socket!.destroy();
  });

  it('against a TLS 1.0-only server: the current model falls back, the legacy one connects, Jabber does not', async () => {
    const rsa = pki.tlsCredentials('CallManager');
    const port = await start({ key: rsa.key, cert: rsa.cert, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'AES128-SHA:@SECLEVEL=0' });
    const current = await connectWithOffer(phoneTlsOffer({ model: getModel('current'), purpose: 'sip', mode: 'encrypted' }), { host: '127.0.0.1', port });
    expect(current.attempts.map((a) => [a.attempt, a.outcome])).to.deep.equal([
      ['TLSv1.2', 'failed'],
      ['fallback TLSv1/TLSv1.1', 'connected'],
    ]);
    expect(current.connected).to.include({ protocol: 'TLSv1', suite: 'TLS_RSA_WITH_AES_128_CBC_SHA' });
    current.socket!.destroy();
    const legacy = await connectWithOffer(phoneTlsOffer({ model: getModel('legacy'), purpose: 'sip', mode: 'encrypted' }), { host: '127.0.0.1', port });
    expect(legacy.attempts).to.have.length(1);
    expect(legacy.connected).to.include({ protocol: 'TLSv1' });
    legacy.socket!.destroy();
    const jabber = await connectWithOffer(phoneTlsOffer({ model: getModel('jabber'), purpose: 'sip', mode: 'encrypted' }), { host: '127.0.0.1', port });
    expect(jabber.failure?.kind).to.equal('handshake');
    expect(jabber.attempts).to.have.length(1);
  });

  it('the NULL-SHA of authenticated mode is negotiated at security level 0, with the MIC as client certificate', async () => {
    const rsa = pki.tlsCredentials('CallManager');
    let peer: Buffer | undefined;
    const s = tls.createServer({ key: rsa.key, cert: rsa.cert, minVersion: 'TLSv1', ciphers: 'NULL-SHA:@SECLEVEL=0', requestCert: true, rejectUnauthorized: false }, (sock) => {
      peer = sock.getPeerX509Certificate()?.raw;
      sock.end();
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise((r) => s.close(() => r())));
    const mic = await pki.issueManufacturingCertificate('SEP0000000079B1', 'RSA', { model: '7962' });
    const offer = phoneTlsOffer({ model: getModel('legacy'), purpose: 'sip', mode: 'authenticated', clientCertificate: { certificate: mic.certificate.der, privateKey: mic.privateKey, label: 'MIC' } });
    const c = await connectWithOffer(offer, { host: '127.0.0.1', port: (s.address() as AddressInfo).port });
    expect(c.connected).to.include({ protocol: 'TLSv1', suite: 'TLS_RSA_WITH_NULL_SHA', clientCertificate: 'MIC' });
    await new Promise((r) => c.socket!.once('close', r));
    expect(peer?.equals(mic.certificate.der)).to.equal(true);
  });

  it('records an untrusted server and a refused TCP connection without retrying', async () => {
    const rsa = pki.tlsCredentials('CallManager');
    const port = await start({ key: rsa.key, cert: rsa.cert });
    const offer = phoneTlsOffer({ model: getModel('current'), purpose: 'sip', mode: 'encrypted' });
    const untrusted = await connectWithOffer(offer, { host: '127.0.0.1', port, verifyServer: (c) => `not mine: ${c.subject}` });
    expect(untrusted.failure).to.deep.include({ kind: 'untrusted-server' });
    expect(untrusted.socket).to.equal(undefined);
    expect(untrusted.connected!.reason).to.match(/^server not trusted: not mine: .*CN=cucm-tls/);
    const gone = await server({ key: rsa.key, cert: rsa.cert });
    await gone.close();
    const refused = await connectWithOffer(offer, { host: '127.0.0.1', port: gone.port });
    expect(refused.failure?.kind).to.equal('network');
    expect(refused.attempts, 'no TLS fallback after a TCP failure').to.have.length(1);
  });
});
