// The Phone facade: identity (device name, MIC from the emulated manufacturing CA, TVS identity), what survives a
// restart of the process, the boot events it fans out, and the seam SIP registration will use.
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterPki } from '../../engine/pki/index.js';
import { getModel, manufacturingIdentity, Phone, PHONE_FILE, StateFileError, type BootEvent } from '../../endpoints/index.js';
import { cluster, device, newPhone, quietLogs, startCluster, tempDir, type ClusterEnv } from './support.js';

describe('endpoints: Phone', function () {
  this.timeout(30_000);
  quietLogs();
  let pki: ClusterPki;
  let env: ClusterEnv;
  before(async () => {
    pki = await cluster('cucm-phone');
    env = await startCluster(pki, { devices: [device('00000000F001'), device('00000000F002', { tftpEncryptedConfig: true })] });
  });
  after(async () => {
    await env.close();
  });

  it('has a SEP device name, a CP-<model>-SEP<MAC> MIC from the manufacturing CA, and the TVS identity', async () => {
    const phone = await newPhone(env, '00:00:00:00:f0:01');
    expect(phone.mac).to.equal('00000000F001');
    expect(phone.deviceName).to.equal('SEP00000000F001');
    expect(phone.tvsIdentity).to.equal('CP-8845-SEP00000000F001');
    const mic = new X509Certificate(phone.mic!.der);
    expect(mic.subject).to.match(/CN=CP-8845-SEP00000000F001/);
    expect(mic.issuer).to.match(/CN=Cisco Manufacturing CA SHA2/);
    expect(phone.lsc).to.equal(undefined);
    const noMic = await manufacturingIdentity(pki, '00000000F001', getModel('jabber')).catch((e: unknown) => e);
    expect(noMic).to.be.instanceOf(TypeError);
    expect((noMic as Error).message).to.equal('jabber-csf has no MIC (002 L1142-1145)');
  });

  it('keeps its trust, its MIC and the encrypted-config flag across a restart; reports boot events as they happen', async () => {
    const dir = join(tempDir('phone'), 'flash');
    const mic = await manufacturingIdentity(pki, '00000000F002', getModel('cisco-88xx'));
    const phone = await Phone.open({ mac: '00000000F002', model: 'current', stateDir: dir, mic, tftp: env.address, capf: false });
    env.source.putDevice({ ...env.source.device('00000000F002')!, mic: phone.mic!.der });
    const seen: BootEvent['type'][] = [];
    phone.onBootEvent((e) => seen.push(e.type));
    const r = await phone.boot();
    expect(r.status, r.reason).to.equal('ready');
    expect(seen[0]).to.equal('step-start');
    expect(seen).to.include.members(['fetch', 'trust', 'note', 'step-end']);
    expect(seen.length).to.equal(r.events.length);
    expect(phone.encryptedConfigExpected).to.equal(true);

    // A new process: the same flash, no MIC given this time.
    const again = await Phone.open({ mac: '00000000F002', model: 'cisco-88xx', stateDir: dir, tftp: env.address, capf: false });
    expect(again.mic!.der.equals(phone.mic!.der)).to.equal(true);
    expect(again.encryptedConfigExpected).to.equal(true);
    expect(again.trust.stored('itl')!.sha1).to.equal(phone.trust.stored('itl')!.sha1);
    const r2 = await again.boot();
    expect(r2.status, r2.reason).to.equal('ready');
    const itl = r2.events.find((e): e is Extract<BootEvent, { type: 'trust' }> => e.type === 'trust' && e.decision.kind === 'itl')!;
    expect(itl.decision.basis).to.equal('unchanged');
    const persisted = JSON.parse(readFileSync(join(dir, PHONE_FILE), 'utf8'));
    expect(persisted).to.include({ format: 'trustline-phone', mac: '00000000F002', deviceName: 'SEP00000000F002', model: 'cisco-88xx', encryptedConfigExpected: true });

    let err: unknown;
    try {
      await Phone.open({ mac: '00000000F0FF', model: 'current', stateDir: dir, tftp: env.address });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(StateFileError);
    expect((err as Error).message).to.match(/holds phone 00000000F002, not 00000000F0FF/);
  });

  it('offers the registration seam only after a ready boot, with the client certificate to use', async () => {
    const phone = await newPhone(env, '00000000F001');
    expect(() => phone.registrationContext()).to.throw(/has not booted to ready/);
    const r = await phone.boot();
    expect(r.status).to.equal('ready');
    const ctx = phone.registrationContext();
    expect(ctx).to.include({ deviceName: 'SEP00000000F001' });
    expect(ctx.clientCertificate!.label).to.equal('MIC');
    expect(ctx.ready.callManagers[0]).to.include({ host: '127.0.0.1', port: 5060 });
    expect(ctx.model.srtp.suites[0]).to.equal('AEAD_AES_256_GCM');
  });

  it('"reset security settings" deletes the CTL and ITL: the next ITL is trusted on first use again', async () => {
    const phone = await newPhone(env, '00000000F001');
    await phone.boot();
    await phone.resetSecuritySettings();
    expect(phone.trust.holdsTrustList).to.equal(false);
    const r = await phone.boot();
    expect(r.events.find((e): e is Extract<BootEvent, { type: 'trust' }> => e.type === 'trust')!.decision).to.include({ kind: 'itl', basis: 'tofu' });
  });
});
