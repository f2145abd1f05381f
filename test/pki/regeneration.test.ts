// Regeneration of every purpose and the effect CUCM documents for it, recorded as events; the TFTP-last ordering rule
// that later scenarios replay ("TFTP regenerated before TVS").
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { PkiError } from '../../engine/pki/errors.js';
import type { PkiEvent } from '../../engine/pki/events.js';
import { generateKey } from '../../engine/pki/keys.js';
import { PURPOSE_RULES, PURPOSES, type Purpose } from '../../engine/pki/purposes.js';
import { freshCluster } from './support.js';

describe('pki regeneration and its events', function () {
  this.timeout(120_000);

  for (const purpose of PURPOSES) {
    it(`${purpose}: new key and certificate, same key length and hash, documented effects in the event`, async () => {
      const pki = await freshCluster();
      const before = pki.certificate(purpose);
      const beforeKey = pki.privateKey(purpose);
      const event = await pki.regenerate(purpose);
      const after = pki.certificate(purpose);
      expect(after.certificate.fingerprintSha256).to.not.equal(before.certificate.fingerprintSha256);
      expect(after.certificate.serialHex).to.not.equal(before.certificate.serialHex);
      expect([after.keyType, after.keySize, after.hash]).to.deep.equal([before.keyType, before.keySize, before.hash]);
      expect(new X509Certificate(after.der).checkPrivateKey(pki.privateKey(purpose))).to.equal(true);
      expect(new X509Certificate(after.der).checkPrivateKey(beforeKey)).to.equal(false);
      expect(event).to.deep.include({ type: 'certificate-regenerated', purpose, node: 'cucm-pub' });
      expect(event.certificate!.fingerprintSha256).to.equal(after.certificate.fingerprintSha256);
      expect(event.previous!.fingerprintSha256).to.equal(before.certificate.fingerprintSha256);
      expect(event.effects).to.deep.equal(PURPOSE_RULES[purpose].effects);
      expect(pki.events().at(-1)).to.deep.equal(event);
    });
  }

  it('records what the guide says each regeneration does', async () => {
    const pki = await freshCluster();
    const effects = async (p: Purpose) => (await pki.regenerate(p)).effects!;
    const cm = await effects('CallManager');
    expect(cm.servicesToRestart).to.deep.equal(['Cisco CallManager', 'Cisco CTIManager', 'Cisco TFTP']);
    expect([cm.itlRebuilt, cm.ctlUpdateIfMixedMode, cm.phoneResetRounds]).to.deep.equal([true, true, 1]);
    expect(cm.notes.join()).to.contain('you must regenerate the TFTP certificate last');
    const tvs = await effects('TVS');
    expect(tvs.servicesRestartedAutomatically).to.deep.equal(['Cisco Trust Verification Service']);
    expect([tvs.itlRebuilt, tvs.phoneResetRounds]).to.deep.equal([true, 1]);
    const capf = await effects('CAPF');
    expect(capf.servicesRestartedAutomatically).to.deep.equal(['Cisco Certificate Authority Proxy Function']);
    expect(capf.itlRebuilt).to.equal(true);
    const tomcat = await effects('tomcat');
    expect(tomcat.servicesToRestart).to.include('Cisco Tomcat');
    expect([tomcat.itlRebuilt, tomcat.phoneResetRounds]).to.deep.equal([false, 0]);
    const itlr = await effects('ITLRecovery');
    expect([itlr.itlRebuilt, itlr.ctlUpdateIfMixedMode, itlr.phoneResetRounds]).to.deep.equal([true, true, 2]);
    expect(itlr.notes.join()).to.contain('Do not regenerate the ITLRecovery Certificate very frequently');
    expect(itlr.servicesToRestart).to.deep.equal(['Cisco TFTP']);
    const ec = await effects('CallManager-ECDSA');
    expect(ec.servicesToRestart).to.deep.equal(['Cisco CallManager', 'Cisco TFTP']);
    const ipsec = await effects('ipsec');
    expect([ipsec.itlRebuilt, ipsec.phoneResetRounds, ipsec.servicesToRestart.length]).to.deep.equal([false, 0, 0]);
  });

  it('flags TFTP regenerated before the TVS phone restarts completed, and not once they are reported settled', async () => {
    const pki = await freshCluster();
    const tvs = await pki.regenerate('TVS');
    expect(tvs.outOfOrder).to.equal(undefined);
    expect(pki.pendingPhoneResets()).to.deep.equal([{ seq: tvs.seq, purpose: 'TVS', node: 'cucm-pub', rounds: 1 }]);
    const tftp = await pki.regenerate('CallManager');
    expect(tftp.outOfOrder).to.deep.equal({ pendingEvents: [tvs.seq], pendingPurposes: ['TVS'] });
    expect(tftp.warnings[0]).to.contain('You might need to manually delete the ITL File from all Cisco IP Phones');

    const settled = await pki.phonesSettled();
    expect(settled.type).to.equal('phones-settled');
    expect(pki.pendingPhoneResets()).to.deep.equal([]);
    await pki.regenerate('TVS');
    await pki.phonesSettled();
    const inOrder = await pki.regenerate('CallManager');
    expect(inOrder.outOfOrder).to.equal(undefined);
    expect(inOrder.warnings).to.deep.equal([]);
  });

  it('flags TVS regenerated while the TFTP restarts are pending (TFTP was not last)', async () => {
    const pki = await freshCluster();
    await pki.regenerate('CallManager');
    const tvs = await pki.regenerate('TVS');
    expect(tvs.outOfOrder?.pendingPurposes).to.deep.equal(['CallManager']);
  });

  it('does not leave phone restarts pending for tomcat', async () => {
    const pki = await freshCluster();
    const e = await pki.regenerate('tomcat');
    expect(e.effects!.phoneResetRounds).to.equal(0);
    expect(pki.pendingPhoneResets()).to.deep.equal([]);
  });

  it('tells listeners after the change is committed, until they unsubscribe', async () => {
    const pki = await freshCluster();
    const seen: PkiEvent[] = [];
    const off = pki.onEvent((e) => {
      seen.push(e);
      expect(pki.certificate('TVS').certificate.fingerprintSha256).to.equal(e.certificate!.fingerprintSha256);
    });
    await pki.regenerate('TVS');
    off();
    await pki.regenerate('TVS');
    expect(seen.map((e) => e.type)).to.deep.equal(['certificate-regenerated']);
  });

  it('keeps the previous CAPF certificate trusted so that LSCs it issued still verify', async () => {
    const pki = await freshCluster();
    const phone = await generateKey('EC', 256);
    const lsc = await pki.issueLsc({ deviceName: 'SEP001122334455', publicKey: phone.publicKey });
    const oldCapf = pki.certificate('CAPF').certificate;
    const e = await pki.regenerate('CAPF');
    const newCapf = pki.certificate('CAPF').certificate;
    expect(newCapf.subjectCN).to.not.equal(oldCapf.subjectCN);
    expect(e.warnings.join()).to.contain('previous CAPF certificate stays in');
    for (const store of ['CallManager-trust', 'CAPF-trust']) {
      expect(pki.isTrusted(store, oldCapf), store).to.equal(true);
      expect(pki.isTrusted(store, newCapf), store).to.equal(true);
      expect(pki.trustStore(store).find((t) => t.fingerprintSha256 === oldCapf.fingerprintSha256)!.description).to.contain('previous CAPF certificate');
    }
    expect(lsc.certificate.x509.verify(oldCapf.publicKey)).to.equal(true);
  });

  it('regenerates a subscriber certificate without touching the publisher', async () => {
    const pki = await freshCluster('two-nodes', { subscribers: ['cucm-sub1'], parameters: { 'CallManager-ECDSA': { keySize: 256 }, 'tomcat-ECDSA': { keySize: 256 } } });
    const pub = pki.certificate('TVS').certificate.fingerprintSha256;
    const e = await pki.regenerate('TVS', { node: 'cucm-sub1' });
    expect(e.node).to.equal('cucm-sub1');
    expect(pki.certificate('TVS').certificate.fingerprintSha256).to.equal(pub);
    expect(pki.certificate('TVS', 'cucm-sub1').certificate.fingerprintSha256).to.equal(e.certificate!.fingerprintSha256);
  });

  it('names an unknown purpose', async () => {
    const pki = await freshCluster();
    try {
      await pki.regenerate('CallMgr' as Purpose);
      expect.fail('regenerated an unknown purpose');
    } catch (err) {
      expect((err as PkiError).code).to.equal('E_PURPOSE');
      expect((err as Error).message).to.contain('expected one of CallManager, CallManager-ECDSA');
    }
  });
});
