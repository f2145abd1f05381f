// SIP trunk admission in CUCM's order (ACL, TLS subject names, trunk authorization, digest, application) and the
// transport layer's duties: responses on the request's connection, requests reusing an inbound connection,
// received/rport on Vias, CRLF keepalive pong, 400 for a malformed request.
import { expect } from 'chai';
import net from 'node:net';
import { parseChallenge } from '../../engine/sip/auth/index.js';
import { SipServer } from '../../engine/sip/sip-server.js';
import { TransportLayer } from '../../engine/sip/transport/index.js';
import { TransactionLayer } from '../../engine/sip/transaction/index.js';
import { type TestCert, type TestPki, makeTestPki } from '../support/test-certs.js';
import { type TestClient, client, testCluster, until } from './support.js';

describe('sip-engine: trunk admission', function () {
  this.timeout(60_000);
  let certs: TestPki;
  let stranger: TestCert;
  let tlsServer: SipServer;
  let tcpServer: SipServer;
  const clients: TestClient[] = [];
  const mk = (o: Parameters<typeof client>[0] = {}) => {
    const c = client(o);
    clients.push(c);
    return c;
  };

  before(async () => {
    const [pki, c] = await Promise.all([testCluster(), makeTestPki()]);
    certs = c;
    stranger = await certs.issue({ name: 'stranger', subject: '/CN=stranger.trustline.test/O=elsewhere', san: 'DNS:stranger.trustline.test' });
    tlsServer = await SipServer.start({
      udp: false,
      tcp: false,
      tls: { port: 0 },
      pki,
      trunks: [
        {
          name: 'remote-cluster',
          destinations: ['127.0.0.1'],
          profile: { name: 'encrypted-trunk', deviceSecurityMode: 'encrypted', incomingPort: 5061, subjectNames: 'other-cm.trustline.test, peer-cm.trustline.test' },
          trust: [certs.trunkPeer.x509, stranger.x509],
        },
      ],
    });
    tcpServer = await SipServer.start({
      udp: false,
      tcp: { port: 0 },
      tls: false,
      clusterId: 'TrustlineCluster',
      trunks: [
        {
          name: 'app-trunk',
          destinations: ['127.0.0.1'],
          profile: {
            name: 'digest-trunk',
            deviceSecurityMode: 'non-secure',
            incomingPort: 5060,
            digestAuthentication: true,
            applicationLevelAuthorization: true,
            acceptPresenceSubscription: true,
            acceptOutOfDialogRefer: false,
          },
        },
      ],
      applicationUsers: [{ userId: 'app1', digestCredentials: 'apppw', acceptPresenceSubscription: false }],
    });
    for (const s of [tlsServer, tcpServer]) s.onRequest('*', (r) => r.reply(200, { headers: [['X-Trunk', r.trunk?.trunk.name ?? 'none'], ['X-App', r.trunk?.applicationUser ?? 'none']] }));
  });

  after(async () => {
    for (const c of clients) await c.close();
    await tlsServer?.stop();
    await tcpServer?.stop();
  });

  const info = (c: TestClient, port: number, transport: 'TLS' | 'TCP', extra: { method?: string; headers?: [string, string][]; credentials?: { username: string; password: string } } = {}) =>
    c.ua.request(
      { method: extra.method ?? 'INFO', uri: `sip:cucm@127.0.0.1:${port}`, from: '<sip:peer@127.0.0.1>', to: '<sip:cucm@127.0.0.1>', contact: '<sip:peer@127.0.0.1>', ...(extra.headers ? { headers: extra.headers } : {}) },
      { transport, host: '127.0.0.1', port },
      extra.credentials ? { credentials: extra.credentials } : {},
    );

  it('a peer whose certificate carries a listed subject name is admitted on its trunk', async () => {
    const c = mk({ tlsClient: { key: certs.trunkPeer.key, cert: certs.trunkPeer.cert } });
    const r = await info(c, tlsServer.ports.tls!, 'TLS');
    expect(r.response.status).to.equal(200);
    expect(r.response.get('x-trunk')).to.equal('remote-cluster');
  });

  it('a peer with an unlisted subject name is refused at the handshake, with the mismatch journalled', async () => {
    const seq = tlsServer.journal.lastSeq;
    const c = mk({ tlsClient: { key: stranger.key, cert: stranger.cert } });
    const r = await info(c, tlsServer.ports.tls!, 'TLS');
    expect(r.synthetic).to.equal('transport-error');
    await until(() => tlsServer.journal.since(seq).length > 0);
    const e = tlsServer.journal.since(seq)[0]!;
    expect(e.subject).to.equal('tls');
    expect(e.reason).to.match(/subject name mismatch: certificate has subject CN stranger\.trustline\.test/);
  });

  it('ACL first: a listed certificate from an address that is not a trunk destination gets 403', async () => {
    const seq = tlsServer.journal.lastSeq;
    const c = new TransportLayer({ localAddress: '127.0.0.2', tlsClient: { key: certs.trunkPeer.key, cert: certs.trunkPeer.cert } });
    const tc = { transport: c, ua: new (await import('../../engine/sip/ua-core.js')).UserAgentCore({ transport: c }) } as unknown as TestClient;
    tc.close = async () => {
      tc.ua.close();
      await c.close();
    };
    clients.push(tc);
    const r = await info(tc, tlsServer.ports.tls!, 'TLS');
    expect(r.response.status).to.equal(403);
    expect(tlsServer.journal.since(seq)[0]).to.include({ subject: 'trunk', stage: 'acl' });
    expect(tlsServer.journal.since(seq)[0]!.reason).to.match(/127\.0\.0\.2 is not a destination address/);
  });

  it('trunk authorization before digest: an out-of-dialog REFER the profile does not accept gets 403 without a challenge', async () => {
    const r = await info(mk(), tcpServer.ports.tcp!, 'TCP', { method: 'REFER', headers: [['Refer-To', '<sip:1002@127.0.0.1>']] });
    expect(r.response.status).to.equal(403);
    expect(tcpServer.journal.entries().at(-1)).to.include({ stage: 'trunk-authorization', trunk: 'app-trunk' });
  });

  it('digest with the Cluster ID realm: 401, then 200 for the application user, 403 for a wrong password', async () => {
    const c = mk();
    const r1 = await info(c, tcpServer.ports.tcp!, 'TCP');
    expect(r1.response.status).to.equal(401);
    expect(parseChallenge(r1.response.get('www-authenticate')!).realm).to.equal('TrustlineCluster');
    const ok = await info(c, tcpServer.ports.tcp!, 'TCP', { credentials: { username: 'app1', password: 'apppw' } });
    expect(ok.response.status).to.equal(200);
    expect(ok.response.get('x-app')).to.equal('app1');
    const bad = await info(c, tcpServer.ports.tcp!, 'TCP', { credentials: { username: 'app1', password: 'nope' } });
    expect(bad.response.status).to.equal(403);
  });

  it('application-level authorization after digest: presence accepted by the trunk but not by the application user gets 403', async () => {
    const r = await info(mk(), tcpServer.ports.tcp!, 'TCP', { method: 'SUBSCRIBE', headers: [['Event', 'presence']], credentials: { username: 'app1', password: 'apppw' } });
    expect(r.response.status).to.equal(403);
    expect(tcpServer.journal.entries().at(-1)).to.include({ stage: 'application-authorization' });
  });
});

