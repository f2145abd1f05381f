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

/** `trustline phone --json` of a phone that booted, registered encrypted and had one encrypted call whose SRTP checked. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function expectEncryptedCall(p: any): void {
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

/** Resolves when the cluster's log (stderr) matches `re`, or fails after 30 s naming it. */
function logged(child: ChildProcess, re: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`${what} not seen within 30 s; log:\n${log}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (re.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
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
    await logged(cluster.child, /SIP registered SEP00EBD5100002/, "bob's registration");
    const alice = await start(['phone', '--mac', '00EBD5100001', '--model', '8845', '--state', join(dir, 'alice'), '--call', '1002', '--talk', '2', ...common]).done;
    const b = await bob.done;
    expect(alice.code, alice.stderr).to.equal(0);
    expect(b.code, b.stderr).to.equal(0);
    const a = JSON.parse(alice.stdout);
    const r = JSON.parse(b.stdout);
    for (const p of [a, r]) expectEncryptedCall(p);
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

describe('trustline cluster start: two clusters with enterprise-CA-signed multi-server certificates and a secure SIP trunk', function () {
  this.timeout(120_000);
  let dir: string;
  const clusters: ReturnType<typeof start>[] = [];

  /** A cluster's configuration: its phone, a TLS trunk to the other cluster expecting its multi-server name, a route pattern. */
  function config(me: string, other: string, otherAddress: string, phone: { mac: string; dn: string }, pattern: string): string {
    return [
      `hostname: ${me}-cm-pub`,
      'domain: lab.example',
      'securityMode: mixed',
      'certificates:',
      '  CallManager: { signedBy: enterprise-ca, multiServer: true }',
      'phoneProfiles:',
      '  Encrypted: { deviceSecurityMode: encrypted }',
      'trunkProfiles:',
      `  To-${other}: { deviceSecurityMode: encrypted, incomingTransport: TLS, outgoingTransport: TLS, x509SubjectNames: [${other}-cm-pub-ms.lab.example] }`,
      'trunks:',
      `  to-${other}: { profile: To-${other}, destinations: ['${otherAddress}:5061'], srtpAllowed: true }`,
      'routePatterns:',
      `  - { pattern: '${pattern}', trunk: to-${other} }`,
      'devices:',
      `  phone: { mac: ${phone.mac}, model: '8845', profile: Encrypted, lines: [{ dn: '${phone.dn}' }] }`,
      '',
    ].join('\n');
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trustline-cluster-trunk-cli-'));
    writeFileSync(join(dir, 'us.yaml'), config('us', 'emea', '127.0.0.3', { mac: '00EBD5300001', dn: '1001' }, '2XXX'));
    writeFileSync(join(dir, 'emea.yaml'), config('emea', 'us', '127.0.0.2', { mac: '00EBD5400001', dn: '2001' }, '1XXX'));
  });

  after(async () => {
    for (const c of clusters) c.child.kill('SIGTERM');
    await Promise.all(clusters.map((c) => c.done));
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes a call over the trunk: mutual TLS accepted without exchanging certificates, the call encrypted end to end', async () => {
    const ca = join(dir, 'enterprise-ca');
    // SIP on the standard ports of two loopback addresses (the trunks name them); everything else chosen by the OS.
    const ports = 'sip=5060,sip-tls=5061,tftp=0,http=0,https6971=0,https6972=0,tvs=0,capf=0';
    const us = start(['cluster', 'start', '--state', join(dir, 'us'), '--config', join(dir, 'us.yaml'), '--bind', '127.0.0.2', '--ports', ports, '--enterprise-ca', ca, '--json']);
    clusters.push(us);
    const usEnd = await endpointsOf(us.child);
    const emea = start(['cluster', 'start', '--state', join(dir, 'emea'), '--config', join(dir, 'emea.yaml'), '--bind', '127.0.0.3', '--ports', ports, '--enterprise-ca', ca, '--json']);
    clusters.push(emea);
    const emeaEnd = await endpointsOf(emea.child);
    const phoneArgs = (e: typeof usEnd, state: string, host: string) => [
      '--tftp', `${host}:${e.fileServer.tftpPort}`, '--http-port', String(e.fileServer.httpPort), '--https-port', String(e.fileServer.https6971Port), '--mic-from', state, '--json',
    ];
    const bob = start(['phone', '--mac', '00EBD5400001', '--model', '8845', '--state', join(dir, 'bob'), '--answer', '--wait', '8', ...phoneArgs(emeaEnd, join(dir, 'emea'), '127.0.0.3')]);
    await logged(emea.child, /SIP registered SEP00EBD5400001/, "bob's registration on EMEA");
    const alice = await start(['phone', '--mac', '00EBD5300001', '--model', '8845', '--state', join(dir, 'alice'), '--call', '2001', '--talk', '2', ...phoneArgs(usEnd, join(dir, 'us'), '127.0.0.2')]).done;
    const b = await bob.done;
    expect(alice.code, alice.stdout + alice.stderr).to.equal(0);
    expect(b.code, b.stdout + b.stderr).to.equal(0);
    for (const p of [JSON.parse(alice.stdout), JSON.parse(b.stdout)]) expectEncryptedCall(p);
    // The TLS server certificate each phone saw is the multi-server one, issued by the shared enterprise CA.
    const reg = JSON.parse(alice.stdout).registration;
    expect(reg.tls.serverCertificate.subject).to.match(/us-cm-pub-ms\.lab\.example/);
  });
});
