// Trust stores: upload (PEM, DER, chains) with CUCM's checks, the one-certificate-per-entity rule, delete, and the
// exact-leaf lookup TVS uses.
import { expect } from 'chai';
import { createPublicKey, randomBytes } from 'node:crypto';
import { buildName, signCertificate, type CertificateInfo } from '../../engine/pki/certificates.js';
import { PkiError, PkiRuleError } from '../../engine/pki/errors.js';
import { generateKey, type KeyPair } from '../../engine/pki/keys.js';
import { FAST, freshCluster } from './support.js';

const DAY = 86_400_000;

async function rejects(p: Promise<unknown>, code: string): Promise<PkiError> {
  try {
    await p;
  } catch (err) {
    expect(err, (err as Error).message).to.be.instanceOf(PkiError);
    expect((err as PkiError).code, (err as Error).message).to.equal(code);
    return err as PkiError;
  }
  expect.fail(`expected ${code}`);
}

let caKeys: KeyPair;
function make(cn: string, opts: { from?: number; to?: number; ca?: boolean; key?: KeyPair; subjectKey?: ReturnType<typeof createPublicKey> } = {}): CertificateInfo {
  const key = opts.key ?? caKeys;
  return signCertificate({
    subject: buildName({ commonName: cn, organization: 'Peer' }),
    subjectPublicKey: opts.subjectKey ?? key.publicKey,
    signingKey: key.privateKey,
    hash: 'SHA256',
    notBefore: new Date(Date.now() + (opts.from ?? -DAY)),
    notAfter: new Date(Date.now() + (opts.to ?? 365 * DAY)),
    extensions: opts.ca ? { basicConstraints: { ca: true, critical: true }, keyUsage: ['keyCertSign', 'cRLSign'] } : { keyUsage: ['digitalSignature', 'keyEncipherment'], extendedKeyUsage: ['serverAuth', 'clientAuth'] },
  });
}

