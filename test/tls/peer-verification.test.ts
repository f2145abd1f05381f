import { expect } from 'chai';
import {
  certificateNames,
  deviceNameOf,
  findSubjectNameConflicts,
  identifyTrunk,
  matchSubjectNames,
  parsePemBundle,
  parseSubjectNames,
  verifyChain,
  verifyPhoneCertificate,
} from '../../engine/tls/peer-verification.js';
import { requirePeer } from '../support/peers.js';
import { makeTestPki, type TestPki } from '../support/test-certs.js';

describe('engine/tls peer verification', function () {
  this.timeout(20_000);
  let pki: TestPki;
  before(async function () {
    requirePeer(this, 'openssl', 'openssl');
    pki = await makeTestPki();
  });

  it('binds phone certificates to device names: LSC CN, MIC CN=CP-<model>-SEP<MAC>', () => {
    expect(deviceNameOf(pki.lsc.x509)).to.deep.equal({ deviceName: 'SEP001122334455', form: 'LSC' });
    expect(deviceNameOf(pki.mic.x509)).to.deep.equal({ deviceName: 'SEP001122334455', form: 'MIC' });
    expect(certificateNames(pki.lsc.x509)).to.deep.equal({ cn: 'SEP001122334455', dns: [], ip: [], uri: ['SEP001122334455'] });
    expect(certificateNames(pki.trunkPeer.x509)).to.deep.equal({ cn: 'peer-cm.trustline.test', dns: ['peer-cm-ms.trustline.test'], ip: ['127.0.0.1'], uri: [] });
  });

  it('builds chains to the trust store, directly trusted certificates included', () => {
    expect(verifyChain({ leaf: pki.lsc.x509, intermediates: [] }, [pki.capfCa.x509]).ok).to.equal(true);
    expect(verifyChain({ leaf: pki.trunkPeer.x509, intermediates: [] }, [pki.trunkPeer.x509]).ok).to.equal(true);
    const r = verifyChain({ leaf: pki.rogueLsc.x509, intermediates: [pki.rogueCa.x509] }, [pki.capfCa.x509], new Date(), 'CAPF-trust');
    expect(r.ok).to.equal(false);
    expect(r.reason).to.equal('self-signed certificate "CN=Rogue CA, O=elsewhere" is not in CAPF-trust');
    const expired = verifyChain({ leaf: pki.lsc.x509, intermediates: [] }, [pki.capfCa.x509], new Date(Date.now() + 20 * 365 * 86400_000));
    expect(expired.reason).to.match(/^certificate "CN=SEP001122334455, OU=trustline tests, O=trustline" expired on /);
    expect(parsePemBundle(pki.capfCa.cert + pki.mic.cert).length).to.equal(2);
  });

  it('refuses a MIC-form name signed by CAPF and an LSC signed by the manufacturing CA', () => {
    const trust = { lsc: [pki.capfCa.x509], mic: [pki.manufacturingCa.x509] };
    expect(verifyPhoneCertificate({ leaf: pki.mic.x509, intermediates: [] }, trust)).to.deep.include({ ok: true, kind: 'MIC' });
    const micOnlyInLscStore = verifyPhoneCertificate({ leaf: pki.mic.x509, intermediates: [] }, { lsc: [pki.manufacturingCa.x509], mic: [pki.capfCa.x509] });
    expect(micOnlyInLscStore).to.deep.include({ ok: false });
    expect(verifyPhoneCertificate(null, trust)).to.deep.equal({ ok: false, reason: 'client certificate missing (phone must present its LSC or MIC)' });
    expect(verifyPhoneCertificate({ leaf: pki.lsc.x509, intermediates: [] }, trust, { expectedDeviceName: 'sep001122334455' }).ok).to.equal(true);
  });

  it('parses the trunk subject-name field: space, comma, semicolon or colon, at most 4096 characters (seed 001 L8563)', () => {
    expect(parseSubjectNames('my_cm1, my_cm2;my_cm3:my_cm4  my_cm5')).to.deep.equal(['my_cm1', 'my_cm2', 'my_cm3', 'my_cm4', 'my_cm5']);
    expect(() => parseSubjectNames('a'.repeat(4097))).to.throw('4097 characters, at most 4096');
    expect(matchSubjectNames(pki.trunkPeer.x509, ['PEER-CM.trustline.test'])).to.deep.equal({ ok: true, matched: 'PEER-CM.trustline.test', on: 'subject CN' });
    expect(matchSubjectNames(pki.trunkPeer.x509, ['127.0.0.1'])).to.deep.include({ ok: true, on: 'SAN IP' });
    expect(matchSubjectNames(pki.trunkPeer.x509, ['peer-cm'])).to.deep.include({ ok: false });
  });

  it('keeps (subject name, incoming port) unique across trunks, as the seed example', () => {
    const t = (name: string, port: number, subjectNames: string) => ({ name, port, subjectNames, trust: [] });
    expect(findSubjectNameConflicts([t('trunk1', 5061, 'my_cm1, my_cm2'), t('trunk2', 5071, 'my_cm2, my_cm3'), t('trunk3', 5061, 'my_ccm4')])).to.deep.equal([]);
    expect(findSubjectNameConflicts([t('trunk1', 5061, 'my_cm1, my_cm2'), t('trunk3', 5061, 'my_cm1')])).to.deep.equal([
      'subject name my_cm1 on port 5061 is used by trunks trunk1 and trunk3',
    ]);
  });

  it('identifies the trunk by port, subject name and trust store', () => {
    const profiles = [
      { name: 'a', port: 5061, subjectNames: 'peer-cm.trustline.test', trust: [pki.capfCa.x509] },
      { name: 'b', port: 5061, subjectNames: 'peer-cm-ms.trustline.test', trust: [pki.trunkPeer.x509] },
      { name: 'c', port: 5071, subjectNames: 'peer-cm.trustline.test', trust: [pki.trunkPeer.x509] },
    ];
    const chain = { leaf: pki.trunkPeer.x509, intermediates: [] };
    const r = identifyTrunk(chain, 5061, profiles);
    expect(r.ok && r.trunk.name).to.equal('b');
    expect(identifyTrunk(chain, 5071, profiles)).to.deep.include({ ok: true, matched: 'peer-cm.trustline.test' });
    expect(identifyTrunk(chain, 5099, profiles)).to.deep.equal({ ok: false, reason: 'no secure SIP trunk listens on port 5099' });
  });
});
