// The certificates a new cluster gets, read back with node's X509Certificate, openssl and our parser: key type and
// size, key usage / extended key usage per purpose (Table 23), CAPF as a CA, ITLRecovery's 20 years, common names and
// SANs, serial and time encoding, and the refusals when generating with parameters CUCM would not offer.
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { ClusterPki } from '../../engine/pki/cluster-pki.js';
import { PkiRuleError } from '../../engine/pki/errors.js';
import { PURPOSE_RULES, PURPOSES } from '../../engine/pki/purposes.js';
import { requirePeer } from '../support/peers.js';
import { freshCluster, openssl, tempDir, templateDir } from './support.js';

async function rejects(p: Promise<unknown>, code: string): Promise<PkiRuleError> {
  try {
    await p;
  } catch (err) {
    expect(err, (err as Error).message).to.be.instanceOf(PkiRuleError);
    expect((err as PkiRuleError).code).to.equal(code);
    return err as PkiRuleError;
  }
  expect.fail(`expected a refusal ${code}`);
}

function yearsBetween(a: Date, b: Date): number {
  return b.getUTCFullYear() - a.getUTCFullYear() + (b.getTime() - new Date(Date.UTC(b.getUTCFullYear(), a.getUTCMonth(), a.getUTCDate(), a.getUTCHours(), a.getUTCMinutes(), a.getUTCSeconds())).getTime()) / 3.15e10;
}

