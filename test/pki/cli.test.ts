// `trustline pki …` end to end through the development entry point (node --import tsx cli/dev.ts).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../common/paths.js';
import { ClusterPki } from '../../engine/pki/cluster-pki.js';
import { PURPOSES } from '../../engine/pki/purposes.js';
import { FAST, freshCluster, tempDir } from './support.js';

const exec = promisify(execFile);

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

async function cli(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', join('cli', 'dev.ts'), ...args], { cwd: projectRoot(), encoding: 'utf8' });
    return { status: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { status: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('trustline pki (CLI)', function () {
  this.timeout(120_000);
  const state = join(tempDir('cli'), 'cluster');

  before(async () => {
    const r = await cli('pki', 'init', '--state', state, '--hostname', 'cm-pub', '--domain', 'example.org');
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`cluster state created in ${state}`);
    for (const p of PURPOSES) expect(r.stdout).to.contain(p);
  });

  it('shows the certificates as JSON: key, subject, issuer, validity, serial, SHA-256', async () => {
    const r = await cli('pki', 'show', '--state', state, '--json');
    expect(r.status, r.stderr).to.equal(0);
    const doc = JSON.parse(r.stdout) as { certificates: Record<string, string | number | string[]>[]; trustStores: Record<string, unknown[]> };
    expect(doc.certificates.map((c) => c.purpose)).to.have.members([...PURPOSES]);
    const ec = doc.certificates.find((c) => c.purpose === 'CallManager-ECDSA')!;
    expect(ec).to.deep.include({ keyType: 'EC', keySize: 384, curve: 'P-384', hash: 'SHA384', signatureAlgorithm: 'SHA384withECDSA', signedBy: 'self' });
    expect(ec.subject).to.match(/^CN=cm-pub-EC, /);
    expect(ec.issuer).to.equal(ec.subject);
    expect(ec.fingerprintSha256).to.match(/^[0-9a-f]{64}$/);
    expect(ec.serial).to.match(/^[0-9a-f]{32}$/);
    const itlr = doc.certificates.find((c) => c.purpose === 'ITLRecovery')!;
    expect(new Date(itlr.notAfter as string).getUTCFullYear() - new Date(itlr.notBefore as string).getUTCFullYear()).to.equal(20);
    expect(Object.keys(doc.trustStores)).to.include.members(['CallManager-trust', 'CAPF-trust', 'tomcat-trust', 'Phone-SAST-trust']);
    const opened = await ClusterPki.open(state);
    expect(opened.certificate('CallManager-ECDSA').certificate.fingerprintSha256).to.equal(ec.fingerprintSha256);
  });

  it('shows a readable table', async () => {
    const r = await cli('pki', 'show', '--state', state);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('SHA-256 fingerprint').and.contain('EC 384 (P-384)').and.contain('ITLRECOVERY_cm-pub').and.contain('CallManager-trust');
  });

  it('regenerates TVS then CallManager and reports the effects and the broken order', async () => {
    const tvs = await cli('pki', 'regen', 'tvs', '--state', state, '--json');
    expect(tvs.status, tvs.stderr).to.equal(0);
    const event = JSON.parse(tvs.stdout) as { purpose: string; effects: { servicesRestartedAutomatically: string[]; itlRebuilt: boolean } };
    expect(event.purpose).to.equal('TVS');
    expect(event.effects).to.deep.include({ itlRebuilt: true, servicesRestartedAutomatically: ['Cisco Trust Verification Service'] });
    const cm = await cli('pki', 'regen', 'CallManager', '--state', state);
    expect(cm.status, cm.stderr).to.equal(0);
    expect(cm.stdout).to.contain('services to restart: Cisco CallManager, Cisco CTIManager, Cisco TFTP').and.contain('OUT OF ORDER');
  });

  it('refuses what CUCM refuses, with CUCM wording and a non-zero exit', async () => {
    const ec = await cli('pki', 'regen', 'CallManager-ECDSA', '--key-size', '4096', '--state', state);
    expect(ec.status).to.equal(1);
    expect(ec.stderr).to.contain('These options are not available for ECDSA certificates.');
    const hash = await cli('pki', 'regen', 'CallManager-ECDSA', '--hash', 'SHA256', '--state', state);
    expect(hash.status).to.equal(1);
    expect(hash.stderr).to.contain('For an EC 384 key size the hash algorithm can be SHA384 or SHA512.');
    const bogus = await cli('pki', 'regen', 'Bogus', '--state', state);
    expect(bogus.status).to.equal(1);
    expect(bogus.stderr).to.contain('unknown certificate purpose "Bogus"');
    const again = await cli('pki', 'init', '--state', state);
    expect(again.status).to.equal(1);
    expect(again.stderr).to.contain('already holds a cluster state');
    const none = await cli('pki', 'show', '--state', join(tempDir('cli-none'), 'x'));
    expect(none.status).to.equal(1);
    expect(none.stderr).to.contain('no cluster state');
  });

  it('imports, lists and deletes trust certificates, and makes a CSR', async () => {
    const other = await freshCluster('two-nodes', { subscribers: ['cucm-sub1'], parameters: FAST });
    const file = join(tempDir('cli-trust'), 'itlr.pem');
    writeFileSync(file, other.certificate('ITLRecovery').pem);
    const imp = await cli('pki', 'trust', 'import', 'Phone-SAST-trust', file, '--state', state);
    expect(imp.status, imp.stderr).to.equal(0);
    expect(imp.stdout).to.match(/^added: CN=ITLRECOVERY_cucm-pub/);
    const list = await cli('pki', 'trust', 'list', 'Phone-SAST-trust', '--state', state, '--json');
    expect((JSON.parse(list.stdout) as { fingerprintSha256: string }[]).map((e) => e.fingerprintSha256)).to.deep.equal([other.certificate('ITLRecovery').certificate.fingerprintSha256]);
    const del = await cli('pki', 'trust', 'delete', 'Phone-SAST-trust', 'ITLRECOVERY_cucm-pub', '--state', state);
    expect(del.status, del.stderr).to.equal(0);
    expect(del.stdout).to.contain('deleted across all servers in the cluster');
    const csr = await cli('pki', 'csr', 'tomcat', '--state', state);
    expect(csr.status, csr.stderr).to.equal(0);
    expect(csr.stdout).to.match(/^-----BEGIN CERTIFICATE REQUEST-----/);
  });
});
