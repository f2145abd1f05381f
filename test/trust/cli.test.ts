import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../common/paths.js';
import { buildClusterItl, encryptConfig, signFile, type FileDescription } from '../../engine/trust/index.js';
import { quietLogs, signerOf, T0, testCluster } from './fixtures.js';

function tlvShow(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot(), 'cli', 'dev.ts'), 'tlv', 'show', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('trustline tlv show', function () {
  this.timeout(60_000);
  quietLogs();
  const c = testCluster();
  let dir = '';
  const path = (name: string) => join(dir, name);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trustline-tlv-'));
    const itl = buildClusterItl({ itlRecovery: c.itlRecovery, callManager: c.callManager, callManagerEcdsa: c.callManagerEcdsa, tvs: [c.tvs], capf: [c.capf], timestamp: T0 }).bytes;
    writeFileSync(path('ITLFile.tlv'), itl);
    writeFileSync(path('ITLSEP001122334455.tlv'), itl.subarray(0, itl.length - 100));
    const sgn = signFile('SEP001122334455.cnf.xml', '<device/>', signerOf(c.callManager), { timestamp: T0 });
    sgn[sgn.length - 2] ^= 1;
    writeFileSync(path('SEP001122334455.cnf.xml.sgn'), sgn);
    const enc = encryptConfig('<device><a>1</a></device>', { phoneCertificate: c.phone.certDer }, signerOf(c.callManager), { name: 'SEP001122334455.cnf.xml', timestamp: T0 });
    writeFileSync(path('SEP001122334455.cnf.xml.enc.sgn'), enc.encSgn);
    writeFileSync(path('CallManager.pem'), new X509Certificate(c.callManager.certDer).toString());
    writeFileSync(path('phone-key.pem'), c.phone.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints an ITL like show itl: every record, role, subject, issuer, serial, key, and which record verified it', () => {
    const r = tlvShow(path('ITLFile.tlv'));
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^The checksum value of the ITL file: [0-9a-f]{32}\(MD5\) [0-9a-f]{40}\(SHA1\)/);
    expect(r.stdout).to.contain('Version:        1.2');
    expect(r.stdout).to.contain('SignerVersion:  1.1');
    for (let i = 1; i <= 6; i++) expect(r.stdout).to.contain(`ITL Record #:${i}`);
    expect(r.stdout).to.match(/4\s+FUNCTION\s+2\s+System Administrator Security Token/);
    expect(r.stdout).to.match(/4\s+FUNCTION\s+2\s+TVS/);
    expect(r.stdout).to.match(/3\s+SUBJECTNAME\s+\d+\s+CN=cucm-pub;OU=TAC;O=Cisco;L=Krakow;ST=Malopolska;C=PL/);
    expect(r.stdout).to.match(/5\s+ISSUERNAME\s+\d+\s+CN=CAPF-e41e7d87;/);
    expect(r.stdout).to.match(/6\s+SERIALNUMBER\s+4\s+0A:1B:2C:3D/);
    expect(r.stdout).to.match(/7\s+PUBLICKEY\s+140\s+RSA 1024-bit/);
    expect(r.stdout).to.match(/7\s+PUBLICKEY\s+65\s+EC P-256/);
    expect(r.stdout).to.contain('This etoken was used to sign the ITL file.');
    expect(r.stdout).to.contain('The ITL file was verified successfully (record 1 (SAST) CN=ITLRECOVERY_cucm-pub;');
  });

  it('gives the same facts as JSON, and JSON errors naming offset and element (exit 1) for a truncated file', () => {
    const r = tlvShow(path('ITLFile.tlv'), '--json');
    expect(r.status, r.stderr).to.equal(0);
    const d = JSON.parse(r.stdout) as FileDescription;
    expect(d.kind).to.equal('itl');
    expect(d.records!.map((x) => x.roleName)).to.deep.equal(['SAST', 'CCM+TFTP', 'SAST', 'TVS', 'CAPF', 'CCM+TFTP']);
    expect(d.records![0]!.roleLabel).to.equal('System Administrator Security Token');
    expect(d.records![3]).to.deep.include({ role: 21, subject: 'CN=cucm-pub;OU=TAC;O=Cisco;L=Krakow;ST=Malopolska;C=PL', issuer: 'CN=cucm-pub;OU=TAC;O=Cisco;L=Krakow;ST=Malopolska;C=PL', serialNumber: '0A:1B:2C:3D' });
    expect(d.records![3]!.publicKey).to.deep.equal({ length: 140, type: 'rsa', bits: 1024 });
    expect(d.records![5]!.certificate!.key).to.deep.equal({ type: 'ec', curve: 'P-256', bits: 256 });
    expect(d.verification).to.deep.include({ status: 'verified', signerRecord: 1 });
    expect(d.records![0]!.usedToSign).to.equal(true);

    const bad = tlvShow(path('ITLSEP001122334455.tlv'), '--json');
    expect(bad.status).to.equal(1);
    const e = JSON.parse(bad.stdout) as { error: { message: string; offset: number; element: string } };
    expect(e.error.element).to.equal('RECORDLENGTH');
    expect(e.error.message).to.match(/^RECORDLENGTH at offset \d+: record 6 length \d+ runs past the end of the file/);
    expect(bad.stderr).to.contain('trustline tlv show: RECORDLENGTH at offset');
  });

  it('verifies an .enc.sgn against a PEM certificate and decrypts it with the phone key; a tampered .sgn exits 2', () => {
    const r = tlvShow(path('SEP001122334455.cnf.xml.enc.sgn'), '--trust', path('CallManager.pem'), '--key', path('phone-key.pem'));
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('Parse ENC.SGN File');
    expect(r.stdout).to.contain('Decrypted: 25 bytes, content hash matches.');
    expect(r.stdout).to.contain('The ENC.SGN file was verified successfully (the given certificate).');
    const t = tlvShow(path('SEP001122334455.cnf.xml.sgn'), '--trust', path('ITLFile.tlv'));
    expect(t.status).to.equal(2);
    expect(t.stdout).to.contain('The SGN file signature does NOT verify: the signature does not verify against record 2');
  });
});
