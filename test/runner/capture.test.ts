// `--capture` on a small secure scenario (two phones with LSCs boot over TFTP and HTTPS 6971, register over mutual TLS,
// one SRTP call): the live loopback pcap read back by tshark with the written TLS key log shows the SIP
// REGISTER/INVITE/BYE and their 200s and the HTTPS download decrypted, every TLS connection's keys are in the log,
// every SRTP datagram is there, and loopback traffic that is not the run's is not. With dumpcap unavailable the pcap is the synthesised media-only one, and the report and the
// console say so.
import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../common/paths.js';
import { runScenarioFiles } from '../../scenarios/run.js';
import type { ScenarioResult } from '../../scenarios/results.js';
import { createExecutorFactory, type CaptureFiles, type CaptureOptions } from '../../scenarios/runner/index.js';
import { requirePeer } from '../support/peers.js';

const SCENARIO = `
name: capture - two phones with LSCs, one encrypted call
cluster: { securityMode: mixed }
profiles:
  phone:
    Encrypted-LSC: { deviceSecurityMode: encrypted, authMode: existing-lsc }
phones:
  alice: { model: '8865', mac: 00:1B:54:CA:00:01, line: 2001, profile: Encrypted-LSC, certificates: { lsc: true } }
  bob: { model: '8865', mac: 00:1B:54:CA:00:02, line: 2002, profile: Encrypted-LSC, certificates: { lsc: true } }
steps:
  - boot: { phones: [alice], register: false }
  - boot: { phones: [bob], register: false, door: https-6971 }
  - register: [alice, bob]
    expect:
      registration: { outcome: registered, transport: TLS, securityMode: encrypted }
  - call: { from: alice, to: bob, id: c, answer: true }
    expect:
      call: { outcome: connected, security: encrypted }
      media: { srtp: true }
  - wait: 1s
  - hangup: c
    expect:
      media: { authFailures: 0, packetsSent: '> 20' }
`;

function tshark(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('tshark', ['-n', ...args], { timeout: 60_000, maxBuffer: 32 << 20 }, (e, out, err) => (e ? reject(new Error(`tshark ${args.join(' ')}: ${err}`)) : resolve(out))),
  );
}

const rows = (out: string) => out.split('\n').filter((l) => l.trim());

function failuresOf(r: ScenarioResult): string[] {
  const out = r.errors.filter((e) => e.severity === 'error').map((e) => `error: ${e.message}`);
  for (const s of r.steps) {
    if (s.error) out.push(`step ${s.id} errored: ${s.error.message}`);
    for (const e of s.expectations) if (!e.pass) out.push(e.message);
  }
  return out;
}

async function runCaptured(dir: string, capture?: CaptureOptions): Promise<{ result: ScenarioResult; files: CaptureFiles }> {
  const file = join(dir, 'capture-call.yaml');
  writeFileSync(file, SCENARIO);
  let files: CaptureFiles | undefined;
  const factory = createExecutorFactory({ mediaSpeed: 2, captureDir: join(dir, 'out'), ...(capture ? { capture } : {}), onCapture: (_p, f) => (files = f) });
  const run = await runScenarioFiles([file], { executorFactory: factory });
  const result = run.scenarios[0]!;
  expect(failuresOf(result), failuresOf(result).join('\n')).to.deep.equal([]);
  expect(files, 'onCapture was told').to.not.equal(undefined);
  return { result, files: files! };
}

