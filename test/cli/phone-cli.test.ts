// `trustline cluster start` and `trustline phone` as a user runs them: the cluster in one process, two phones in two
// others; one phone answers, the other calls it, and both report an encrypted call whose SRTP media decrypted.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../common/paths.js';

const CLI = join(projectRoot(), 'cli', 'dev.ts');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): { child: ChildProcess; done: Promise<Ran> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Ran>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  // Bounded: no child outlives its test.
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void done.then(() => clearTimeout(kill));
  return { child, done };
}

/** The first line of the cluster's stdout: its endpoints (cluster start --json). */
function endpointsOf(child: ChildProcess): Promise<{ fileServer: { tftpPort: number; httpPort: number; https6971Port: number } }> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('cluster start printed no endpoints within 30 s')), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve(JSON.parse(buf.slice(0, nl)));
    });
    child.on('close', (code) => reject(new Error(`cluster start ended (${code}) before printing its endpoints`)));
  });
}

describe('trustline phone against trustline cluster start', function () {
  this.timeout(90_000);
  let dir: string;
  let cluster: ReturnType<typeof start> | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trustline-phone-cli-'));
    writeFileSync(
      join(dir, 'cluster.yaml'),
      [
        'hostname: lab-cm-pub',
        'domain: lab.example',
        'securityMode: mixed',
        'phoneProfiles:',
        '  Encrypted: { deviceSecurityMode: encrypted }',
        'devices:',
        "  alice: { mac: 00EBD5100001, model: '8845', profile: Encrypted, lines: [{ dn: '1001' }] }",
        "  bob: { mac: 00EBD5100002, model: '8865', profile: Encrypted, lines: [{ dn: '1002' }] }",
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    if (cluster) {
      cluster.child.kill('SIGTERM');
      await cluster.done;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('boots, registers over TLS and places an encrypted call whose SRTP media both phones decrypt', async () => {
    const state = join(dir, 'cluster');
    cluster = start(['cluster', 'start', '--state', state, '--config', join(dir, 'cluster.yaml'), '--ports', '0', '--json']);
    const e = await endpointsOf(cluster.child);
    const fs = e.fileServer;
    const common = ['--tftp', `127.0.0.1:${fs.tftpPort}`, '--http-port', String(fs.httpPort), '--https-port', String(fs.https6971Port), '--mic-from', state, '--json'];
    const bob = start(['phone', '--mac', '00:EB:D5:10:00:02', '--model', '8865', '--state', join(dir, 'bob'), '--answer', '--wait', '8', ...common]);
    // Bob must be registered before Alice dials: the cluster logs each registration as it happens.
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`bob did not register within 30 s; cluster log:\n${log}`)), 30_000);
      cluster!.child.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (/SIP registered SEP00EBD5100002/.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const alice = await start(['phone', '--mac', '00EBD5100001', '--model', '8845', '--state', join(dir, 'alice'), '--call', '1002', '--talk', '2', ...common]).done;
    const b = await bob.done;
    expect(alice.code, alice.stderr).to.equal(0);
    expect(b.code, b.stderr).to.equal(0);
    const a = JSON.parse(alice.stdout);
    const r = JSON.parse(b.stdout);
    for (const p of [a, r]) {
      expect(p.boot.status).to.equal('ready');
      expect(p.registration.outcome).to.equal('registered');
      expect(p.registration.securityMode).to.equal('encrypted');
      expect(p.calls).to.have.length(1);
      const call = p.calls[0];
      expect(call.outcome).to.equal('connected');
      expect(call.security).to.equal('encrypted');
      expect(call.media.srtp).to.equal(true);
      expect(call.stats.receive.packets).to.be.greaterThan(50);
      expect(call.stats.receive.authFailures).to.equal(0);
      expect(call.ok, call.problems.join('; ')).to.equal(true);
    }
    expect(a.calls[0].direction).to.equal('outgoing');
    expect(r.calls[0].direction).to.equal('incoming');
    // Both 88xx models agree on the strongest common suite under "All Supported".
    expect(a.calls[0].media.suite).to.equal('AEAD_AES_256_GCM');
  });

  it('names a bad option instead of crashing', async () => {
    const r = await start(['phone', '--mac', '00EBD5100001', '--tftp', '127.0.0.1:notaport']).done;
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('--tftp: "127.0.0.1:notaport" is not host[:port]');
  });
});
