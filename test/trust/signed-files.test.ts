import { expect } from 'chai';
import { createHash } from 'node:crypto';
import {
  buildClusterCtl,
  buildClusterItl,
  buildStubConfig,
  decryptConfig,
  encryptConfig,
  parseEncryptedConfig,
  parseSigned,
  parseTrustList,
  signFile,
  TlvError,
  TrustInputError,
  verifySigned,
} from '../../engine/trust/index.js';
import { quietLogs, signerOf, T0, testCluster } from './fixtures.js';

const CONFIG = `<?xml version="1.0" encoding="UTF-8"?>
<device xsi:type="axl:XIPPhone" ctiid="42">
  <fullConfig>true</fullConfig>
  <deviceProtocol>SIP</deviceProtocol>
  <!-- <capfAuthMode> in a comment must not count -->
  <ipAddressMode>0</ipAddressMode>
  <sipProfile><sipLines><line button="1"><authName>alice</authName><authPassword>s3cret &amp; more</authPassword></line></sipLines></sipProfile>
  <loadInformation>sip78xx.14-1-1-0001-125</loadInformation>
  <capfAuthMode>0</capfAuthMode>
  <capfList><capf><phonePort>3804</phonePort><processNodeName>cucm-pub</processNodeName></capf></capfList>
  <certHash/>
  <encrConfig>false</encrConfig>
</device>
`;

