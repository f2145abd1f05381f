// Two embedded clusters in one process (127.0.0.1 and 127.0.0.2, ephemeral ports): each serves its own trust files;
// a phone moves from the old cluster to the new one; the migration of seed002 S13 through Bulk Certificate Export /
// Import, the phone asking the old cluster's TVS (from its old ITL) about the new ITL's signer.
import { expect } from 'chai';
import type { EmbeddedCluster } from '../../engine/cluster/index.js';
import { parseItl, Role, verifyTrustList } from '../../engine/trust/index.js';
import { itlServerCheck, tvsMembersFromConfig, verifyWithTvs } from '../../engine/tvs/index.js';
import { parseCnfXml } from '../../engine/tftp/index.js';
import { ALICE, freshCluster, httpGet, usConfig, euConfig } from './support.js';

describe('cluster: two clusters at once, migration with Bulk Certificate Export/Import (S13)', function () {
  this.timeout(60_000);
  let us: EmbeddedCluster;
  let eu: EmbeddedCluster;

  before(async () => {
    const onLoopback2 = euConfig();
    onLoopback2.network = { ...onLoopback2.network, bind: '127.0.0.2' };
    [us, eu] = await Promise.all([freshCluster('us', usConfig()), freshCluster('eu', onLoopback2)]);
    await Promise.all([us.start(), eu.start()]);
  });

  after(async () => {
    await Promise.all([us?.close(), eu?.close()]);
  });

  it('each cluster serves its own ITL on its own address', async () => {
    const a = await httpGet(us.endpoints().http!.port, 'ITLFile.tlv', '127.0.0.1');
    const b = await httpGet(eu.endpoints().http!.port, 'ITLFile.tlv', '127.0.0.2');
    expect(eu.endpoints().advertise).to.equal('127.0.0.2');
    expect(verifyTrustList(a.body).ok && verifyTrustList(b.body).ok).to.equal(true);
    const signerOf = (bytes: Buffer) => parseItl(bytes).records[verifyTrustList(bytes).signerRecord! - 1]!.certificate!;
    expect(signerOf(a.body).equals(us.pki.certificate('ITLRecovery').der)).to.equal(true);
    expect(signerOf(b.body).equals(eu.pki.certificate('ITLRecovery').der)).to.equal(true);
  });

  it("the old cluster's TVS vouches for the new ITL signer only after the new cluster's certificates are imported", async () => {
    // The phone's view: the old ITL (its TVS records authenticate the TVS server) and the old configuration's TVS list.
    const oldItl = parseItl((await httpGet(us.endpoints().http!.port, 'ITLFile.tlv')).body);
    const oldConfig = parseCnfXml((await httpGet(us.endpoints().http!.port, `SEP${ALICE}.cnf.xml`)).body);
    const ask = (der: Buffer) =>
      verifyWithTvs({ members: tvsMembersFromConfig(oldConfig.tvs), deviceName: `CP-8865-SEP${ALICE}`, certificate: der, verifyServer: itlServerCheck(oldItl.records) });
    const newSigner = eu.pki.certificate('ITLRecovery').der;
    const before = await ask(newSigner);
    expect(before.status, 'variant b: no import').to.equal('invalid');

    const bundle = eu.bulkExport();
    expect(bundle.certificates.map((c) => c.type)).to.have.members(['TFTP', 'ITLRecovery']);
    const results = await us.bulkImport(bundle);
    expect(results.map((r) => r.action)).to.deep.equal(['added', 'added']);
    const after = await ask(newSigner);
    expect(after.status, 'variant a').to.equal('valid');
    expect(after.status === 'valid' && after.roles).to.deep.equal([Role.SAST]);
    const cm = await ask(eu.pki.certificate('CallManager').der);
    expect(cm.status === 'valid' && cm.roles).to.deep.equal([Role['CCM+TFTP']]);
    expect(us.events({ kind: 'operation' }).some((e) => e.operation === 'bulk-import')).to.equal(true);
  });

  it('a phone moves: removed from the old cluster, added to the new one, which then serves its configuration', async () => {
    const d = us.device('alice')!;
    await us.removeDevice('alice');
    await eu.addDevice('alice', { mac: d.mac, model: d.model!, line: 1001 });
    expect((await httpGet(us.endpoints().http!.port, `SEP${ALICE}.cnf.xml`)).status).to.equal(404);
    const cfg = parseCnfXml((await httpGet(eu.endpoints().http!.port, `SEP${ALICE}.cnf.xml`, '127.0.0.2')).body);
    expect(cfg.callManagers[0]).to.include({ processNodeName: '127.0.0.2', sipPort: eu.endpoints().sip.tcp!.port });
    expect(cfg.tvs).to.deep.equal([{ priority: 0, address: '127.0.0.2', port: eu.endpoints().tvs!.port }]);
  });

  it('variant c: Prepare Cluster for Rollback on the old cluster gives phones an ITL with no TVS or TFTP certificate', async () => {
    await us.prepareRollback(true);
    const itl = parseItl((await httpGet(us.endpoints().http!.port, 'ITLFile.tlv')).body);
    expect(itl.records.filter((r) => r.certificate && r.roleName !== 'SAST')).to.deep.equal([]);
  });
});
