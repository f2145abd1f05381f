import { expect } from 'chai';
import { createHash } from 'node:crypto';
import {
  buildClusterCtl,
  buildClusterItl,
  buildCtl,
  buildItl,
  buildRollbackItl,
  ctlFileNameFor,
  itlFileNameFor,
  parseCertificate,
  parseTrustList,
  Role,
  TrustInputError,
  verifyTrustList,
  type RecordInput,
} from '../../engine/trust/index.js';
import { makeIdentity, quietLogs, signerOf, T0, testCluster } from './fixtures.js';

describe('trust lists (ITL/CTL): build, parse, verify', () => {
  quietLogs();
  const c = testCluster();

  for (const version of ['1.0', '1.1'] as const) {
    for (const digest of ['sha1', 'sha512'] as const) {
      it(`round-trips an ITL with RSA and EC records, signer version ${version}, ${digest}`, () => {
        const records: RecordInput[] = [
          { role: 'SAST', certDer: c.itlRecovery.certDer },
          { role: 'CCM+TFTP', certDer: c.callManager.certDer },
          { role: 'TVS', certDer: c.tvs.certDer },
          { role: 'CCM+TFTP', certDer: c.callManagerEcdsa.certDer },
        ];
        const built = buildItl({ signer: signerOf(c.itlRecovery), records, version, digest, timestamp: T0 });
        const p = parseTrustList(built.bytes);
        expect(p.kind).to.equal('itl');
        expect(p.header.version).to.deep.equal({ major: 1, minor: 2 });
        expect(p.header.signerVersion).to.deep.equal({ major: 1, minor: version === '1.0' ? 0 : 1 });
        expect(p.header.digest).to.equal(digest);
        expect(p.header.filename).to.equal('ITLFile.tlv');
        expect(p.header.timestamp).to.equal(Math.floor(T0.getTime() / 1000));
        expect(p.header.headerLength % 4).to.equal(0);
        expect(p.header.signature.length).to.equal(128);
        expect(p.header.modulusIndex).to.equal(1);
        expect(p.header.signerName).to.equal('CN=ITLRECOVERY_cucm-pub;OU=TAC;O=Cisco;L=Krakow;ST=Malopolska;C=PL');
        expect(p.header.serialNumber!.equals(c.itlRecovery.serial)).to.equal(true);
        expect(p.records.map((r) => r.roleName)).to.deep.equal(['SAST', 'CCM+TFTP', 'TVS', 'CCM+TFTP']);
        expect(p.records.map((r) => r.certificate!.equals(records[p.records.indexOf(r)]!.certDer!))).to.deep.equal([true, true, true, true]);
        const ec = p.records[3]!;
        expect(ec.publicKey!.length).to.equal(65);
        expect(ec.publicKey![0]).to.equal(4);
        const rsa = p.records[1]!;
        expect(rsa.publicKey!.equals(c.callManager.publicKey.export({ format: 'der', type: 'pkcs1' }))).to.equal(true);
        expect(rsa.signature!.equals(parseCertificate(c.callManager.certDer).signatureValue)).to.equal(true);
        const v = verifyTrustList(p);
        expect(v).to.include({ ok: true, signerRecord: 1, digest });
        if (version === '1.0') expect(built.warnings.join()).to.match(/EC certificates in a signer-version 1.0 file/);
        else expect(built.warnings).to.deep.equal([]);
      });
    }
  }

  it('writes no signer-version tag when told (as the CUCM 10.5 CTL in TAC dumps)', () => {
    const built = buildItl({ signer: signerOf(c.itlRecovery), records: [{ role: 'SAST', certDer: c.itlRecovery.certDer }], signerVersionTag: false, timestamp: T0 });
    const p = parseTrustList(built.bytes);
    expect(p.header.signerVersion).to.equal(undefined);
    expect(verifyTrustList(p).ok).to.equal(true);
  });

  it('builds the ITL as CUCM does: ITLRecovery signer, CallManager twice, TVS, CAPF, CallManager-ECDSA, signer version 1.1', () => {
    const built = buildClusterItl({
      itlRecovery: signerOf(c.itlRecovery),
      callManager: c.callManager,
      callManagerEcdsa: c.callManagerEcdsa,
      tvs: [c.tvs],
      capf: [c.capf],
      timestamp: T0,
    });
    const p = parseTrustList(built.bytes);
    expect(p.records.map((r) => r.roleName)).to.deep.equal(['SAST', 'CCM+TFTP', 'SAST', 'TVS', 'CAPF', 'CCM+TFTP']);
    expect(p.records[0]!.certificate!.equals(c.itlRecovery.certDer)).to.equal(true);
    expect(p.records[1]!.certificate!.equals(c.callManager.certDer)).to.equal(true);
    expect(p.records[2]!.certificate!.equals(c.callManager.certDer)).to.equal(true);
    expect(p.records[5]!.certificate!.equals(c.callManagerEcdsa.certDer)).to.equal(true);
    expect(p.header.signerVersion).to.deep.equal({ major: 1, minor: 1 });
    expect(verifyTrustList(p)).to.include({ ok: true, signerRecord: 1 });
  });

  it('builds the `utils itl reset localkey` ITL: same records, signed by the CallManager key, verified by its SAST record', () => {
    const built = buildClusterItl({ itlRecovery: c.itlRecovery, callManager: c.callManager, tvs: [c.tvs], capf: [c.capf], signWith: 'callManager', timestamp: T0 });
    const p = parseTrustList(built.bytes);
    expect(p.header.serialNumber!.equals(c.callManager.serial)).to.equal(true);
    expect(p.header.signerName).to.equal('CN=cucm-pub;OU=TAC;O=Cisco;L=Krakow;ST=Malopolska;C=PL');
    expect(verifyTrustList(p)).to.include({ ok: true, signerRecord: 3 });
    expect(p.header.signerVersion).to.deep.equal({ major: 1, minor: 0 });
  });

  it('needs the private key of the chosen signer', () => {
    expect(() => buildClusterItl({ itlRecovery: { certDer: c.itlRecovery.certDer }, callManager: c.callManager })).to.throw(TrustInputError, /itlRecovery.privateKey/);
  });

  it('builds the rollback (pre-8.0) ITL: signed, signer SAST record, empty TFTP and TVS entries', () => {
    const built = buildRollbackItl({ signer: signerOf(c.itlRecovery), timestamp: T0 });
    const p = parseTrustList(built.bytes);
    expect(p.records.map((r) => r.roleName)).to.deep.equal(['SAST', 'CCM+TFTP', 'TVS']);
    for (const r of p.records.slice(1)) {
      expect(r.certificate).to.equal(undefined);
      expect(r.subjectName).to.equal('');
      expect(r.issuerName).to.equal('');
      expect(r.elements.map((e) => e.tag)).to.deep.equal([1, 3, 4, 5]);
    }
    expect(verifyTrustList(p).ok).to.equal(true);
  });

  it('builds the tokenless mixed-mode CTL: two SAST records (ITLRecovery signer, CallManager), DNS names and IPs', () => {
    const built = buildClusterCtl({
      itlRecovery: signerOf(c.itlRecovery),
      callManager: { ...c.callManager, dnsName: 'cucm-pub', ipAddress: '10.48.47.200' },
      callManagerEcdsa: { certDer: c.callManagerEcdsa.certDer, dnsName: 'cucm-pub' },
      nodes: [{ callManager: { certDer: c.sub1.certDer, dnsName: 'cucm-sub1', ipAddress: '10.48.47.201' } }],
      capf: [{ certDer: c.capf.certDer, dnsName: 'cucm-pub' }],
      timestamp: T0,
    });
    const p = parseTrustList(built.bytes);
    expect(p.kind).to.equal('ctl');
    expect(p.header.filename).to.equal('CTLFile.tlv');
    expect(p.records.map((r) => r.roleName)).to.deep.equal(['SAST', 'SAST', 'CCM+TFTP', 'CCM+TFTP', 'CCM+TFTP', 'CAPF']);
    expect(p.records[1]!.dnsName).to.equal('cucm-pub');
    expect(Array.from(p.records[1]!.ipAddress!)).to.deep.equal([10, 48, 47, 200]);
    expect(p.records[4]!.dnsName).to.equal('cucm-sub1');
    expect(p.records[0]!.dnsName).to.equal(undefined);
    expect(p.records[1]!.elements.map((e) => e.tag)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(verifyTrustList(p)).to.include({ ok: true, signerRecord: 1 });
    expect(p.records.filter((r) => r.role === Role.TVS)).to.have.length(0);
  });

  it('builds the `utils ctl reset localkey` CTL, signed temporarily by the CallManager key', () => {
    const built = buildClusterCtl({ itlRecovery: { certDer: c.itlRecovery.certDer }, callManager: c.callManager, signWith: 'callManager', timestamp: T0 });
    expect(verifyTrustList(built.bytes)).to.include({ ok: true, signerRecord: 2 });
  });

  it('warns about TVS records in a CTL', () => {
    const built = buildCtl({ signer: signerOf(c.itlRecovery), records: [{ role: 'SAST', certDer: c.itlRecovery.certDer }, { role: 'TVS', certDer: c.tvs.certDer }] });
    expect(built.warnings.join()).to.match(/TVS record in a CTL/);
  });

  it('refuses more than 2 SAST records, and a verifier refuses such a file', () => {
    const three: RecordInput[] = [c.itlRecovery, c.callManager, c.tvs].map((i) => ({ role: 'SAST', certDer: i.certDer }));
    expect(() => buildItl({ signer: signerOf(c.itlRecovery), records: three })).to.throw(TrustInputError, /3 SAST records; a trust list may carry at most 2/);
    // The same file assembled without the builder's check (roles patched after building) fails verification.
    const built = buildItl({ signer: signerOf(c.itlRecovery), records: three.map((r, i) => (i === 2 ? { ...r, role: 'TVS' } : r)) });
    const p = parseTrustList(built.bytes);
    p.records[2]!.role = Role.SAST;
    expect(verifyTrustList(p)).to.deep.include({ ok: false, reason: '3 SAST records: phones accept at most 2' });
  });

  it('warns past 64 KB and past 39 certificates, as the Security Guide says phones then fail', () => {
    const small = buildItl({ signer: signerOf(c.itlRecovery), records: Array.from({ length: 39 }, (_, i) => ({ role: i ? 'TVS' : 'SAST', certDer: c.itlRecovery.certDer })) });
    expect(small.warnings).to.deep.equal([]);
    const forty = buildItl({ signer: signerOf(c.itlRecovery), records: Array.from({ length: 40 }, (_, i) => ({ role: i ? 'TVS' : 'SAST', certDer: c.itlRecovery.certDer })) });
    expect(forty.warnings.join('\n')).to.match(/40 certificates/);
    const big = buildItl({
      signer: signerOf(c.itlRecovery),
      records: Array.from({ length: 45 }, (_, i) => ({ role: i ? 'TVS' : 'SAST', certDer: c.itlRecovery.certDer, dnsName: 'x'.repeat(1000) })),
    });
    expect(big.bytes.length).to.be.greaterThan(65536);
    expect(big.warnings.join('\n')).to.match(/phones fail to load trust lists above 65536 bytes/);
    expect(parseTrustList(big.bytes).warnings.join('\n')).to.match(/64 KB/);
    expect(verifyTrustList(big.bytes).ok).to.equal(true);
  });

  it('warns when no SAST record carries the signer (phones could not verify it)', () => {
    const built = buildItl({ signer: signerOf(c.itlRecovery), records: [{ role: 'CCM+TFTP', certDer: c.callManager.certDer }] });
    expect(built.warnings.join()).to.match(/no SAST record carries the signer/);
    expect(verifyTrustList(built.bytes).reason).to.match(/no SAST record matches the signer/);
  });

  it('refuses an EC signer and a key that does not match the certificate', () => {
    expect(() => buildItl({ signer: signerOf(c.callManagerEcdsa), records: [] })).to.throw(TrustInputError, /RSA only/);
    expect(() => buildItl({ signer: { certDer: c.itlRecovery.certDer, privateKey: c.callManager.privateKey }, records: [] })).to.throw(TrustInputError, /does not match/);
  });

  it('signs with RSA-2048 and SHA-512 (golden test 5): 256-byte signature, modulus index 2, header length % 4 == 0', () => {
    const big = makeIdentity('itlrecovery-2048', [['CN', 'ITLRECOVERY_big']], { type: 'rsa', bits: 2048 });
    const built = buildItl({ signer: signerOf(big), records: [{ role: 'SAST', certDer: big.certDer }], digest: 'sha512' });
    const p = parseTrustList(built.bytes);
    expect(p.header.signature.length).to.equal(256);
    expect(p.header.modulusIndex).to.equal(2);
    expect(p.header.headerLength % 4).to.equal(0);
    expect(verifyTrustList(p).ok).to.equal(true);
  });

  it('uses the DN format asked for', () => {
    const built = buildItl({ signer: signerOf(c.itlRecovery), records: [{ role: 'SAST', certDer: c.itlRecovery.certDer }], dnFormat: 'der-order' });
    const p = parseTrustList(built.bytes);
    expect(p.header.signerName).to.equal('C=PL;ST=Malopolska;L=Krakow;O=Cisco;OU=TAC;CN=ITLRECOVERY_cucm-pub');
    expect(p.records[0]!.subjectName).to.equal(p.header.signerName);
    expect(verifyTrustList(p).ok).to.equal(true);
  });

  it('names per-phone copies ITLSEP<MAC>.tlv / CTLSEP<MAC>.tlv and keeps the header name', () => {
    expect(itlFileNameFor('00:11:22:aa:bb:cc')).to.equal('ITLSEP001122AABBCC.tlv');
    expect(ctlFileNameFor('SEP001122AABBCC')).to.equal('CTLSEP001122AABBCC.tlv');
    expect(() => itlFileNameFor('nope')).to.throw(TrustInputError);
  });

  it('is deterministic for fixed inputs (same bytes, same SHA-1 as CUCM would print)', () => {
    const a = buildClusterItl({ itlRecovery: c.itlRecovery, callManager: c.callManager, timestamp: T0 }).bytes;
    const b = buildClusterItl({ itlRecovery: c.itlRecovery, callManager: c.callManager, timestamp: T0 }).bytes;
    expect(createHash('sha1').update(a).digest('hex')).to.equal(createHash('sha1').update(b).digest('hex'));
  });
});