describe('runner: --capture', function () {
  this.timeout(120_000);
  this.slow(15_000);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trustline-capture-run-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a live loopback capture: SIP over TLS decrypts with the key log, every TLS connection has its keys, the media is there, strangers are not', async function () {
    requirePeer(this, 'dumpcap', 'tshark');
    requirePeer(this, 'tshark', 'tshark');
    // Someone else's loopback traffic during the run.
    const stranger = createSocket('udp4');
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', () => r()));
    const token = `stranger-${randomBytes(6).toString('hex')}`;
    const noise = setInterval(() => stranger.send(token, stranger.address().port, '127.0.0.1'), 20);
    let run: { result: ScenarioResult; files: CaptureFiles };
    try {
      run = await runCaptured(dir);
    } finally {
      clearInterval(noise);
      stranger.close();
    }
    const { result, files } = run;
    expect(files.live, files.note).to.equal(true);
    expect(files.note).to.match(/^live loopback capture of the run's flows/);
    expect(readdirSync(join(dir, 'out')).sort()).to.deep.equal(['capture-call.pcap', 'capture-call.srtp-keys.log', 'capture-call.tls-keys.log']);
    expect(result.logs.some((l) => l.level === 'info' && l.message.includes(`capture: ${files.pcap}: live loopback capture`))).to.equal(true);
    const pcap = readFileSync(files.pcap);
    expect(pcap.readUInt32LE(0), 'classic pcap').to.equal(0xa1b2c3d4);
    expect(pcap.includes(token), "loopback traffic that is not the run's is left out").to.equal(false);

    const decode = files.decodeAs.flatMap((d) => ['-d', d]);
    const keys = ['-o', `tls.keylog_file:${files.tlsKeyLog}`];
    const sipFields = ['-Y', 'sip', '-T', 'fields', '-E', 'separator=,', '-e', 'sip.Method', '-e', 'sip.Status-Code', '-e', 'sip.CSeq.method'];
    expect(rows(await tshark(['-r', files.pcap, ...decode, ...sipFields])), 'without the keys SIP stays encrypted').to.deep.equal([]);
    const sip = rows(await tshark(['-r', files.pcap, ...keys, ...decode, ...sipFields]));
    for (const m of ['REGISTER', 'INVITE', 'ACK', 'BYE']) expect(sip, `a ${m} request`).to.include(`${m},,${m}`);
    for (const m of ['REGISTER', 'INVITE', 'BYE']) expect(sip, `a 200 to ${m}`).to.include(`,200,${m}`);
    const overTls = rows(await tshark(['-r', files.pcap, ...keys, ...decode, '-Y', 'sip.Method == "REGISTER" && tls', '-T', 'fields', '-e', 'tcp.dstport']));
    expect(overTls, 'REGISTERs are inside TLS (one per phone)').to.have.length(2);

    // Every TLS connection of the run (SIP and CAPF here, both phones) has its secret in the key log.
    const randoms = rows(await tshark(['-r', files.pcap, ...decode, '-Y', 'tls.handshake.type == 1', '-T', 'fields', '-e', 'tls.handshake.random']));
    expect(randoms.length, 'ClientHellos in the capture').to.be.at.least(2);
    const keyLog = readFileSync(files.tlsKeyLog, 'utf8');
    for (const r of randoms) expect(keyLog, `keys of ClientHello random ${r}`).to.contain(` ${r.replace(/:/g, '')} `);

    // The configuration downloads: alice's over TFTP, bob's over HTTPS 6971 (decrypted: the phones' HTTPS client logs
    // no keys of its own, the tap has them).
    const tftp = rows(await tshark(['-r', files.pcap, ...decode, '-Y', 'tftp.opcode == 1', '-T', 'fields', '-e', 'tftp.source_file']));
    expect(tftp).to.include('SEP001B54CA0001.cnf.xml.sgn');
    const https = rows(await tshark(['-r', files.pcap, ...keys, ...decode, '-Y', 'http.request && tls', '-T', 'fields', '-e', 'http.request.uri']));
    expect(https.some((u) => u.includes('SEP001B54CA0002.cnf.xml')), `HTTPS requests: ${https.join(' ')}`).to.equal(true);
    const srtp = rows(await tshark(['-r', files.pcap, ...keys, ...decode, '-Y', 'rtp', '-T', 'fields', '-e', 'rtp.ssrc']));
    expect(files.rtpPackets).to.be.greaterThan(40);
    expect(srtp.length, 'every SRTP datagram the phones sent').to.equal(files.rtpPackets);
    expect(new Set(srtp).size, 'one stream each way').to.equal(2);
    // RTCP: the reports; the final BYE a session sends as it closes its socket may never reach the wire.
    const rtcp = rows(await tshark(['-r', files.pcap, ...keys, ...decode, '-Y', 'rtcp || srtcp', '-T', 'fields', '-e', 'frame.number']));
    expect(rtcp.length).to.be.within(1, files.mediaPackets - files.rtpPackets);
    expect(readFileSync(files.srtpKeyLog, 'utf8')).to.contain('inline:');
  });

  it('without dumpcap: the media-only pcap, and the report says why', async () => {
    const { result, files } = await runCaptured(dir, { dumpcap: '/nonexistent/dumpcap' });
    expect(files.live).to.equal(false);
    expect(files.decodeAs).to.deep.equal([]);
    expect(files.note).to.equal(`no live capture (cannot start /nonexistent/dumpcap: command not found): the pcap holds only the ${files.mediaPackets} media packets the phones sent, with synthesised headers`);
    expect(result.logs.some((l) => l.level === 'warn' && l.message === `capture: ${files.pcap}: ${files.note}; TLS keys ${files.tlsKeyLog}; SRTP keys ${files.srtpKeyLog}`), 'the warning is in the report').to.equal(true);
    const pcap = readFileSync(files.pcap);
    expect(pcap.readUInt32LE(0)).to.equal(0xa1b2c3d4);
    expect(pcap.readUInt32LE(16), 'the synthesising writer').to.equal(65535);
    expect(files.mediaPackets).to.be.greaterThan(40);
    // Count the records: each is a 16-byte header and an Ethernet/IPv4/UDP frame.
    let records = 0;
    for (let off = 24; off < pcap.length; off += 16 + pcap.readUInt32LE(off + 8)) {
      const frame = pcap.subarray(off + 16, off + 16 + pcap.readUInt32LE(off + 8));
      expect(frame[23], 'UDP only').to.equal(17);
      records++;
    }
    expect(records).to.equal(files.mediaPackets);
    expect(readFileSync(files.tlsKeyLog, 'utf8'), 'the TLS keys are written all the same').to.match(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/m);
  });

  it('trustline run --capture says so on the console when dumpcap is not on PATH, even with --quiet', async () => {
    const file = join(dir, 'capture-call.yaml');
    writeFileSync(file, SCENARIO);
    const out = join(dir, 'out');
    const r = await new Promise<{ code: number | null; err: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'cli/dev.ts', 'run', file, '--capture', '--out', out, '--quiet', '--speed', '2'], {
        cwd: projectRoot(),
        env: { ...process.env, PATH: join(dir, 'empty-path'), NO_COLOR: '1' },
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const t = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.on('close', (code) => (clearTimeout(t), resolve({ code, err })));
      child.on('error', reject);
    });
    expect(r.code, r.err).to.equal(0);
    expect(r.err).to.match(
      new RegExp(`^wrote capture ${out}/capture-call\\.pcap \\(\\+ ${out}/capture-call\\.tls-keys\\.log, ${out}/capture-call\\.srtp-keys\\.log\\): no live capture \\(cannot start dumpcap: command not found\\): the pcap holds only the \\d+ media packets the phones sent, with synthesised headers$`, 'm'),
    );
  });
});
