// The phone's boot against a real provisioning server (TFTP, HTTP 6970, HTTPS 6971) and TVS on 127.0.0.1: first boot
// with trust on first use, mixed mode (CTL then ITL validated through it), the legacy model over TFTP with its TLS 1.0
// limits, the current model over HTTPS 6971 when the ITL signer version is 1.1, and the S1 move to mixed mode.
import { expect } from 'chai';
import type { ClusterPki } from '../../engine/pki/index.js';
import type { BootEvent, BootResult } from '../../endpoints/index.js';
import { cluster, device, newPhone, quietLogs, startCluster, type ClusterEnv } from './support.js';

const fetches = (r: BootResult) => r.events.filter((e): e is Extract<BootEvent, { type: 'fetch' }> => e.type === 'fetch');
const trust = (r: BootResult) => r.events.filter((e): e is Extract<BootEvent, { type: 'trust' }> => e.type === 'trust').map((e) => e.decision);

describe('endpoints: phone boot', function () {
  this.timeout(30_000);
  quietLogs();
  let pki: ClusterPki;
  const envs: ClusterEnv[] = [];
  const start = async (...a: Parameters<typeof startCluster>) => {
    const e = await startCluster(...a);
    envs.push(e);
    return e;
  };

  before(async () => {
    pki = await cluster('cucm-boot');
  });
  after(async () => {
    await Promise.all(envs.map((e) => e.close()));
  });

  it('first boot (legacy 79xx): TFTP only, ITL trusted on first use, .sgn config verified against it, TLS 1.0 offer', async () => {
    const env = await start(pki, { devices: [device('0000000079A1', { deviceSecurityMode: 'non-secure', transport: 'UDP' })] });
    const phone = await newPhone(env, '0000000079A1', 'cisco-79xx');
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    expect(r.steps.map((s) => [s.step, s.outcome])).to.deep.equal([
      ['ctl', 'not-found'],
      ['itl', 'ok'],
      ['config', 'ok'],
      ['capf', 'skipped'],
      ['ready', 'ok'],
    ]);
    // Observed 7962 order: CTLSEP, CTLFile, ITLSEP, then the config (anchors 1.7); all over TFTP with 512-byte blocks.
    expect(fetches(r).map((f) => [f.file, f.transport, f.status])).to.deep.equal([
      ['CTLSEP0000000079A1.tlv', 'tftp', 'not-found'],
      ['CTLFile.tlv', 'tftp', 'not-found'],
      ['ITLSEP0000000079A1.tlv', 'tftp', 'ok'],
      ['SEP0000000079A1.cnf.xml.sgn', 'tftp', 'ok'],
    ]);
    expect(fetches(r).find((f) => f.status === 'ok')!.tftp!.blksize).to.equal(512);
    const [itl, cfg] = trust(r);
    expect(itl).to.include({ kind: 'itl', decision: 'accepted', basis: 'tofu' });
    expect(itl!.reason).to.match(/leap of faith/);
    expect(cfg).to.include({ kind: 'config', decision: 'accepted', basis: 'itl' });
    expect(cfg!.reason).to.match(/CCM\+TFTP/);
    const ready = r.ready!;
    expect(ready).to.include({ securityMode: 'non-secure', transport: 'UDP', clientCertificate: 'MIC', callManagerTrust: 'itl' });
    expect(ready.configVia).to.deep.equal({ transport: 'tftp', form: 'signed', basis: 'itl' });
    expect(ready.callManagers[0]).to.include({ host: '127.0.0.1', port: 5060 });
    expect(ready.tvsMembers).to.deep.equal([{ address: '127.0.0.1', port: env.tvs!.port, priority: 0 }]);
    // Registration would be non-secure UDP; the TLS offer of this model is TLS 1.0 only, RSA only.
    expect(ready.sipTls).to.equal(undefined);
    expect(phone.trust.tvsMembers[0]!.port).to.equal(env.tvs!.port);
    // A second boot: the same ITL is "unchanged".
    const again = await phone.boot();
    expect(again.status).to.equal('ready');
    expect(trust(again)[0]).to.include({ basis: 'unchanged' });
  });

  it('the current 88xx uses HTTPS 6971 (CallManager-ECDSA, TLS 1.2) when the ITL signer version is 1.1', async () => {
    const env = await start(pki, { devices: [device('000000008801')] });
    const phone = await newPhone(env, '000000008801', 'cisco-88xx');
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    const f = fetches(r);
    // HTTP 6970 first for the trust lists, then the config over 6971 (.sgn answered unsigned there).
    expect(f.map((x) => [x.file, x.transport, x.status])).to.deep.equal([
      ['CTLSEP000000008801.tlv', 'http', 'not-found'],
      ['CTLFile.tlv', 'http', 'not-found'],
      ['ITLSEP000000008801.tlv', 'http', 'ok'],
      ['SEP000000008801.cnf.xml.sgn', 'https-6971', 'ok'],
    ]);
    const https = f[3]!;
    // The server's preference (node's default order) picks among the phone's ECDSA suites.
    expect(https.tls).to.include({ protocol: 'TLSv1.2', suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', serverKeyType: 'ec', clientCertificate: 'MIC' });
    const decisions = trust(r);
    expect(decisions.map((d) => [d.kind, d.basis])).to.deep.equal([
      ['itl', 'tofu'],
      ['server-certificate', 'itl'],
      ['config', 'verified-channel'],
    ]);
    expect(decisions[1]!.reason).to.match(/-EC.*CCM\+TFTP/);
    expect(r.ready!.configVia).to.deep.equal({ transport: 'https-6971', form: 'plain', basis: 'verified-channel' });
    expect(env.server.journal.find((j) => j.frontDoor === 'https-6971')).to.include({ status: 'ok', served: 'full config, unsigned on 6971' });
  });

  it('the current 88xx stays on HTTP 6970 with a signed config when the ITL is signer version 1.0', async () => {
    const env = await start(pki, { itl: { rsaOnly: true }, devices: [device('000000008802')] });
    const phone = await newPhone(env, '000000008802', 'cisco-88xx');
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    expect(fetches(r).map((x) => x.transport)).to.not.include('https-6971');
    expect(fetches(r).at(-1)).to.include({ file: 'SEP000000008802.cnf.xml.sgn', transport: 'http', status: 'ok' });
    expect(r.ready!.configVia).to.deep.equal({ transport: 'http', form: 'signed', basis: 'itl' });
  });

  it('6971 serving only the RSA certificate: no ECDSA suite in common, the phone falls back to HTTP', async () => {
    const env = await start(pki, { https6971RsaOnly: true, devices: [device('000000008803')] });
    const phone = await newPhone(env, '000000008803', 'cisco-88xx');
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    const https = fetches(r).find((x) => x.transport === 'https-6971')!;
    // The phone offers ECDSA suites only on 6971: no shared suite with an RSA-only server.
    expect(https.status).to.equal('error');
    expect(https.reason).to.match(/handshake failure|no shared cipher/i);
    expect(r.ready!.configVia.transport).to.equal('http');
    expect(r.events.some((e) => e.type === 'note' && /falling back to http, tftp/.test(e.message))).to.equal(true);
  });

  it('mixed mode: CTL trusted on first use, the ITL validated through the CTL, encrypted mode over TLS with the MIC', async () => {
    const env = await start(pki, { mixedMode: true, devices: [device('000000008804', { deviceSecurityMode: 'encrypted' })] });
    const phone = await newPhone(env, '000000008804', 'cisco-88xx');
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    const d = trust(r);
    expect(d[0]).to.include({ kind: 'ctl', decision: 'accepted', basis: 'tofu', file: 'CTLSEP000000008804.tlv' });
    expect(d[1]).to.include({ kind: 'itl', decision: 'accepted', basis: 'ctl' });
    expect(d[1]!.reason).to.match(/SAST.*of the stored CTL/);
    const ready = r.ready!;
    expect(ready).to.include({ securityMode: 'encrypted', transport: 'TLS', clientCertificate: 'MIC', callManagerTrust: 'ctl' });
    expect(ready.callManagers[0]!.port).to.equal(5061);
    expect(ready.sipTls!.attempts[0]).to.include({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    expect(ready.sipTls!.attempts[0]!.suites.map((s) => s.iana)).to.not.include('TLS_RSA_WITH_NULL_SHA');
    expect(phone.registrationContext().clientCertificate?.label).to.equal('MIC');
  });

  it('authenticated mode: the SIP offer is NULL-SHA at security level 0; the legacy phone offers it over TLS 1.0', async () => {
    const env = await start(pki, { mixedMode: true, devices: [device('0000000079A2', { deviceSecurityMode: 'authenticated' })] });
    const phone = await newPhone(env, '0000000079A2', 'cisco-79xx');
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    const offer = r.ready!.sipTls!;
    expect(offer.attempts).to.have.length(1);
    expect(offer.attempts[0]).to.include({ minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'NULL-SHA:@SECLEVEL=0' });
    expect(r.ready!.securityMode).to.equal('authenticated');
  });

  it('S1: a phone that trusted a non-secure cluster accepts the CTL of mixed mode through its ITL', async () => {
    const env = await start(pki, { devices: [device('000000008805', { deviceSecurityMode: 'encrypted' })] });
    const phone = await newPhone(env, '000000008805', 'cisco-88xx');
    const first = await phone.boot();
    expect(first.ready!.securityMode, 'non-secure until mixed mode').to.equal('non-secure');
    env.source.setCluster({ ctl: (await import('./support.js')).ctlFor(pki) }, 'utils ctl set-cluster mixed-mode');
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    const d = trust(r);
    expect(d[0]).to.include({ kind: 'ctl', decision: 'accepted', basis: 'itl' });
    expect(d[1]).to.include({ kind: 'itl', decision: 'accepted', basis: 'unchanged' });
    expect(r.ready!.securityMode).to.equal('encrypted');
  });

  it('a Jabber client fetches no trust list and asks for an unsigned config under its CSF name', async () => {
    const env = await start(pki, { https6971: false });
    // The file service knows SEP<MAC> configs only; a CSF config is published as a static file here.
    const { generateCnfXml, phoneConfigFor } = await import('../../engine/tftp/index.js');
    const xml = generateCnfXml(phoneConfigFor(device('00000000CAFE'), { parameters: env.source.cluster().parameters, mixedMode: false }));
    env.source.setCluster({ staticFiles: new Map([['CSF00000000CAFE.cnf.xml', Buffer.from(xml)]]) });
    const phone = await newPhone(env, '00000000CAFE', 'jabber-csf');
    expect(phone.deviceName).to.equal('CSF00000000CAFE');
    expect(phone.mic).to.equal(undefined);
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    expect(r.steps.slice(0, 2).map((s) => s.outcome)).to.deep.equal(['skipped', 'skipped']);
    expect(fetches(r).map((f) => f.file)).to.deep.equal(['CSF00000000CAFE.cnf.xml']);
    expect(trust(r)[0]).to.include({ decision: 'accepted', basis: 'no-trust-list' });
  });

  it('an ITL over the 64 KB / 39 certificate limit does not load and the boot fails', async () => {
    const env = await start(pki, { devices: [device('000000008806')] });
    const i = pki.trustListInputs();
    const { buildClusterItl } = await import('../../engine/trust/index.js');
    const big = buildClusterItl({ itlRecovery: i.itlRecovery, callManager: i.callManager, tvs: i.tvs, extra: Array.from({ length: 40 }, () => ({ role: 'APP-SERVER' as const, certDer: i.callManager.certDer })) }).bytes;
    env.source.setCluster({ itl: big });
    const phone = await newPhone(env, '000000008806', 'cisco-88xx');
    const r = await phone.boot();
    expect(r.status).to.equal('failed');
    expect(r.failedStep).to.equal('itl');
    expect(r.reason).to.match(/over the 65536-byte \/ 39-certificate limit.*004:L161-163/);
  });
});
