// The embedded cluster on loopback with ephemeral ports: the trust files over TFTP and HTTP checked with engine/trust,
// a phone's signed configuration against its profile, TVS on the cluster's own certificates, the security mode and its
// restart semantics, regeneration, `utils itl|ctl reset localkey`, Prepare Cluster for Rollback, and file tampering.
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import type { EmbeddedCluster } from '../../engine/cluster/index.js';
import { parseCnfXml } from '../../engine/tftp/index.js';
import { parseItl, parseSigned, parseTrustList, Role, verifySigned, verifyTrustList } from '../../engine/trust/index.js';
import { verifyWithTvs } from '../../engine/tvs/index.js';
import { tftpGet } from '../tftp/client.js';
import { ALICE, BOB, CAROL, freshCluster, httpGet } from './support.js';

const roleOf = (bytes: Buffer, der: Buffer) =>
  parseItl(bytes)
    .records.filter((r) => r.certificate?.equals(der))
    .map((r) => r.roleName);

describe('cluster: an embedded cluster on ephemeral ports', function () {
  this.timeout(60_000);
  let cluster: EmbeddedCluster;

  before(async () => {
    cluster = await freshCluster('us');
    await cluster.start();
  });

  after(async () => {
    await cluster?.close();
  });

  it('binds every door and reports them as a phone configuration lists them', () => {
    const e = cluster.endpoints();
    for (const a of [e.sip.udp, e.sip.tcp, e.sip.tls, e.tftp, e.http, e.https6971, e.https6972, e.tvs, e.capf]) {
      expect(a?.port).to.be.a('number').greaterThan(0);
      expect(a?.host).to.equal('127.0.0.1');
    }
    expect(e.sip.udp!.port, 'SIP UDP and TCP share a port number').to.equal(e.sip.tcp!.port);
    expect(e.callManagers).to.deep.equal([{ processNodeName: '127.0.0.1', name: 'cucm-us', sipPort: e.sip.tcp!.port, securedSipPort: e.sip.tls!.port }]);
    expect(e.tvsMembers).to.deep.equal([{ address: '127.0.0.1', port: e.tvs!.port, priority: 0 }]);
    expect(e.capfServers).to.deep.equal([{ processNodeName: '127.0.0.1', phonePort: e.capf!.port }]);
    expect(e.fileServer).to.deep.equal({ host: '127.0.0.1', tftpPort: e.tftp!.port, httpPort: e.http!.port, https6971Port: e.https6971!.port });
  });

  it('serves the same ITLFile.tlv over TFTP and HTTP; it verifies, ITLRecovery signs it, roles as in a non-secure cluster', async () => {
    const e = cluster.endpoints();
    const [viaTftp, viaHttp] = await Promise.all([tftpGet('ITLFile.tlv', { port: e.tftp!.port, timeoutMs: 5000 }), httpGet(e.http!.port, 'ITLFile.tlv')]);
    expect(viaTftp.error).to.equal(undefined);
    expect(viaHttp.status).to.equal(200);
    expect(viaTftp.data.equals(viaHttp.body)).to.equal(true);
    const v = verifyTrustList(viaHttp.body);
    expect(v.ok, v.reason).to.equal(true);
    const itl = parseItl(viaHttp.body);
    const signer = itl.records[v.signerRecord! - 1]!;
    expect(signer.certificate!.equals(cluster.pki.certificate('ITLRecovery').der)).to.equal(true);
    const pki = cluster.pki;
    expect(roleOf(viaHttp.body, pki.certificate('CallManager').der)).to.have.members(['TFTP', 'SAST']);
    expect(roleOf(viaHttp.body, pki.certificate('CallManager-ECDSA').der)).to.deep.equal(['CCM+TFTP']);
    expect(roleOf(viaHttp.body, pki.certificate('TVS').der)).to.deep.equal(['TVS']);
    expect(roleOf(viaHttp.body, pki.certificate('CAPF').der)).to.deep.equal(['CAPF']);
    expect(viaHttp.body.equals(cluster.itl().bytes)).to.equal(true);
    const requests = cluster.events({ kind: 'file-request' }).filter((x) => x.request.file.endsWith('ITLFile.tlv'));
    expect(requests.map((x) => x.request.frontDoor)).to.include.members(['tftp', 'http']);
  });

  it("serves a phone's SEP<MAC>.cnf.xml.sgn signed by the ITL's TFTP certificate, with the bound ports and its CAPF operation", async () => {
    const e = cluster.endpoints();
    const itl = parseTrustList(cluster.itl().bytes);
    const r = await httpGet(e.http!.port, `SEP${ALICE}.cnf.xml.sgn`);
    expect(r.status).to.equal(200);
    const v = verifySigned(r.body, itl);
    expect(v.ok, v.reason).to.equal(true);
    const cfg = parseCnfXml(parseSigned(r.body).content);
    // Non-secure cluster: the encrypted profile is written as non-secure, TCP (seed001-A §11.2).
    expect(cfg.deviceSecurityMode).to.equal(1);
    expect(cfg.transportLayerProtocol).to.equal(1);
    expect(cfg.capfAuthMode, 'By Existing Certificate (precedence to MIC), operation pending').to.equal(4);
    expect(cfg.capfList).to.deep.equal([{ phonePort: e.capf!.port, processNodeName: '127.0.0.1' }]);
    expect(cfg.callManagers[0]).to.include({ sipPort: e.sip.tcp!.port, securedSipPort: e.sip.tls!.port, processNodeName: '127.0.0.1' });
    expect(cfg.tvs).to.deep.equal([{ priority: 0, address: '127.0.0.1', port: e.tvs!.port }]);
    const carol = parseCnfXml((await httpGet(e.http!.port, `SEP${CAROL}.cnf.xml`)).body);
    expect(carol.lines[0]).to.include({ name: '1003', authName: 'carol', authPassword: 'secret' });
    expect((await httpGet(e.http!.port, 'SEP0000DEADBEEF.cnf.xml')).status).to.equal(404);
  });

  it("TVS answers valid (CCM+TFTP) for the cluster's own CallManager certificate, invalid for a stranger, and journals both", async () => {
    const e = cluster.endpoints();
    const members = [{ host: '127.0.0.1', port: e.tvs!.port }];
    const ok = await verifyWithTvs({ members, deviceName: `CP-8865-SEP${ALICE}`, certificate: cluster.pki.certificate('CallManager').der });
    expect(ok.status).to.equal('valid');
    expect(ok.status === 'valid' && ok.roles).to.deep.equal([Role['CCM+TFTP']]);
    const mic = await cluster.pki.issueManufacturingCertificate(`SEP${BOB}`, 'EC');
    const no = await verifyWithTvs({ members, deviceName: `CP-8845-SEP${BOB}`, certificate: mic.certificate.der });
    expect(no.status).to.equal('invalid');
    const answers = cluster.events({ kind: 'tvs-answer' }).map((x) => x.answer.outcome);
    expect(answers.slice(-2)).to.deep.equal(['valid', 'invalid']);
  });

  it('mixed mode: no CTL until Cisco TFTP restarts; then a verifying CTL, an ITL with CCM+TFTP, secure configs', async () => {
    const e = cluster.endpoints();
    const itlBefore = (await httpGet(e.http!.port, 'ITLFile.tlv')).body;
    const r = await cluster.setSecurityMode('mixed');
    expect(r.servicesToRestart).to.include.members(['Cisco TFTP', 'Cisco CallManager', 'Cisco CTIManager']);
    expect(cluster.pendingPhoneResets().map((p) => p.device)).to.include.members([`SEP${ALICE}`, `SEP${BOB}`, `SEP${CAROL}`]);
    expect((await httpGet(e.http!.port, 'CTLFile.tlv')).status, 'before the restart').to.equal(404);
    await cluster.restartServices(['Cisco TFTP', 'Cisco CallManager', 'Cisco CTIManager']);
    expect(cluster.pendingRestarts()).to.deep.equal([]);
    expect(cluster.endpoints().http!.port, 'restarts keep the ports').to.equal(e.http!.port);
    const ctl = await httpGet(e.http!.port, 'CTLFile.tlv');
    expect(ctl.status).to.equal(200);
    const v = verifyTrustList(ctl.body);
    expect(v.ok, v.reason).to.equal(true);
    expect(parseTrustList(ctl.body).records[v.signerRecord! - 1]!.certificate!.equals(cluster.pki.certificate('ITLRecovery').der)).to.equal(true);
    const itlAfter = (await httpGet(e.http!.port, 'ITLFile.tlv')).body;
    expect(itlAfter.equals(itlBefore)).to.equal(false);
    expect(roleOf(itlAfter, cluster.pki.certificate('CallManager').der)).to.have.members(['CCM+TFTP', 'SAST']);
    expect(verifyTrustList(itlAfter).ok).to.equal(true);
    const alice = parseCnfXml(parseSigned((await httpGet(e.http!.port, `SEP${ALICE}.cnf.xml.sgn`)).body).content);
    expect(alice.deviceSecurityMode, 'encrypted').to.equal(3);
    expect(alice.transportLayerProtocol, 'TLS').to.equal(3);
    expect(alice.lines[0]!.port).to.equal(5061);
    const bob = parseCnfXml((await httpGet(e.http!.port, `SEP${BOB}.cnf.xml`)).body);
    expect(bob.deviceSecurityMode, 'authenticated').to.equal(2);
    expect(bob.capfAuthMode, 'no pending operation').to.equal(0);
  });

  it('regenerating CallManager rebuilds the ITL at once, records the event, lists restarts, resets and the CTL update', async () => {
    await cluster.resetPhones();
    expect(cluster.pendingPhoneResets()).to.deep.equal([]);
    const e = cluster.endpoints();
    const old = cluster.pki.certificate('CallManager').der;
    const r = await cluster.regenerate('CallManager');
    expect(r.event?.type).to.equal('certificate-regenerated');
    const now = cluster.pki.certificate('CallManager').der;
    expect(now.equals(old)).to.equal(false);
    const itl = (await httpGet(e.http!.port, 'ITLFile.tlv')).body;
    expect(roleOf(itl, now)).to.have.members(['CCM+TFTP', 'SAST']);
    expect(roleOf(itl, old)).to.deep.equal([]);
    expect(verifyTrustList(itl).ok).to.equal(true);
    // Configuration files are signed by the new TFTP certificate, which the new ITL lists.
    expect(verifySigned((await httpGet(e.http!.port, `SEP${CAROL}.cnf.xml.sgn`)).body, parseTrustList(itl)).ok).to.equal(true);
    const pkiEvents = cluster.events({ kind: 'pki-event' });
    expect(pkiEvents.at(-1)!.event.seq).to.equal(r.event!.seq);
    expect(cluster.pendingRestarts()).to.include.members(['Cisco CallManager', 'Cisco TFTP']);
    expect(cluster.status().ctlUpdateRequired).to.deep.equal(['CallManager']);
    expect(r.warnings.join(' ')).to.match(/utils ctl update CTLFile/);
    const resets = cluster.pendingPhoneResets();
    expect(resets.map((p) => p.device)).to.have.members([`SEP${ALICE}`, `SEP${BOB}`, `SEP${CAROL}`]);
    expect(resets.every((p) => p.cause === r.event!.seq && p.automatic)).to.equal(true);
    // HTTPS 6971 keeps the certificate it loaded until Cisco TFTP restarts (004 L268).
    const served = async () => {
      const tls = await import('node:tls');
      return new Promise<Buffer>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: e.https6971!.port, rejectUnauthorized: false, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }, () => {
          const raw = s.getPeerCertificate().raw;
          s.destroy();
          resolve(raw);
        });
        s.on('error', reject);
      });
    };
    expect((await served()).equals(old)).to.equal(true);
    await cluster.restartTftp();
    expect((await served()).equals(now)).to.equal(true);
  });

  it('utils ctl update CTLFile lists the new CallManager; utils ctl reset localkey signs the CTL with CallManager', async () => {
    await cluster.ctlUpdate();
    expect(cluster.status().ctlUpdateRequired).to.deep.equal([]);
    const cm = cluster.pki.certificate('CallManager').der;
    const ctl = cluster.ctl()!;
    expect(parseTrustList(ctl).records.some((r) => r.roleName === 'CCM+TFTP' && r.certificate?.equals(cm))).to.equal(true);
    await cluster.ctlResetLocalKey();
    const reset = (await httpGet(cluster.endpoints().http!.port, 'CTLFile.tlv')).body;
    const v = verifyTrustList(reset);
    expect(v.ok).to.equal(true);
    expect(parseTrustList(reset).records[v.signerRecord! - 1]!.certificate!.equals(cm)).to.equal(true);
    await cluster.ctlUpdate();
    const back = verifyTrustList(cluster.ctl()!);
    expect(parseTrustList(cluster.ctl()!).records[back.signerRecord! - 1]!.certificate!.equals(cluster.pki.certificate('ITLRecovery').der)).to.equal(true);
  });

  it('utils itl reset localkey: the ITL is signed by CallManager until Cisco TFTP restarts', async () => {
    const e = cluster.endpoints();
    await cluster.itlResetLocalKey();
    const signed = (await httpGet(e.http!.port, 'ITLFile.tlv')).body;
    const v = verifyTrustList(signed);
    expect(v.ok, v.reason).to.equal(true);
    expect(parseItl(signed).records[v.signerRecord! - 1]!.certificate!.equals(cluster.pki.certificate('CallManager').der)).to.equal(true);
    expect(cluster.status().itlSigner).to.equal('callManager');
    await cluster.restartTftp();
    const again = (await httpGet(e.http!.port, 'ITLFile.tlv')).body;
    const v2 = verifyTrustList(again);
    expect(parseItl(again).records[v2.signerRecord! - 1]!.certificate!.equals(cluster.pki.certificate('ITLRecovery').der)).to.equal(true);
  });

  it('Prepare Cluster for Rollback: the ITL with empty TVS and TFTP entries, still signed; off again restores it', async () => {
    const e = cluster.endpoints();
    await cluster.resetPhones();
    const r = await cluster.prepareRollback(true);
    expect(r.phoneResets).to.equal(3);
    const empty = (await httpGet(e.http!.port, 'ITLFile.tlv')).body;
    expect(verifyTrustList(empty).ok).to.equal(true);
    const records = parseItl(empty).records;
    expect(records.filter((x) => x.certificate).map((x) => x.roleName)).to.deep.equal(['SAST']);
    expect(records.filter((x) => !x.certificate).map((x) => x.roleName)).to.have.members(['CCM+TFTP', 'TVS']);
    await cluster.prepareRollback(false);
    const full = (await httpGet(e.http!.port, 'ITLFile.tlv')).body;
    expect(parseItl(full).records.filter((x) => x.roleName === 'TVS' && x.certificate)).to.have.length(1);
  });

  it('tamperNextFile: the next ITL fails verification (signature, record), the one after is intact; signer = a foreign key', async () => {
    const e = cluster.endpoints();
    await cluster.tamperNextFile('ITLFile.tlv', { mode: 'signature' });
    const bad = (await httpGet(e.http!.port, 'ITLFile.tlv')).body;
    expect(verifyTrustList(bad).ok).to.equal(false);
    expect(verifyTrustList((await httpGet(e.http!.port, 'ITLFile.tlv')).body).ok).to.equal(true);
    await cluster.tamperNextFile('itlfile.tlv', { mode: 'record' });
    const viaTftp = await tftpGet('ITLFile.tlv', { port: e.tftp!.port, timeoutMs: 5000 });
    expect(parseItl(viaTftp.data).records.length, 'still parses').to.be.greaterThan(3);
    expect(verifyTrustList(viaTftp.data).ok).to.equal(false);
    await cluster.tamperNextFile('ITLFile.tlv', { mode: 'signer' });
    const foreign = (await httpGet(e.http!.port, 'ITLFile.tlv')).body;
    const v = verifyTrustList(foreign);
    expect(v.ok, 'self-consistent').to.equal(true);
    const signer = new X509Certificate(parseItl(foreign).records[v.signerRecord! - 1]!.certificate!);
    expect(signer.subject).to.match(/ITLRECOVERY_rogue/);
    const faults = cluster.events({ kind: 'fault' }).filter((f) => f.state === 'applied');
    expect(faults.map((f) => f.detail?.mode)).to.deep.equal(['signature', 'record', 'signer']);
  });

  it('serveCertificate: TVS presents an expired certificate, then its own again', async () => {
    const tls = await import('node:tls');
    const peer = () =>
      new Promise<X509Certificate>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: cluster.endpoints().tvs!.port, rejectUnauthorized: false, ciphers: 'AES256-GCM-SHA384' }, () => {
          const c = new X509Certificate(s.getPeerCertificate().raw);
          s.destroy();
          resolve(c);
        });
        s.on('error', reject);
      });
    await cluster.serveCertificate('tvs', 'expired');
    const expired = await peer();
    expect(new Date(expired.validTo).getTime()).to.be.lessThan(Date.now());
    expect(expired.publicKey.equals(new X509Certificate(cluster.pki.certificate('TVS').der).publicKey)).to.equal(true);
    await cluster.serveCertificate('tvs', 'normal');
    expect((await peer()).raw.equals(cluster.pki.certificate('TVS').der)).to.equal(true);
  });

  it('TLS Ciphers "ECDSA only" reaches SIP TLS when Cisco CallManager restarts: RSA-only clients fail, ECDSA gets CallManager-ECDSA', async () => {
    const tls = await import('node:tls');
    // 5061 refuses clients without a phone certificate: present a MIC so that only the suites decide.
    const mic = await cluster.pki.issueManufacturingCertificate(`SEP${BOB}`, 'EC', { model: '8845' });
    const hello = (ciphers: string) =>
      new Promise<{ ok: true; cert: Buffer } | { ok: false; error: string }>((resolve) => {
        const opts = { key: mic.privateKeyPem, cert: [mic.certificate.pem, ...mic.chainPems].join('') };
        const s = tls.connect({ host: '127.0.0.1', port: cluster.endpoints().sip.tls!.port, rejectUnauthorized: false, ciphers, maxVersion: 'TLSv1.2', ...opts }, () => {
          const cert = s.getPeerCertificate().raw;
          s.destroy();
          resolve({ ok: true, cert });
        });
        s.on('error', (e) => resolve({ ok: false, error: e.message }));
      });
    const r = await cluster.setParameters({ tlsCiphers: 'ecdsa-only' });
    expect(r.servicesToRestart).to.include('Cisco CallManager');
    expect((await hello('ECDHE-RSA-AES256-GCM-SHA384')).ok, 'not restarted yet').to.equal(true);
    await cluster.restartServices(['Cisco CallManager']);
    const rsa = await hello('ECDHE-RSA-AES256-GCM-SHA384');
    expect(rsa.ok).to.equal(false);
    const ec = await hello('ECDHE-ECDSA-AES256-GCM-SHA384');
    expect(ec.ok && ec.cert.equals(cluster.pki.certificate('CallManager-ECDSA').der)).to.equal(true);
    await cluster.setParameters({ tlsCiphers: 'all-rsa' }, { restart: true });
    expect((await hello('ECDHE-RSA-AES256-GCM-SHA384')).ok).to.equal(true);
  });

  it('stopServices / startServices: CAPF down refuses connections, back on the same port', async () => {
    const port = cluster.endpoints().capf!.port;
    await cluster.stopServices(['Cisco Certificate Authority Proxy Function']);
    expect(cluster.endpoints().capf).to.equal(undefined);
    expect(cluster.endpoints().capfServers, 'phone configurations still list it').to.deep.equal([{ processNodeName: '127.0.0.1', phonePort: port }]);
    const net = await import('node:net');
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(refused).to.equal('ECONNREFUSED');
    await cluster.startServices(['capf']);
    expect(cluster.endpoints().capf!.port).to.equal(port);
  });
});
