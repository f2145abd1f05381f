// The pieces of `--capture`, each against real peers: the process-wide TLS key tap (its lines are the ones OpenSSL's
// own s_client logs for the same connection, both sides of an in-process connection are tapped, untapping restores
// Node), dumpcap on loopback (clear errors when it cannot start, nothing sent before stop() is lost, no process left),
// and the flow filter that keeps only a run's packets of everyone's loopback traffic.
import { expect } from 'chai';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { decodeAs, flowFilter, keepFlows } from '../../scenarios/runner/capture-flows.js';
import { LiveCapture, LiveCaptureError } from '../../scenarios/runner/live-capture.js';
import { tapTlsKeyLog } from '../../scenarios/runner/tls-key-tap.js';
import { requirePeer } from '../support/peers.js';
import { makeTestPki, type TestPki } from '../support/test-certs.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'trustline-capture-test-'));

/** dumpcap children of this process (none must outlive a capture). */
function dumpcapChildren(): string[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-x', 'dumpcap'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function tshark(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('tshark', ['-n', ...args], { timeout: 30_000 }, (e, out, err) => (e ? reject(new Error(`tshark ${args.join(' ')}: ${err}`)) : resolve(out))));
}

async function udp(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

const send = (s: Socket, data: string, port: number) => new Promise<void>((r, j) => s.send(Buffer.from(data), port, '127.0.0.1', (e) => (e ? j(e) : r())));

describe('runner capture: the TLS key tap', function () {
  this.timeout(30_000);
  let pki: TestPki;

  before(async () => {
    pki = await makeTestPki();
  });

  it("taps the server side: its lines are those openssl s_client's -keylogfile writes for the same connection", async function () {
    requirePeer(this, 'openssl', 'openssl');
    const dir = tmp();
    const lines: string[] = [];
    const untap = tapTlsKeyLog((l) => lines.push(l));
    const server = tls.createServer({ key: pki.callManager.key, cert: pki.callManager.cert }, (s) => s.end('hello\n'));
    try {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as { port: number }).port;
      for (const version of ['-tls1_2', '-tls1_3']) {
        const keylog = join(dir, `openssl${version}.log`);
        await new Promise<void>((resolve, reject) => {
          const c = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, version, '-keylogfile', keylog, '-quiet'], { stdio: ['pipe', 'ignore', 'ignore'] });
          const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
          c.on('exit', () => (clearTimeout(t), resolve()));
          c.on('error', reject);
        });
        const theirs = readFileSync(keylog, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
        expect(theirs.length, `openssl ${version} logged keys`).to.be.greaterThan(0);
        expect(lines, `tapped lines cover openssl ${version}`).to.include.members(theirs);
      }
      expect(lines.filter((l) => l.startsWith('CLIENT_RANDOM')), 'TLS 1.2: one line').to.have.length(1);
      expect(lines.filter((l) => l.startsWith('CLIENT_TRAFFIC_SECRET_0')), 'TLS 1.3: the traffic secrets').to.have.length(1);
    } finally {
      untap();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('taps both ends of an in-process connection (each line twice), and untapping restores TLSSocket', async () => {
    const before = (tls.TLSSocket.prototype as unknown as { _init: unknown })._init;
    const lines: string[] = [];
    const untap = tapTlsKeyLog((l) => lines.push(l));
    expect((tls.TLSSocket.prototype as unknown as { _init: unknown })._init).to.not.equal(before);
    const server = tls.createServer({ key: pki.callManager.key, cert: pki.callManager.cert, maxVersion: 'TLSv1.2' }, (s) => s.end('x'));
    try {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as { port: number }).port;
      await new Promise<void>((resolve, reject) => {
        const c = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => undefined);
        c.on('data', () => undefined);
        c.on('end', () => resolve());
        c.on('error', reject);
      });
      expect(lines).to.have.length(2);
      expect(lines[0]).to.match(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
      expect(lines[1]).to.equal(lines[0]);
    } finally {
      untap();
      await new Promise((r) => server.close(r));
    }
    expect((tls.TLSSocket.prototype as unknown as { _init: unknown })._init).to.equal(before);
  });
});

describe('runner capture: dumpcap on loopback', function () {
  this.timeout(30_000);

  it('a missing dumpcap is a clear error naming the command', async () => {
    const dir = tmp();
    try {
      const e = await LiveCapture.start({ file: join(dir, 'x.pcapng'), dumpcap: '/nonexistent/dumpcap' }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).to.be.instanceOf(LiveCaptureError);
      expect((e as LiveCaptureError).stage).to.equal('start');
      expect((e as Error).message).to.equal('cannot start /nonexistent/dumpcap: command not found');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an interface dumpcap cannot open is an error with dumpcap's own words, and no process is left", async function () {
    requirePeer(this, 'dumpcap', 'tshark');
    const dir = tmp();
    try {
      const e = await LiveCapture.start({ file: join(dir, 'x.pcapng'), interface: 'no-such-if0' }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).to.be.instanceOf(LiveCaptureError);
      expect((e as Error).message).to.match(/^dumpcap -i no-such-if0 exited \(code \d+\) before capturing: .*no-such-if0/);
      expect(dumpcapChildren()).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps everything sent up to stop(), and only the run flows through keepFlows (UDP clients followed)', async function () {
    requirePeer(this, 'dumpcap', 'tshark');
    requirePeer(this, 'tshark', 'tshark');
    const dir = tmp();
    const [server, transfer, client, stranger] = await Promise.all([udp(), udp(), udp(), udp()]);
    try {
      const cap = await LiveCapture.start({ file: join(dir, 'raw.pcapng') });
      expect(dumpcapChildren()).to.have.length(1);
      const token = randomBytes(6).toString('hex');
      const port = (s: Socket) => s.address().port;
      // A TFTP-like exchange: the request goes to the run's port, the answer comes from another one.
      await send(client, `request-${token}`, port(server));
      await send(transfer, `answer-${token}`, port(client));
      await send(stranger, `stranger-${token}`, port(stranger)); // loopback traffic that is not the run's
      await send(client, `last-${token}`, port(server));
      const r = await cap.stop();
      expect(r.complete, r.note).to.equal(true);
      expect(dumpcapChildren()).to.deep.equal([]);
      const raw = readFileSync(r.file);
      for (const w of ['request', 'answer', 'stranger', 'last']) expect(raw.includes(`${w}-${token}`), `${w} in the raw capture`).to.equal(true);

      const out = join(dir, 'run.pcap');
      const used = await keepFlows(r.file, out, [{ protocol: 'udp', address: '127.0.0.1', port: port(server), application: 'tftp' }]);
      expect(used.map((e) => e.port)).to.have.members([port(server), port(client)]);
      const kept = readFileSync(out);
      expect(kept.readUInt32LE(0), 'classic pcap').to.equal(0xa1b2c3d4);
      for (const w of ['request', 'answer', 'last']) expect(kept.includes(`${w}-${token}`), `${w} kept`).to.equal(true);
      expect(kept.includes(`stranger-${token}`), 'a stranger is not kept').to.equal(false);
      const frames = (await tshark(['-r', out, '-T', 'fields', '-e', 'udp.srcport', '-e', 'udp.dstport'])).trim().split('\n');
      expect(frames).to.have.length(3);
    } finally {
      for (const s of [server, transfer, client, stranger]) s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runner capture: the run flow filter', () => {
  it('matches each endpoint by address and port in its own direction, grouped, and refuses what is not a port', () => {
    const f = flowFilter([
      { protocol: 'tcp', address: '127.0.0.2', port: 5061 },
      { protocol: 'tcp', address: '127.0.0.2', port: 2445 },
      { protocol: 'udp', address: '::1', port: 4000 },
    ]);
    expect(f).to.equal(
      '(ip.src == 127.0.0.2 && tcp.srcport in {2445, 5061}) || (ip.dst == 127.0.0.2 && tcp.dstport in {2445, 5061}) || ' +
        '(ipv6.src == ::1 && udp.srcport in {4000}) || (ipv6.dst == ::1 && udp.dstport in {4000})',
    );
    expect(flowFilter([{ protocol: 'udp', address: '127.0.0.1', port: 69 }], 'to')).to.equal('(ip.dst == 127.0.0.1 && udp.dstport in {69})');
    expect(flowFilter([]), 'nothing of the run: no packet').to.equal('frame.number == 0');
    expect(() => flowFilter([{ protocol: 'tcp', address: '127.0.0.1', port: 70000 }])).to.throw(RangeError, 'tcp port 70000 of 127.0.0.1 is not a port');
  });

  it('decodes TLS ports as TLS and what they carry inside', () => {
    expect(
      decodeAs([
        { protocol: 'tcp', address: '127.0.0.1', port: 40001, application: 'tls+sip' },
        { protocol: 'udp', address: '127.0.0.1', port: 40002, application: 'tftp' },
        { protocol: 'tcp', address: '127.0.0.1', port: 40003, application: 'tls' },
        { protocol: 'udp', address: '127.0.0.1', port: 40004 },
      ]),
    ).to.deep.equal(['tcp.port==40001,tls', 'tls.port==40001,sip', 'udp.port==40002,tftp', 'tcp.port==40003,tls']);
  });
});
