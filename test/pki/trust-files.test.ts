// The pki feeds engine/trust: the cluster ITL and tokenless CTL built from trustListInputs() verify, and after an
// ITLRecovery regeneration the new ITL is signed by the new key.
import { expect } from 'chai';
import { buildClusterCtl, buildClusterItl, parseTrustList, verifyTrustList } from '../../engine/trust/index.js';
import { FAST, freshCluster } from './support.js';

describe('pki material in the ITL and CTL', function () {
  this.timeout(120_000);

  it('builds a verifiable ITL and CTL for a two-node cluster', async () => {
    const pki = await freshCluster('two-nodes', { subscribers: ['cucm-sub1'], parameters: FAST });
    const inputs = pki.trustListInputs();
    const itl = buildClusterItl(inputs);
    expect(verifyTrustList(itl.bytes)).to.deep.include({ ok: true });
    const records = parseTrustList(itl.bytes).records;
    expect(records.length).to.equal(1 + 2 + 2 + 1 + 1);
    const ctl = buildClusterCtl(inputs);
    expect(verifyTrustList(ctl.bytes)).to.deep.include({ ok: true });
  });

  it('signs the next ITL with the regenerated ITLRecovery key', async () => {
    const pki = await freshCluster();
    const before = parseTrustList(buildClusterItl(pki.trustListInputs()).bytes).header.serialNumber!;
    expect(before.equals(pki.certificate('ITLRecovery').certificate.serialNumber)).to.equal(true);
    await pki.regenerate('ITLRecovery');
    const after = buildClusterItl(pki.trustListInputs()).bytes;
    expect(verifyTrustList(after)).to.deep.include({ ok: true });
    const signer = parseTrustList(after).header.serialNumber!;
    expect(signer.equals(pki.certificate('ITLRecovery').certificate.serialNumber)).to.equal(true);
    expect(signer.equals(before)).to.equal(false);
  });
});
