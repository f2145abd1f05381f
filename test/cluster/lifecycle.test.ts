// The cluster's life in processes of its own: after stop() nothing keeps a process alive (no socket, no timer), and
// `trustline cluster start` runs in the foreground, prints its table, serves files and exits 0 on SIGTERM. Also the
// YAML configuration file: every problem reported with its file, line and column.
import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../common/paths.js';
import { ClusterConfigError, parseClusterConfigYaml, parsePortsSpec, type LocatedIssue } from '../../engine/cluster/index.js';
import { verifyTrustList } from '../../engine/trust/index.js';
import { tftpGet } from '../tftp/client.js';
import { httpGet, tempDir, templateDir } from './support.js';

/** A state directory copied from the template (no key generation in the child). */
async function stateCopy(): Promise<string> {
  const dir = join(tempDir('child'), 'state');
  cpSync(await templateDir('us'), dir, { recursive: true });
  return dir;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  killed: boolean;
}

/** Runs a child with a bound: killed (and reported) if it has not exited after `limitMs`. */
function run(args: string[], limitMs: number, onStdout?: (all: string, child: ReturnType<typeof spawn>) => void): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRUSTLINE_LOG: 'info' } });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, child);
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killed });
    });
  });
}

describe('cluster: lifecycle, CLI and configuration file', function () {
  this.timeout(60_000);

  it('a process that starts and stops a cluster ends by itself: no socket or timer left', async () => {
    const dir = await stateCopy();
    const r = await run([join('test', 'cluster', 'fixtures', 'start-stop.ts'), dir], 20_000);
    expect(r.killed, `the child did not exit by itself\n${r.stderr}`).to.equal(false);
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout.trim()) as { status: number; bytes: number; active: string[] };
    expect(report.status).to.equal(200);
    expect(report.bytes).to.be.greaterThan(1000);
    expect(report.active, 'handles left after stop()').to.deep.equal([]);
  });

  it('`trustline cluster start --ports 0` prints the table, serves ITLFile.tlv over HTTP and TFTP, exits 0 on SIGTERM', async () => {
    const dir = await stateCopy();
    let fetched: Promise<void> | undefined;
    let problem: unknown;
    const r = await run([join('cli', 'dev.ts'), 'cluster', 'start', '--state', dir, '--ports', '0'], 30_000, (out, child) => {
      if (fetched || !out.includes('running;')) return;
      const port = (door: string) => Number(new RegExp(`│\\s*${door}\\s*│\\s*127\\.0\\.0\\.1:(\\d+)`).exec(out)?.[1]);
      fetched = (async () => {
        try {
          const http = await httpGet(port('HTTP'), 'ITLFile.tlv');
          expect(http.status).to.equal(200);
          expect(verifyTrustList(http.body).ok).to.equal(true);
          const tftp = await tftpGet('ITLFile.tlv', { port: port('TFTP'), timeoutMs: 5000 });
          expect(tftp.data.equals(http.body)).to.equal(true);
        } catch (e) {
          problem = e;
        } finally {
          child.kill('SIGTERM');
        }
      })();
    });
    await fetched;
    if (problem) throw problem;
    expect(r.killed, `no exit after SIGTERM\n${r.stderr}`).to.equal(false);
    expect(r.code, r.stderr).to.equal(0);
    for (const s of ['Cisco CallManager', 'SIP TLS', 'Cisco TFTP', 'Cisco Tomcat', 'Cisco Trust Verification Service', 'Cisco Certificate Authority Proxy Function']) expect(r.stdout).to.contain(s);
    expect(r.stdout).to.match(/CallManager: cucm-us \(RSA 2048/);
    expect(r.stdout).to.contain('cluster us stopped');
    expect(r.stderr).to.match(/http 127\.0\.0\.1:\d+ "\/ITLFile\.tlv" 200 ok/);
    expect(r.stderr).to.contain('SIGTERM: stopping cluster us');
  });

  it('`trustline cluster start --config` with a bad file: exit 1, every problem at file:line:column', async () => {
    const file = join(tempDir('yaml'), 'cluster.yaml');
    writeFileSync(file, ['hostname: cucm-x', 'parameters:', '  tlsCiphers: all-rsa', '  minTlsVersion: "1.3"', 'devices:', '  alice:', '    mac: not-a-mac', ''].join('\n'));
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', join('cli', 'dev.ts'), 'cluster', 'start', '--state', join(tempDir('none'), 's'), '--config', file], { cwd: projectRoot() }, (err, _o, stderr) =>
        resolve({ code: (err as { code?: number } | null)?.code ?? 0, stderr }),
      );
    });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain(`${file}:4:18: parameters.minTlsVersion: expected one of "1.0", "1.1", "1.2"`);
  });

  it('route patterns: each names a known trunk or a refusal, in CUCM pattern syntax; problems located by line:column', () => {
    const yaml = [
      'name: lab',
      'trunks:',
      '  t1: { destinations: [10.0.0.1] }',
      'routePatterns:',
      "  - { pattern: '2XXX', trunk: t1 }",
      "  - { pattern: '9.!', reject: { status: 403 } }",
      "  - { pattern: '3XXX', trunk: nowhere }",
      "  - { pattern: '4[9-', trunk: t1 }",
      "  - { pattern: '5XXX' }",
      '',
    ].join('\n');
    let issues: LocatedIssue[] = [];
    try {
      parseClusterConfigYaml(yaml, 'routes.yaml');
      expect.fail('accepted');
    } catch (e) {
      issues = (e as ClusterConfigError).issues as LocatedIssue[];
    }
    const lines = issues.map((i) => `${i.line} ${i.message}`);
    expect(lines).to.have.length(3);
    expect(lines[0]).to.match(/^7 unknown trunk "nowhere"/);
    expect(lines[1]).to.match(/^8 .*4\[9-/);
    expect(lines[2]).to.equal('9 route pattern "5XXX": give exactly one of trunk and reject');
    const good = parseClusterConfigYaml(yaml.split('\n').slice(0, 6).join('\n'), 'routes.yaml');
    expect(good.routePatterns).to.deep.equal([
      { pattern: '2XXX', trunk: 't1' },
      { pattern: '9.!', reject: { status: 403 } },
    ]);
  });

  it('parseClusterConfigYaml locates schema and cross-check problems; a good file is normalized', () => {
    const bad = ['name: us', 'devices:', '  alice:', '    mac: 00:1b:54:0a:00:01', '    profile: Nope', '  bob:', '    mac: 001B540A0001', 'trunks:', '  t1: { destinations: [10.0.0.1], colour: red }', ''].join('\n');
    let issues: LocatedIssue[] = [];
    try {
      parseClusterConfigYaml(bad, 'bad.yaml');
    } catch (e) {
      expect(e).to.be.instanceOf(ClusterConfigError);
      issues = (e as ClusterConfigError).issues as LocatedIssue[];
    }
    expect(issues.map((i) => `${i.line}:${i.column} ${i.message}`)).to.deep.equal(['9:35 unknown setting "colour"']);
    const fixed = bad.replace(', colour: red', '');
    try {
      parseClusterConfigYaml(fixed, 'bad.yaml');
      expect.fail('accepted');
    } catch (e) {
      issues = (e as ClusterConfigError).issues as LocatedIssue[];
    }
    expect(issues.map((i) => `${i.line}:${i.column} ${i.message.split(' (known')[0]}`)).to.deep.equal([
      '5:14 unknown phone security profile "Nope"',
      '7:10 MAC 001B540A0001 is already alice\'s',
    ]);
    const good = parseClusterConfigYaml(
      [
        'name: lab',
        'securityMode: mixed',
        'network: { bind: 0.0.0.0, ports: { tftp: 6969 } }',
        'parameters: { tlsCiphers: "All Ciphers, ECDSA Preferred", srtpCiphers: strongest, minTlsVersion: "1.2" }',
        'phoneProfiles:',
        '  enc: { deviceSecurityMode: encrypted, tftpEncryptedConfig: true, authMode: auth-string }',
        'trunkProfiles:',
        '  secure: { deviceSecurityMode: encrypted, x509SubjectNames: "emea-cm-pub-ms.ent-pa.com, other" }',
        'devices:',
        '  alice: { mac: 00-1B-54-0A-00-01, profile: enc, lines: [1001, { dn: 1002, displayName: Alice }], capf: { operation: install-upgrade, authString: "123456" } }',
        'trunks:',
        '  emea: { profile: secure, destinations: ["127.0.0.2", "10.1.1.1:5062"], srtpAllowed: true }',
        '',
      ].join('\n'),
      'good.yaml',
    );
    expect(good.parameters.tlsCiphers).to.equal('all-ecdsa');
    expect(good.network.ports).to.include({ tftp: 6969, sipTls: 5061 });
    expect(good.devices.alice).to.deep.include({ name: 'SEP001B540A0001', lines: [{ dn: '1001' }, { dn: '1002', displayName: 'Alice' }] });
    expect(good.trunkProfiles.secure!.x509SubjectNames).to.deep.equal(['emea-cm-pub-ms.ent-pa.com', 'other']);
    expect(good.trunks.emea!.destinations).to.deep.equal([
      { address: '127.0.0.2', port: 5061 },
      { address: '10.1.1.1', port: 5062 },
    ]);
  });

  it('--ports: 0, a base port, or a list', () => {
    expect(parsePortsSpec('0')).to.include({ sipUdp: 0, tftp: 0, capf: 0 });
    expect(parsePortsSpec('20000')).to.deep.equal({ sipUdp: 20000, sipTcp: 20000, sipTls: 20001, tftp: 20002, http: 20003, https6971: 20004, https6972: 20005, tvs: 20006, capf: 20007 });
    expect(parsePortsSpec('tftp=6969,capf=off,sip=5070')).to.deep.equal({ tftp: 6969, capf: false, sipUdp: 5070, sipTcp: 5070 });
    expect(() => parsePortsSpec('tftp=x')).to.throw(/key=port/);
    expect(() => parsePortsSpec('80')).to.throw(/base port/);
  });
});
