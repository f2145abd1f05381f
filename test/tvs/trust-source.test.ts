// What TVS vouches for in a cluster, and with which roles (docs/decisions.md "TVS"): exact leaf, roles by trust store
// for uploaded certificates, by purpose for the cluster's own certificates and their copies.
import { expect } from 'chai';
import type { ClusterPki } from '../../engine/pki/index.js';
import { Role } from '../../engine/trust/index.js';
import { ClusterTrustSource, MemoryTrustSource } from '../../engine/tvs/index.js';
import { cluster } from './support.js';

describe('TVS trust sources', () => {
  let pki: ClusterPki;
  let other: ClusterPki;

  before(async () => {
    [pki, other] = await Promise.all([cluster('cucm-pub'), cluster('elsewhere')]);
  });

  it("vouches for the cluster's own certificates by purpose, copies included, and not for the manufacturing CAs", () => {
    const src = new ClusterTrustSource(pki);
    const roles = (p: Parameters<ClusterPki['certificate']>[0]) => src.lookup(pki.certificate(p).der)?.roles;
    expect(roles('CallManager')).to.deep.equal([Role['CCM+TFTP']]);
    expect(roles('CallManager-ECDSA')).to.deep.equal([Role['CCM+TFTP']]);
    expect(roles('tomcat')).to.deep.equal([Role['APP-SERVER']]);
    expect(roles('tomcat-ECDSA')).to.deep.equal([Role['APP-SERVER']]);
    expect(roles('TVS')).to.deep.equal([Role.TVS]);
    expect(roles('ITLRecovery')).to.deep.equal([Role.SAST]);
    // CAPF sits in CallManager-trust and CAPF-trust as a copy: CAPF only, never CCM+TFTP.
    expect(roles('CAPF')).to.deep.equal([Role.CAPF]);
    expect(src.lookup(pki.certificate('CAPF').der)!.sources).to.have.length(3);
    expect(roles('ipsec')).to.equal(undefined);
    expect(src.lookup(pki.manufacturingCa().root.der)).to.equal(undefined);
    expect(src.lookup(pki.manufacturingCa().issuing.der)).to.equal(undefined);
    expect(src.entries().map((e) => e.roles.length)).to.not.include(0);
  });

  it('answers uploaded certificates with their store roles, and storeRoles/ownCertificates change that', async () => {
    const fresh = await cluster('cucm-pub');
    const app = other.certificate('tomcat');
    await fresh.importTrustCertificate('tomcat-trust', app.pem);
    await fresh.importTrustCertificate('TVS-trust', other.certificate('TVS').pem);
    await fresh.importTrustCertificate('IPSec-trust', other.certificate('ipsec').pem);
    const src = new ClusterTrustSource(fresh);
    expect(src.lookup(app.der)).to.deep.equal({ roles: [Role['APP-SERVER']], sources: ['tomcat-trust'] });
    expect(src.lookup(other.certificate('TVS').der)!.roles).to.deep.equal([Role.TVS]);
    expect(src.lookup(other.certificate('ipsec').der)).to.equal(undefined);
    const narrow = new ClusterTrustSource(fresh, { storeRoles: { 'tomcat-trust': [] }, ownCertificates: false });
    expect(narrow.lookup(app.der)).to.equal(undefined);
    expect(narrow.lookup(fresh.certificate('ITLRecovery').der)).to.equal(undefined);
    expect(narrow.lookup(fresh.certificate('CallManager').der)!.roles).to.deep.equal([Role['CCM+TFTP']]); // its trust copy
  });

  it('a memory source holds a fixed table, as a tvsctl database does', () => {
    const m = new MemoryTrustSource([{ certificate: other.certificate('CallManager').pem, roles: ['CCM', 'TFTP'] }]);
    expect(m.lookup(other.certificate('CallManager').der)!.roles).to.deep.equal(['CCM', 'TFTP']);
    expect(m.remove(other.certificate('CallManager').der)).to.equal(true);
    expect(m.lookup(other.certificate('CallManager').der)).to.equal(undefined);
    expect(() => m.add(other.certificate('TVS').pem, ['NOPE' as 'TVS'])).to.throw(RangeError, /unknown role/);
  });
});
