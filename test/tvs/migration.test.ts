// Scenario S13 (seed002.md 17; seed 004 L540-569, seed 001 L3333-3371): phones move from an old cluster to a new one.
// The phone holds the old ITL, downloads the new cluster's ITL, does not know its signer, and asks the old TVS (which it
// trusts through the old ITL's TVS record). Variant a: the new cluster's certificates were bulk-exported and imported
// into the old cluster → valid. Variant b: no import → invalid.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterPki } from '../../engine/pki/index.js';
import { buildClusterItl, parseItl, Role } from '../../engine/trust/index.js';
import {
  BulkFormatError,
  consolidateBulkCertificates,
  exportBulkCertificates,
  importBulkCertificates,
  itlServerCheck,
  parseBulkBundle,
  readBulkBundle,
  serializeBulkBundle,
  TvsClient,
  TvsServer,
  writeBulkBundle,
  type TvsVerdict,
} from '../../engine/tvs/index.js';
import { captureLogs, cluster, tempDir } from './support.js';

const DEVICE = 'CP-8845-SEP00AABBCCDDEE';

function itlOf(pki: ClusterPki) {
  const i = pki.trustListInputs();
  return parseItl(buildClusterItl({ itlRecovery: i.itlRecovery, callManager: i.callManager, callManagerEcdsa: i.callManagerEcdsa, tvs: i.tvs, capf: i.capf }).bytes);
}

/** The certificate of the SAST record that signed an ITL (header serial and issuer). */
function itlSigner(itl: ReturnType<typeof parseItl>): Buffer {
  const r = itl.records.find((x) => x.role === Role.SAST && x.serialNumber?.equals(itl.header.serialNumber!) && x.issuerName === itl.header.issuerName);
  expect(r?.certificate, 'signer record').to.exist;
  return r!.certificate!;
}

/** The phone's question: ask the TVS of its current (old) ITL about a certificate. */
async function askOldTvs(oldItl: ReturnType<typeof parseItl>, port: number, cert: Buffer): Promise<TvsVerdict> {
  return new TvsClient({ members: [{ host: '127.0.0.1', port, label: 'old-tvs' }], deviceName: DEVICE, verifyServer: itlServerCheck(oldItl.records) }).verify(cert);
}

