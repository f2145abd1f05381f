import { expect } from 'chai';
import { encodeElement, readElement, readString, TlvError, TrustInputError } from '../../engine/trust/tlv-codec.js';
import { formatDn, parseCertificate, publicKeyFromRecord, recordPublicKey } from '../../engine/trust/certificate.js';
import { headerTagName } from '../../engine/trust/tags.js';
import { buildRollbackItl, describeTrustFile, detectKind, parseHeader, renderDescription, signFile } from '../../engine/trust/index.js';
import { der, quietLogs, signerOf, T0, testCluster } from './fixtures.js';

describe('TLV codec and certificate fields', () => {
  quietLogs();
  const c = testCluster();

  it('reads elements with bounds checks that name the element and offset', () => {
    const buf = Buffer.from([4, 0, 3, 0x61, 0x62, 0, 14, 0, 9, 0x41]);
    const el = readElement(buf, 0, buf.length, headerTagName, 'the header');
    expect(el).to.deep.equal({ tag: 4, offset: 0, valueOffset: 3, length: 3, end: 6 });
    expect(readString(buf, el, 'SIGNERNAME')).to.equal('ab');
    expect(() => readElement(buf, 6, buf.length, headerTagName, 'the header')).to.throw(TlvError, 'FILENAME at offset 6: length 9 runs past the end of the header (1 bytes left)');
    expect(() => readElement(buf, 8, buf.length, headerTagName, 'the header')).to.throw(TlvError, 'SIGNATUREALGOINFO at offset 8: truncated: the tag and length need 3 bytes but the header has 2 left');
    expect(() => readElement(Buffer.from([99, 0]), 0, 2, headerTagName, 'the header')).to.throw(TlvError, /^header tag 99 at offset 0: truncated/);
    const warnings: string[] = [];
    expect(readString(Buffer.from([4, 0, 2, 0x61, 0x62]), { tag: 4, offset: 0, valueOffset: 3, length: 2, end: 5 }, 'SIGNERNAME', (w) => warnings.push(w))).to.equal('ab');
    expect(warnings).to.deep.equal(['SIGNERNAME at offset 0: string is not NUL-terminated']);
  });

  it('refuses values that do not fit a 16-bit length', () => {
    expect(() => encodeElement(9, Buffer.alloc(65536), 'CERTIFICATE')).to.throw(TrustInputError, /CERTIFICATE: value of 65536 bytes/);
    expect(encodeElement(9, Buffer.alloc(65535), 'CERTIFICATE').length).to.equal(65538);
  });

  it('reads serial (magnitude, no sign byte), names, validity and key of a certificate', () => {
    const f = parseCertificate(c.itlRecovery.certDer);
    expect(c.itlRecovery.serial[0]! & 0x80).to.not.equal(0); // DER needed a 0x00 sign byte
    expect(f.serialNumber.equals(c.itlRecovery.serial)).to.equal(true);
    expect(formatDn(f.subject)).to.equal('CN=ITLRECOVERY_cucm-pub;OU=TAC;O=Cisco;L=Krakow;ST=Malopolska;C=PL');
    expect(f.notBefore!.toISOString()).to.equal('2020-01-01T00:00:00.000Z');
    expect(f.notAfter!.toISOString()).to.equal('2040-01-01T00:00:00.000Z');
    expect(f.key).to.deep.equal({ type: 'rsa', bits: 1024 });
    const phone = parseCertificate(c.phone.certDer);
    expect(formatDn(phone.issuer)).to.equal('CN=CAPF-e41e7d87;OU=TAC;O=Cisco;L=Krakow;ST=Malopolska;C=PL');
    expect(formatDn(phone.subject, (rdns) => rdns.map((r) => r[0]!.value).join('/'))).to.equal('Cisco/SEP001122334455');
    const ec = parseCertificate(c.callManagerEcdsa.certDer);
    expect(ec.key).to.deep.equal({ type: 'ec', curve: 'P-256', bits: 256 });
    const point = recordPublicKey(ec.publicKey!);
    expect(point.length).to.equal(65);
    expect(publicKeyFromRecord(point)!.export({ format: 'der', type: 'spki' }).equals(ec.spki)).to.equal(true);
    const pkcs1 = recordPublicKey(parseCertificate(c.tvs.certDer).publicKey!);
    expect(publicKeyFromRecord(pkcs1)!.asymmetricKeyDetails!.modulusLength).to.equal(1024);
    expect(publicKeyFromRecord(Buffer.from([1, 2, 3]))).to.equal(undefined);
  });

  it('joins multi-valued RDNs with + and can keep DER order', () => {
    const rdns = [[{ oid: '2.5.4.6', short: 'C', value: 'NZ' }], [{ oid: '2.5.4.3', short: 'CN', value: 'a' }, { oid: '2.5.4.11', short: 'OU', value: 'b' }]];
    expect(formatDn(rdns)).to.equal('CN=a+OU=b;C=NZ');
    expect(formatDn(rdns, 'der-order')).to.equal('C=NZ;CN=a+OU=b');
  });

  it('names the offset inside the enclosing file for a broken certificate', () => {
    const cut = c.callManager.certDer.subarray(0, 200);
    expect(() => parseCertificate(cut, 1000)).to.throw(TlvError, /^CERTIFICATE at offset 1000: Certificate: DER length \d+ runs past the end/);
    const trailing = Buffer.concat([c.callManager.certDer, Buffer.from([0])]);
    expect(() => parseCertificate(trailing, 10)).to.throw(TlvError, `CERTIFICATE at offset ${10 + c.callManager.certDer.length}: Certificate: 1 bytes after the certificate`);
    expect(() => parseCertificate(der(0x30, der(0x02, Buffer.from([1]))))).to.throw(TlvError, /needs tbsCertificate/);
  });

  it('describes the rollback ITL (records without certificates) and detects kinds by name, then by header', () => {
    const rollback = buildRollbackItl({ signer: signerOf(c.itlRecovery), timestamp: T0 }).bytes;
    const d = describeTrustFile(rollback);
    expect(d.kind).to.equal('itl');
    expect(d.records!.map((r) => [r.roleName, r.subject, r.certificate === undefined])).to.deep.equal([
      ['SAST', 'CN=ITLRECOVERY_cucm-pub;OU=TAC;O=Cisco;L=Krakow;ST=Malopolska;C=PL', false],
      ['CCM+TFTP', '', true],
      ['TVS', '', true],
    ]);
    expect(d.verification.status).to.equal('verified');
    expect(renderDescription(d)).to.contain('ITL Record #:3');
    const sgn = signFile('SEPDefault.cnf.xml', '<device/>', signerOf(c.callManager));
    expect(detectKind(sgn, parseHeader(sgn))).to.equal('sgn');
    expect(detectKind(rollback, parseHeader(rollback), '/tftp/CTLSEP001122334455.tlv')).to.equal('ctl');
    expect(detectKind(rollback, { ...parseHeader(rollback), filename: 'odd' })).to.equal('tlv');
  });
});
