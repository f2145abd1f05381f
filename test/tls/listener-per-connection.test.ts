// What the listener keeps per connection now that handshake deadlines share one timer and records share what is the
// same for every connection of an offer: each silent client is still refused after its own time while clients that
// finish in time are accepted; records carry the listening port and frozen lists shared between connections; a
// verifier that answers at once and one that answers later both decide the connection.
import { expect } from 'chai';
import net from 'node:net';
import tls from 'node:tls';
import { createSecureListener, type ConnectionRecord, type SecureListener, type SecureListenerOptions } from '../../engine/tls/listener.js';
import { buildTlsPolicy } from '../../engine/tls/policy.js';
import { getLogLevel, setLogLevel } from '../../common/log.js';
import { makeTestPki, type TestPki } from '../support/test-certs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tls: listener per-connection state', () => {
  let pki: TestPki;
  const open: SecureListener[] = [];
  const logLevel = getLogLevel();

  before(async () => {
    pki = await makeTestPki();
    setLogLevel('error'); // refusals are expected here
  });

  after(async () => {
    setLogLevel(logLevel);
    await Promise.all(open.map((l) => l.close()));
  });

  async function start(opts: Partial<SecureListenerOptions> = {}): Promise<{ listener: SecureListener; port: number }> {
    const listener = createSecureListener({
      rsa: { key: pki.callManager.key, cert: pki.callManager.cert },
      policy: await buildTlsPolicy({ port: 5061 }),
      onSecureConnection: (s) => s.end(),
      ...opts,
    });
    open.push(listener);
    const { port } = await listener.listen(0, '127.0.0.1');
    return { listener, port };
  }

  /**
   * A TLS 1.2 client (node:tls): resolves with whether the handshake completed. With `untilServerCloses` it stays
   * connected until the server ends or drops the connection (bounded by 2 s), so the server's verdict is not raced.
   */
  function handshake(port: number, extra: tls.ConnectionOptions = {}, untilServerCloses = false): Promise<boolean> {
    return new Promise((resolve) => {
      let secure = false;
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.2', ...extra });
      const done = () => {
        clearTimeout(guard);
        s.destroy();
        resolve(secure);
      };
      const guard = setTimeout(done, 2000);
      s.once('secureConnect', () => {
        secure = true;
        if (!untilServerCloses) done();
      });
      s.on('data', () => undefined);
      s.once('end', done);
      s.once('close', done);
      s.once('error', done);
    });
  }

  /** A TCP client that never sends a byte; resolves with how long the server took to close it. */
  function silent(port: number): Promise<number> {
    return new Promise((resolve) => {
      const t0 = Date.now();
      const s = net.connect(port, '127.0.0.1');
      s.on('close', () => resolve(Date.now() - t0));
      s.on('error', () => undefined);
    });
  }

  it('refuses each silent client after its own handshake time, while clients that finish in time are accepted', async () => {
    const { listener, port } = await start({ handshakeTimeoutMs: 120 });
    const silents: Promise<number>[] = [];
    const handshakes: Promise<boolean>[] = [];
    for (let i = 0; i < 3; i++) {
      silents.push(silent(port));
      handshakes.push(handshake(port));
      await sleep(30);
    }
    const closedAfter = await Promise.all(silents);
    expect(await Promise.all(handshakes)).to.deep.equal([true, true, true]);
    for (const ms of closedAfter) expect(ms).to.be.at.least(110); // never before its time (timer granularity aside)
    const recs = listener.records;
    const refused = recs.filter((r) => r.outcome === 'refused');
    expect(refused).to.have.length(3);
    for (const r of refused) expect(r.refusal).to.deep.equal({ stage: 'timeout', reason: 'handshake not finished within 120 ms' });
    expect(recs.filter((r) => r.outcome === 'accepted')).to.have.length(3);
  });

  it('records the listening port and shares frozen offer lists between connections of the same offer', async () => {
    const { listener, port } = await start();
    expect(await handshake(port, { servername: 'one.trustline.test' })).to.equal(true);
    expect(await handshake(port, { servername: 'two.trustline.test' })).to.equal(true);
    await sleep(20);
    const [a, b] = listener.records.slice(-2) as [ConnectionRecord, ConnectionRecord];
    for (const r of [a, b]) {
      expect(r.outcome).to.equal('accepted');
      expect(r.localPort).to.equal(port);
      expect(r.clientHello!.suites).to.include('ECDHE-RSA-AES128-GCM-SHA256');
    }
    expect(a.clientHello!.serverName).to.equal('one.trustline.test');
    expect(b.clientHello!.serverName).to.equal('two.trustline.test');
    // Same offer: the lists, the forecast and the suite are the same objects, and frozen so no record can change another.
    expect(b.clientHello!.suites).to.equal(a.clientHello!.suites);
    expect(b.forecast).to.equal(a.forecast);
    expect(b.suite).to.equal(a.suite);
    expect(Object.isFrozen(a.clientHello!.suites)).to.equal(true);
    expect(Object.isFrozen(a.forecast)).to.equal(true);
    expect(() => (a.clientHello!.suites as string[]).push('x')).to.throw(TypeError);
    // A different offer gets lists of its own.
    expect(await handshake(port, { servername: 'three.trustline.test', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' })).to.equal(true);
    await sleep(20);
    const c = listener.records.at(-1)!;
    expect(c.clientHello!.suites).to.not.equal(a.clientHello!.suites);
    expect(c.suite?.openssl).to.equal('ECDHE-RSA-AES256-GCM-SHA384');
  });

  it('a verifier answering at once or after a while decides the connection either way', async () => {
    for (const later of [false, true]) {
      let calls = 0;
      const { listener, port } = await start({
        requestClientCert: true,
        clientCa: [pki.capfCa.cert],
        verifyPeer: (chain) => {
          calls++;
          const v = chain.leaf.subject.includes('SEP001122334455') ? { ok: true as const, detail: 'lsc ok' } : { ok: false as const, reason: 'not our phone' };
          return later ? sleep(10).then(() => v) : v;
        },
      });
      expect(await handshake(port, { key: pki.lsc.key, cert: pki.lsc.cert }, true)).to.equal(true);
      await handshake(port, { key: pki.otherLsc.key, cert: pki.otherLsc.cert }, true); // refused once the handshake is over
      await sleep(40);
      const [ok, bad] = listener.records.slice(-2) as [ConnectionRecord, ConnectionRecord];
      expect(calls).to.equal(2);
      expect(ok.outcome, `later=${later}`).to.equal('accepted');
      expect(ok.peer?.verdict).to.equal('lsc ok');
      expect(bad.outcome, `later=${later}`).to.equal('refused');
      expect(bad.refusal).to.deep.equal({ stage: 'client-certificate', reason: 'not our phone' });
    }
  });
  it('keeps the last maxRecords records, oldest first', async () => {
    const { listener, port } = await start({ maxRecords: 3 });
    for (let i = 1; i <= 5; i++) expect(await handshake(port, { servername: `ring${i}.trustline.test` })).to.equal(true);
    await sleep(20);
    const names = () => listener.records.map((r) => r.clientHello?.serverName);
    expect(names()).to.deep.equal(['ring3.trustline.test', 'ring4.trustline.test', 'ring5.trustline.test']);
    expect(await handshake(port, { servername: 'ring6.trustline.test' })).to.equal(true);
    await sleep(20);
    expect(names()).to.deep.equal(['ring4.trustline.test', 'ring5.trustline.test', 'ring6.trustline.test']);
    const { listener: none, port: p0 } = await start({ maxRecords: 0 });
    expect(await handshake(p0)).to.equal(true);
    expect(none.records).to.deep.equal([]);
  });
});