describe('Bulk certificate migration and TVS (S13)', function () {
  let oldPki: ClusterPki;
  let newPki: ClusterPki;
  let oldItl: ReturnType<typeof parseItl>;
  let newItl: ReturnType<typeof parseItl>;

  before(async () => {
    [oldPki, newPki] = await Promise.all([cluster('cucm-old'), cluster('cucm-new')]);
    oldItl = itlOf(oldPki);
    newItl = itlOf(newPki);
  });

  it('exports TFTP and ITLRecovery by default, every node, and the bundle survives a file round trip', async () => {
    const bundle = exportBulkCertificates(newPki);
    expect(bundle.certificates.map((c) => [c.type, c.node])).to.deep.equal([
      ['TFTP', 'cucm-new'],
      ['ITLRecovery', 'cucm-new'],
    ]);
    expect(bundle.certificates[0]!.fingerprintSha256).to.equal(newPki.certificate('CallManager').certificate.fingerprintSha256);
    const file = join(tempDir('bulk'), 'cucm-new.json');
    await writeBulkBundle(file, bundle);
    expect(await readBulkBundle(file)).to.deep.equal(bundle);
    const all = exportBulkCertificates(newPki, { types: ['TFTP', 'ITL_Recovery', 'TVS', 'tomcat', 'CAPF'] });
    expect(all.certificates.map((c) => c.type)).to.deep.equal(['TFTP', 'ITLRecovery', 'TVS', 'tomcat', 'CAPF']);
    expect(() => exportBulkCertificates(newPki, { types: ['ipsec'] })).to.throw(RangeError, /unknown certificate type "ipsec"/);
  });

  it('variant a: after export → consolidate → import, the old TVS vouches for the new ITL signer and TFTP certificate', async () => {
    const old = await cluster('cucm-old');
    const generation = old.generation;
    const consolidated = consolidateBulkCertificates([exportBulkCertificates(newPki), exportBulkCertificates(await cluster('cucm-third'))]);
    expect(consolidated.clusters.map((c) => c.publisher)).to.deep.equal(['cucm-new', 'cucm-third']);
    const results = await importBulkCertificates(old, parseBulkBundle(serializeBulkBundle(consolidated)));
    expect(results.map((r) => [r.type, r.cluster, r.trustStore, r.action])).to.deep.equal([
      ['TFTP', 'cucm-new', 'CallManager-trust', 'added'],
      ['ITLRecovery', 'cucm-new', 'Phone-SAST-trust', 'added'],
      ['TFTP', 'cucm-third', 'CallManager-trust', 'added'],
      ['ITLRecovery', 'cucm-third', 'Phone-SAST-trust', 'added'],
    ]);
    expect(old.generation).to.be.greaterThan(generation);

    // Persisted: the old cluster's TVS, started from the state on disk, answers.
    const reopened = await ClusterPki.open(old.dir);
    const server = TvsServer.forCluster(reopened, { host: '127.0.0.1', port: 0 });
    await server.start();
    try {
      const signer = itlSigner(newItl);
      expect(signer.equals(newPki.certificate('ITLRecovery').der)).to.equal(true); // "ITLRecovery Certificate—This certificate signs the ITL File" (001 L2814)
      const v = await askOldTvs(oldItl, server.port, signer);
      expect(v.status, JSON.stringify(v)).to.equal('valid');
      if (v.status !== 'valid') return;
      expect(v.roleNames).to.deep.equal(['SAST']);
      expect(v.attempts[0]!.outcome).to.equal('answered');
      const tftp = await askOldTvs(oldItl, server.port, newPki.certificate('CallManager').der);
      expect(tftp.status === 'valid' && tftp.roleNames).to.deep.equal(['CCM+TFTP']);
      expect(server.journal.at(-2)!.sources).to.deep.equal(['Phone-SAST-trust']);
    } finally {
      await server.stop();
    }
  });

  it('variant b: without the import the old TVS answers invalid for the new ITL signer', async () => {
    const server = TvsServer.forCluster(await cluster('cucm-old'), { host: '127.0.0.1', port: 0 });
    await server.start();
    try {
      const v = await askOldTvs(oldItl, server.port, itlSigner(newItl));
      expect(v.status).to.equal('invalid');
      expect((await askOldTvs(oldItl, server.port, newPki.certificate('CallManager').der)).status).to.equal('invalid');
      expect(server.journal.map((e) => e.outcome)).to.deep.equal(['invalid', 'invalid']);
    } finally {
      await server.stop();
    }
  });

  it("the new cluster's TVS is no help to a phone that still holds the old ITL (its TVS certificate is not listed)", async () => {
    const server = TvsServer.forCluster(newPki, { host: '127.0.0.1', port: 0 });
    await server.start();
    try {
      const { result } = await captureLogs(() => askOldTvs(oldItl, server.port, itlSigner(newItl)));
      expect(result.status).to.equal('unreachable');
      expect(result.attempts[0]!.outcome).to.equal('untrusted-server');
      expect(server.journal).to.have.length(0);
    } finally {
      await server.stop();
    }
  });

  it("skips the importing cluster's own certificates and reports refusals per certificate", async () => {
    const old = await cluster('cucm-old');
    const own = await importBulkCertificates(old, exportBulkCertificates(old));
    expect(own.map((r) => r.action)).to.deep.equal(['own', 'own']);
    // Same host name, older certificate: CUCM keeps one certificate per entity and refuses the older one (001 L1287-1293).
    const twin = await cluster('cucm-old');
    await twin.regenerate('CallManager');
    const newer = exportBulkCertificates(twin, { types: ['TFTP'] });
    const older = exportBulkCertificates(old, { types: ['TFTP'] });
    const otherOld = await cluster('cucm-new');
    expect((await importBulkCertificates(otherOld, newer))[0]!.action).to.equal('added');
    const refused = await importBulkCertificates(otherOld, older);
    expect(refused[0]!.action).to.equal('refused');
    expect(refused[0]!.reason).to.match(/same common name/);
  });

  it('refuses a tampered or malformed bundle with the path of the problem', async () => {
    const text = serializeBulkBundle(exportBulkCertificates(newPki));
    const tampered = JSON.parse(text);
    tampered.certificates[1].fingerprintSha256 = tampered.certificates[0].fingerprintSha256;
    expect(() => parseBulkBundle(JSON.stringify(tampered))).to.throw(BulkFormatError, /certificates\[1\]\.fingerprintSha256: .* is not the SHA-256/);
    const badPem = JSON.parse(text);
    badPem.certificates[0].pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(() => parseBulkBundle(JSON.stringify(badPem))).to.throw(BulkFormatError, /certificates\[0\]\.pem/);
    expect(() => parseBulkBundle('{"format":"other"}')).to.throw(BulkFormatError, /format: expected "trustline-bulk-certificates"/);
    expect(() => parseBulkBundle('not json')).to.throw(BulkFormatError, /not JSON/);
    const wrongType = JSON.parse(text);
    wrongType.certificates[0].type = 'ipsec';
    expect(() => parseBulkBundle(JSON.stringify(wrongType))).to.throw(BulkFormatError, /certificates\[0\]\.type/);
    const file = join(tempDir('bulk'), 'big.json');
    writeFileSync(file, ' '.repeat(4 * 1024 * 1024 + 1));
    await readBulkBundle(file).then(
      () => expect.fail('accepted'),
      (e) => expect(e).to.be.instanceOf(BulkFormatError),
    );
    expect(readFileSync(file).length).to.be.greaterThan(0);
  });
});
