// LSC enrollment through engine/capf's server with each authentication mode (001 L5733; anchors 2.6), and the
// encrypted configuration (.enc.sgn) boot: the phone decrypts with the certificate the stub names, a phone without a
// key falls to CAPF or fails as the seeds say (001 L6064, L6079-6082), manual key distribution (001 L6055-6064).
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import type { ClusterPki } from '../../engine/pki/index.js';
import { Phone, type BootEvent, type BootResult } from '../../endpoints/index.js';
import { cluster, device, newPhone, quietLogs, startCluster, type ClusterEnv } from './support.js';

const capfEvents = (r: BootResult) => r.events.filter((e): e is Extract<BootEvent, { type: 'capf' }> => e.type === 'capf');
const fetches = (r: BootResult) => r.events.filter((e): e is Extract<BootEvent, { type: 'fetch' }> => e.type === 'fetch');
const step = (r: BootResult, s: string, nth = 0) => r.steps.filter((x) => x.step === s)[nth];
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('endpoints: CAPF enrollment and encrypted configuration', function () {
  this.timeout(30_000);
  quietLogs();
  let pki: ClusterPki;
  let env: ClusterEnv;

  before(async () => {
    pki = await cluster('cucm-capf');
    env = await startCluster(pki, { capf: true });
  });
  after(async () => {
    await env.close();
  });

  const add = (mac: string, profile: Parameters<typeof device>[1] = {}, extra: Parameters<typeof device>[2] = {}) => env.source.putDevice(device(mac, profile, extra));

  it('By Null String: a MIC phone gets an LSC, then fetches its configuration again and is ready with the LSC', async () => {
    add('00000000CA01');
    await env.capfOperation('00000000CA01', { authMode: 'null-string' });
    const phone = await newPhone(env, '00000000CA01');
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    expect(r.steps.map((s) => [s.step, s.outcome])).to.deep.equal([
      ['ctl', 'not-found'],
      ['itl', 'ok'],
      ['config', 'ok'],
      ['capf', 'ok'],
      ['config', 'ok'],
      ['ready', 'ok'],
    ]);
    const [c] = capfEvents(r);
    expect(c).to.include({ status: 'installed' });
    expect(c!.lsc).to.include({ keyType: 'RSA', keySize: 2048 });
    expect(c!.tls).to.include({ protocol: 'TLSv1.2', serverVerified: true });
    expect(step(r, 'capf')!.reason).to.match(/^null-string at 127\.0\.0\.1:\d+: installed/).and.not.match(/server not verified/);
    expect(phone.lsc!.der.equals(pki.lsc('SEP00000000CA01')!.der)).to.equal(true);
    expect(r.ready!.clientCertificate).to.equal('LSC');
    expect(r.ready!.config.capfAuthMode, 'operation done').to.equal(0);
    // The LSC is in the phone's flash: a restarted phone still has it (and its key).
    const reopened = await Phone.open({ mac: '00000000CA01', model: 'current', stateDir: phone.stateDir, tftp: env.address, capf: false });
    expect(reopened.lsc!.der.equals(phone.lsc!.der)).to.equal(true);
    expect(reopened.lsc!.privateKey.equals(phone.lsc!.privateKey)).to.equal(true);
  });

  it('By Authentication String: waits for the string, refuses a wrong one, installs with the right one', async () => {
    add('00000000CA02');
    await env.capfOperation('00000000CA02', { authMode: 'auth-string', authString: '4711' });
    const phone = await newPhone(env, '00000000CA02');
    const waiting = await phone.boot();
    expect(waiting.status, 'non-secure: the phone registers meanwhile').to.equal('ready');
    expect(step(waiting, 'capf')).to.include({ outcome: 'skipped' });
    expect(step(waiting, 'capf')!.reason).to.match(/waiting for the user to enter the string/);
    await phone.enterAuthString('1234');
    const wrong = await phone.boot();
    expect(step(wrong, 'capf')!.outcome).to.equal('failed');
    expect(capfEvents(wrong)[0]!.status).to.equal('refused');
    expect(env.capf!.sessions().at(-1)!.detail).to.match(/string/i);
    expect(phone.lsc).to.equal(undefined);
    await phone.enterAuthString('4711');
    const right = await phone.boot();
    expect(right.status, right.reason).to.equal('ready');
    expect(capfEvents(right)[0]!.status).to.equal('installed');
    expect(right.ready!.clientCertificate).to.equal('LSC');
  });

  it('By Existing Certificate (precedence to MIC) authenticates with the MIC', async () => {
    add('00000000CA03');
    await env.capfOperation('00000000CA03', { authMode: 'existing-mic' });
    const phone = await newPhone(env, '00000000CA03');
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    expect(capfEvents(r)[0]).to.include({ status: 'installed', authenticatedWith: 'MIC' });
  });

  it('By Existing Certificate (precedence to LSC): renewal with the LSC; a phone with neither certificate is refused', async () => {
    add('00000000CA04');
    await env.capfOperation('00000000CA04', { authMode: 'null-string' });
    const phone = await newPhone(env, '00000000CA04');
    expect((await phone.boot()).ready!.clientCertificate).to.equal('LSC');
    const first = phone.lsc!.der;
    await env.capfOperation('00000000CA04', { authMode: 'existing-lsc' });
    const renewal = await phone.boot();
    expect(renewal.status, renewal.reason).to.equal('ready');
    expect(capfEvents(renewal)[0]).to.include({ status: 'installed', authenticatedWith: 'LSC' });
    expect(phone.lsc!.der.equals(first)).to.equal(false);

    add('00000000CA05');
    await env.capfOperation('00000000CA05', { authMode: 'existing-lsc' });
    const bare = await newPhone(env, '00000000CA05', 'cisco-88xx', { noMic: true });
    const refused = await bare.boot();
    expect(capfEvents(refused)[0]!.status).to.equal('refused');
    expect(capfEvents(refused)[0]!.detail).to.match(/no certificate to authenticate with/);
  });

  it('encrypted config to the MIC: stub over 6971, certHash matches, .enc.sgn decrypted with the MIC key', async () => {
    const phone = await newPhone(env, '00000000E001');
    add('00000000E001', { tftpEncryptedConfig: true }, { mic: phone.mic!.der });
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    expect(fetches(r).filter((f) => f.step === 'config').map((f) => [f.file, f.transport, f.status])).to.deep.equal([
      ['SEP00000000E001.cnf.xml.sgn', 'https-6971', 'ok'],
      ['SEP00000000E001.cnf.xml.enc.sgn', 'https-6971', 'ok'],
    ]);
    expect(r.events.some((e) => e.type === 'note' && /decrypted with the phone's MIC/.test(e.message))).to.equal(true);
    expect(r.ready!.configVia).to.deep.equal({ transport: 'https-6971', form: 'encrypted', basis: 'itl' });
    expect(r.ready!.config.lines[0]!.authPassword, 'the digest secret only the encrypted file carries').to.equal('digest-secret');
    expect(phone.encryptedConfigExpected).to.equal(true);
    // Next boot: the phone asks for the .enc.sgn first (001 L6086: the encryption flag of its last configuration).
    const again = await phone.boot();
    expect(fetches(again).filter((f) => f.step === 'config')[0]!.file).to.equal('SEP00000000E001.cnf.xml.enc.sgn');
  });

  it('encrypted config for a phone with no certificate and no CAPF operation: "the MD5 value is blank", the boot fails', async () => {
    add('00000000E002', { tftpEncryptedConfig: true });
    const phone = await newPhone(env, '00000000E002', 'cisco-88xx', { noMic: true });
    const r = await phone.boot();
    expect(r.status).to.equal('failed');
    expect(r.failedStep).to.equal('capf');
    expect(r.reason).to.match(/the configuration is encrypted but the MD5 value is blank.*no CAPF operation is pending/);
  });

  it('encrypted config, no key yet, CAPF pending: the phone enrolls, then decrypts the .enc.sgn made for its LSC', async () => {
    add('00000000E003', { tftpEncryptedConfig: true });
    await env.capfOperation('00000000E003', { authMode: 'null-string' });
    const phone = await newPhone(env, '00000000E003', 'cisco-79xx', { noMic: true });
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    expect(r.steps.map((s) => [s.step, s.outcome])).to.deep.equal([
      ['ctl', 'not-found'],
      ['itl', 'ok'],
      ['config', 'refused'],
      ['capf', 'ok'],
      ['config', 'ok'],
      ['ready', 'ok'],
    ]);
    expect(step(r, 'config')!.reason).to.match(/MD5 value is blank/);
    const lsc = phone.lsc!;
    expect(md5(lsc.der)).to.equal(r.ready!.config.certHash);
    expect(r.ready!.configVia.form).to.equal('encrypted');
    expect(r.events.some((e) => e.type === 'note' && /decrypted with the phone's LSC/.test(e.message))).to.equal(true);
    // The legacy phone did all of it over TFTP, and CAPF over TLS 1.0 with the CAPF certificate of its ITL.
    expect(fetches(r).every((f) => f.transport === 'tftp')).to.equal(true);
    expect(capfEvents(r)[0]!.tls).to.deep.equal({ protocol: 'TLSv1', cipher: 'TLS_RSA_WITH_AES_128_CBC_SHA', serverVerified: true });
    expect(env.capf!.sessions().at(-1)).to.include({ device: 'SEP00000000E003', outcome: 'installed' });
  });

  it('an ECDSA LSC (CAPF v3, EC Only): encrypted config is not possible, the phone gets it over 6971 by presenting its LSC', async () => {
    const ec = await startCluster(pki, { capf: true, capfParameters: { endpointAdvancedEncryption: true } });
    try {
      ec.source.putDevice(device('00000000E005', { tftpEncryptedConfig: true }));
      await ec.capfOperation('00000000E005', { authMode: 'existing-mic', keyOrder: 'ec-only', ecKeySize: 256 });
      const phone = await newPhone(ec, '00000000E005');
      const r = await phone.boot();
      expect(r.status, r.reason).to.equal('ready');
      expect(capfEvents(r)[0]!.lsc).to.include({ keyType: 'EC', keySize: 256 });
      const second = fetches(r).filter((f) => f.step === 'config').slice(-2);
      // After enrolment: no .enc.sgn for an EC key (the AES key is RSA-wrapped), then the .sgn over 6971 with the LSC.
      expect(second.map((f) => [f.file, f.transport, f.status])).to.deep.equal([
        ['SEP00000000E005.cnf.xml.enc.sgn', 'https-6971', 'not-found'],
        ['SEP00000000E005.cnf.xml.sgn', 'https-6971', 'ok'],
      ]);
      expect(second[1]!.tls).to.include({ clientCertificate: 'LSC' });
      expect(r.ready!.configVia).to.deep.equal({ transport: 'https-6971', form: 'plain', basis: 'verified-channel' });
      expect(r.ready!.config.lines[0]!.authPassword).to.equal('digest-secret');
      expect(ec.server.journal.at(-1)!.served).to.equal('full config (encryption on, LSC presented over HTTPS), unsigned on 6971');
      expect(phone.encryptedConfigExpected).to.equal(false);
    } finally {
      await ec.close();
    }
  });

  it('manual key distribution (7962 SIP): the phone with the key asks for the .enc.sgn first and decrypts it', async () => {
    const key = randomBytes(16);
    add('00000000E004', { deviceSecurityMode: 'non-secure', tftpEncryptedConfig: true }, { manualKey: key, model: 'Cisco 7962' });
    const phone = await newPhone(env, '00000000E004', 'cisco-79xx', { manualKey: key });
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    expect(fetches(r).filter((f) => f.step === 'config').map((f) => [f.file, f.status])).to.deep.equal([['SEP00000000E004.cnf.xml.enc.sgn', 'ok']]);
    expect(r.events.some((e) => e.type === 'note' && /decrypted with the phone's manual key/.test(e.message))).to.equal(true);
    // A wrong key: "If decryption fails, the configuration file does not get applied" (001 L6064).
    await phone.enterManualKey(randomBytes(16));
    const bad = await phone.boot();
    expect(bad.status).to.equal('failed');
    expect(bad.reason).to.match(/cannot be decrypted.*not applied/);
  });
});
