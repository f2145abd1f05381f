// Phones against the embedded cluster: CAPF enrolls an LSC with the phone-side CAPF client (and refuses when a fault
// says so), the LSC reaches the device's provisioning record; SIP registration over TCP and TLS with the device's
// certificate, following the cluster security mode the CallManager service loaded.
import { expect } from 'chai';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { EmbeddedCluster } from '../../engine/cluster/index.js';
import { runCapfClient, type PhoneCredentials } from '../../engine/capf/index.js';
import type { Mic } from '../../engine/pki/index.js';
import type { SipTarget } from '../../engine/sip/index.js';
import { parseCnfXml } from '../../engine/tftp/index.js';
import { decryptConfig } from '../../engine/trust/index.js';
import { client, type TestClient } from '../sip-engine/support.js';
import { ALICE, BOB, freshCluster, httpGet } from './support.js';

const ALICE_NAME = `SEP${ALICE}`;

async function register(c: TestClient, target: SipTarget, o: { line: string; device?: string; credentials?: { username: string; password: string } }) {
  const t = target.transport.toLowerCase();
  const contact = `<sip:${o.line}@127.0.0.1:5060;transport=${t}>${o.device ? `;+u.sip!devicename.ccm.cisco.com="${o.device}"` : ''}`;
  return c.ua.request(
    { method: 'REGISTER', uri: `sip:127.0.0.1:${target.port}`, from: `<sip:${o.line}@127.0.0.1>`, to: `<sip:${o.line}@127.0.0.1>`, contact, headers: [['Expires', '600']] },
    target,
    o.credentials ? { credentials: o.credentials } : {},
  );
}

