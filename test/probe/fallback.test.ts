// `--as`: a phone model's, a preset's or a cipher list's offer, replayed with its fallbacks against real servers.
import { expect } from 'chai';
import net from 'node:net';
import { getLogLevel, setLogLevel } from '../../common/log.js';
import { PHONE_MODELS, resolveProfile, simulateFallback } from '../../probe/fallback.js';
import { requirePeer } from '../support/peers.js';
import { makeTestPki, type TestPki } from '../support/test-certs.js';
import { startSServer, startTrustline, type Peer } from './support.js';

const OPTS = { timeoutMs: 3000 };

/** Forwards to `backend`, except that a ClientHello with legacy_version above TLS 1.0 is answered with a reset. */
async function versionIntolerantProxy(backend: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    sockets.add(c);
    c.on('error', () => {});
    c.once('data', (d: Buffer) => {
      if (d.length > 10 && d.readUInt16BE(9) > 0x0301) return c.resetAndDestroy();
      const b = net.connect(backend, '127.0.0.1', () => {
        b.write(d);
        c.pipe(b).pipe(c);
      });
      sockets.add(b);
      b.on('error', () => c.destroy());
      c.on('close', () => b.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('probe --as: fallback simulation', function () {
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

  const target = (port: number) => ({ host: '127.0.0.1', port });

  it('resolves models by alias, presets by id or label, and cipher lists by any name', async () => {
    expect((await resolveProfile('7942')).id).to.equal('cp-79xx');
    expect((await resolveProfile('All Ciphers, ECDSA Preferred')).id).to.equal('preset:all-ecdsa');
    const list = await resolveProfile('TLS_RSA_WITH_AES_128_CBC_SHA, 0xC0,0x2F');
    expect(list.steps[0]!.suites.map((s) => s.openssl)).to.deep.equal(['AES128-SHA', 'ECDHE-RSA-AES128-GCM-SHA256']);
    const openssl = await resolveProfile('ECDHE+AESGCM:!ECDSA');
    expect(openssl.steps[0]!.suites.every((s) => s.openssl.startsWith('ECDHE-RSA'))).to.equal(true);
    await resolveProfile('not-a-model').then(
      () => expect.fail('resolved'),
      (e: Error) => expect(e.message).to.match(/not a phone model \(cp-79xx, cp-88xx, jabber\)/),
    );
    expect(PHONE_MODELS.every((m) => m.source.length > 0)).to.equal(true);
  });

  it('legacy 79xx against a TLS 1.2-only port: fails, and says why', async () => {
    const tl = await startTrustline(pki.callManager, pki.callManagerEcdsa, { tlsCiphers: 'all-rsa', minTlsVersion: '1.2' });
    closers.push(() => tl.listener.close());
    const r = await simulateFallback(target(tl.port), await resolveProfile('79xx'), OPTS);
    expect(r.outcome).to.equal('failure');
    expect(r.summary).to.equal('fails: TLS 1.0, AES128-SHA: server refuses TLSv1 (alert protocol_version)');
  });

  it('legacy 79xx against a port allowing TLS 1.0: TLSv1 AES128-SHA with the RSA certificate, SIP answered', async () => {
    const tl = await startTrustline(pki.callManager, pki.callManagerEcdsa, { tlsCiphers: 'all-ecdsa' });
    closers.push(() => tl.listener.close());
    const r = await simulateFallback(target(tl.port), await resolveProfile('legacy'), OPTS);
    expect(r.outcome).to.equal('success');
    const a = r.attempts[0]!;
    expect([a.version, a.suite, a.certificate!.label]).to.deep.equal(['TLSv1', 'AES128-SHA', 'RSA 2048']);
    expect(a.handshake!.outcome).to.equal('completed');
    expect(a.sip!.status).to.equal(200);
    expect(r.summary).to.match(/^TLSv1 AES128-SHA with RSA 2048 \(CN=cucm-pub.trustline.test, .*\); SIP OPTIONS: 200 OK$/);
  });

  it('88xx against the ECDSA-only preset: ECDHE-ECDSA AES-256 with CallManager-ECDSA', async () => {
    const tl = await startTrustline(pki.callManager, pki.callManagerEcdsa, { tlsCiphers: 'ecdsa-only' });
    closers.push(() => tl.listener.close());
    const r = await simulateFallback(target(tl.port), await resolveProfile('8845'), OPTS);
    expect(r.outcome).to.equal('success');
    expect(r.attempts).to.have.length(1);
    expect(r.attempts[0]!.detail).to.match(/^TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384 with ECDSA P-256 /);
  });

  it('88xx behind a version-intolerant middlebox: retries with TLS 1.0 + FALLBACK_SCSV, which a TLS 1.2 server refuses', async () => {
    const tl = await startTrustline(pki.callManager, pki.callManagerEcdsa, { tlsCiphers: 'all-rsa' });
    const proxy = await versionIntolerantProxy(tl.port);
    closers.push(() => tl.listener.close(), () => proxy.close());
    const r = await simulateFallback(target(proxy.port), await resolveProfile('88xx'), OPTS);
    expect(r.outcome).to.equal('failure');
    expect(r.attempts.map((a) => a.detail)).to.deep.equal([
      'connection reset without a reply to the ClientHello',
      'server detected the downgrade retry (alert inappropriate_fallback, RFC 7507)',
    ]);
  });

  it('88xx behind the same middlebox in front of a TLS 1.0-only server: the retry succeeds', async function () {
    requirePeer(this, 'openssl', 'openssl');
    const s: Peer = await startSServer(pki.callManager, pki.callManagerEcdsa, { cipher: 'AES128-SHA:@SECLEVEL=0', extra: ['-tls1'] });
    const proxy = await versionIntolerantProxy(s.port);
    closers.push(() => s.stop(), () => proxy.close());
    const r = await simulateFallback(target(proxy.port), await resolveProfile('88xx'), { ...OPTS, sip: false });
    expect(r.outcome).to.equal('success');
    expect(r.attempts[1]!.detail).to.match(/^TLSv1 AES128-SHA with RSA 2048/);
    expect(r.summary).to.match(/\(after 1 failed attempt\(s\)\)$/);
  });

  it('a cipher list with 3DES only and a CUCM preset as TLS client: asked raw, refused with the reason', async () => {
    const tl = await startTrustline(pki.callManager, undefined, { tlsCiphers: 'all-rsa' });
    closers.push(() => tl.listener.close());
    const des = await simulateFallback(target(tl.port), await resolveProfile('DES-CBC3-SHA'), OPTS);
    expect(des.summary).to.match(/no suite in common: server refuses DES-CBC3-SHA \(alert handshake_failure\)/);
    const ecdsaOnly = await simulateFallback(target(tl.port), await resolveProfile('preset:ecdsa-only'), OPTS);
    expect(ecdsaOnly.outcome).to.equal('failure');
    expect(ecdsaOnly.summary).to.match(/no suite in common: server refuses ECDHE-ECDSA-AES256-GCM-SHA384, ECDHE-ECDSA-AES128-GCM-SHA256/);
    const authenticated = await simulateFallback(target(tl.port), await resolveProfile('cucm-authenticated'), OPTS);
    expect(authenticated.attempts[0]!.detail).to.match(/^TLSv1.2 NULL-SHA with RSA 2048/);
  });
});
