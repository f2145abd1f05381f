// A secure SIP trunk between two embedded clusters (127.0.0.1 and 127.0.0.2) whose CallManager certificates one
// enterprise CA signed as multi-server certificates (seed002 S3): mutual TLS without any certificate exchange, the
// outbound side checking the peer against the trunk profile's X.509 subject names (CN or SAN), the inbound side
// identifying the trunk at the handshake; refusals name the subject.
import { expect } from 'chai';
import { connect as netConnect } from 'node:net';
import { connect } from 'node:tls';
import type { TrunkRoute } from '../../engine/calls/index.js';
import type { EmbeddedCluster } from '../../engine/cluster/index.js';
import { EnterpriseCa } from '../../engine/pki/enterprise-ca.js';
import type { ServerRequest } from '../../engine/sip/index.js';
import { euConfig, freshCluster, usConfig } from './support.js';

describe('cluster: secure SIP trunk between two clusters with one enterprise CA', function () {
  this.timeout(60_000);
  let us: EmbeddedCluster;
  let eu: EmbeddedCluster;
  let routes: TrunkRoute[];
  const seen: { trunk?: string; from: string }[] = [];

  before(async () => {
    const ca = await EnterpriseCa.create({ commonName: 'trustline.test enterprise CA' });
    const signed = { CallManager: { signedBy: 'enterprise-ca' as const, multiServer: true } };
    const u = usConfig();
    u.certificates = { ...u.certificates, ...signed };
    u.trunkProfiles = {
      'To-EU': { deviceSecurityMode: 'encrypted', x509SubjectNames: ['cucm-eu-ms.eu.trustline.test'] },
      'To-EU-Node': { deviceSecurityMode: 'encrypted', x509SubjectNames: 'cucm-eu.eu.trustline.test' },
      'To-EU-Wrong': { deviceSecurityMode: 'encrypted', x509SubjectNames: ['apac-cm-pub-ms.trustline.test'] },
      'To-EU-Authenticated': { deviceSecurityMode: 'authenticated', x509SubjectNames: ['cucm-eu-ms.eu.trustline.test'] },
    };
    u.trunks = {
      eu: { profile: 'To-EU', destinations: ['127.0.0.2'], srtpAllowed: true, peerCluster: 'eu' },
      'eu-node': { profile: 'To-EU-Node', destinations: ['127.0.0.2'], peerCluster: 'eu' },
      'eu-wrong': { profile: 'To-EU-Wrong', destinations: ['127.0.0.2'], peerCluster: 'eu' },
      'eu-auth': { profile: 'To-EU-Authenticated', destinations: ['127.0.0.2'], peerCluster: 'eu' },
    };
    const e = euConfig();
    e.network = { ...e.network!, bind: '127.0.0.2' };
    e.certificates = { ...e.certificates, ...signed };
    e.trunkProfiles = { 'To-US': { deviceSecurityMode: 'encrypted', x509SubjectNames: ['cucm-us-ms.us.trustline.test'] } };
    e.trunks = { us: { profile: 'To-US', destinations: ['127.0.0.1'], srtpAllowed: true, peerCluster: 'us' } };
    [us, eu] = await Promise.all([freshCluster('us', u), freshCluster('eu', e)]);
    await us.useEnterpriseCa(ca);
    await eu.useEnterpriseCa(ca);
    eu.onSipRequest('MESSAGE', (r: ServerRequest) => {
      seen.push({ ...(r.trunk ? { trunk: r.trunk.trunk.name } : {}), from: r.source.remoteAddress });
      r.reply(200);
    });
    await Promise.all([us.start(), eu.start()]);
    routes = us.trunkRoutes(() => eu.endpoints().sip.tls!.port);
  });

  after(async () => {
    await Promise.all([us?.close(), eu?.close()]);
  });

  const send = (trunk: string) => {
    const route = routes.find((r) => r.name === trunk)!;
    return us.sipServer!.ua.request({ method: 'MESSAGE', uri: 'sip:+442075550101@127.0.0.2', from: '<sip:+14085550101@127.0.0.1>', to: '<sip:+442075550101@127.0.0.2>', body: 'hi', contentType: 'text/plain' }, { ...route.target!, port: route.target!.port! });
  };
  const decisions = () => us.events({ kind: 'trunk-tls' }).map((x) => x.decision);

  it('both CallManager certificates are the CA’s multi-server ones, and each cluster trusts the CA', () => {
    for (const [c, cn] of [
      [us, 'cucm-us-ms.us.trustline.test'],
      [eu, 'cucm-eu-ms.eu.trustline.test'],
    ] as const) {
      expect(c.pki.certificate('CallManager').certificate.subjectCN).to.equal(cn);
      expect(c.pki.certificate('CallManager').multiServer).to.equal(true);
    }
    expect(routes.find((r) => r.name === 'eu')!.target).to.include({ transport: 'TLS', host: '127.0.0.2', servername: 'cucm-eu-ms.eu.trustline.test' });
  });

  it('mutual TLS over the trunk: EU admits the request as trunk "us"; US checked EU’s certificate against the profile', async () => {
    const r = await send('eu');
    expect(r.synthetic, r.response.get('warning')).to.equal(undefined);
    expect(r.response.status).to.equal(200);
    expect(r.flow.connection?.tls?.protocol).to.equal('TLSv1.2');
    expect(seen.at(-1)).to.deep.equal({ trunk: 'us', from: '127.0.0.1' });
    const d = decisions().at(-1)!;
    expect(d).to.deep.include({ trunks: ['eu'], outcome: 'accepted', matched: 'cucm-eu-ms.eu.trustline.test', servername: 'cucm-eu-ms.eu.trustline.test' });
    expect(d.peerFingerprint256).to.equal(eu.pki.certificate('CallManager').certificate.x509.fingerprint256);
  });

  it('a profile naming a node FQDN is matched by the multi-server certificate’s SAN (subject or SAN, 001 L8563)', async () => {
    const r = await send('eu-node');
    expect(r.response.status).to.equal(200);
    expect(decisions().at(-1)).to.deep.include({ trunks: ['eu-node'], outcome: 'accepted', matched: 'cucm-eu.eu.trustline.test' });
  });

  it('a profile naming another name refuses the TLS connection, naming the subject; nothing reaches EU', async () => {
    const before = seen.length;
    const r = await send('eu-wrong');
    expect(r.synthetic).to.equal('transport-error');
    expect(r.response.status).to.equal(503);
    expect(r.response.get('warning')).to.contain('subject name mismatch');
    const d = decisions().at(-1)!;
    expect(d).to.deep.include({ trunks: ['eu-wrong'], outcome: 'refused', stage: 'subject' });
    expect(d.reason).to.contain('profile expects apac-cm-pub-ms.trustline.test');
    expect(seen.length).to.equal(before);
    // The good trunk still works: its connection was not the refused one.
    expect((await send('eu')).response.status).to.equal(200);
  });

  it('an Authenticated trunk profile offers NULL-SHA only, on a connection of its own; EU’s Encrypted trunk refuses it', async () => {
    expect(routes.find((r) => r.name === 'eu-auth')!.target).to.include({ tlsMode: 'authenticated' });
    const r = await send('eu-auth');
    // The TLS handshake itself succeeds (EU's 5061 takes NULL-SHA for Authenticated devices); admission refuses it.
    expect(r.response.status).to.equal(403);
    expect(r.response.get('warning')).to.contain('device security mode Encrypted requires an encrypting suite, negotiated NULL-SHA');
    expect(decisions().at(-1)).to.deep.include({ trunks: ['eu-auth'], outcome: 'accepted' });
    const enc = await send('eu');
    expect(enc.response.status).to.equal(200);
    expect(enc.flow.connection).to.not.equal(r.flow.connection);
  });

  it('EU refuses a client whose certificate is not the US trunk’s, with the subject in the reason', async () => {
    const tomcat = us.pki.tlsCredentials('tomcat');
    const closed = await new Promise<string>((resolve) => {
      const tcp = netConnect({ host: '127.0.0.2', port: eu.endpoints().sip.tls!.port, localAddress: '127.0.0.1' });
      const s = connect({ socket: tcp, key: tomcat.key, cert: tomcat.cert, rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
      s.on('secureConnect', () => s.write('OPTIONS sip:x SIP/2.0\r\n\r\n'));
      s.on('error', (e) => resolve(`error ${e.message}`));
      s.on('close', () => resolve('closed'));
      s.setTimeout(5000, () => s.destroy());
    });
    expect(closed).to.match(/closed|error/);
    const refusal = eu.events({ kind: 'sip-refusal' }).map((x) => x.refusal).find((x) => x.subject === 'tls');
    expect(refusal?.reason).to.contain('subject name mismatch');
  });
});

describe('cluster config: CA-signed certificates and the online CA', () => {
  it('refuses a multi-server certificate that is not CA-signed, or for a purpose that cannot be one', async () => {
    const { normalizeClusterConfig, ClusterConfigError } = await import('../../engine/cluster/index.js');
    const bad = () => normalizeClusterConfig({ hostname: 'cm', certificates: { CallManager: { multiServer: true }, TVS: { signedBy: 'enterprise-ca', multiServer: true } } });
    expect(bad).to.throw(ClusterConfigError);
    try {
      bad();
    } catch (e) {
      expect((e as Error).message).to.contain('add signedBy: enterprise-ca').and.contain('TVS cannot be a multi-server certificate');
    }
    const ok = normalizeClusterConfig({ hostname: 'cm', capf: { certificateIssuer: 'online-ca', onlineCa: { hostname: 'ca.example.com', template: 'CiscoLSC' } } });
    expect(ok.capf.onlineCa).to.deep.equal({ hostname: 'ca.example.com', port: 443, template: 'CiscoLSC', type: 'microsoft-ca' });
  });
});
