// The four front doors with stock clients: Debian's tftp-hpa `tftp` and curl (TFTP with blksize, HTTP 6970, HTTPS
// 6971 with the CallManager RSA/ECDSA certificates and the LSC rule, HTTPS 6972 with Tomcat's). What they download
// must parse, verify against the served ITL and decrypt with the phone's key.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getLogLevel, setLogLevel, setLogSink } from '../../common/log.js';
import { decryptConfig, parseItl, parseSigned, verifySigned, verifyTrustList } from '../../engine/trust/index.js';
import { parseCnfXml, parseXmlDefault, startProvisioningServer, type JournalEntry, type ProvisioningServer } from '../../engine/tftp/index.js';
import { requirePeer } from '../support/peers.js';
import { MAC, SECRET, quietLogs, testCluster, type TestCluster } from './fixtures.js';

const run = promisify(execFile);

interface CurlResult {
  code: number;
  status: number;
  body: Buffer;
  stderr: string;
}

async function curl(args: string[]): Promise<CurlResult> {
  const out = path.join(tmp, `curl-${Math.random().toString(36).slice(2)}`);
  try {
    const r = await run('curl', ['-sS', '--max-time', '20', '-o', out, '-w', '%{http_code}', ...args], { encoding: 'utf8' });
    return { code: 0, status: Number(r.stdout), body: fs.readFileSync(out), stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, status: Number(err.stdout) || 0, body: fs.existsSync(out) ? fs.readFileSync(out) : Buffer.alloc(0), stderr: err.stderr };
  } finally {
    fs.rmSync(out, { force: true });
  }
}

async function tftpHpa(port: number, file: string): Promise<{ ok: boolean; data: Buffer; output: string }> {
  const out = path.join(tmp, `tftp-${Math.random().toString(36).slice(2)}`);
  try {
    const r = await run('tftp', ['127.0.0.1', String(port), '-m', 'binary', '-c', 'get', file, out], { encoding: 'utf8', timeout: 30_000 });
    const output = r.stdout + r.stderr;
    // tftp-hpa reports server errors on stdout and may still exit 0.
    const ok = !/Error code|timed out/i.test(output) && fs.existsSync(out);
    return { ok, data: ok ? fs.readFileSync(out) : Buffer.alloc(0), output };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, data: Buffer.alloc(0), output: `${err.stdout ?? ''}${err.stderr ?? ''}${err.message}` };
  } finally {
    fs.rmSync(out, { force: true });
  }
}

let tmp: string;

