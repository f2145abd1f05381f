// How inbound stream connections end: a peer that closes (TCP FIN, or TLS right after its handshake) leaves no
// connection behind, and a half-closing peer gets our FIN; the TLS connection carries the negotiated suite and the
// listening port.
import { expect } from 'chai';
import net from 'node:net';
import tls from 'node:tls';
import { TransportLayer, type Connection } from '../../engine/sip/transport/index.js';
import { buildTlsPolicy } from '../../engine/tls/policy.js';
import { makeTestPki, type TestPki } from '../support/test-certs.js';
import { until } from './support.js';

const REGISTER =
  'REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKclose1\r\nMax-Forwards: 70\r\n' +
  'From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: close-1@test\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n';

describe('sip-engine: stream connections closing', () => {
  let pki: TestPki;
  let t: TransportLayer;
  let tcpPort: number;
  let tlsPort: number;
  const closed: { conn: Connection; reason: string }[] = [];
  const opened: Connection[] = [];

  before(async () => {
    pki = await makeTestPki();
    t = new TransportLayer();
    t.onMessage(() => undefined);
    t.on('connection', (c: Connection) => opened.push(c));
    t.on('connection-closed', (conn: Connection, reason: string) => closed.push({ conn, reason }));
    tcpPort = (await t.listenTcp(0)).port;
    tlsPort = (await t.listenTls({ rsa: { key: pki.callManager.key, cert: pki.callManager.cert }, policy: await buildTlsPolicy({ port: 5061 }) }, 0)).port;
  });

  after(() => t.close());

  it('TLS: a client closing right after its handshake leaves no connection behind (20 in a row)', async () => {
    const before = closed.length;
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
        s.once('secureConnect', () => {
          s.destroy();
          resolve();
        });
        s.once('error', reject);
      });
    }
    await until(() => closed.length - before === 20 && t.connections().length === 0, 3000, 'every TLS connection closed');
    const last = opened.at(-1)!;
    expect(last.transport).to.equal('TLS');
    expect(last.localPort).to.equal(tlsPort);
    expect(last.tls?.suite.openssl).to.match(/^ECDHE-RSA-AES(128|256)-GCM-SHA(256|384)$/);
    expect(last.closed).to.equal(true);
  });

  it('TCP: a client that half-closes after a request is closed on our side too (FIN answered, socket gone)', async () => {
    const before = closed.length;
    const serverClosed = await new Promise<boolean>((resolve) => {
      const s = net.connect(tcpPort, '127.0.0.1', () => {
        s.write(REGISTER);
        s.end(); // half-close: we still read
      });
      s.on('data', () => undefined);
      s.on('end', () => resolve(true)); // the server's FIN
      s.on('error', () => resolve(false));
      setTimeout(() => resolve(false), 3000);
    });
    expect(serverClosed).to.equal(true);
    await until(() => closed.length > before && t.connections().length === 0, 3000, 'the TCP connection closed');
    expect(closed.at(-1)!.reason).to.equal('closed by peer');
  });
});
