// When trust breaks: the ITL signer changes (ITLRecovery regenerated): refused, then accepted through TVS or after the
// rollback (empty) ITL; the regeneration procedure with `utils itl reset localkey` (004:L341-363, as in S12); and a
// phone moved between two clusters (S13, 001 L3296-3371, 004:L505-569): a) Bulk Certificate Export → the old TVS
// vouches; b) no import → refused; c) rollback ITL on the old cluster → any new ITL. The phone is reopened from its
// state directory between the moves (its trust persists).
import { expect } from 'chai';
import type { ClusterPki } from '../../engine/pki/index.js';
import { exportBulkCertificates, importBulkCertificates } from '../../engine/tvs/index.js';
import { Phone, type BootEvent, type BootResult } from '../../endpoints/index.js';
import { cluster, device, itlFor, newPhone, quietLogs, rollbackItlFor, startCluster, type ClusterEnv } from './support.js';

const trust = (r: BootResult) => r.events.filter((e): e is Extract<BootEvent, { type: 'trust' }> => e.type === 'trust').map((e) => e.decision);
const itlDecision = (r: BootResult) => trust(r).find((d) => d.kind === 'itl')!;
const step = (r: BootResult, s: string) => r.steps.find((x) => x.step === s)!;

describe('endpoints: ITL signer change and moving phones between clusters', function () {
  this.timeout(30_000);
  quietLogs();
  const envs: ClusterEnv[] = [];
  const start = async (...a: Parameters<typeof startCluster>) => {
    const e = await startCluster(...a);
    envs.push(e);
    return e;
  };
  after(async () => {
    await Promise.all(envs.map((e) => e.close()));
  });

  describe('ITLRecovery regenerated', () => {
    let pki: ClusterPki;
    beforeEach(async () => {
      pki = await cluster('cucm-regen');
    });

    it('is refused while TVS cannot be reached, then accepted when TVS vouches for the new signer', async () => {
      const env = await start(pki, { devices: [device('00000000B001')] });
      const phone = await newPhone(env, '00000000B001', 'cisco-79xx');
      expect((await phone.boot()).status).to.equal('ready');
      const oldItl = phone.trust.stored('itl')!.sha1;
      await pki.regenerate('ITLRecovery');
      env.republish();
      // TVS down (the phone's TVS member is the one its last configuration named).
      const tvsPort = env.tvs!.port;
      await env.tvs!.stop();
      const refused = await phone.boot();
      const d = itlDecision(refused);
      expect(d).to.include({ decision: 'refused' });
      expect(d.reason).to.match(/its signer CN=ITLRECOVERY_cucm-regen.* is no SAST record of the stored ITL; no TVS answered/);
      expect(d.tvs).to.include({ status: 'unreachable' });
      expect(step(refused, 'itl').outcome).to.equal('refused');
      // The config is still signed by the unchanged CallManager certificate, which the old ITL holds.
      expect(refused.status).to.equal('ready');
      expect(phone.trust.stored('itl')!.sha1).to.equal(oldItl);

      // TVS back (the cluster answers for its own ITLRecovery as SAST, 001 L2792).
      const { ClusterTrustSource, startTvsServer } = await import('../../engine/tvs/index.js');
      const tvs = await startTvsServer({ trust: new ClusterTrustSource(pki), credentials: pki.tlsCredentials('TVS'), port: tvsPort, host: '127.0.0.1' });
      try {
        const accepted = await phone.boot();
        const a = itlDecision(accepted);
        expect(a).to.include({ decision: 'accepted', basis: 'tvs' });
        expect(a.tvs).to.deep.include({ status: 'valid', roles: ['SAST'] });
        expect(phone.trust.stored('itl')!.sha1).to.not.equal(oldItl);
        expect(tvs.journal.at(-1)).to.include({ outcome: 'valid' });
      } finally {
        await tvs.stop();
      }
    });

    it('is accepted without TVS after the rollback (empty) ITL', async () => {
      const env = await start(pki, { tvs: false, devices: [device('00000000B002')] });
      const phone = await newPhone(env, '00000000B002', 'cisco-88xx');
      expect((await phone.boot()).status).to.equal('ready');
      // "Prepare Cluster for Rollback to pre-8.0": the empty ITL, still signed by the signer the phone trusts.
      env.source.setCluster({ itl: rollbackItlFor(pki) });
      const rb = await phone.boot();
      expect(itlDecision(rb)).to.include({ decision: 'accepted', basis: 'itl' });
      expect(phone.trust.rollback).to.equal(true);
      expect(rb.status, rb.reason).to.equal('ready');
      // No TFTP certificate any more: HTTPS 6971 is not used, the signed config is taken unchecked.
      expect(rb.events.some((e) => e.type === 'fetch' && e.transport === 'https-6971')).to.equal(false);
      expect(trust(rb).find((x) => x.kind === 'config')).to.include({ decision: 'accepted', basis: 'rollback' });

      await pki.regenerate('ITLRecovery');
      env.republish();
      const after = await phone.boot();
      expect(itlDecision(after)).to.include({ decision: 'accepted', basis: 'rollback' });
      expect(itlDecision(after).reason).to.match(/empty \(rollback\) ITL: any new ITL is accepted/);
      expect(phone.trust.rollback).to.equal(false);
      expect(after.status, after.reason).to.equal('ready');
    });

    it('the ITLRecovery regeneration procedure (004:L341-363): utils itl reset localkey, then the new ITLRecovery-signed ITL', async () => {
      const env = await start(pki, { tvs: false, devices: [device('00000000B003')] });
      const phone = await newPhone(env, '00000000B003', 'cisco-79xx');
      expect((await phone.boot()).status).to.equal('ready');
      await pki.regenerate('ITLRecovery');
      env.source.setCluster({ itl: itlFor(pki, { signWith: 'callManager' }) }, 'utils itl reset localkey');
      const reset = await phone.boot();
      expect(itlDecision(reset)).to.include({ decision: 'accepted', basis: 'itl' });
      expect(itlDecision(reset).reason).to.match(/record 3 \(SAST\) CN=cucm-regen/);
      env.republish(); // restart TFTP: signed by ITLRecovery again
      const back = await phone.boot();
      expect(itlDecision(back)).to.include({ decision: 'accepted', basis: 'itl' });
      expect(itlDecision(back).reason).to.match(/record 1 \(SAST\) CN=ITLRECOVERY_cucm-regen/);
    });
  });

  describe('S13: a phone moved from an old cluster to a new one', () => {
    let oldPki: ClusterPki;
    let newPki: ClusterPki;
    let oldEnv: ClusterEnv;
    let newEnv: ClusterEnv;
    const MACS = ['00000000D00A', '00000000D00B', '00000000D00C', '00000000D00D'];

    beforeEach(async () => {
      [oldPki, newPki] = await Promise.all([cluster('cucm-old'), cluster('cucm-new')]);
      oldEnv = await start(oldPki, { devices: MACS.map((m) => device(m)) });
      newEnv = await start(newPki, { devices: MACS.map((m) => device(m)) });
    });

    /** Boots on the old cluster, closes the phone, reopens it from its flash, points it at the new cluster. */
    async function moved(mac: string): Promise<Phone> {
      const phone = await newPhone(oldEnv, mac, 'cisco-88xx');
      const first = await phone.boot();
      expect(first.status, first.reason).to.equal('ready');
      const again = await Phone.open({ mac, model: 'cisco-88xx', stateDir: phone.stateDir, tftp: newEnv.address, capf: false, timeouts: { tvsConnectMs: 2000, tvsResponseMs: 2000 } });
      expect(again.trust.stored('itl')!.sha1, 'the ITL survived the restart').to.equal(phone.trust.stored('itl')!.sha1);
      expect(again.mic!.der.equals(phone.mic!.der)).to.equal(true);
      return again;
    }

    it('a) Bulk Certificate Export/Import: the old TVS vouches for the new ITL signer; the new configs verify', async () => {
      await importBulkCertificates(oldPki, exportBulkCertificates(newPki));
      const phone = await moved(MACS[0]!);
      const r = await phone.boot();
      expect(r.status, r.reason).to.equal('ready');
      const d = itlDecision(r);
      expect(d).to.include({ decision: 'accepted', basis: 'tvs' });
      expect(d.tvs!.member).to.equal(`127.0.0.1:${oldEnv.tvs!.port}`);
      expect(oldEnv.tvs!.journal.at(-1)).to.include({ outcome: 'valid' });
      expect(r.ready!.configVia).to.include({ transport: 'https-6971' });
      // From now on the phone talks to the new cluster's TVS.
      expect(phone.trust.tvsMembers[0]!.port).to.equal(newEnv.tvs!.port);
    });

    it('b) no import: the old TVS answers invalid; the new ITL and the new configs are refused', async () => {
      const phone = await moved(MACS[1]!);
      const r = await phone.boot();
      expect(itlDecision(r)).to.include({ decision: 'refused' });
      expect(itlDecision(r).reason).to.match(/TVS 127\.0\.0\.1:\d+ answered invalid/);
      expect(r.status).to.equal('failed');
      expect(r.failedStep).to.equal('config');
      expect(r.reason).to.match(/\.sgn refused: signer CN=cucm-new.*no TFTP or CCM\+TFTP record/);
      // 6971 first: the new CallManager-ECDSA certificate is unknown too (TVS: invalid), so HTTP, where the .sgn is refused.
      expect(r.reason).to.match(/over HTTPS 6971: .*CN=cucm-new-EC is in no TFTP\/CCM\+TFTP record of the phone's ITL\/CTL; TVS 127\.0\.0\.1:\d+ answered invalid/);
    });

    it('b2) the old cluster is offline: its TVS cannot be reached, the new ITL is refused', async () => {
      const phone = await moved(MACS[2]!);
      await oldEnv.tvs!.stop();
      const r = await phone.boot();
      expect(itlDecision(r).reason).to.match(/no TVS answered/);
      expect(r.status).to.equal('failed');
    });

    it('c) Prepare Cluster for Rollback on the old cluster: the empty ITL, then any new ITL is accepted', async () => {
      oldEnv.source.setCluster({ itl: rollbackItlFor(oldPki) });
      const phone = await moved(MACS[3]!);
      expect(phone.trust.rollback, 'the phone holds the empty ITL').to.equal(true);
      await oldEnv.tvs!.stop(); // the old servers are needed only until the empty ITL is downloaded (001 L3328)
      const r = await phone.boot();
      expect(r.status, r.reason).to.equal('ready');
      expect(itlDecision(r)).to.include({ decision: 'accepted', basis: 'rollback' });
      expect(trust(r).filter((x) => x.kind !== 'itl').every((x) => x.basis === 'itl' || x.basis === 'verified-channel')).to.equal(true);
    });
  });
});
