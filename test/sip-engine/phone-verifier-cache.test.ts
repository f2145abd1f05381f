// phoneVerifierFromPki remembers chains it found trusted (by the certificates' fingerprints) so that a phone's next
// handshake costs no parsing: a cached verdict gives the same answer as a fresh verification, and stops holding when
// the trust store changes (the pki's generation moves), when the clock leaves the validity of the path, or when the
// cache is full (least recently used first).
import { expect } from 'chai';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import type { ClusterPki } from '../../engine/pki/cluster-pki.js';
import { phoneVerifierFromPki } from '../../engine/sip/registrar/phone-certificates.js';
import { freshCluster } from '../pki/support.js';

/** The pki, with a count of the chain verifications that reach it. */
function counting(pki: ClusterPki) {
  const c = { calls: 0 };
  const view = {
    get generation() {
      return pki.generation;
    },
    verifyCertificateChain(...args: Parameters<ClusterPki['verifyCertificateChain']>) {
      c.calls++;
      return pki.verifyCertificateChain(...args);
    },
  };
  return { view, c };
}

async function lscChain(pki: ClusterPki, deviceName: string) {
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const lsc = await pki.issueLsc({ deviceName, publicKey: key.publicKey });
  return { leaf: new X509Certificate(lsc.pem), intermediates: lsc.chainPems.map((p) => new X509Certificate(p)), lsc };
}

describe('phone certificate verifier cache', function () {
  this.timeout(60_000);

  it('verifies a chain once; later handshakes get the same verdict from the cache', async () => {
    const pki = await freshCluster();
    const { view, c } = counting(pki);
    const verify = phoneVerifierFromPki(view);
    const chain = await lscChain(pki, 'SEP001122334455');
    const first = verify(chain);
    expect(first.ok).to.equal(true);
    expect(first.ok && first.identity).to.deep.include({ kind: 'phone', deviceName: 'SEP001122334455', form: 'LSC' });
    for (let i = 0; i < 5; i++) expect(verify(chain)).to.deep.equal(first);
    expect(c.calls).to.equal(1);
    // Same leaf, different chain sent: another entry.
    expect(verify({ leaf: chain.leaf, intermediates: [] }).ok).to.equal(true);
    expect(c.calls).to.equal(2);
    // Another phone's chain is verified on its own.
    const other = await lscChain(pki, 'SEP0011223344AA');
    expect(verify(other).ok).to.equal(true);
    expect(c.calls).to.equal(3);
  });

  it('a trust store change invalidates cached verdicts: deleting the issuer refuses at the next handshake', async () => {
    const pki = await freshCluster();
    const { view, c } = counting(pki);
    const verify = phoneVerifierFromPki(view);
    const chain = await lscChain(pki, 'SEP001122334455');
    expect(verify(chain).ok).to.equal(true);
    const issuer = chain.lsc.issuer;
    const entry = pki.trustStore('CallManager-trust').find((t) => t.certificate.fingerprintSha256 === issuer.fingerprintSha256);
    expect(entry, 'CAPF is in CallManager-trust').to.not.equal(undefined);
    await pki.deleteTrustCertificate('CallManager-trust', issuer.fingerprintSha256);
    const after = verify(chain);
    expect(after.ok).to.equal(false);
    expect(!after.ok && after.reason).to.match(/untrusted LSC of SEP001122334455/);
    expect(c.calls).to.equal(2);
    await pki.importTrustCertificate('CallManager-trust', issuer.pem);
    expect(verify(chain).ok).to.equal(true);
  });

  it('a regeneration (a pki event, a new generation) sends the next handshake to a fresh verification', async () => {
    const pki = await freshCluster();
    const { view, c } = counting(pki);
    const verify = phoneVerifierFromPki(view);
    const chain = await lscChain(pki, 'SEP001122334455');
    expect(verify(chain).ok).to.equal(true);
    const generation = pki.generation;
    await pki.regenerate('CAPF');
    expect(pki.generation).to.not.equal(generation);
    const fresh = pki.verifyCertificateChain('CallManager-trust', [chain.leaf.toString(), ...chain.intermediates.map((x) => x.toString())], { purpose: 'clientAuth' });
    // The old CAPF certificate stays in CallManager-trust until it is deleted, so the LSC is still trusted: the
    // verifier answers what a fresh verification answers, after asking the pki again.
    expect(verify(chain).ok).to.equal(fresh.trusted);
    expect(c.calls).to.equal(2);
    expect(verify(chain).ok).to.equal(fresh.trusted);
    expect(c.calls).to.equal(2);
  });

  it('re-checks validity dates on a hit: a cached chain is refused once the clock leaves its validity', async () => {
    const pki = await freshCluster();
    let now = new Date();
    const { view, c } = counting(pki);
    const verify = phoneVerifierFromPki(view, 'CallManager-trust', { now: () => now });
    const chain = await lscChain(pki, 'SEP001122334455');
    expect(verify(chain).ok).to.equal(true);
    now = new Date(chain.lsc.certificate.notAfter.getTime() + 1000);
    const late = verify(chain);
    expect(late.ok).to.equal(false);
    expect(!late.ok && late.reason).to.match(/not valid at/);
    now = new Date(chain.lsc.certificate.notBefore.getTime() - 1000);
    expect(verify(chain).ok).to.equal(false);
    now = new Date();
    expect(verify(chain).ok).to.equal(true);
    expect(c.calls).to.equal(4);
  });

  it('is bounded: beyond maxEntries the least recently used chain is verified again', async () => {
    const pki = await freshCluster();
    const { view, c } = counting(pki);
    const verify = phoneVerifierFromPki(view, 'CallManager-trust', { maxEntries: 2 });
    const [a, b, d] = [await lscChain(pki, 'SEP00000000000A'), await lscChain(pki, 'SEP00000000000B'), await lscChain(pki, 'SEP00000000000D')];
    // Issuing LSCs moved the generation: verify after the last one.
    for (const x of [a, b, a, d]) expect(verify(x).ok).to.equal(true);
    expect(c.calls).to.equal(3); // a, b, (a hit), d evicts b
    expect(verify(a).ok).to.equal(true);
    expect(c.calls).to.equal(3);
    expect(verify(b).ok).to.equal(true);
    expect(c.calls).to.equal(4);
  });

  it('refuses chains nobody trusts every time, without caching them', async () => {
    const pki = await freshCluster();
    const { view, c } = counting(pki);
    const verify = phoneVerifierFromPki(view);
    const mic = await pki.issueManufacturingCertificate('SEP001122334466', 'EC');
    const micChain = { leaf: new X509Certificate(mic.certificate.pem), intermediates: mic.chainPems.map((p) => new X509Certificate(p)) };
    expect(verify(micChain).ok, 'MICs chain to the manufacturing CA in CallManager-trust').to.equal(true);
    const stranger = await freshCluster('other-cluster');
    const foreign = await lscChain(stranger, 'SEP001122334477');
    for (let i = 0; i < 2; i++) expect(verify(foreign).ok).to.equal(false);
    expect(c.calls).to.equal(3);
  });
});
