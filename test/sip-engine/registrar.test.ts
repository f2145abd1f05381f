// The registrar over real loopback UDP/TCP/TLS with a real ClusterPki: digest (401, 403, stale, keepalives), bindings
// (expiry, min/max, un-register), and the device security profile (transport, mode, client certificate bound to the
// device name, NULL-SHA vs encrypting suites). Every refusal must be in the journal with its stage.
import { expect } from 'chai';
import type { ClusterPki, IssuedLsc, Mic } from '../../engine/pki/index.js';
import { answerChallenge, parseChallenge } from '../../engine/sip/auth/index.js';
import { DeviceDirectory } from '../../engine/sip/registrar/index.js';
import { SipServer } from '../../engine/sip/sip-server.js';
import type { SipTarget, TlsClientSetup } from '../../engine/sip/transport/index.js';
import type { Credentials } from '../../engine/sip/ua-core.js';
import { type TestPki, makeTestPki } from '../support/test-certs.js';
import { type TestClient, client, phoneKey, testCluster } from './support.js';

const REALM = 'trustline-station';

function directory(): DeviceDirectory {
  return new DeviceDirectory({
    profiles: [
      { name: 'nonsecure-tcp-digest', deviceSecurityMode: 'non-secure', transportType: 'TCP', digestAuthentication: true, nonceValiditySeconds: 600 },
      { name: 'nonsecure-tcp', deviceSecurityMode: 'non-secure', transportType: 'TCP' },
      { name: 'encrypted', deviceSecurityMode: 'encrypted' },
      { name: 'authenticated', deviceSecurityMode: 'authenticated' },
    ],
    users: [{ userId: 'alice', digestCredentials: 'secret' }, { userId: 'nopass' }],
    devices: [
      { name: 'SEP0000000A1001', lines: ['1001'], digestUser: 'alice', securityProfile: 'nonsecure-tcp-digest' },
      { name: 'SEP0000000B1002', lines: ['1002'], securityProfile: 'nonsecure-tcp' },
      { name: 'SEP0000000C1003', lines: ['1003'], digestUser: 'nopass', securityProfile: 'nonsecure-tcp-digest' },
      { name: 'SEP001122334455', lines: ['2001'], securityProfile: 'encrypted' },
      { name: 'SEP00AA00BB00CC', lines: ['2002'], securityProfile: 'authenticated' },
      { name: 'SEPAABBCCDDEEFF', lines: ['2003'], securityProfile: 'encrypted' },
      { name: 'SEP0000000000AA', lines: ['2004'], securityProfile: 'encrypted' },
    ],
  });
}

interface RegisterOpts {
  device?: string;
  line: string;
  expires?: number;
  credentials?: Credentials;
  headers?: [string, string][];
  contact?: string;
}

async function register(c: TestClient, target: SipTarget, o: RegisterOpts) {
  const t = target.transport.toLowerCase();
  const contact = o.contact ?? `<sip:${o.line}@127.0.0.1:5060;transport=${t}>${o.device ? `;+u.sip!devicename.ccm.cisco.com="${o.device}"` : ''}`;
  const headers: [string, string][] = [...(o.headers ?? [])];
  if (o.expires !== undefined) headers.push(['Expires', String(o.expires)]);
  return c.ua.request(
    { method: 'REGISTER', uri: `sip:127.0.0.1:${target.port}`, from: `<sip:${o.line}@127.0.0.1>`, to: `<sip:${o.line}@127.0.0.1>`, contact, headers },
    target,
    o.credentials ? { credentials: o.credentials } : {},
  );
}

