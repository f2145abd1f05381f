// The file service's rules, without sockets: file names, path traversal, the seeds' fallbacks for encrypted configs,
// signatures that verify against the served ITL, decryption with the phone's key only, the HTTPS (6971/6972) rules,
// and cached files regenerated on change.
import { expect } from 'chai';
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { setLogSink } from '../../common/log.js';
import { decryptConfig, parseEncryptedConfig, parseItl, parseSigned, parseCtl, verifySigned, verifyTrustList } from '../../engine/trust/index.js';
import { FileService, parseCnfXml, parseXmlDefault, type ResolveResult, type RequestContext } from '../../engine/tftp/index.js';
import { MAC, SECRET, quietLogs, testCluster, type TestCluster } from './fixtures.js';

const tftp: RequestContext = { frontDoor: 'tftp', remoteAddress: '127.0.0.1' };
const https6971 = (cert?: Uint8Array): RequestContext => ({ frontDoor: 'https-6971', ...(cert ? { clientCertificate: cert } : {}) });
const https6972 = (cert?: Uint8Array): RequestContext => ({ frontDoor: 'https-6972', ...(cert ? { clientCertificate: cert } : {}) });

function ok(r: ResolveResult): Extract<ResolveResult, { status: 'ok' }> {
  expect(r.status, r.status === 'ok' ? '' : r.reason).to.equal('ok');
  return r as Extract<ResolveResult, { status: 'ok' }>;
}

function refused(r: ResolveResult, status: 'not-found' | 'forbidden' | 'error', reason?: RegExp): void {
  expect(r.status).to.equal(status);
  if (reason && r.status !== 'ok') expect(r.reason).to.match(reason);
}