describe('.sgn signed files and .enc.sgn encrypted configs', () => {
  quietLogs();
  const c = testCluster();
  const tftp = signerOf(c.callManager);

  for (const digest of ['sha1', 'sha256', 'sha512'] as const) {
    it(`signs and verifies a .sgn with ${digest}, against the certificate and against the ITL's CCM+TFTP record`, () => {
      const file = signFile('SEP001122334455.cnf.xml', CONFIG, tftp, { digest, timestamp: T0 });
      const p = parseSigned(file);
      expect(p.header.version).to.deep.equal({ major: 1, minor: 0 });
      expect(p.header.signerVersion).to.equal(undefined);
      expect(p.header.filename).to.equal('SEP001122334455.cnf.xml.sgn');
      expect(p.header.digest).to.equal(digest);
      expect(p.header.headerLength % 4).to.equal(0);
      expect(p.content.toString('utf8')).to.equal(CONFIG);
      expect(verifySigned(p, c.callManager.certDer)).to.include({ ok: true, verifiedBy: 'the given certificate' });
      expect(verifySigned(file, c.callManager.publicKey).ok).to.equal(true);
      const itl = parseTrustList(buildClusterItl({ itlRecovery: c.itlRecovery, callManager: c.callManager, tvs: [c.tvs], timestamp: T0 }).bytes);
      expect(verifySigned(p, itl)).to.include({ ok: true, signerRecord: 2 });
      expect(verifySigned(p, itl).verifiedBy).to.match(/^ITL record 2 \(CCM\+TFTP\)/);
    });
  }

  it('does not accept a .sgn signed by a certificate that has no TFTP role in the trust list', () => {
    const file = signFile('RingList.xml', '<CiscoIPPhoneRingList/>', signerOf(c.tvs), { timestamp: T0 });
    const itl = parseTrustList(buildClusterItl({ itlRecovery: c.itlRecovery, callManager: c.callManager, tvs: [c.tvs], timestamp: T0 }).bytes);
    const v = verifySigned(file, itl);
    expect(v.ok).to.equal(false);
    expect(v.reason).to.match(/no TFTP or CCM\+TFTP record/);
    expect(verifySigned(file, c.callManager.certDer).reason).to.match(/is not the given certificate/);
    const ctl = parseTrustList(buildClusterCtl({ itlRecovery: c.itlRecovery, callManager: c.callManager, tftp: [{ certDer: c.tvs.certDer }], timestamp: T0 }).bytes);
    expect(verifySigned(file, ctl)).to.include({ ok: true, signerRecord: 4 });
  });

  it('signs binary content and keeps a given header filename', () => {
    const content = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    const file = signFile('g3-tones.xml', content, tftp, { filename: 'g3-tones.xml.sgn', digest: 'sha512' });
    const p = parseSigned(file);
    expect(p.content.equals(content)).to.equal(true);
    expect(verifySigned(p, c.callManager.certDer).ok).to.equal(true);
  });

  for (const digest of ['sha1', 'sha512'] as const) {
    it(`encrypts a config to the phone's RSA certificate and decrypts it with the phone key (${digest}), with the signed stub`, () => {
      const enc = encryptConfig(CONFIG, { phoneCertificate: c.phone.certDer }, tftp, { name: 'SEP001122334455.cnf.xml', digest, timestamp: T0 });
      expect(enc.encSgnName).to.equal('SEP001122334455.cnf.xml.enc.sgn');
      const p = parseEncryptedConfig(enc.encSgn);
      expect(p.header.version).to.deep.equal({ major: 2, minor: 0 });
      expect(p.header.filename).to.equal('SEP001122334455.cnf.xml.enc.sgn');
      expect(p.wrappedKey!.length).to.equal(128);
      expect(p.keySizeBits).to.equal(1024);
      expect(p.keyAlgorithm).to.equal(1);
      expect(p.paddingCount).to.equal(16 - (Buffer.byteLength(CONFIG) % 16));
      expect(p.contentHashAlgorithm).to.equal(digest);
      expect(p.contentHash!.equals(createHash(digest).update(CONFIG).digest())).to.equal(true);
      expect(p.ciphertext.includes(Buffer.from('s3cret'))).to.equal(false);
      expect(verifySigned(p, c.callManager.certDer).ok).to.equal(true);
      expect(decryptConfig(enc.encSgn, c.phone.privateKey).toString('utf8')).to.equal(CONFIG);

      expect(enc.certHash).to.equal(createHash('md5').update(c.phone.certDer).digest('hex'));
      expect(enc.stubSgnName).to.equal('SEP001122334455.cnf.xml.sgn');
      const stub = parseSigned(enc.stubSgn!);
      expect(verifySigned(stub, c.callManager.certDer).ok).to.equal(true);
      expect(stub.content.toString('utf8')).to.equal(enc.stubXml);
      expect(enc.stubXml).to.equal(
        [
          '<?xml version="1.0" encoding="UTF-8"?>',
          '<device xsi:type="axl:XIPPhone" ctiid="42">',
          '  <fullConfig>false</fullConfig>',
          '  <ipAddressMode>0</ipAddressMode>',
          '  <loadInformation>sip78xx.14-1-1-0001-125</loadInformation>',
          '  <capfAuthMode>0</capfAuthMode>',
          '  <capfList><capf><phonePort>3804</phonePort><processNodeName>cucm-pub</processNodeName></capf></capfList>',
          `  <certHash>${enc.certHash}</certHash>`,
          '  <encrConfig>true</encrConfig>',
          '</device>',
          '',
        ].join('\n'),
      );
    });
  }

  it('pads with 16 carriage returns when the config is a multiple of 16 bytes', () => {
    const xml = '<device>' + 'x'.repeat(23) + '</device>'; // 40 bytes -> pad 8
    const xml48 = '<device>' + 'x'.repeat(31) + '</device>';
    expect(parseEncryptedConfig(encryptConfig(xml, { phoneCertificate: c.phone.certDer }, tftp, { stub: false }).encSgn).paddingCount).to.equal(8);
    const enc = encryptConfig(xml48, { phoneCertificate: c.phone.certDer }, tftp, { stub: false });
    expect(parseEncryptedConfig(enc.encSgn).paddingCount).to.equal(16);
    expect(decryptConfig(enc.encSgn, c.phone.privateKey).toString()).to.equal(xml48);
  });

  for (const bytes of [16, 32]) {
    it(`encrypts with a ${bytes * 8}-bit manual key: no wrapped key in the file, decrypts with the same key`, () => {
      const manualKey = Buffer.alloc(bytes, 0xa5);
      const enc = encryptConfig(CONFIG, { manualKey }, tftp, { name: 'SEP001122334455.cnf.xml', timestamp: T0 });
      const p = parseEncryptedConfig(enc.encSgn);
      expect(p.wrappedKey).to.equal(undefined);
      expect(p.keySizeBits).to.equal(bytes * 8);
      expect(decryptConfig(p, { manualKey }).toString('utf8')).to.equal(CONFIG);
      expect(() => decryptConfig(p, { manualKey: Buffer.alloc(bytes, 0x5a) })).to.throw(TlvError, /CONTENTHASH at offset \d+: the decrypted configuration does not match/);
      expect(() => decryptConfig(p, c.phone.privateKey)).to.throw(TlvError, /WRAPPEDKEY.*manual/);
      expect(enc.stubXml).to.not.include('<certHash>');
      expect(enc.certHash).to.equal(undefined);
    });
  }

  it('refuses the wrong phone key with an error naming WRAPPEDKEY, never a wrong plaintext', () => {
    const enc = encryptConfig(CONFIG, { phoneCertificate: c.phone.certDer }, tftp, { stub: false });
    expect(() => decryptConfig(enc.encSgn, c.tvs.privateKey)).to.throw(TlvError, /^(WRAPPEDKEY at offset \d+: this private key does not unwrap|CONTENTHASH at offset \d+)/);
  });

  it('refuses inputs it cannot honour', () => {
    expect(() => encryptConfig(CONFIG, { phoneCertificate: c.callManagerEcdsa.certDer }, tftp)).to.throw(TrustInputError, /ec key/);
    expect(() => encryptConfig(CONFIG, { manualKey: Buffer.alloc(20) }, tftp)).to.throw(TrustInputError, /16 or 32 bytes/);
    expect(() => encryptConfig('<notdevice/>', { manualKey: Buffer.alloc(16) }, tftp)).to.throw(TrustInputError, /expected <device>/);
    expect(() => buildStubConfig('<device><a></device>')).to.throw(TrustInputError, /<\/device> closes <a>/);
    expect(() => buildStubConfig('<device><a>')).to.throw(TrustInputError, /never closed/);
  });

  it('names the element when an .enc.sgn lacks its encryption info or has a bad ciphertext length', () => {
    const sgn = signFile('x.cnf.xml', '<device/>', tftp);
    expect(() => parseEncryptedConfig(sgn)).to.throw(TlvError, /^ENCRYPTIONINFO at offset \d+/);
    const enc = encryptConfig(CONFIG, { manualKey: Buffer.alloc(16, 1) }, tftp, { stub: false }).encSgn;
    expect(() => parseEncryptedConfig(enc.subarray(0, enc.length - 5))).to.throw(TlvError, /^ciphertext at offset \d+: \d+ bytes of ciphertext, expected a non-zero multiple of 16/);
  });
});
