// `trustline run` as a user types it, in a child process: the secure call example passes (exit 0) with the console
// table on stdout and the HTML and JUnit reports in --out; a failing scenario exits 1 and --capture leaves a pcap of
// the media with the TLS and SRTP key logs beside it; --check only validates.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../common/paths.js';
import { KEY_LOG_HEADER } from '../../endpoints/media/index.js';

const ROOT = projectRoot();

function cli(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/dev.ts', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`trustline ${args.join(' ')} did not end within ${timeoutMs} ms\n${err}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe('runner: the trustline run command', function () {
  this.timeout(90_000);
  this.slow(15_000);
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'trustline-cli-run-'));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('runs the secure call example: exit 0, the table on stdout, HTML and JUnit reports in --out', async () => {
    const out = tmp();
    const r = await cli(['run', 'scenarios/examples/secure-call.yaml', '--report', 'html', '--report', 'junit', '--out', out]);
    expect(r.code, r.err + r.out).to.equal(0);
    expect(r.out).to.match(/^PASS Secure call/m);
    expect(r.out).to.match(/│ 6 │ hang up secure +│ hangup +│ 7\/7 +│ pass/);
    expect(r.out).to.match(/1 scenario: 1 passed · 6 steps: 6 passed · 29 expectations, 0 failed/);
    expect(r.err).to.contain(`wrote html report ${join(out, 'trustline-report.html')}`);
    const html = readFileSync(join(out, 'trustline-report.html'), 'utf8');
    expect(html).to.contain('<svg class="ladder"');
    expect(html).to.contain('AEAD_AES_256_GCM');
    const junit = readFileSync(join(out, 'trustline-junit.xml'), 'utf8');
    expect(junit).to.match(/<testsuites name="trustline"[^>]* tests="6" failures="0"/);
  });

  it('a failing scenario exits 1; --capture writes the media pcap with the TLS and SRTP key logs', async () => {
    const out = tmp();
    const r = await cli(['run', 'test/runner/broken/srtp-auth-failures.yaml', '--capture', '--out', out, '--quiet', '--speed', '2']);
    expect(r.code, r.err).to.equal(1);
    expect(r.out).to.match(/^FAIL broken - corrupted SRTP/m);
    expect(r.out).to.match(/media\.authFailures: expected 0, observed [1-9]/);
    const files = readdirSync(out).sort();
    expect(files).to.deep.equal(['srtp-auth-failures.pcap', 'srtp-auth-failures.srtp-keys.log', 'srtp-auth-failures.tls-keys.log']);
    const base = join(out, 'srtp-auth-failures');
    const pcap = readFileSync(`${base}.pcap`);
    expect(pcap.readUInt32LE(0)).to.equal(0xa1b2c3d4);
    expect(statSync(`${base}.pcap`).size, 'a second of media both ways').to.be.greaterThan(24 + 50 * 100);
    const srtp = readFileSync(`${base}.srtp-keys.log`, 'utf8');
    expect(srtp.startsWith(KEY_LOG_HEADER)).to.equal(true);
    expect(srtp).to.contain('AEAD_AES_256_GCM');
    expect(readFileSync(`${base}.tls-keys.log`, 'utf8')).to.match(/^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET) [0-9a-f]{64} [0-9a-f]+$/m);
  });

  it('--check validates without running: a schema error exits 1 with file:line:column', async () => {
    const ok = await cli(['run', '--check', 'scenarios/examples/secure-call.yaml', 'scenarios/examples/load-parallel-calls.yaml']);
    expect(ok.code, ok.err).to.equal(0);
    const bad = await cli(['run', '--check', 'test/runner/broken/schema-error.yaml']);
    expect(bad.code).to.equal(1);
    expect(bad.err).to.contain('schema-error.yaml:8:5: error: steps[0]: unknown property');
  });
});