describe('tftp: file service', function () {
  quietLogs();
  let c: TestCluster;
  before(async function () {
    this.timeout(60_000);
    c = await testCluster();
  });
  const der = (cert: { x509: { raw: Buffer } }) => Buffer.from(cert.x509.raw);

  it('serves the ITL and, in mixed mode only, the CTL; both parse and verify', () => {
    const svc = new FileService(c.source());
    const itl = ok(svc.resolve('ITLFile.tlv', tftp));
    expect(itl.body.equals(c.itl)).to.equal(true);
    expect(verifyTrustList(parseItl(itl.body)).ok).to.equal(true);
    const ctl = ok(svc.resolve('CTLFile.tlv', tftp));
    expect(verifyTrustList(parseCtl(ctl.body)).ok).to.equal(true);
    expect(ok(svc.resolve(`ITLSEP${MAC.rsaLsc}.tlv`, tftp)).body.equals(c.itl)).to.equal(true);
    expect(ok(svc.resolve(`CTLSEP${MAC.rsaLsc}.tlv`, tftp)).name).to.equal(`CTLSEP${MAC.rsaLsc}.tlv`);
    refused(svc.resolve('ITLSEP0A0B0C0D0E0F.tlv', tftp), 'not-found', /no device/);
    const nonSecure = new FileService(c.source({ mixedMode: false }));
    refused(nonSecure.resolve('CTLFile.tlv', tftp), 'not-found', /not in mixed mode/);
    refused(nonSecure.resolve(`CTLSEP${MAC.rsaLsc}.tlv`, tftp), 'not-found', /not in mixed mode/);
  });

  it('matches Cisco file names without regard to case and answers with the canonical name', () => {
    const svc = new FileService(c.source());
    expect(ok(svc.resolve('itlfile.TLV', tftp)).name).to.equal('ITLFile.tlv');
    expect(ok(svc.resolve(`sep${MAC.plain.toLowerCase()}.CNF.xml`, tftp)).name).to.equal(`SEP${MAC.plain}.cnf.xml`);
    expect(ok(svc.resolve('/XMLDefault.cnf.xml', tftp)).name, 'one leading slash is allowed').to.equal('XMLDefault.cnf.xml');
    refused(svc.resolve('SEP00112233445.cnf.xml', tftp), 'not-found');
    refused(svc.resolve('SEP0011223344556.cnf.xml', tftp), 'not-found');
    refused(svc.resolve('ITLFile.tlv.sgn', tftp), 'not-found');
    refused(svc.resolve(`SEP${'0A0B0C0D0E0F'}.cnf.xml`, tftp), 'not-found', /auto-registration/);
  });

  it('refuses path traversal and odd names', () => {
    const svc = new FileService(c.source({ staticFiles: new Map([['English_United_States/ipc-sccp.jar', Buffer.from('jar')]]) }));
    for (const name of ['../etc/passwd', '/../ITLFile.tlv', 'a/../ITLFile.tlv', './ITLFile.tlv', '..\\ITLFile.tlv', 'C:/ITLFile.tlv', 'a//b', '//ITLFile.tlv', '', '/', 'ITL\u0000File.tlv', 'ITLFile.tlv\n', 'x'.repeat(300)]) {
      refused(svc.resolve(name, tftp), 'forbidden');
    }
    expect(ok(svc.resolve('English_United_States/ipc-sccp.jar', tftp)).body.toString()).to.equal('jar');
    expect(ok(svc.resolve('english_united_states/IPC-SCCP.jar.sgn', tftp)).name).to.equal('English_United_States/ipc-sccp.jar.sgn');
  });

  it('encryption off: plain and signed full config; .enc.sgn is "file not found"', () => {
    const svc = new FileService(c.source());
    const plain = ok(svc.resolve(`SEP${MAC.plain}.cnf.xml`, tftp));
    expect(plain.contentType).to.match(/xml/);
    const cfg = parseCnfXml(plain.body);
    expect(cfg).to.deep.include({ fullConfig: true, deviceSecurityMode: 1, transportLayerProtocol: 2, encrConfig: false, certHash: '' });
    expect(cfg.lines[0]!.authPassword).to.equal(SECRET);
    expect(cfg.tvs.map((t) => t.address)).to.deep.equal(['cucm-pub.trustline.test', 'cucm-sub1.trustline.test']);

    const sgn = ok(svc.resolve(`SEP${MAC.plain}.cnf.xml.sgn`, tftp));
    const v = verifySigned(sgn.body, parseItl(c.itl));
    expect(v.ok, v.reason).to.equal(true);
    expect(v.verifiedBy).to.match(/CCM\+TFTP/);
    const parsed = parseSigned(sgn.body);
    expect(parsed.header.digest).to.equal('sha1');
    expect(parsed.header.filename).to.equal(`SEP${MAC.plain}.cnf.xml.sgn`);
    expect(parsed.content.equals(plain.body)).to.equal(true);

    refused(svc.resolve(`SEP${MAC.plain}.cnf.xml.enc.sgn`, tftp), 'not-found', /Encrypted Config is off.*\.sgn/);
  });

  it('signs with SHA-512 when the TFTP File Signature Algorithm says so', () => {
    const svc = new FileService(c.source({ parameters: { tftpFileSignatureAlgorithm: 'sha512' } }));
    const sgn = ok(svc.resolve(`SEP${MAC.plain}.cnf.xml.sgn`, tftp));
    expect(parseSigned(sgn.body).header.digest).to.equal('sha512');
    expect(verifySigned(sgn.body, parseItl(c.itl)).ok).to.equal(true);
    expect(parseSigned(ok(svc.resolve(`SEP${MAC.rsaLsc}.cnf.xml.enc.sgn`, tftp)).body).header.digest).to.equal('sha512');
  });

  it('encryption on (RSA LSC): the .enc.sgn decrypts with the phone key only; plain and .sgn requests get the stub', () => {
    const svc = new FileService(c.source());
    const enc = ok(svc.resolve(`SEP${MAC.rsaLsc}.cnf.xml.enc.sgn`, tftp));
    expect(verifySigned(enc.body, parseItl(c.itl)).ok).to.equal(true);
    const xml = decryptConfig(enc.body, c.lscKey);
    const full = parseCnfXml(xml);
    expect(full).to.deep.include({ fullConfig: true, deviceSecurityMode: 3, transportLayerProtocol: 3, encrConfig: true });
    expect(full.certHash).to.equal(createHash('md5').update(der(c.pki.lsc)).digest('hex'));
    expect(full.lines[0]!.authPassword).to.equal(SECRET);
    expect(full.disableTlsCiphers).to.deep.equal([1, 2, 3, 4, 5]);
    for (const wrong of [c.micKey, c.otherKey, c.callManagerKey, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey]) {
      expect(() => decryptConfig(enc.body, wrong)).to.throw(/does not unwrap|content hash/);
    }
    expect(() => decryptConfig(enc.body, { manualKey: c.manualKey })).to.throw();
    expect(enc.body.includes(Buffer.from(SECRET))).to.equal(false);

    const stubSgn = ok(svc.resolve(`SEP${MAC.rsaLsc}.cnf.xml.sgn`, tftp));
    expect(verifySigned(stubSgn.body, parseItl(c.itl)).ok).to.equal(true);
    const stub = parseCnfXml(parseSigned(stubSgn.body).content);
    expect(stub).to.deep.include({ fullConfig: false, encrConfig: true, certHash: full.certHash, loadInformation: 'sip88xx.14-2-1-0201-60' });
    expect(stubSgn.body.includes(Buffer.from(SECRET))).to.equal(false);
    const plainStub = ok(svc.resolve(`SEP${MAC.rsaLsc}.cnf.xml`, tftp));
    expect(parseCnfXml(plainStub.body)).to.deep.equal(stub);
  });

  it('encryption on without a key: no .enc.sgn, and a stub without <certHash> (the phone then goes to CAPF)', () => {
    const svc = new FileService(c.source());
    refused(svc.resolve(`SEP${MAC.noKey}.cnf.xml.enc.sgn`, tftp), 'not-found', /no RSA phone certificate/);
    const stub = parseCnfXml(ok(svc.resolve(`SEP${MAC.noKey}.cnf.xml`, tftp)).body);
    expect(stub.fullConfig).to.equal(false);
    expect(stub.encrConfig).to.equal(true);
    expect(stub.certHash).to.equal(undefined);
    expect(verifySigned(ok(svc.resolve(`SEP${MAC.noKey}.cnf.xml.sgn`, tftp)).body, parseItl(c.itl)).ok).to.equal(true);
  });

  it('manual key distribution: the .enc.sgn decrypts with the symmetric key', () => {
    const svc = new FileService(c.source());
    const enc = ok(svc.resolve(`SEP${MAC.manual}.cnf.xml.enc.sgn`, tftp));
    expect(parseEncryptedConfig(enc.body).wrappedKey).to.equal(undefined);
    const full = parseCnfXml(decryptConfig(enc.body, { manualKey: c.manualKey }));
    expect(full).to.deep.include({ deviceSecurityMode: 2, encrConfig: true, certHash: '' });
    expect(() => decryptConfig(enc.body, { manualKey: Buffer.alloc(16, 1) })).to.throw(/content hash/);
    expect(parseCnfXml(ok(svc.resolve(`SEP${MAC.manual}.cnf.xml`, tftp)).body).certHash).to.equal(undefined);
  });

  it('ECDSA LSC with encryption: HTTPS needs the LSC and then serves the full config; TFTP gets the stub', () => {
    const svc = new FileService(c.source());
    const name = `SEP${MAC.ecLsc}.cnf.xml`;
    for (const ctx of [https6971(), https6972(), https6971(der(c.pki.lsc)), https6971(der(c.pki.rogueLsc))]) {
      refused(svc.resolve(name, ctx), 'forbidden', /must present its LSC \(ECDSA LSC/);
      refused(svc.resolve(`${name}.enc.sgn`, ctx), 'forbidden');
    }
    const full = parseCnfXml(ok(svc.resolve(name, https6971(der(c.pki.otherLsc)))).body);
    expect(full.fullConfig).to.equal(true);
    expect(full.lines[0]!.authPassword).to.equal(SECRET);
    expect(parseCnfXml(ok(svc.resolve(name, https6972(der(c.pki.otherLsc)))).body).fullConfig).to.equal(true);
    // Over TFTP: the minimal config. No RSA key to wrap to: no .enc.sgn.
    expect(parseCnfXml(ok(svc.resolve(name, tftp)).body).fullConfig).to.equal(false);
    refused(svc.resolve(`${name}.enc.sgn`, tftp), 'not-found', /no RSA phone certificate/);
    // Public files need no client certificate.
    ok(svc.resolve('ITLFile.tlv', https6971()));
    // 'never' turns the requirement off (the phone then gets the stub, as over TFTP).
    expect(parseCnfXml(ok(new FileService(c.source(), { requireLsc: 'never' }).resolve(name, https6971())).body).fullConfig).to.equal(false);
  });

  it('6971 answers a .sgn config request with the unsigned file; 6972 signs', () => {
    const svc = new FileService(c.source());
    const r6971 = ok(svc.resolve(`SEP${MAC.plain}.cnf.xml.sgn`, https6971()));
    expect(r6971.served).to.match(/unsigned on 6971/);
    expect(parseCnfXml(r6971.body).fullConfig).to.equal(true);
    const r6972 = ok(svc.resolve(`SEP${MAC.plain}.cnf.xml.sgn`, https6972()));
    expect(verifySigned(r6972.body, parseItl(c.itl)).ok).to.equal(true);
    const off = new FileService(c.source(), { unsignedConfigOnHttps6971: false });
    expect(verifySigned(ok(off.resolve(`SEP${MAC.plain}.cnf.xml.sgn`, https6971())).body, parseItl(c.itl)).ok).to.equal(true);
    // An RSA-LSC phone presenting its LSC gets its full config over HTTPS; without it, the stub.
    expect(parseCnfXml(ok(svc.resolve(`SEP${MAC.rsaLsc}.cnf.xml`, https6971(der(c.pki.lsc)))).body).fullConfig).to.equal(true);
    expect(parseCnfXml(ok(svc.resolve(`SEP${MAC.rsaLsc}.cnf.xml`, https6971())).body).fullConfig).to.equal(false);
    refused(new FileService(c.source(), { requireLsc: 'lsc-encrypted' }).resolve(`SEP${MAC.rsaLsc}.cnf.xml`, https6971()), 'forbidden', /must present its LSC \(LSC/);
  });

  it('serves XMLDefault.cnf.xml (and signed) for auto-registration', () => {
    const svc = new FileService(c.source());
    const d = parseXmlDefault(ok(svc.resolve('XMLDefault.cnf.xml', tftp)).body);
    expect(d.autoRegistration).to.equal(true);
    expect(d.callManagers[0]!.processNodeName).to.equal('cucm-pub.trustline.test');
    expect(d.loads).to.deep.equal([{ typeId: 683, model: 'Cisco 8841', load: 'sip88xx.14-2-1-0201-60' }]);
    expect(verifySigned(ok(svc.resolve('XMLDefault.cnf.xml.sgn', tftp)).body, parseItl(c.itl)).ok).to.equal(true);
  });

  it('writes a CAPF operation and the mixed-mode rule into the config', () => {
    const svc = new FileService(c.source());
    const capf = parseCnfXml(ok(svc.resolve(`SEP${MAC.capf}.cnf.xml`, tftp)).body);
    expect(capf).to.deep.include({ capfAuthMode: 2, deviceSecurityMode: 2, transportLayerProtocol: 3 });
    expect(capf.capfList).to.deep.equal([{ phonePort: 3804, processNodeName: 'cucm-pub.trustline.test' }]);
    const nonSecure = new FileService(c.source({ mixedMode: false }));
    expect(parseCnfXml(ok(nonSecure.resolve(`SEP${MAC.capf}.cnf.xml`, tftp)).body).deviceSecurityMode).to.equal(1);
  });

  it('caches generated files until the source changes; a change gives a new encryption key', () => {
    const source = c.source();
    const svc = new FileService(source);
    const name = `SEP${MAC.rsaLsc}.cnf.xml.enc.sgn`;
    const a = ok(svc.resolve(name, tftp)).body;
    expect(ok(svc.resolve(name, tftp)).body.equals(a), 'cached').to.equal(true);
    source.putDevice({ ...source.device(MAC.rsaLsc)!, lines: [{ button: 1, name: '2001', authPassword: 'new-secret' }] });
    const b = ok(svc.resolve(name, tftp)).body;
    expect(parseEncryptedConfig(b).wrappedKey!.equals(parseEncryptedConfig(a).wrappedKey!)).to.equal(false);
    expect(parseCnfXml(decryptConfig(b, c.lscKey)).lines[0]!.authPassword).to.equal('new-secret');
    const sgnBefore = ok(svc.resolve(`SEP${MAC.plain}.cnf.xml.sgn`, tftp)).body;
    source.setParameters({ tlsResumptionTimer: 60 });
    const sgnAfter = ok(svc.resolve(`SEP${MAC.plain}.cnf.xml.sgn`, tftp)).body;
    expect(parseCnfXml(parseSigned(sgnAfter).content).tlsResumptionTimer).to.equal(60);
    expect(sgnAfter.equals(sgnBefore)).to.equal(false);
    svc.close();
    source.setParameters({ tlsResumptionTimer: 90 });
    expect(ok(svc.resolve(`SEP${MAC.plain}.cnf.xml.sgn`, tftp)).body.equals(sgnAfter), 'closed: no longer listening').to.equal(true);
    svc.invalidate();
    expect(parseCnfXml(parseSigned(ok(svc.resolve(`SEP${MAC.plain}.cnf.xml.sgn`, tftp)).body).content).tlsResumptionTimer).to.equal(90);
  });

  it('reports a broken source as an error instead of throwing', () => {
    const source = c.source();
    source.setCluster({ tftpSigner: { certDer: der(c.pki.callManagerEcdsa), privateKey: createPrivateKey(c.pki.callManagerEcdsa.key) } });
    const svc = new FileService(source);
    const lines: string[] = [];
    setLogSink((l) => lines.push(l));
    try {
      refused(svc.resolve(`SEP${MAC.plain}.cnf.xml.sgn`, tftp), 'error', /RSA/);
    } finally {
      setLogSink((l) => process.stderr.write(l + '\n'));
    }
    expect(lines.join('\n')).to.match(/ERROR \[tftp\] SEP0000000000C1\.cnf\.xml\.sgn \(tftp\): signer\.privateKey/);
    ok(svc.resolve(`SEP${MAC.plain}.cnf.xml`, tftp));
  });

  it('fuzz: any requested name resolves to ok, not-found or forbidden, never a throw; ".." never gets through', () => {
    const svc = new FileService(c.source({ staticFiles: new Map([['RingList.xml', Buffer.from('<CiscoIPPhoneRingList/>')]]) }));
    const parts = fc.constantFrom('..', '.', '/', '\\', 'SEP', MAC.plain, MAC.rsaLsc, '.cnf.xml', '.sgn', '.enc.sgn', 'ITLFile.tlv', 'CTL', 'RingList.xml', '%2e', 'C:', '\u0000', 'é');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.array(parts, { maxLength: 8 }).map((a) => a.join(''))), fc.constantFrom('tftp', 'http', 'https-6971', 'https-6972' as const), (name, frontDoor) => {
        const r = svc.resolve(name, { frontDoor });
        expect(['ok', 'not-found', 'forbidden']).to.include(r.status);
        if (r.status === 'ok') expect(name.replace(/^\//, '').split('/')).to.not.include('..');
      }),
      { numRuns: 2000 },
    );
  });
});
