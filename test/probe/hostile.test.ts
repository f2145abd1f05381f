// Hostile and odd servers: each probe must end with a clear verdict, within its timeout, and the run must finish.
import { expect } from 'chai';
import net from 'node:net';
import tls from 'node:tls';
import { getSuite } from '../../ciphers/tls/suite-catalogue.js';
import { runProbe } from '../../probe/run.js';
import { makeTestPki, type TestPki } from '../support/test-certs.js';
import { freePort } from './support.js';

const FAST = { timeoutMs: 700, sipTimeoutMs: 500, concurrency: 4 } as const;

interface Fake {
  port: number;
  close(): Promise<void>;
}

/** A TCP server whose connections are handed to `onConn`; every socket is destroyed on close. */
async function fakeServer(onConn: (s: net.Socket) => void): Promise<Fake> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onConn(s);
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

/** A TLS server (RSA certificate, TLS 1.2) whose secure sockets are handed to `onSecure`. */
async function tlsFake(pki: TestPki, onSecure: (s: tls.TLSSocket) => void): Promise<Fake> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key: pki.callManager.key, cert: pki.callManager.cert, maxVersion: 'TLSv1.2' }, (s) => {
    s.on('error', () => {});
    onSecure(s);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('probe against hostile and odd servers', function () {
  this.timeout(30_000);
  let pki: TestPki;
  const open: Fake[] = [];
  before(async () => {
    pki = await makeTestPki();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((f) => f.close()));
  });

  const details = (r: Awaited<ReturnType<typeof runProbe>>) => r.versions.map((v) => v.detail);

  it('never answers: every version probe times out, the run ends, no later phase waits again', async () => {
    const f = await fakeServer(() => {});
    open.push(f);
    const started = Date.now();
    const r = await runProbe({ host: '127.0.0.1', port: f.port }, { ...FAST, as: ['79xx'] });
    expect(Date.now() - started).to.be.lessThan(6000);
    expect(r.versions.every((v) => !v.supported)).to.equal(true);
    for (const d of details(r)) expect(d).to.match(/^not supported: no reply to the ClientHello: timed out after 700 ms$/);
    expect(r.verdict).to.match(/no TLS version accepted/);
    expect(r.notes.join('\n')).to.match(/client certificates not probed/);
    expect(r.fallback[0]!.outcome).to.equal('failure');
    expect(r.fallback[0]!.summary).to.match(/no reply to the ClientHello: timed out/);
  });

  it('closes mid-handshake: half a ServerHello record, then FIN', async () => {
    const f = await fakeServer((s) =>
      s.once('data', () => {
        s.end(Buffer.from([22, 3, 3, 0, 80, 2, 0, 0, 76, 3, 3, 1, 2, 3]));
      }),
    );
    open.push(f);
    const r = await runProbe({ host: '127.0.0.1', port: f.port }, FAST);
    for (const d of details(r)) expect(d).to.equal('not supported: connection closed mid-handshake after 14 byte(s), no complete ServerHello');
  });

  it('closes at once (RST) and refuses TCP: distinct verdicts', async () => {
    const f = await fakeServer((s) => s.once('data', () => s.resetAndDestroy()));
    open.push(f);
    const r = await runProbe({ host: '127.0.0.1', port: f.port }, FAST);
    for (const d of details(r)) expect(d).to.equal('not supported: connection reset without a reply to the ClientHello');
    const closedPort = await freePort();
    const none = await runProbe({ host: '127.0.0.1', port: closedPort }, FAST);
    for (const d of details(none)) expect(d).to.equal(`not supported: TCP connect to 127.0.0.1:${closedPort}: ECONNREFUSED`);
  });

  it('sends garbage (a SIP answer on a TLS port, random bytes): named as not TLS, with the bytes', async () => {
    const sip = await fakeServer((s) => s.once('data', () => s.write('SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n')));
    const noise = await fakeServer((s) => s.once('data', () => s.write(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]))));
    open.push(sip, noise);
    const a = await runProbe({ host: '127.0.0.1', port: sip.port }, FAST);
    for (const d of details(a)) expect(d).to.match(/^not supported: not TLS: record header: not a TLS record: content type 0x53 .*"SIP\/2.0 400 Bad /);
    const b = await runProbe({ host: '127.0.0.1', port: noise.port }, FAST);
    for (const d of details(b)) expect(d).to.match(/^not supported: not TLS: .*content type 0xde \(first bytes deadbeef00010203/);
  });

  it('drips a valid ServerHello then stalls: accepted by ServerHello, the stall reported, the SIP step fails cleanly', async () => {
    // Echoes a ServerHello for the first offered suite in the offered version, then says nothing more.
    const f = await fakeServer((s) =>
      s.once('data', (d: Buffer) => {
        const version = d.readUInt16BE(9);
        if (version !== 0x0303) return s.end(Buffer.from([21, 3, 3, 0, 2, 2, 70]));
        const sidLen = d[43]!;
        const suite = d.readUInt16BE(44 + sidLen + 2);
        const body = Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32, 1), Buffer.from([0, suite >> 8, suite & 0xff, 0])]);
        s.write(Buffer.concat([Buffer.from([22, 3, 3, 0, body.length + 4, 2, 0, 0, body.length]), body]));
      }),
    );
    open.push(f);
    // Every suite "accepted", each probe waiting its whole timeout for the Certificate: keep the list short.
    const suites = ['ECDHE-RSA-AES128-GCM-SHA256', 'AES128-SHA', 'DES-CBC3-SHA'].map((n) => getSuite(n));
    const r = await runProbe({ host: '127.0.0.1', port: f.port }, { ...FAST, versions: ['TLSv1', 'TLSv1.2'], suites, groups: false, sigalgs: false });
    const v12 = r.versions.find((v) => v.version === 'TLSv1.2')!;
    expect(v12.supported).to.equal(true);
    expect(v12.detail).to.match(/^ServerHello TLSv1.2 0xc02f$/);
    expect(v12.suites.map((p) => p.detail)).to.deep.equal(['ServerHello TLSv1.2 0xc02f; then timed out after 700 ms', 'ServerHello TLSv1.2 0x002f; then timed out after 700 ms', 'ServerHello TLSv1.2 0x000a; then timed out after 700 ms']);
    expect(v12.order).to.deep.equal(['ECDHE-RSA-AES128-GCM-SHA256', 'AES128-SHA', 'DES-CBC3-SHA']);
    expect(v12.preference).to.equal('client');
    expect(r.versions.find((v) => v.version === 'TLSv1')!.detail).to.equal('not supported: alert protocol_version');
    const p = v12.suites.find((x) => x.openssl === 'AES128-SHA')!;
    expect(p.result).to.equal('accepted');
    expect(p.handshake!.outcome).to.equal('failed');
    expect(r.clientCertificates.every((c) => c.outcome === 'error' || c.outcome === 'refused-in-handshake')).to.equal(true);
  });

  it('TLS but no SIP: silent, garbage over TLS, or closing on the request', async () => {
    const silent = await tlsFake(pki, (s) => s.resume());
    const garbage = await tlsFake(pki, (s) => s.once('data', () => s.write('HTTP/1.0 200 ok\r\n\r\n')));
    const closing = await tlsFake(pki, (s) => s.once('data', () => s.destroy()));
    open.push(silent, garbage, closing);
    const opts = { ...FAST, versions: ['TLSv1.2'] as const, groups: false, sigalgs: false, clientCerts: false };
    const a = await runProbe({ host: '127.0.0.1', port: silent.port }, opts);
    const sipA = a.versions[0]!.suites.filter((p) => p.sip).map((p) => p.sip!);
    expect(sipA.filter((x) => x.outcome === 'no-answer')).to.have.length(1);
    expect(sipA.filter((x) => x.outcome === 'not-sent').length).to.be.greaterThan(3);
    const b = await runProbe({ host: '127.0.0.1', port: garbage.port }, opts);
    const sipB = b.versions[0]!.suites.filter((p) => p.sip).map((p) => p.sip!);
    expect(sipB.length).to.be.greaterThan(3);
    for (const x of sipB) expect(x.outcome).to.equal('garbage');
    expect(sipB[0]!.detail).to.match(/^unreadable answer to OPTIONS: /);
    const c = await runProbe({ host: '127.0.0.1', port: closing.port }, opts);
    for (const x of c.versions[0]!.suites.filter((p) => p.sip).map((p) => p.sip!)) expect(x.outcome).to.equal('closed');
    expect(c.verdict).to.match(/SIP OPTIONS answered through 0\/\d+ suite/);
  });
});
