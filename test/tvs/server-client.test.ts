// TVS server and the phones' client over TLS on 127.0.0.1: verdicts from the cluster's trust stores (exact leaf),
// roles and TTL, QUERY, TLS 1.0 phones, the server certificate checked against the phone's ITL, failover across members.
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import type { ClusterPki } from '../../engine/pki/index.js';
import { buildClusterItl, parseItl } from '../../engine/trust/index.js';
import { itlServerCheck, TvsClient, TvsServer, tvsMembersFromConfig, type TvsMember, type TvsVerdict } from '../../engine/tvs/index.js';
import { captureLogs, closedPort, cluster, silentServer } from './support.js';

const DEVICE = 'CP-7841-SEP001122334455';

function itlOf(pki: ClusterPki) {
  const i = pki.trustListInputs();
  return parseItl(buildClusterItl({ itlRecovery: i.itlRecovery, callManager: i.callManager, callManagerEcdsa: i.callManagerEcdsa, tvs: i.tvs, capf: i.capf }).bytes);
}

function expectValid(v: TvsVerdict): Extract<TvsVerdict, { status: 'valid' }> {
  expect(v.status, JSON.stringify(v)).to.equal('valid');
  return v as Extract<TvsVerdict, { status: 'valid' }>;
}

describe('TVS server and client over TLS', function () {
  let pki: ClusterPki;
  let server: TvsServer;
  let member: TvsMember;
  const client = (o: Partial<ConstructorParameters<typeof TvsClient>[0]> = {}) => new TvsClient({ members: [member], deviceName: DEVICE, ...o });

  before(async () => {
    pki = await cluster('cucm-pub');
    server = TvsServer.forCluster(pki, { host: '127.0.0.1', port: 0 });
    await server.start();
    member = { host: '127.0.0.1', port: server.port, label: 'tvs-1' };
  });
  after(async () => {
    await server?.stop();
  });

  it("answers the cluster's own certificates with the roles the ITL gives them, and the default TTL", async () => {
    const c = client();
    const cases: [string, number[]][] = [
      ['CallManager', [2]],
      ['CallManager-ECDSA', [2]],
      ['tomcat', [7]],
      ['CAPF', [4]],
      ['TVS', [21]],
      ['ITLRecovery', [0]],
    ];
    for (const [purpose, roles] of cases) {
      const v = expectValid(await c.verify(pki.certificate(purpose as 'TVS').pem));
      expect(v.roles, purpose).to.deep.equal(roles);
      expect(v.ttlSeconds).to.equal(86400);
      expect(v.member).to.equal('tvs-1');
    }
  });

  it('journals every answer: device, certificate subject and fingerprint, verdict, roles, sources, TLS', async () => {
    server.clearJournal();
    const cm = pki.certificate('CallManager');
    await client().verify(cm.der);
    const e = server.journal.at(-1)!;
    expect(e).to.deep.include({ outcome: 'valid', kind: 'verify', deviceName: DEVICE, roles: [2], roleNames: ['CCM+TFTP'], ttlSeconds: 86400 });
    expect(e.certificate).to.deep.include({ fingerprintSha256: cm.certificate.fingerprintSha256, serialHex: cm.certificate.serialHex });
    expect(e.certificate!.subject).to.contain('CN=cucm-pub');
    expect(e.sources).to.include("CallManager-trust (copy of cucm-pub's CallManager certificate)");
    expect(e.tls!.protocol).to.equal('TLSv1.2');
    expect(e.tls!.cipher).to.equal('AES256-GCM-SHA384'); // first of the L2273 list, server order
  });

  it('answers invalid for a certificate absent from the trust stores, even when its issuer is trusted (exact leaf)', async () => {
    const mic = await pki.issueManufacturingCertificate('SEP001122334455', 'EC', { model: '7841' });
    expect(pki.isTrusted('CallManager-trust', pki.manufacturingCa().issuing)).to.equal(true);
    const v = await client().verify(mic.certificate.der);
    expect(v.status).to.equal('invalid');
    expect(server.journal.at(-1)).to.deep.include({ outcome: 'invalid', deviceName: DEVICE });
    // The manufacturing CA itself is in CallManager-trust but carries no TVS role: not vouched for either.
    expect((await client().verify(pki.manufacturingCa().root.der)).status).to.equal('invalid');
  });

  it('follows trust-store changes at the next request (upload to tomcat-trust → APP-SERVER; delete → invalid)', async () => {
    const other = await cluster('app-server');
    const appCert = other.certificate('tomcat').pem;
    expect((await client().verify(appCert)).status).to.equal('invalid');
    await pki.importTrustCertificate('tomcat-trust', appCert);
    const v = expectValid(await client().verify(appCert));
    expect(v.roleNames).to.deep.equal(['APP-SERVER']);
    await pki.deleteTrustCertificate('tomcat-trust', new X509Certificate(appCert).fingerprint256);
    expect((await client().verify(appCert)).status).to.equal('invalid');
  });

  it('answers QUERY_REQUEST with QUERY_RESPONSE and the same verdict', async () => {
    const v = expectValid(await client().verify(pki.certificate('TVS').der, { kind: 'query' }));
    expect(v.roles).to.deep.equal([21]);
    expect(server.journal.at(-1)!.kind).to.equal('query');
  });

  it('serves a TLS 1.0-only phone (7900 series) at the default min-version, and refuses it at min-version 1.2', async () => {
    const legacy = client({ tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1' } });
    const v = expectValid(await legacy.verify(pki.certificate('CallManager').der));
    expect(v.attempts[0]!.tls).to.deep.equal({ protocol: 'TLSv1', cipher: 'AES256-SHA' });
    const strict = TvsServer.forCluster(pki, { host: '127.0.0.1', port: 0, tls: { minTlsVersion: '1.2' } });
    await strict.start();
    try {
      const { result } = await captureLogs(() => new TvsClient({ members: [{ host: '127.0.0.1', port: strict.port }], deviceName: DEVICE, tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1' } }).verify(pki.certificate('CallManager').der));
      expect(result.status).to.equal('unreachable');
      expect(result.attempts[0]!.outcome).to.equal('tls-error');
      expect(strict.stats.handshakeFailures).to.equal(1);
    } finally {
      await strict.stop();
    }
  });

  it('uses the configured TTL', async () => {
    const s = TvsServer.forCluster(pki, { host: '127.0.0.1', port: 0, ttlSeconds: 3600 });
    await s.start();
    try {
      const v = expectValid(await new TvsClient({ members: [{ host: '127.0.0.1', port: s.port }], deviceName: DEVICE }).verify(pki.certificate('CAPF').der));
      expect(v.ttlSeconds).to.equal(3600);
    } finally {
      await s.stop();
    }
    expect(() => new TvsServer({ trust: { lookup: () => undefined }, credentials: pki.tlsCredentials('TVS'), ttlSeconds: 0 })).to.throw(RangeError, /ttlSeconds/);
  });

  it("accepts the TVS server only if its certificate is in a TVS record of the phone's ITL", async () => {
    const ok = expectValid(await client({ verifyServer: itlServerCheck(itlOf(pki).records) }).verify(pki.certificate('CallManager').der));
    expect(ok.attempts[0]!.outcome).to.equal('answered');
    const foreign = await cluster('elsewhere');
    const { result } = await captureLogs(() => client({ verifyServer: itlServerCheck(itlOf(foreign).records) }).verify(pki.certificate('CallManager').der));
    expect(result.status).to.equal('unreachable');
    expect(result.attempts[0]).to.deep.include({ outcome: 'untrusted-server' });
    expect(result.attempts[0]!.reason).to.match(/not in a TVS record of the ITL/);
  });

  it('serves a regenerated TVS certificate at once', async () => {
    const before = pki.certificate('TVS').der;
    await pki.regenerate('TVS');
    const after = pki.certificate('TVS').der;
    expect(after.equals(before)).to.equal(false);
    const seen: Buffer[] = [];
    await client({ verifyServer: (cert) => (seen.push(cert.raw), true) }).verify(after);
    expect(seen[0]!.equals(after)).to.equal(true);
  });

  it('refuses a device name that is not CP-<model>-SEP<MAC>: no answer, connection closed, journaled', async () => {
    const { result } = await captureLogs(() => client({ deviceName: 'SEP001122334455' }).verify(pki.certificate('CallManager').der));
    expect(result.status).to.equal('unreachable');
    expect(result.attempts[0]!.outcome).to.equal('closed');
    const e = server.journal.at(-1)!;
    expect(e.outcome).to.equal('error');
    expect(e.error!.code).to.equal('DEVICE_NAME');
  });
});

describe('TVS client failover across members', function () {
  let pki: ClusterPki;
  let server: TvsServer;

  before(async () => {
    pki = await cluster('cucm-pub');
    server = TvsServer.forCluster(pki, { host: '127.0.0.1', port: 0 });
    await server.start();
  });
  after(async () => {
    await server?.stop();
  });

  it('moves on when the first member refuses the connection; the second answers', async () => {
    const dead = await closedPort();
    const { result } = await captureLogs(() =>
      new TvsClient({
        members: [
          { host: '127.0.0.1', port: dead, label: 'tvs-down' },
          { host: '127.0.0.1', port: server.port, label: 'tvs-up' },
        ],
        deviceName: DEVICE,
      }).verify(pki.certificate('CallManager').der),
    );
    const v = expectValid(result);
    expect(v.member).to.equal('tvs-up');
    expect(v.attempts.map((a) => [a.member, a.outcome])).to.deep.equal([
      ['tvs-down', 'refused'],
      ['tvs-up', 'answered'],
    ]);
  });

  it("tries the members of the phone's configuration in priority order", async () => {
    const dead = await closedPort();
    const members = tvsMembersFromConfig([
      { priority: 1, address: '127.0.0.1', port: server.port },
      { priority: 0, address: '127.0.0.1', port: dead },
    ]);
    expect(members.map((m) => m.port)).to.deep.equal([dead, server.port]);
    const { result } = await captureLogs(() => new TvsClient({ members, deviceName: DEVICE }).verify(pki.certificate('CAPF').der));
    expect(expectValid(result).attempts.map((a) => [a.member, a.outcome])).to.deep.equal([
      [`127.0.0.1:${dead}`, 'refused'],
      [`127.0.0.1:${server.port}`, 'answered'],
    ]);
  });

  it('moves on when the first member accepts TCP and never speaks (timeout)', async () => {
    const hung = await silentServer();
    try {
      const { result } = await captureLogs(() =>
        new TvsClient({
          members: [
            { host: '127.0.0.1', port: hung.port, label: 'tvs-hung' },
            { host: '127.0.0.1', port: server.port, label: 'tvs-up' },
          ],
          deviceName: DEVICE,
          connectTimeoutMs: 300,
        }).verify(pki.certificate('TVS').der),
      );
      expect(expectValid(result).attempts.map((a) => a.outcome)).to.deep.equal(['timeout', 'answered']);
    } finally {
      await hung.close();
    }
  });

  it('stops at the first member that answers, even with invalid', async () => {
    const foreign = await cluster('elsewhere');
    const v = await new TvsClient({ members: [{ host: '127.0.0.1', port: server.port }, { host: '127.0.0.1', port: 1 }], deviceName: DEVICE }).verify(foreign.certificate('CallManager').der);
    expect(v.status).to.equal('invalid');
    expect(v.attempts).to.have.length(1);
  });

  it('reports unreachable with every reason when no member answers', async () => {
    const [a, b] = [await closedPort(), await closedPort()];
    const { result } = await captureLogs(() =>
      new TvsClient({ members: [{ host: '127.0.0.1', port: a }, { host: '127.0.0.1', port: b }], deviceName: DEVICE }).verify(pki.certificate('TVS').der),
    );
    expect(result.status).to.equal('unreachable');
    if (result.status !== 'unreachable') return;
    expect(result.attempts.map((x) => x.outcome)).to.deep.equal(['refused', 'refused']);
    expect(result.reason).to.contain(`127.0.0.1:${a}: refused`).and.contain(`127.0.0.1:${b}: refused`);
    expect((await new TvsClient({ members: [], deviceName: DEVICE }).verify(pki.certificate('TVS').der)).status).to.equal('unreachable');
  });
});