describe('sip-engine: registrar and device security profiles', function () {
  this.timeout(60_000);
  let pki: ClusterPki;
  let certs: TestPki;
  let server: SipServer;
  let clock = Date.now();
  let lsc: IssuedLsc & { key: string };
  let lscAuth: IssuedLsc & { key: string };
  let lscOther: IssuedLsc & { key: string };
  let mic: Mic;
  const clients: TestClient[] = [];
  const tcp = (): SipTarget => ({ transport: 'TCP', host: '127.0.0.1', port: server.ports.tcp! });
  const udp = (): SipTarget => ({ transport: 'UDP', host: '127.0.0.1', port: server.ports.udp! });
  const tls = (): SipTarget => ({ transport: 'TLS', host: '127.0.0.1', port: server.ports.tls! });
  const mk = (tlsClient?: TlsClientSetup) => {
    const c = client(tlsClient ? { tlsClient } : {});
    clients.push(c);
    return c;
  };
  const issue = async (device: string) => {
    const k = phoneKey();
    const l = await pki.issueLsc({ deviceName: device, publicKey: k.publicKeyPem });
    return { ...l, key: k.privateKeyPem };
  };

  before(async () => {
    [pki, certs] = await Promise.all([testCluster(), makeTestPki()]);
    lsc = await issue('SEP001122334455');
    lscAuth = await issue('SEP00AA00BB00CC');
    lscOther = await issue('SEPAABBCCDDEEFF');
    mic = await pki.issueManufacturingCertificate('SEP0000000000AA', 'EC', { model: '8845' });
    server = await SipServer.start({
      udp: { port: 0 },
      tcp: { port: 0 },
      tls: { port: 0 },
      pki,
      devices: directory(),
      registrar: { realm: REALM, now: () => clock },
    });
  });

  after(async () => {
    for (const c of clients) await c.close();
    await server?.stop();
  });

  const journalSince = (seq: number) => server.journal.since(seq);

  describe('digest (SIP Station Realm)', () => {
    it('challenges a REGISTER without credentials with 401, realm = SIP Station Realm, MD5, no qop', async () => {
      const r = await register(mk(), tcp(), { device: 'SEP0000000A1001', line: '1001' });
      expect(r.response.status).to.equal(401);
      const ch = parseChallenge(r.response.get('www-authenticate')!);
      expect(ch).to.include({ realm: REALM, algorithm: 'MD5' });
      expect(ch.qop).to.equal(undefined);
      expect(ch.nonce).to.have.length(32);
    });

    it('registers with the right credentials: 200 with the Contact, its expiry and Date', async () => {
      const r = await register(mk(), tcp(), { device: 'SEP0000000A1001', line: '1001', credentials: { username: 'alice', password: 'secret' } });
      expect(r.response.status).to.equal(200);
      expect(r.response.get('contact')).to.match(/^<sip:1001@127\.0\.0\.1:5060;transport=tcp>;\+u\.sip!devicename\.ccm\.cisco\.com="SEP0000000A1001";expires=3600$/);
      expect(r.response.get('date')).to.match(/GMT$/);
      const b = server.location.lookup('1001');
      expect(b).to.have.length(1);
      expect(b[0]).to.include({ device: 'SEP0000000A1001', contact: 'sip:1001@127.0.0.1:5060;transport=tcp' });
      expect(b[0]!.source.transport).to.equal('TCP');
    });

    it('wrong password: 401 first, then 403 on the answer, journalled with the reason', async () => {
      const seq = server.journal.lastSeq;
      const statuses: number[] = [];
      const c = mk();
      const r = await c.ua.request(
        { method: 'REGISTER', uri: `sip:127.0.0.1:${tcp().port}`, from: '<sip:1001@127.0.0.1>', to: '<sip:1001@127.0.0.1>', contact: '<sip:1001@127.0.0.1:5060;transport=tcp>' },
        tcp(),
        { credentials: { username: 'alice', password: 'wrong' }, onTransaction: () => statuses.push(statuses.length) },
      );
      expect(statuses).to.have.length(2); // the first REGISTER and the answer to its 401
      expect(r.response.status).to.equal(403);
      const j = journalSince(seq);
      expect(j).to.have.length(1);
      expect(j[0]).to.include({ subject: 'phone', stage: 'digest', status: 403, device: 'SEP0000000A1001' });
      expect(j[0]!.reason).to.match(/wrong digest response for user "alice"/);
    });

    it('a digest user of another device, or one without credentials configured, is refused with 403', async () => {
      const r1 = await register(mk(), tcp(), { device: 'SEP0000000C1003', line: '1003', credentials: { username: 'nopass', password: '' } });
      expect(r1.response.status).to.equal(403);
      expect(r1.response.get('warning')).to.match(/no digest credentials configured/);
      const r2 = await register(mk(), tcp(), { device: 'SEP0000000C1003', line: '1003', credentials: { username: 'alice', password: 'secret' } });
      expect(r2.response.status).to.equal(403);
      expect(r2.response.get('warning')).to.match(/not the device's digest user/);
    });

    it('an expired nonce (Nonce Validity Time) gets 401 stale=TRUE, and the client goes on with the new nonce', async () => {
      const c = mk();
      const first = await register(c, tcp(), { device: 'SEP0000000A1001', line: '1001' });
      const ch = parseChallenge(first.response.get('www-authenticate')!);
      clock += 601_000;
      const uri = `sip:127.0.0.1:${tcp().port}`;
      const auth = answerChallenge(ch, 'REGISTER', uri, 'alice', 'secret');
      const stale = await register(c, tcp(), { device: 'SEP0000000A1001', line: '1001', headers: [['Authorization', auth]] });
      expect(stale.response.status).to.equal(401);
      expect(parseChallenge(stale.response.get('www-authenticate')!).stale).to.equal(true);
      const again = await register(c, tcp(), { device: 'SEP0000000A1001', line: '1001', credentials: { username: 'alice', password: 'secret' } });
      expect(again.response.status).to.equal(200);
    });

    it('OPTIONS keepalives are answered without a challenge; other requests of a digest phone are challenged', async () => {
      const c = mk();
      const o = await c.ua.request({ method: 'OPTIONS', uri: `sip:127.0.0.1:${tcp().port}`, from: '<sip:1001@127.0.0.1>', to: `<sip:127.0.0.1:${tcp().port}>` }, tcp());
      expect(o.response.status).to.equal(200);
      expect(o.response.get('allow')).to.include('REGISTER');
      const inv = await c.ua.request({ method: 'SUBSCRIBE', uri: `sip:1002@127.0.0.1:${tcp().port}`, from: '<sip:1001@127.0.0.1>', to: '<sip:1002@127.0.0.1>', contact: '<sip:1001@127.0.0.1;transport=tcp>', headers: [['Event', 'dialog']] }, tcp());
      expect(inv.response.status).to.equal(401);
    });
  });

  describe('bindings', () => {
    it('Expires is granted within min/max: 423 with Min-Expires below 60 s, shortened above 3600 s', async () => {
      const r1 = await register(mk(), tcp(), { device: 'SEP0000000B1002', line: '1002', expires: 10 });
      expect(r1.response.status).to.equal(423);
      expect(r1.response.get('min-expires')).to.equal('60');
      const r2 = await register(mk(), tcp(), { device: 'SEP0000000B1002', line: '1002', expires: 99999 });
      expect(r2.response.status).to.equal(200);
      expect(r2.response.get('contact')).to.match(/;expires=3600$/);
    });

    it('a binding expires after its time (Contact expires parameter wins over Expires)', async () => {
      const contact = '<sip:1002@127.0.0.1:5999;transport=tcp>;expires=120';
      const r = await register(mk(), tcp(), { line: '1002', expires: 600, contact });
      expect(r.response.status).to.equal(200);
      expect(r.response.values('contact').find((c) => c.includes('5999'))).to.match(/;expires=120$/);
      clock += 119_000;
      expect(server.location.lookup('1002').map((b) => b.contact)).to.include('sip:1002@127.0.0.1:5999;transport=tcp');
      clock += 2_000;
      expect(server.location.lookup('1002').map((b) => b.contact)).to.not.include('sip:1002@127.0.0.1:5999;transport=tcp');
    });

    it('un-registers one contact with Expires: 0, and all with Contact: *', async () => {
      const c = mk();
      const callId = `unreg-${Date.now()}`;
      const reg = (cseq: number, contact: string, expires: number) =>
        c.ua.request({ method: 'REGISTER', uri: `sip:127.0.0.1:${tcp().port}`, from: '<sip:1002@127.0.0.1>', to: '<sip:1002@127.0.0.1>', callId, cseq, contact, headers: [['Expires', String(expires)]] }, tcp());
      expect((await reg(1, '<sip:1002@127.0.0.1:6001;transport=tcp>', 300)).response.status).to.equal(200);
      expect((await reg(2, '<sip:1002@127.0.0.1:6002;transport=tcp>', 300)).response.status).to.equal(200);
      expect((await reg(2, '<sip:1002@127.0.0.1:6002;transport=tcp>', 300)).response.status).to.equal(500); // CSeq not above
      const one = await reg(3, '<sip:1002@127.0.0.1:6001;transport=tcp>', 0);
      expect(one.response.status).to.equal(200);
      const left = server.location.lookup('1002').map((b) => b.contact);
      expect(left).to.include('sip:1002@127.0.0.1:6002;transport=tcp').and.not.include('sip:1002@127.0.0.1:6001;transport=tcp');
      const all = await reg(4, '*', 0);
      expect(all.response.status).to.equal(200);
      expect(all.response.get('contact')).to.equal(undefined);
      expect(server.location.lookup('1002')).to.have.length(0);
    });

    it('a line the device does not own is refused', async () => {
      const r = await register(mk(), tcp(), { device: 'SEP0000000B1002', line: '1001' });
      expect(r.response.status).to.equal(403);
      expect(r.response.get('warning')).to.match(/line 1001 is not configured on SEP0000000B1002/);
    });
  });

  describe('device security profile', () => {
    it('Non Secure, Transport Type TCP: TCP is accepted, UDP refused', async () => {
      expect((await register(mk(), tcp(), { device: 'SEP0000000B1002', line: '1002' })).response.status).to.equal(200);
      const seq = server.journal.lastSeq;
      const r = await register(mk(), udp(), { device: 'SEP0000000B1002', line: '1002' });
      expect(r.response.status).to.equal(403);
      expect(journalSince(seq)[0]).to.include({ stage: 'transport', transport: 'UDP' });
    });

    it('Encrypted over TCP is refused: TLS required', async () => {
      const r = await register(mk(), tcp(), { device: 'SEP001122334455', line: '2001' });
      expect(r.response.status).to.equal(403);
      expect(r.response.get('warning')).to.match(/Encrypted requires TLS/);
    });

    it('TLS without a client certificate: the handshake is refused (5061 asks for one) and journalled', async () => {
      const seq = server.journal.lastSeq;
      const r = await register(mk({}), tls(), { device: 'SEP001122334455', line: '2001' });
      expect(r.synthetic).to.equal('transport-error');
      await waitFor(() => journalSince(seq).some((e) => e.subject === 'tls'));
      expect(journalSince(seq).find((e) => e.subject === 'tls')!.reason).to.match(/client certificate missing/);
    });

    it('an LSC from an untrusted CA is refused at the handshake', async () => {
      const seq = server.journal.lastSeq;
      const r = await register(mk({ key: certs.rogueLsc.key, cert: certs.rogueLsc.cert }), tls(), { device: 'SEP001122334455', line: '2001' });
      expect(r.synthetic).to.equal('transport-error');
      await waitFor(() => journalSince(seq).some((e) => e.subject === 'tls'));
      expect(journalSince(seq).find((e) => e.subject === 'tls')!.reason).to.match(/untrusted LSC of SEP001122334455/);
    });

    it("a valid LSC of another device (CN mismatch) is refused with 403 at registration", async () => {
      const seq = server.journal.lastSeq;
      const r = await register(mk({ key: lscOther.key, cert: lscOther.pem }), tls(), { device: 'SEP001122334455', line: '2001' });
      expect(r.response.status).to.equal(403);
      const e = journalSince(seq).find((x) => x.subject === 'phone')!;
      expect(e).to.include({ stage: 'certificate-binding', device: 'SEP001122334455' });
      expect(e.reason).to.match(/bound to SEPAABBCCDDEEFF/);
    });

    it('a valid LSC issued by the cluster CAPF registers the Encrypted phone over TLS', async () => {
      const r = await register(mk({ key: lsc.key, cert: lsc.pem }), tls(), { device: 'SEP001122334455', line: '2001' });
      expect(r.response.status).to.equal(200);
      const b = server.location.lookup('2001')[0]!;
      expect(b.device).to.equal('SEP001122334455');
      expect(b.source.connection?.tls?.identity).to.include({ kind: 'phone', form: 'LSC', deviceName: 'SEP001122334455' });
      expect(b.source.connection?.tls?.suite.nullCipher).to.equal(false);
    });

    it('a MIC (CN=CP-<model>-SEP<MAC>) from the manufacturing CA in CallManager-trust is accepted too', async () => {
      const r = await register(mk({ key: mic.privateKeyPem, cert: [mic.certificate.pem, ...mic.chainPems].join('') }), tls(), { line: '2004' });
      expect(r.response.status).to.equal(200);
      expect(server.location.lookup('2004')[0]!.source.connection?.tls?.identity).to.include({ form: 'MIC', deviceName: 'SEP0000000000AA' });
    });

    it('Authenticated: NULL-SHA accepted, an encrypting suite refused', async () => {
      const base = { key: lscAuth.key, cert: lscAuth.pem, maxVersion: 'TLSv1.2' as const };
      const ok = await register(mk({ ...base, ciphers: 'NULL-SHA:@SECLEVEL=0' }), tls(), { device: 'SEP00AA00BB00CC', line: '2002' });
      expect(ok.response.status).to.equal(200);
      expect(server.location.lookup('2002')[0]!.source.connection?.tls?.suite.openssl).to.equal('NULL-SHA');
      const seq = server.journal.lastSeq;
      const no = await register(mk({ ...base, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }), tls(), { device: 'SEP00AA00BB00CC', line: '2002' });
      expect(no.response.status).to.equal(403);
      expect(journalSince(seq)[0]).to.include({ stage: 'security-mode' });
      expect(journalSince(seq)[0]!.reason).to.match(/Authenticated requires NULL-SHA/);
    });

    it('Encrypted: an encrypting suite accepted (above), NULL-SHA refused', async () => {
      const r = await register(mk({ key: lsc.key, cert: lsc.pem, maxVersion: 'TLSv1.2', ciphers: 'NULL-SHA:@SECLEVEL=0' }), tls(), { device: 'SEP001122334455', line: '2001' });
      expect(r.response.status).to.equal(403);
      expect(r.response.get('warning')).to.match(/Encrypted requires an encrypting suite/);
    });

    it('with client certificates not requested, an Encrypted phone is refused at registration instead', async () => {
      const s2 = await SipServer.start({ udp: false, tcp: false, tls: { port: 0, requireClientCertificate: false }, pki, devices: directory(), registrar: { realm: REALM } });
      try {
        const r = await register(mk({}), { transport: 'TLS', host: '127.0.0.1', port: s2.ports.tls! }, { device: 'SEP001122334455', line: '2001' });
        expect(r.response.status).to.equal(403);
        expect(s2.journal.entries().at(-1)).to.include({ stage: 'client-certificate' });
      } finally {
        await s2.stop();
      }
    });

    it('an unknown device without credentials is challenged, with credentials refused', async () => {
      const r1 = await register(mk(), tcp(), { line: '9999' });
      expect(r1.response.status).to.equal(401);
      const r2 = await register(mk(), tcp(), { line: '9999', credentials: { username: 'mallory', password: 'x' } });
      expect(r2.response.status).to.equal(403);
    });
  });
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
