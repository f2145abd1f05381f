// `trustline probe` end to end through the CLI (node --import tsx cli/dev.ts): JSON on stdout, the HTML matrix, the
// console tables, progress on stderr and the exit codes.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getLogLevel, setLogLevel } from '../../common/log.js';
import { projectRoot } from '../../common/paths.js';
import type { ProbeReport } from '../../probe/types.js';
import { makeTestPki, type TestPki } from '../support/test-certs.js';
import { freePort, startTrustline } from './support.js';

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'cli/dev.ts', 'probe', ...args],
      { cwd: projectRoot(), timeout: 60_000, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, TRUSTLINE_LOG: 'error' } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('trustline probe (CLI)', function () {
  this.timeout(60_000);
  let pki: TestPki;
  const closers: Array<() => Promise<void>> = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trustline-probe-cli-'));
  let level: ReturnType<typeof getLogLevel>;
  before(async () => {
    pki = await makeTestPki();
    level = getLogLevel();
    setLogLevel('error');
  });
  after(async () => {
    setLogLevel(level);
    await Promise.all(closers.map((c) => c()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--json and --html: the report on stdout, the matrix in the file, progress on stderr', async () => {
    const tl = await startTrustline(pki.callManager, pki.callManagerEcdsa, { tlsCiphers: 'medium-ecdsa' });
    closers.push(() => tl.listener.close());
    const html = path.join(dir, 'out.html');
    const r = await cli([`127.0.0.1:${tl.port}`, '--json', '--html', html, '--no-sigalgs', '--no-groups', '--timeout', '3000']);
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as ProbeReport;
    expect(report.tool).to.equal('trustline probe');
    expect(report.versions.map((v) => [v.version, v.supported])).to.deep.equal([
      ['TLSv1', true],
      ['TLSv1.1', true],
      ['TLSv1.2', true],
      ['TLSv1.3', false],
    ]);
    expect(report.versions[2]!.order).to.deep.equal(tl.policy.suites.map((s) => s.openssl));
    expect(report.versions[2]!.suites.filter((p) => p.sip?.status === 200).length).to.equal(tl.policy.suites.length);
    expect(r.stderr).to.match(/probe: versions\.\.\.\nprobe: suites\.\.\./);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).to.match(/^<!DOCTYPE html>/);
    expect(page).to.contain('<table class="matrix" id="matrix">');
    // One row per catalogue suite, one column per version; ECDSA and RSA cells coloured apart.
    expect(page).to.match(/<code>ECDHE-ECDSA-AES256-GCM-SHA384<\/code>.*?<td class="cell na"[^>]*>&ndash;<\/td><td class="cell na"[^>]*>&ndash;<\/td><td class="cell acc-ecdsa sip-ok"[^>]*><b>#1<\/b> ECDSA P-256<br>SIP 200 OK<\/td>/s);
    expect(page).to.match(/<code>NULL-SHA<\/code>.*?<td class="cell acc-rsa sip-ok"[^>]*><b>#1<\/b> RSA 2048/s);
    expect(page).to.match(/<code>DES-CBC3-SHA<\/code>.*?<td class="cell rejected"/s);
    expect(page).to.contain('<td class="cell unsupported"');
    expect(page).not.to.match(/<script/);
  });

  it('tables on the console by default; exit 2 when nothing answers TLS; exit 3 when an --as client fails', async () => {
    const tl = await startTrustline(pki.callManager, pki.callManagerEcdsa, { tlsCiphers: 'all-rsa', minTlsVersion: '1.2' });
    closers.push(() => tl.listener.close());
    const [table, dead, legacy] = await Promise.all([
      cli([`127.0.0.1:${tl.port}`, '--versions', '1.2', '--sip', 'once', '--no-client-certs', '--no-progress']),
      freePort().then((p) => cli([`127.0.0.1:${p}`, '--timeout', '500', '--json'])),
      cli([`127.0.0.1:${tl.port}`, '--as', '79xx', '--as', '88xx', '--json']),
    ]);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stderr).to.equal('');
    expect(table.stdout).to.match(/^trustline probe 127\.0\.0\.1:\d+\nverdict: 127\.0\.0\.1:\d+: TLSv1\.2 6 suite\(s\), server order; certificates RSA 2048, ECDSA P-256; SIP OPTIONS answered through 1\/1 suite\(s\)/);
    expect(table.stdout).to.match(/│ 1 │ ECDHE-RSA-AES256-GCM-SHA384 +│ TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 +│ 0xC0,0x30 │ RSA 2048 +│ ECDHE P-256 +│ 200 OK/);
    expect(dead.code).to.equal(2);
    expect((JSON.parse(dead.stdout) as ProbeReport).verdict).to.match(/no TLS version accepted \(TLSv1: not supported: TCP connect to 127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(legacy.code).to.equal(3);
    const fb = (JSON.parse(legacy.stdout) as ProbeReport).fallback;
    expect(fb.map((f) => [f.profile, f.outcome])).to.deep.equal([
      ['cp-79xx', 'failure'],
      ['cp-88xx', 'success'],
    ]);
    expect(fb[0]!.summary).to.contain('server refuses TLSv1 (alert protocol_version)');
  });

  it('rejects bad arguments with a clear message', async () => {
    const bad = await cli(['127.0.0.1:99999']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.contain('target "127.0.0.1:99999": port 99999 out of range');
    const sip = await cli(['127.0.0.1:5061', '--sip', 'sometimes']);
    expect(sip.stderr).to.contain('--sip "sometimes": expected each, once or off');
  });
});