function der(tag: number, body: Buffer): Buffer {
  const len = body.length < 128 ? Buffer.from([body.length]) : body.length < 256 ? Buffer.from([0x81, body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

/** An RSA public key of `bits` bits (random odd modulus: its size is what CUCM checks, not its factors). */
function bigRsaPublicKey(bits: number): ReturnType<typeof createPublicKey> {
  const n = randomBytes(bits / 8);
  n[0]! |= 0x80;
  n[n.length - 1]! |= 1;
  const rsaKey = der(0x30, Buffer.concat([der(0x02, Buffer.concat([Buffer.from([0]), n])), der(0x02, Buffer.from([1, 0, 1]))]));
  const algId = Buffer.from('300d06092a864886f70d0101010500', 'hex');
  const spki = der(0x30, Buffer.concat([algId, der(0x03, Buffer.concat([Buffer.from([0]), rsaKey]))]));
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

describe('pki trust stores', function () {
  this.timeout(120_000);

  before(async () => {
    caKeys = await generateKey('EC', 256);
  });

  it('imports PEM and DER, reports a re-import as unchanged, and matches store names case-insensitively', async () => {
    const pki = await freshCluster();
    const a = make('peer-a.example.com');
    const b = make('peer-b.example.com');
    const [ra] = await pki.importTrustCertificate('CallManager-trust', a.pem, { description: 'SIP trunk peer' });
    expect(ra!.action).to.equal('added');
    expect(ra!.event!.type).to.equal('trust-certificate-added');
    expect(ra!.entry.description).to.equal('SIP trunk peer');
    const [rb] = await pki.importTrustCertificate('callmanager-trust', b.der);
    expect(rb!.action).to.equal('added');
    const [again] = await pki.importTrustCertificate('CallManager-trust', a.der);
    expect(again!.action).to.equal('unchanged');
    expect(pki.isTrusted('CallManager-trust', a)).to.equal(true);
    expect(pki.isTrusted('CallManager-trust', b.pem)).to.equal(true);
    expect(pki.trustedPems('CallManager-trust')).to.include(a.pem);
  });

  it('imports every certificate of a chain file', async () => {
    const pki = await freshCluster();
    const results = await pki.importTrustCertificate('tomcat-trust', make('Root A', { ca: true }).pem + make('Root B', { ca: true }).pem);
    expect(results.map((r) => r.action)).to.deep.equal(['added', 'added']);
  });

  it('keeps one certificate per entity: a later validity start replaces, an earlier one is refused (001 L1287-1293)', async () => {
    const pki = await freshCluster();
    const current = make('ca.example.com', { from: -2 * DAY, ca: true });
    const older = make('ca.example.com', { from: -5 * DAY, ca: true });
    const newer = make('ca.example.com', { from: -1 * DAY, ca: true });
    await pki.importTrustCertificate('tomcat-trust', current.pem);
    const e = await rejects(pki.importTrustCertificate('tomcat-trust', older.pem), 'E_TRUST_SAME_ENTITY');
    expect(e.message).to.contain('Only one certificate that belongs to any entity is supported in a particular trust folder, irrespective of the signature algorithm.');
    const [r] = await pki.importTrustCertificate('tomcat-trust', newer.pem);
    expect(r!.action).to.equal('replaced');
    expect(r!.event!.type).to.equal('trust-certificate-replaced');
    expect(pki.isTrusted('tomcat-trust', newer)).to.equal(true);
    expect(pki.isTrusted('tomcat-trust', current)).to.equal(false);
  });

  it('refuses a key larger than 4096 bits with CUCM wording (001 L1281)', async () => {
    const pki = await freshCluster();
    const e = await rejects(pki.importTrustCertificate('CallManager-trust', make('huge.example.com', { subjectKey: bigRsaPublicKey(4104) }).pem), 'E_TRUST_SIZE');
    expect(e.message).to.contain('The maximum supported size of certificate for DER or PEM is 4096 bits.');
  });

  it('refuses expired and not-yet-valid certificates', async () => {
    const pki = await freshCluster();
    await rejects(pki.importTrustCertificate('tomcat-trust', make('old.example.com', { from: -10 * DAY, to: -DAY }).pem), 'E_TRUST_VALIDITY');
    await rejects(pki.importTrustCertificate('tomcat-trust', make('future.example.com', { from: DAY, to: 10 * DAY }).pem), 'E_TRUST_VALIDITY');
  });

  it("refuses a CA certificate with 'CAPF-' in its common name, but takes another cluster's CAPF certificate (001 L4919, L3888)", async () => {
    const pki = await freshCluster();
    const e = await rejects(pki.importTrustCertificate('CAPF-trust', make('CAPF-Issuing CA', { ca: true }).pem), 'E_TRUST_CAPF_NAME');
    expect(e.message).to.contain("The 'CAPF-' common name is reserved for CAPF certificates.");
    const other = await freshCluster('two-nodes', { subscribers: ['cucm-sub1'], parameters: FAST });
    const [r] = await pki.importTrustCertificate('CAPF-trust', other.certificate('CAPF').pem);
    expect(r!.action).to.equal('added');
    expect(r!.event!.warnings.join()).to.contain('not replicated across the cluster');
    const [sast] = await pki.importTrustCertificate('Phone-SAST-trust', other.certificate('ITLRecovery').pem);
    expect(sast!.action).to.equal('added');
  });

  it('deletes by fingerprint prefix or common name, warns that it is cluster-wide, and names what it cannot find', async () => {
    const pki = await freshCluster();
    const a = make('del-a.example.com');
    const b = make('del-b.example.com');
    await pki.importTrustCertificate('CallManager-trust', a.pem + b.pem);
    const ev = await pki.deleteTrustCertificate('CallManager-trust', a.fingerprintSha256.slice(0, 12).replace(/(..)/g, '$1:').slice(0, -1).toUpperCase());
    expect(ev.type).to.equal('trust-certificate-deleted');
    expect(ev.warnings.join()).to.contain('the certificate is deleted across all servers in the cluster');
    await pki.deleteTrustCertificate('CallManager-trust', 'del-b.example.com');
    expect(pki.isTrusted('CallManager-trust', a)).to.equal(false);
    expect(pki.isTrusted('CallManager-trust', b)).to.equal(false);
    const e = await rejects(pki.deleteTrustCertificate('CallManager-trust', 'nobody.example.com'), 'E_TRUST_NOT_FOUND');
    expect(e.message).to.contain('CallManager-trust holds no certificate');
    await rejects(pki.deleteTrustCertificate('No-Such-trust', 'x'), 'E_TRUST_STORE');
  });

  it("refuses to delete the cluster's own certificate that is not a trust entry (001 L4553)", async () => {
    const pki = await freshCluster();
    const e = await rejects(pki.deleteTrustCertificate('CallManager-trust', pki.certificate('TVS').certificate.fingerprintSha256), 'E_DELETE_OWN');
    expect(e).to.be.instanceOf(PkiRuleError);
    expect(e.message).to.contain('You cannot delete a self-signed certificate that is generated by your system.');
  });

  it('lets the copy of an own certificate be deleted, and regeneration puts a copy back', async () => {
    const pki = await freshCluster();
    const ev = await pki.deleteTrustCertificate('tomcat-trust', pki.certificate('tomcat').certificate.fingerprintSha256);
    expect(ev.warnings.join()).to.contain("own tomcat certificate");
    expect(pki.isTrusted('tomcat-trust', pki.certificate('tomcat').certificate)).to.equal(false);
    await pki.regenerate('tomcat');
    expect(pki.isTrusted('tomcat-trust', pki.certificate('tomcat').certificate)).to.equal(true);
  });

  it('answers TVS-style lookups by exact certificate only: a leaf issued by a trusted root is not itself trusted (001 L2431-2433)', async () => {
    const pki = await freshCluster();
    const root = make('Web Root', { ca: true });
    const serverKeys = await generateKey('EC', 256);
    const leaf = signCertificate({
      subject: buildName({ commonName: 'directory.example.com' }),
      subjectPublicKey: serverKeys.publicKey,
      issuer: buildName({ commonName: 'Web Root', organization: 'Peer' }),
      signingKey: caKeys.privateKey,
      hash: 'SHA256',
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + DAY),
      extensions: { extendedKeyUsage: ['serverAuth'] },
    });
    await pki.importTrustCertificate('tomcat-trust', root.pem);
    expect(pki.isTrusted('tomcat-trust', leaf)).to.equal(false);
    await pki.importTrustCertificate('tomcat-trust', leaf.pem);
    expect(pki.isTrusted('tomcat-trust', leaf.der)).to.equal(true);
  });

  it('names malformed input', async () => {
    const pki = await freshCluster();
    const e = await rejects(pki.importTrustCertificate('tomcat-trust', 'hello'), 'E_FORMAT');
    expect(e.message).to.contain('expected PEM');
    await rejects(pki.importTrustCertificate('tomcat-trust', Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])), 'E_FORMAT');
    await rejects(pki.importTrustCertificate('tomcat-trust', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), 'E_FORMAT');
  });
});