describe('sip-engine: transport layer', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  async function tcpServer() {
    const t = new TransportLayer();
    const layer = new TransactionLayer(t);
    const a = await t.listenTcp(0);
    closers.push(() => t.close());
    return { t, layer, port: a.port };
  }

  it('answers on the connection the request came on, stamps received/rport, and reuses the inbound connection to reach the client', async () => {
    const { t, layer, port } = await tcpServer();
    const seen: { via: string; conn: number | undefined }[] = [];
    layer.onRequest((req, tx, source) => {
      seen.push({ via: req.get('via')!, conn: source.connection?.id });
      tx!.reply(200);
    });
    const c = client();
    closers.push(() => c.close());
    c.ua.onRequest((r) => r.reply(200));
    const r = await c.ua.request({ method: 'OPTIONS', uri: `sip:x@127.0.0.1:${port}`, from: '<sip:a@phone.invalid>', to: '<sip:x@127.0.0.1>' }, { transport: 'TCP', host: '127.0.0.1', port });
    expect(r.response.status).to.equal(200);
    expect(t.connections()).to.have.length(1);
    const inbound = t.connections()[0]!;
    expect(seen[0]!.conn).to.equal(inbound.id);
    expect(seen[0]!.via).to.match(/;rport=\d+/).and.match(/;received=127\.0\.0\.1/); // RFC 3581
    expect(inbound.remotePort).to.equal(r.flow.connection!.localPort);
    // The server reaches the client through the same connection (no new one is opened).
    const sua = new (await import('../../engine/sip/ua-core.js')).UserAgentCore({ transport: t, transactions: layer });
    const back = await sua.request({ method: 'OPTIONS', uri: `sip:a@127.0.0.1:${inbound.remotePort};transport=tcp`, from: '<sip:cucm@127.0.0.1>', to: '<sip:a@127.0.0.1>' });
    expect(back.response.status).to.equal(200);
    expect(back.flow.connection!.id).to.equal(inbound.id);
    expect(t.connections()).to.have.length(1);
  });

  it('answers a CRLFCRLF keepalive with CRLF (RFC 5626) and a malformed request with 400 naming the fault', async () => {
    const { port } = await tcpServer();
    const s = net.connect(port, '127.0.0.1');
    closers.push(() => void s.destroy());
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    await new Promise((r) => s.once('connect', r));
    s.write('\r\n\r\n');
    await until(() => Buffer.concat(got).toString() === '\r\n');
    s.write('OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5;branch=z9hG4bKbad\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: bad1\r\nCSeq: one OPTIONS\r\nContent-Length: 0\r\n\r\n');
    await until(() => Buffer.concat(got).toString().includes('400'));
    const text = Buffer.concat(got).toString().slice(2);
    expect(text).to.match(/^SIP\/2\.0 400 Bad Request\r\n/);
    expect(text).to.match(/Warning: 399 trustline ".*CSeq/);
    expect(text).to.include('Call-ID: bad1');
  });
});