describe('tftp: provisioning server with stock clients', function () {
  this.timeout(60_000);
  quietLogs();
  let c: TestCluster;
  let server: ProvisioningServer;
  let caBundle: string;
  let tomcatCa: string;
  const big = randomBytes(2_000_000);
  const logs: string[] = [];

  before(async function () {
    c = await testCluster();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trustline-tftp-'));
    caBundle = path.join(tmp, 'callmanager-bundle.pem');
    fs.writeFileSync(caBundle, c.pki.callManager.cert + c.pki.callManagerEcdsa.cert);
    tomcatCa = c.tomcat.certPath;
    setLogSink((l) => logs.push(l));
    server = await startProvisioningServer({
      source: c.source({ staticFiles: new Map([['sip88xx.14-2-1-0201-60.loads', big]]) }),
      address: '127.0.0.1',
      tftp: { port: 0 },
      http: { port: 0 },
      https6971: { port: 0, certificates: [c.pki.callManager, c.pki.callManagerEcdsa] },
      https6972: { port: 0, certificates: [c.tomcat] },
    });
  });

  after(async () => {
    await server?.close();
    setLogSink((l) => process.stderr.write(l + '\n'));
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const lastEntry = (pred: (e: JournalEntry) => boolean) => [...server.journal].reverse().find(pred);
  const http = (file: string, ...args: string[]) => curl([...args, `http://127.0.0.1:${server.ports.http}/${file}`]);
  const https = (door: 6971 | 6972, file: string, ...args: string[]) =>
    curl(['--cacert', door === 6971 ? caBundle : tomcatCa, ...args, `https://127.0.0.1:${door === 6971 ? server.ports.https6971 : server.ports.https6972}/${file}`]);
  const lscArgs = (cert: { certPath: string; keyPath: string }) => ['--cert', cert.certPath, '--key', cert.keyPath];

  it('binds the four front doors on OS-chosen ports', () => {
    const p = server.ports;
    expect(Object.keys(p).sort()).to.deep.equal(['http', 'https6971', 'https6972', 'tftp']);
    for (const v of Object.values(p)) expect(v).to.be.a('number').and.greaterThan(0);
  });

  it('tftp-hpa fetches ITLFile.tlv, the signed config and a 2 MB file', async function () {
    requirePeer(this, 'tftp', 'tftp-hpa');
    const port = server.ports.tftp!;
    const [itl, sgn, loads, missing] = await Promise.all([
      tftpHpa(port, 'ITLFile.tlv'),
      tftpHpa(port, `SEP${MAC.plain}.cnf.xml.sgn`),
      tftpHpa(port, 'sip88xx.14-2-1-0201-60.loads'),
      tftpHpa(port, `SEP${MAC.plain}.cnf.xml.enc.sgn`),
    ]);
    expect(itl.ok, itl.output).to.equal(true);
    expect(itl.data.equals(c.itl)).to.equal(true);
    expect(verifyTrustList(parseItl(itl.data)).ok).to.equal(true);
    expect(sgn.ok, sgn.output).to.equal(true);
    const v = verifySigned(sgn.data, parseItl(itl.data));
    expect(v.ok, v.reason).to.equal(true);
    expect(parseCnfXml(parseSigned(sgn.data).content).lines[0]!.authPassword).to.equal(SECRET);
    expect(loads.ok, loads.output).to.equal(true);
    expect(loads.data.equals(big)).to.equal(true);
    expect(missing.ok).to.equal(false);
    expect(missing.output).to.match(/Error code 1/);
    const e = lastEntry((x) => x.frontDoor === 'tftp' && x.file === 'sip88xx.14-2-1-0201-60.loads');
    expect(e?.transfer).to.deep.include({ outcome: 'completed', blksize: 512, bytes: big.length });

    // Read-only: a put is refused with "access violation" and journaled.
    const local = path.join(tmp, 'upload.bin');
    fs.writeFileSync(local, 'x');
    const put = await run('tftp', ['127.0.0.1', String(port), '-m', 'binary', '-c', 'put', local, 'ITLFile.tlv'], { encoding: 'utf8', timeout: 30_000 }).catch((x: { stdout: string; stderr: string }) => x);
    expect(put.stdout + put.stderr).to.match(/Error code 2/);
    expect(lastEntry((x) => x.frontDoor === 'tftp' && x.file === 'ITLFile.tlv')).to.deep.include({ status: 'bad-request', reason: 'write request: this server is read-only' });
  });

  it('curl fetches over TFTP with blksize 1428 and tsize', async function () {
    requirePeer(this, 'curl', 'curl');
    const r = await curl(['--tftp-blksize', '1428', `tftp://127.0.0.1:${server.ports.tftp}/sip88xx.14-2-1-0201-60.loads`]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.body.equals(big)).to.equal(true);
    await new Promise((res) => setTimeout(res, 50));
    const e = lastEntry((x) => x.frontDoor === 'tftp' && x.file === 'sip88xx.14-2-1-0201-60.loads');
    expect(e?.transfer).to.deep.include({ outcome: 'completed', blksize: 1428, blocks: Math.floor(big.length / 1428) + 1 });
    expect(e?.transfer?.negotiated).to.deep.include({ blksize: 1428, tsize: big.length });
    const enc = await curl([`tftp://127.0.0.1:${server.ports.tftp}/SEP${MAC.rsaLsc}.cnf.xml.enc.sgn`]);
    expect(enc.code, enc.stderr).to.equal(0);
    expect(parseCnfXml(decryptConfig(enc.body, c.lscKey)).fullConfig).to.equal(true);
  });

  it('curl fetches every file over HTTP 6970, with 404/403/405 and their reasons', async function () {
    requirePeer(this, 'curl', 'curl');
    const names = [
      'ITLFile.tlv',
      `ITLSEP${MAC.rsaLsc}.tlv`,
      'CTLFile.tlv',
      `CTLSEP${MAC.rsaLsc}.tlv`,
      `SEP${MAC.plain}.cnf.xml`,
      `SEP${MAC.plain}.cnf.xml.sgn`,
      `SEP${MAC.rsaLsc}.cnf.xml`,
      `SEP${MAC.rsaLsc}.cnf.xml.sgn`,
      `SEP${MAC.rsaLsc}.cnf.xml.enc.sgn`,
      'XMLDefault.cnf.xml',
      'XMLDefault.cnf.xml.sgn',
    ];
    const got = await Promise.all(names.map((n) => http(n)));
    got.forEach((r, i) => expect(r.status, `${names[i]}: ${r.stderr}`).to.equal(200));
    const by = (n: string) => got[names.indexOf(n)]!.body;
    const itl = parseItl(by('ITLFile.tlv'));
    expect(by(`ITLSEP${MAC.rsaLsc}.tlv`).equals(c.itl)).to.equal(true);
    expect(by('CTLFile.tlv').equals(c.ctl)).to.equal(true);
    for (const n of [`SEP${MAC.plain}.cnf.xml.sgn`, `SEP${MAC.rsaLsc}.cnf.xml.sgn`, `SEP${MAC.rsaLsc}.cnf.xml.enc.sgn`, 'XMLDefault.cnf.xml.sgn']) {
      expect(verifySigned(by(n), itl).ok, n).to.equal(true);
    }
    expect(parseCnfXml(by(`SEP${MAC.plain}.cnf.xml`)).fullConfig).to.equal(true);
    expect(parseCnfXml(by(`SEP${MAC.rsaLsc}.cnf.xml`)).fullConfig, 'encryption on: the stub').to.equal(false);
    const full = parseCnfXml(decryptConfig(by(`SEP${MAC.rsaLsc}.cnf.xml.enc.sgn`), c.lscKey));
    expect(full.lines[0]!.authPassword).to.equal(SECRET);
    expect(() => decryptConfig(by(`SEP${MAC.rsaLsc}.cnf.xml.enc.sgn`), c.otherKey)).to.throw();
    expect(parseXmlDefault(by('XMLDefault.cnf.xml')).autoRegistration).to.equal(true);

    const notFound = await http(`SEP${MAC.plain}.cnf.xml.enc.sgn`);
    expect(notFound.status).to.equal(404);
    expect(notFound.body.toString()).to.match(/TFTP Encrypted Config is off/);
    for (const p of ['../../etc/passwd', '%2e%2e/ITLFile.tlv', 'a/../ITLFile.tlv', '..%5cITLFile.tlv']) {
      const r = await http(p, '--path-as-is');
      expect(r.status, p).to.equal(403);
      expect(r.body.toString()).to.match(/path traversal/);
    }
    expect((await http('')).status, 'no directory listing').to.equal(403);
    expect((await http('%zz')).status).to.equal(400);
    const post = await http('ITLFile.tlv', '-X', 'POST', '-d', 'x');
    expect(post.status).to.equal(405);
    const head = await run('curl', ['-sS', '-I', `http://127.0.0.1:${server.ports.http}/ITLFile.tlv`], { encoding: 'utf8' });
    expect(head.stdout).to.match(/^HTTP\/1\.1 200/);
    expect(head.stdout).to.match(new RegExp(`Content-Length: ${c.itl.length}`, 'i'));
    const e = lastEntry((x) => x.frontDoor === 'http' && x.status === 'ok' && x.file === '/ITLFile.tlv');
    expect(e).to.deep.include({ httpStatus: 200, name: 'ITLFile.tlv', served: 'ITL', bytes: c.itl.length });
  });

  it('HTTPS 6971 serves the CallManager certificate the suite needs, TLS 1.2 only, and the 6971 rules', async function () {
    requirePeer(this, 'curl', 'curl');
    const rsa = await https(6971, 'ITLFile.tlv', '--ciphers', 'ECDHE-RSA-AES128-GCM-SHA256');
    expect(rsa.status, rsa.stderr).to.equal(200);
    expect(lastEntry((x) => x.frontDoor === 'https-6971')?.tls).to.deep.include({ serverCertificate: 'RSA', protocol: 'TLSv1.2' });
    const ec = await https(6971, 'ITLFile.tlv', '--ciphers', 'ECDHE-ECDSA-AES128-GCM-SHA256');
    expect(ec.status, ec.stderr).to.equal(200);
    expect(lastEntry((x) => x.frontDoor === 'https-6971')?.tls).to.deep.include({ serverCertificate: 'EC' });
    const tls13 = await https(6971, 'ITLFile.tlv', '--tlsv1.3');
    expect(tls13.code, 'TLS 1.3 is refused').to.not.equal(0);

    // .sgn on 6971 is answered unsigned.
    const sgn = await https(6971, `SEP${MAC.plain}.cnf.xml.sgn`);
    expect(sgn.status).to.equal(200);
    expect(parseCnfXml(sgn.body).fullConfig).to.equal(true);

    // ECDSA LSC + encrypted config: the LSC is required.
    const name = `SEP${MAC.ecLsc}.cnf.xml`;
    const none = await https(6971, name);
    expect(none.status).to.equal(403);
    expect(none.body.toString()).to.match(/must present its LSC/);
    const wrong = await https(6971, name, ...lscArgs(c.pki.lsc));
    expect(wrong.status).to.equal(403);
    const right = await https(6971, name, ...lscArgs(c.pki.otherLsc));
    expect(right.status, right.stderr).to.equal(200);
    expect(parseCnfXml(right.body).lines[0]!.authPassword).to.equal(SECRET);
    expect(lastEntry((x) => x.frontDoor === 'https-6971')?.tls?.clientCertificate).to.equal('SEPAABBCCDDEEFF');

    // The RSA-LSC phone's encrypted config over 6971 decrypts with its key.
    const enc = await https(6971, `SEP${MAC.rsaLsc}.cnf.xml.enc.sgn`, ...lscArgs(c.pki.lsc));
    expect(enc.status).to.equal(200);
    expect(parseCnfXml(decryptConfig(enc.body, c.lscKey)).fullConfig).to.equal(true);
  });

  it('HTTPS 6972 serves with the Tomcat certificate and applies the LSC rule too', async function () {
    requirePeer(this, 'curl', 'curl');
    const itl = await https(6972, 'ITLFile.tlv');
    expect(itl.status, itl.stderr).to.equal(200);
    expect(itl.body.equals(c.itl)).to.equal(true);
    const withCmCa = await curl(['--cacert', caBundle, `https://127.0.0.1:${server.ports.https6972}/ITLFile.tlv`]);
    expect(withCmCa.code, 'the Tomcat certificate is not a CallManager one').to.not.equal(0);
    const sgn = await https(6972, `SEP${MAC.plain}.cnf.xml.sgn`);
    expect(verifySigned(sgn.body, parseItl(c.itl)).ok).to.equal(true);
    expect((await https(6972, `SEP${MAC.ecLsc}.cnf.xml`)).status).to.equal(403);
    expect((await https(6972, `SEP${MAC.ecLsc}.cnf.xml`, ...lscArgs(c.pki.otherLsc))).status).to.equal(200);
  });

  it('logs every request with its front door and result', async function () {
    requirePeer(this, 'curl', 'curl');
    const level = getLogLevel();
    setLogLevel('info');
    try {
      await http('ITLFile.tlv');
      await http('nothing.xml');
    } finally {
      setLogLevel(level);
    }
    expect(logs.some((l) => /INFO  \[tftp\] http 127\.0\.0\.1:\d+ "\/ITLFile\.tlv" 200 ok: ITL \(\d+ bytes\)/.test(l)), logs.join('\n')).to.equal(true);
    expect(logs.some((l) => /\[tftp\] http 127\.0\.0\.1:\d+ "\/nothing\.xml" 404 not-found: no such file: nothing\.xml/.test(l))).to.equal(true);
    const doors = new Set(server.journal.map((e) => e.frontDoor));
    expect([...doors].sort()).to.deep.equal(['http', 'https-6971', 'https-6972', 'tftp']);
    for (const e of server.journal) {
      expect(e.seq).to.be.a('number');
      expect(['ok', 'not-found', 'forbidden', 'error', 'bad-request']).to.include(e.status);
    }
  });
});