describe('pki certificates: a new cluster', function () {
  this.timeout(120_000);
  let pki: ClusterPki;

  before(async () => {
    pki = await ClusterPki.open(await templateDir());
  });

  it('has one certificate per purpose on the publisher', () => {
    expect(pki.certificates().map((c) => c.purpose)).to.have.members([...PURPOSES]);
    expect(pki.publisher).to.equal('cucm-pub');
  });

  for (const purpose of PURPOSES) {
    it(`${purpose}: key type, key usage and EKU as Table 23 says (read by node and by our parser)`, () => {
      const rule = PURPOSE_RULES[purpose];
      const c = pki.certificate(purpose);
      expect(c.keyType).to.equal(rule.keyType);
      const x = new X509Certificate(c.der);
      expect(x.publicKey.asymmetricKeyType).to.equal(rule.keyType === 'RSA' ? 'rsa' : 'ec');
      // node's X509Certificate.keyUsage is the extended key usage OID list.
      const ekuOids = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2', ipsecEndSystem: '1.3.6.1.5.5.7.3.5' };
      expect(x.keyUsage).to.have.members(rule.extendedKeyUsage.map((u) => ekuOids[u]));
      expect(c.certificate.keyUsage).to.have.members(rule.keyUsage);
      expect(x.ca).to.equal(rule.ca);
      expect(c.certificate.selfSigned).to.equal(true);
      expect(x.verify(x.publicKey)).to.equal(true);
      expect(c.signedBy).to.equal('self');
    });
  }

  it('openssl reads the key usages as Table 23 lists them', async function () {
    requirePeer(this, 'openssl', 'openssl');
    const dir = tempDir('openssl-text');
    const read = async (p: (typeof PURPOSES)[number]) => {
      const f = join(dir, `${p}.pem`);
      writeFileSync(f, pki.certificate(p).pem);
      return openssl(['x509', '-in', f, '-noout', '-text']);
    };
    const cm = await read('CallManager');
    expect(cm).to.match(/X509v3 Key Usage: *\n\s*Digital Signature, Key Encipherment, Data Encipherment\n/);
    expect(cm).to.match(/X509v3 Extended Key Usage: *\n\s*TLS Web Server Authentication, TLS Web Client Authentication\n/);
    expect(cm).to.contain('DNS:cucm-pub.trustline.test');
    const capf = await read('CAPF');
    expect(capf).to.match(/X509v3 Basic Constraints: critical\n\s*CA:TRUE/);
    expect(capf).to.match(/X509v3 Key Usage: critical\n\s*Digital Signature, Certificate Sign\n/);
    expect(capf).to.match(/X509v3 Extended Key Usage: *\n\s*TLS Web Server Authentication\n/);
    const ipsec = await read('ipsec');
    expect(ipsec).to.match(/TLS Web Server Authentication, TLS Web Client Authentication, IPSec End System/);
    const ec = await read('CallManager-ECDSA');
    expect(ec).to.contain('ASN1 OID: secp384r1');
    expect(ec).to.contain('Signature Algorithm: ecdsa-with-SHA384');
  });

  it('CAPF is a CA with keyCertSign and no keyEncipherment', () => {
    const c = pki.certificate('CAPF').certificate;
    expect(c.basicConstraints).to.deep.include({ ca: true, critical: true });
    expect(c.keyUsage).to.include('keyCertSign').and.not.include('keyEncipherment');
    expect(c.subjectCN).to.match(/^CAPF-[0-9a-f]{8}$/);
  });

  it('ITLRecovery is valid for 20 years, the others for 5', () => {
    for (const c of pki.certificates()) {
      const years = yearsBetween(c.certificate.notBefore, c.certificate.notAfter);
      expect(Math.round(years), c.purpose).to.equal(c.purpose === 'ITLRecovery' ? 20 : 5);
    }
  });

  it('defaults CallManager-ECDSA and tomcat-ECDSA to EC 384 with SHA384', () => {
    for (const p of ['CallManager-ECDSA', 'tomcat-ECDSA'] as const) {
      const c = pki.certificate(p);
      expect([c.keySize, c.curve, c.hash, c.certificate.signatureHash]).to.deep.equal([384, 'P-384', 'SHA384', 'SHA384']);
    }
  });

  it('names the ECDSA certificates <host>-EC and the RSA ones <host>', () => {
    expect(pki.certificate('CallManager-ECDSA').certificate.subjectCN).to.equal('cucm-pub-EC');
    expect(pki.certificate('tomcat-ECDSA').certificate.subjectCN).to.equal('cucm-pub-EC');
    for (const p of ['CallManager', 'tomcat', 'TVS', 'ipsec'] as const) expect(pki.certificate(p).certificate.subjectCN).to.equal('cucm-pub');
    expect(pki.certificate('ITLRecovery').certificate.subjectCN).to.equal('ITLRECOVERY_cucm-pub');
  });

  it('puts the FQDN as SAN on the purposes with auto-populated domains only', () => {
    for (const p of PURPOSES) expect(pki.certificate(p).certificate.dnsNames, p).to.deep.equal(PURPOSE_RULES[p].autoPopulatedDomains ? ['cucm-pub.trustline.test'] : []);
  });

  it('writes 16-byte positive serials and whole-second UTCTime validity', () => {
    for (const c of pki.certificates()) {
      expect(c.certificate.serialNumber.length, c.purpose).to.equal(16);
      expect(c.certificate.serialNumber[0]! & 0x80).to.equal(0);
      expect(c.certificate.notBefore.getUTCMilliseconds()).to.equal(0);
      // tbsCertificate.validity: two UTCTime (tag 0x17) values of 13 bytes ("YYMMDDHHMMSSZ").
      const der = c.der;
      const i = der.indexOf(Buffer.from([0x30, 0x1e, 0x17, 0x0d]));
      expect(i, c.purpose).to.be.greaterThan(0);
      expect(der[i + 17]).to.equal(0x17);
      expect(der.subarray(i + 4, i + 17).toString('latin1')).to.match(/^\d{12}Z$/);
    }
  });

  it('puts its own certificates in the trust stores: CallManager-trust, tomcat-trust, CAPF-trust, IPSec-trust', () => {
    const fp = (p: (typeof PURPOSES)[number]) => pki.certificate(p).certificate.fingerprintSha256;
    const has = (store: string, f: string) => pki.trustStore(store).some((t) => t.fingerprintSha256 === f);
    expect(has('CallManager-trust', fp('CallManager'))).to.equal(true);
    expect(has('CallManager-trust', fp('CallManager-ECDSA'))).to.equal(true);
    expect(has('CallManager-trust', fp('CAPF'))).to.equal(true);
    expect(has('CAPF-trust', fp('CAPF'))).to.equal(true);
    expect(has('tomcat-trust', fp('tomcat'))).to.equal(true);
    expect(has('tomcat-trust', fp('tomcat-ECDSA'))).to.equal(true);
    expect(has('IPSec-trust', fp('ipsec'))).to.equal(true);
    const mfg = pki.manufacturingCa();
    for (const s of ['CallManager-trust', 'CAPF-trust']) {
      expect(has(s, mfg.root.fingerprintSha256)).to.equal(true);
      expect(has(s, mfg.issuing.fingerprintSha256)).to.equal(true);
    }
    expect(pki.trustStore('Phone-SAST-trust')).to.deep.equal([]);
  });

  it('gives the TFTP/ITL builders the signing keys of CallManager and ITLRecovery that match their certificates', () => {
    for (const p of ['CallManager', 'ITLRecovery'] as const) {
      const s = pki.fileSigner(p);
      expect(new X509Certificate(s.certDer).checkPrivateKey(s.privateKey)).to.equal(true);
    }
  });

  it('serves TLS with the CallManager and CallManager-ECDSA credentials, verified against CallManager-trust', async () => {
    const rsa = pki.tlsCredentials('CallManager');
    const ec = pki.tlsCredentials('CallManager-ECDSA');
    const server = createServer({ key: [rsa.key, ec.key], cert: [rsa.cert, ec.cert], minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const handshake = (ciphers: string) =>
      new Promise<string>((resolve, reject) => {
        const s: TLSSocket = connect({ host: '127.0.0.1', port, ca: pki.trustedPems('CallManager-trust'), ciphers, servername: 'cucm-pub.trustline.test', maxVersion: 'TLSv1.2' }, () => {
          const cn = s.getPeerX509Certificate()?.subject ?? '';
          s.end();
          resolve(cn);
        });
        s.on('error', reject);
      });
    try {
      expect(await handshake('ECDHE-RSA-AES128-GCM-SHA256')).to.match(/\nCN=cucm-pub$/);
      expect(await handshake('ECDHE-ECDSA-AES256-GCM-SHA384')).to.match(/\nCN=cucm-pub-EC$/);
    } finally {
      server.close();
    }
  });
});

describe('pki certificates: generating with other parameters', function () {
  this.timeout(120_000);

  it('regenerates CallManager-ECDSA with every EC size and its allowed hashes', async () => {
    const pki = await freshCluster();
    for (const [size, hash] of [[256, 'SHA256'], [256, 'SHA512'], [384, 'SHA512'], [521, 'SHA512']] as const) {
      await pki.regenerate('CallManager-ECDSA', { keySize: size, hash });
      const c = pki.certificate('CallManager-ECDSA');
      expect([c.keySize, c.certificate.signatureHash]).to.deep.equal([size, hash]);
      expect(c.certificate.subjectCN).to.equal('cucm-pub-EC');
    }
  });

  it('refuses EC 4096, EC 384 with SHA256, EC 521 with SHA384 and an EC key for CallManager before generating anything', async () => {
    const pki = await freshCluster();
    const before = pki.generation;
    await rejects(pki.regenerate('CallManager-ECDSA', { keySize: 4096 }), 'E_EC_KEY_SIZE');
    await rejects(pki.regenerate('CallManager-ECDSA', { keySize: 384, hash: 'SHA256' }), 'E_EC_HASH');
    await rejects(pki.regenerate('tomcat-ECDSA', { keySize: 521, hash: 'SHA384' }), 'E_EC_HASH');
    await rejects(pki.regenerate('CallManager', { keyType: 'EC' }), 'E_KEY_TYPE');
    await rejects(pki.regenerate('TVS', { keySize: 512 }), 'E_RSA_KEY_SIZE');
    await rejects(pki.regenerate('CallManager', { multiServer: true }), 'E_MULTI_SERVER_SELF_SIGNED');
    expect(pki.generation).to.equal(before);
  });

  it('generates RSA 1024 and 3072 (3072 warns that some phones fail to register above 2048)', async () => {
    const pki = await freshCluster();
    await pki.regenerate('TVS', { keySize: 1024 });
    expect(pki.certificate('TVS').keySize).to.equal(1024);
    const e = await pki.regenerate('CallManager', { keySize: 3072 });
    expect(pki.certificate('CallManager').keySize).to.equal(3072);
    expect(e.warnings.join('\n')).to.contain('Some phone models might fail to register');
  });

  it('makes SHA1 certificates outside FIPS mode', async () => {
    const pki = await freshCluster();
    await pki.regenerate('ipsec', { hash: 'SHA1' });
    expect(pki.certificate('ipsec').certificate.signatureHash).to.equal('SHA1');
  });

  it('in FIPS mode refuses SHA1 for create and regenerate, and regenerates with SHA256', async () => {
    const dir = join(tempDir('fips'), 'state');
    try {
      await ClusterPki.create(dir, { fips: true, parameters: { CallManager: { hash: 'SHA1' } } });
      expect.fail('created a SHA1 certificate in FIPS mode');
    } catch (err) {
      expect((err as PkiRuleError).code).to.equal('E_FIPS_SHA1');
      expect(ClusterPki.exists(dir)).to.equal(false);
    }
    const pki = await ClusterPki.create(dir, { fips: true, parameters: { 'CallManager-ECDSA': { keySize: 256 }, 'tomcat-ECDSA': { keySize: 256 } } });
    expect(pki.settings.fips).to.equal(true);
    const e = await rejects(pki.regenerate('tomcat', { hash: 'SHA1' }), 'E_FIPS_SHA1');
    expect(e.message).to.contain("can't select SHA1");
    await rejects(pki.generateCsr('CallManager', { hash: 'SHA1' }), 'E_FIPS_SHA1');
    await pki.regenerate('tomcat', { hash: 'SHA256' });
    expect(pki.certificate('tomcat').certificate.signatureHash).to.equal('SHA256');
  });

  it('gives every node its own certificates and keeps CAPF and ITLRecovery on the publisher', async () => {
    const pki = await freshCluster('two-nodes', { subscribers: ['cucm-sub1'], parameters: { 'CallManager-ECDSA': { keySize: 256 }, 'tomcat-ECDSA': { keySize: 256 } } });
    expect(pki.nodes).to.deep.equal(['cucm-pub', 'cucm-sub1']);
    expect(pki.certificates().filter((c) => c.node === 'cucm-sub1').map((c) => c.purpose)).to.have.members(['CallManager', 'CallManager-ECDSA', 'tomcat', 'tomcat-ECDSA', 'TVS', 'ipsec']);
    expect(pki.certificate('CallManager-ECDSA', 'cucm-sub1').certificate.subjectCN).to.equal('cucm-sub1-EC');
    expect(() => pki.certificate('CAPF', 'cucm-sub1')).to.throw(/publisher \(cucm-pub\) only/);
    expect(() => pki.certificate('TVS', 'nope')).to.throw(/unknown node "nope"/);
  });
});