describe('cluster: phones enroll with CAPF and register over SIP', function () {
  this.timeout(60_000);
  let cluster: EmbeddedCluster;
  let mic: Mic;
  let lscKey: KeyObject;
  const phone: PhoneCredentials = {};
  const clients: TestClient[] = [];
  const mk = (tlsClient?: { key: string; cert: string }) => {
    const c = client(tlsClient ? { tlsClient } : {});
    clients.push(c);
    return c;
  };
  const target = (transport: 'TCP' | 'TLS'): SipTarget => {
    const e = cluster.endpoints();
    return { transport, host: '127.0.0.1', port: transport === 'TLS' ? e.sip.tls!.port : e.sip.tcp!.port };
  };

  before(async () => {
    cluster = await freshCluster('us');
    await cluster.start();
    mic = await cluster.pki.issueManufacturingCertificate(ALICE_NAME, 'RSA', { model: '8865' });
    phone.mic = { der: mic.certificate.der, privateKey: mic.privateKey };
    lscKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  });

  after(async () => {
    for (const c of clients) await c.close();
    await cluster?.close();
  });

  const capf = (deviceName = ALICE_NAME) =>
    runCapfClient({
      host: '127.0.0.1',
      port: cluster.endpoints().capf!.port,
      deviceName,
      authMode: 'existing-mic',
      credentials: phone,
      trustedCertificates: [cluster.pki.certificate('CAPF').pem],
      generateKey: async () => lscKey,
      retries: 0,
      retryDelayMs: 0,
      messageTimeoutMs: 10_000,
    });

  it('a CAPF refusal fault: the session is refused and journaled; clearing it lets the phone enroll', async () => {
    cluster.refuseCapf('alice', 'unknown-device');
    const refused = await capf();
    expect(refused.status).to.equal('refused');
    expect(refused.detail).to.match(/does not know the device/);
    await cluster.clearFaults('capf-refusal');
    const session = cluster.events({ kind: 'capf-session' }).at(-1)!.session;
    expect(session).to.include({ outcome: 'refused', device: ALICE_NAME });
  });

  it('CAPF installs an LSC (MIC authentication); it chains to CallManager-trust and reaches the provisioning record', async () => {
    const before = parseCnfXml((await httpGet(cluster.endpoints().http!.port, `SEP${ALICE}.cnf.xml`)).body);
    expect(before.capfAuthMode).to.equal(4);
    const out = await capf();
    expect(out.status, out.detail).to.equal('installed');
    expect(out.authenticatedWith).to.equal('MIC');
    const issued = cluster.pki.lsc(ALICE_NAME)!;
    expect(issued.der.equals(out.lsc!.der)).to.equal(true);
    expect(cluster.pki.verifyCertificateChain('CallManager-trust', [issued.pem], { purpose: 'clientAuth' }).trusted).to.equal(true);
    const record = cluster.source.device(ALICE)!;
    expect(Buffer.from(record.lsc!).equals(issued.der)).to.equal(true);
    expect(record.capfOperation).to.equal('none');
    const after = parseCnfXml((await httpGet(cluster.endpoints().http!.port, `SEP${ALICE}.cnf.xml`)).body);
    expect(after.capfAuthMode, 'no pending operation any more').to.equal(0);
    expect(cluster.events({ kind: 'pki-event' }).some((e) => e.event.type === 'lsc-issued' && e.event.deviceName === ALICE_NAME)).to.equal(true);
    await cluster.stop();
    expect(cluster.device('alice')!.capf.operation, 'the phone page goes back to No Pending Operation').to.equal('none');
    await cluster.start();
  });

  it('with TFTP Encrypted Config the phone gets its config encrypted to its new LSC (and only a stub in the clear)', async () => {
    await cluster.updateDevice('alice', { profile: 'UDT-Encrypted-LSC-TFTPenc' });
    const port = cluster.endpoints().http!.port;
    const enc = await httpGet(port, `SEP${ALICE}.cnf.xml.enc.sgn`);
    expect(enc.status).to.equal(200);
    const xml = parseCnfXml(decryptConfig(enc.body, lscKey));
    expect(xml.encrConfig).to.equal(true);
    expect(xml.lines[0]!.name).to.equal('1001');
    const stub = parseCnfXml((await httpGet(port, `SEP${ALICE}.cnf.xml`)).body);
    expect(stub.fullConfig).to.equal(false);
    expect(stub.certHash).to.equal(createHash('md5').update(cluster.pki.lsc(ALICE_NAME)!.der).digest('hex'));
    await cluster.updateDevice('alice', { profile: 'UDT-Encrypted-LSC' });
  });

  it('non-secure cluster: the encrypted phone registers over TCP (its config says non-secure)', async () => {
    const r = await register(mk(), target('TCP'), { line: '1001', device: ALICE_NAME });
    expect(r.response.status).to.equal(200);
    const reg = cluster.events({ kind: 'sip-registration' }).at(-1)!.registration;
    expect(reg).to.include({ type: 'registered', device: ALICE_NAME, transport: 'TCP' });
  });

  it('digest: the non-secure digest phone is challenged (SIP Station Realm) and registers with its credentials', async () => {
    const no = await register(mk(), target('TCP'), { line: '1003' });
    expect(no.response.status).to.equal(401);
    expect(no.response.get('www-authenticate')).to.match(/realm="ccmsipline"/);
    const ok = await register(mk(), target('TCP'), { line: '1003', credentials: { username: 'carol', password: 'secret' } });
    expect(ok.response.status).to.equal(200);
  });

  it('mixed mode counts once Cisco CallManager restarts: TCP refused, TLS with the LSC registered', async () => {
    await cluster.setSecurityMode('mixed');
    const stillTcp = await register(mk(), target('TCP'), { line: '1001', device: ALICE_NAME });
    expect(stillTcp.response.status, 'CallManager has not reloaded the mode').to.equal(200);
    await cluster.restartServices(['Cisco CallManager']);
    const seq = cluster.journal.lastSeq;
    const tcp = await register(mk(), target('TCP'), { line: '1001', device: ALICE_NAME });
    expect(tcp.response.status).to.equal(403);
    const refusal = cluster.events({ kind: 'sip-refusal', since: seq }).at(-1)!.refusal;
    expect(refusal).to.include({ stage: 'transport', device: ALICE_NAME });
    const lsc = cluster.pki.lsc(ALICE_NAME)!;
    const keyPem = lscKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const tls = await register(mk({ key: keyPem, cert: lsc.pem }), target('TLS'), { line: '1001', device: ALICE_NAME });
    expect(tls.response.status).to.equal(200);
    const reg = cluster.events({ kind: 'sip-registration', since: seq }).at(-1)!.registration;
    expect(reg).to.include({ device: ALICE_NAME, transport: 'TLS' });
    expect(cluster.sipServer!.location.byDevice(ALICE_NAME)[0]!.source.connection?.tls?.identity).to.include({ kind: 'phone', form: 'LSC' });
  });

  it('a phone the cluster does not know cannot enroll; a MIC of another device is refused', async () => {
    const stranger = await runCapfClient({ host: '127.0.0.1', port: cluster.endpoints().capf!.port, deviceName: 'SEP00000000BEEF', authMode: 'null-string', credentials: {}, retries: 0, retryDelayMs: 0, generateKey: async () => lscKey });
    expect(stranger.status).to.equal('refused');
    await cluster.setCapfOperation('bob', 'install-upgrade', { authMode: 'existing-mic' });
    const wrong = await capf(`SEP${BOB}`);
    expect(wrong.status).to.equal('refused');
    await cluster.journal.waitFor((e) => e.kind === 'capf-session' && e.session.device === `SEP${BOB}`, { timeoutMs: 5000 });
    expect(cluster.events({ kind: 'capf-session' }).at(-1)!.session.detail).to.match(/belongs to another device/);
  });
});
