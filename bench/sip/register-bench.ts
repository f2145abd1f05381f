// REGISTER/s over one persistent TLS connection against our registrar and, in the same run, kamailio as TLS
// registrar (Debian kamailio + kamailio-tls-modules); full TLS handshakes per server core-second against our
// listener and `openssl s_server`. One pipelined load client of our own (a bounded number of REGISTERs in flight,
// 5000 AORs cycled, TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256 for every server) drives all of them.
//   npm run bench:sip-register [-- --count 100000 --window 500 --repeats 3 --hs-seconds 2 --hs-warmup 5 --no-kamailio --hs-only --json]
// (--hs-only: the handshake table alone, for quick iterations on the TLS listener.)
// Servers run in their own processes, pinned to cpu0 when taskset exists; the client is pinned to cpu1. The servers
// of a table are all started first and then measured in turns (one run each, repeated), so load drift on a shared
// machine hits every column alike.
import { SERVER_NODE_FLAGS } from '../../common/node-flags.js';
import Table from 'cli-table3';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const COUNT = arg('count', 100_000);
const WINDOW = arg('window', 500);
const REPEATS = arg('repeats', 3);
const HS_SECONDS = arg('hs-seconds', 2);
/** Handshakes before the measured runs: a node server needs a few seconds of them to reach its steady state (JIT). */
const HS_WARMUP = arg('hs-warmup', 5);
const HS_CONCURRENCY = arg('hs-concurrency', 8);
const AORS = 5000;
const CIPHER = 'ECDHE-RSA-AES128-GCM-SHA256';

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const TASKSET = has('taskset') && os.cpus().length >= 2;
const pinned = (cpu: number, cmd: string, args: string[]): [string, string[]] => (TASKSET ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitPort(port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`port ${port} not listening after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** CPU seconds (user+system) of a process and its threads, from /proc (100 Hz ticks). */
function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The server process's pid behind a taskset wrapper (taskset execs, so it is the same pid). */
function serverPid(child: ChildProcess): number {
  return child.pid!;
}

// ---- certificates ---------------------------------------------------------------------------------------------------

function makeCert(dir: string): { key: string; cert: string } {
  const key = path.join(dir, 'rsa.key');
  const cert = path.join(dir, 'rsa.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1/O=trustline bench', '-keyout', key, '-out', cert, '-days', '2'], { stdio: 'ignore' });
  return { key, cert };
}

// ---- the load client ------------------------------------------------------------------------------------------------

interface RegisterRun {
  ok: number;
  other: number;
  seconds: number;
  serverCpu: number;
}

/**
 * One TLS connection, COUNT REGISTERs, at most WINDOW unanswered. Requests are written in batches (one write per
 * event-loop turn), responses scanned for their status and Content-Length only: the client stays cheap for all servers.
 */
function registerLoad(port: number, pid: number): Promise<RegisterRun> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers: CIPHER });
    let sent = 0;
    let ok = 0;
    let other = 0;
    let buf: Buffer = Buffer.alloc(0);
    let t0 = 0n;
    let cpu0 = 0;
    const tag = Math.random().toString(36).slice(2, 8);
    const local = () => `${sock.localAddress}:${sock.localPort}`;
    const request = (i: number): string => {
      const u = `u${i % AORS}`;
      return (
        `REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS ${local()};branch=z9hG4bK${tag}${i};rport\r\nMax-Forwards: 70\r\n` +
        `From: <sip:${u}@127.0.0.1>;tag=${tag}${i}\r\nTo: <sip:${u}@127.0.0.1>\r\nCall-ID: ${tag}-${i}@bench\r\nCSeq: 1 REGISTER\r\n` +
        `Contact: <sip:${u}@${local()};transport=tls>\r\nExpires: 3600\r\nUser-Agent: trustline-bench\r\nContent-Length: 0\r\n\r\n`
      );
    };
    const pump = () => {
      let out = '';
      while (sent < COUNT && sent - (ok + other) < WINDOW) out += request(sent++);
      if (out) sock.write(out);
    };
    sock.once('secureConnect', () => {
      t0 = process.hrtime.bigint();
      cpu0 = cpuSeconds(pid);
      pump();
    });
    sock.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      let off = 0;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n', off);
        if (end < 0) break;
        const head = buf.toString('latin1', off, end);
        const m = /\r\n(?:Content-Length|l)\s*:\s*(\d+)/i.exec(head);
        const len = m ? Number(m[1]) : 0;
        if (buf.length < end + 4 + len) break;
        if (head.startsWith('SIP/2.0 200 ')) ok++;
        else other++;
        off = end + 4 + len;
      }
      buf = buf.subarray(off);
      if (ok + other >= COUNT) {
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const serverCpu = cpuSeconds(pid) - cpu0;
        sock.destroy();
        resolve({ ok, other, seconds, serverCpu });
      } else pump();
    });
    sock.on('error', reject);
  });
}

// ---- servers ------------------------------------------------------------------------------------------------------

interface Running {
  name: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

async function startOurs(cert: { key: string; cert: string }, mode = 'sip'): Promise<Running> {
  // Our servers run with the flags `trustline cluster start` runs with (bin/trustline.js), bare node:tls too.
  const [cmd, args] = pinned(0, process.execPath, [...SERVER_NODE_FLAGS, '--import', 'tsx', path.join(here, 'register-server.ts'), cert.key, cert.cert, mode]);
  const child = spawn(cmd, args, { cwd: root, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, TRUSTLINE_LOG: 'error' } });
  const lines = readline.createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (l) => (l.startsWith('ready ') ? resolve(Number(l.slice(6))) : reject(new Error(l))));
    child.once('exit', (c) => reject(new Error(`our server exited with ${c}`)));
  });
  return {
    name: mode === 'plain-tls' ? 'node:tls (bare, same policy)' : 'trustline',
    port,
    pid: serverPid(child),
    stop: () => new Promise((r) => (child.once('exit', () => r()), child.stdin!.end('quit\n'))),
  };
}

async function startKamailio(cert: { key: string; cert: string }, dir: string): Promise<Running> {
  const port = await freePort();
  const w = path.join(dir, 'kamailio');
  fs.mkdirSync(w, { recursive: true });
  // Adapted from research/scripts/peers/kamailio-tls-registrar.sh: TLS only, one port, in-memory usrloc.
  fs.writeFileSync(
    path.join(w, 'tls.cfg'),
    `[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\nprivate_key = ${cert.key}\ncertificate = ${cert.cert}\n\n[client:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n`,
  );
  const modules = ['/usr/lib/x86_64-linux-gnu/kamailio/modules', '/usr/lib/kamailio/modules', '/usr/lib64/kamailio/modules'].find((d) => fs.existsSync(path.join(d, 'tls.so')));
  if (!modules) throw new Error('kamailio TLS module (tls.so) not found: install kamailio-tls-modules');
  fs.writeFileSync(
    path.join(w, 'kamailio.cfg'),
    `#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children=2
tcp_children=2
auto_aliases=no
listen=tls:127.0.0.1:${port}
enable_tls=yes
tcp_connection_lifetime=3605
tcp_max_connections=4096
tls_max_connections=4096
loadpath "${modules}/"
loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "sanity.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
modparam("tls", "config", "${w}/tls.cfg")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", 3600)
request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (!sanity_check("17895", "7")) { exit; }
    if (is_method("REGISTER")) { if (!save("location")) sl_reply_error(); exit; }
    sl_send_reply("404", "Not here");
}
`,
  );
  try {
    execFileSync('kamailio', ['-c', '-f', path.join(w, 'kamailio.cfg')], { stdio: 'pipe' });
  } catch (e) {
    const err = String((e as { stderr?: Buffer }).stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new Error(`kamailio -c refused the config: ${err}`);
  }
  const pidFile = path.join(w, 'kamailio.pid');
  const [cmd, args] = pinned(0, 'kamailio', ['-f', path.join(w, 'kamailio.cfg'), '-DD', '-E', '-w', w, '-P', pidFile, '-m', '512', '-M', '16']);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', fs.openSync(path.join(w, 'kamailio.log'), 'w')] });
  await waitPort(port);
  // -DD keeps the main process in the foreground: its children (the TCP/TLS workers) do the work. CPU is summed
  // over the process group below.
  return {
    name: 'kamailio',
    port,
    pid: child.pid!,
    stop: () =>
      new Promise((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

/** CPU of a process and its descendants (kamailio forks its workers). */
function treeCpu(pid: number): number {
  let total = 0;
  const walk = (p: number) => {
    try {
      total += cpuSeconds(p);
      const kids = fs.readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      for (const k of kids ? kids.split(/\s+/) : []) walk(Number(k));
    } catch {
      /* gone */
    }
  };
  walk(pid);
  return total;
}

// ---- TLS handshakes --------------------------------------------------------------------------------------------------

interface HsResult {
  name: string;
  handshakes: number;
  seconds: number;
  serverCpu: number;
}

async function handshakeLoad(name: string, port: number, pid: number, duration = HS_SECONDS): Promise<HsResult> {
  let done = 0;
  let running = true;
  const loop = () => {
    if (!running) return;
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers: CIPHER });
    s.once('secureConnect', () => {
      done++;
      s.destroy();
      loop();
    });
    s.on('error', () => {
      s.destroy();
      loop();
    });
  };
  for (let i = 0; i < HS_CONCURRENCY; i++) loop();
  await new Promise((r) => setTimeout(r, 300)); // warm-up
  const d0 = done;
  const c0 = treeCpu(pid);
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, duration * 1000));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const result = { name, handshakes: done - d0, seconds, serverCpu: treeCpu(pid) - c0 };
  running = false;
  await new Promise((r) => setTimeout(r, 100));
  return result;
}

async function startOpenssl(cert: { key: string; cert: string }): Promise<Running> {
  const port = await freePort();
  const [cmd, args] = pinned(0, 'openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert.cert, '-key', cert.key, '-quiet', '-naccept', '100000000']);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  await waitPort(port);
  return { name: 'openssl s_server', port, pid: child.pid!, stop: () => new Promise((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function main(): Promise<void> {
  if (TASKSET) {
    try {
      execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
    } catch {
      /* keep going unpinned */
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trustline-regbench-'));
  const notes: string[] = [];
  const json: Record<string, unknown> = { count: COUNT, window: WINDOW, repeats: REPEATS, hsSeconds: HS_SECONDS, hsWarmup: HS_WARMUP, pinned: TASKSET, node: process.version, openssl: process.versions.openssl };
  try {
    const cert = makeCert(dir);
    const load0 = os.loadavg();
    // REGISTER/s
    const servers: Running[] = flag('hs-only') ? [] : [await startOurs(cert)];
    if (flag('hs-only')) notes.push('REGISTER table skipped (--hs-only)');
    else if (flag('no-kamailio')) notes.push('kamailio column skipped (--no-kamailio)');
    else if (!has('kamailio')) notes.push('kamailio column skipped: kamailio not installed (Debian: kamailio kamailio-tls-modules, scripts/install-peers.sh)');
    else {
      try {
        servers.push(await startKamailio(cert, dir));
      } catch (e) {
        notes.push(`kamailio column skipped: ${(e as Error).message}`);
      }
    }
    const reg: Record<string, { rate: number[]; cpuPerReg: number[]; failures: number }> = {};
    for (const s of servers) {
      reg[s.name] = { rate: [], cpuPerReg: [], failures: 0 };
      await registerLoad(s.port, s.pid).catch(() => undefined); // warm-up (JIT, usrloc slots)
    }
    // Servers take turns, run by run, so that load drift on a shared machine hits them alike.
    for (let r = 0; r < REPEATS; r++)
      for (const s of servers) {
        const cpu0 = treeCpu(s.pid);
        const run = await registerLoad(s.port, s.pid);
        const cpu = treeCpu(s.pid) - cpu0;
        reg[s.name]!.rate.push(run.ok / run.seconds);
        reg[s.name]!.cpuPerReg.push((cpu / Math.max(1, run.ok)) * 1e6);
        reg[s.name]!.failures += run.other;
      }
    for (const s of servers) await s.stop();
    const t1 = new Table({ head: ['REGISTER over 1 TLS conn', 'REGISTER/s median [min-max]', 'server CPU µs/REGISTER', 'non-200', 'vs kamailio'] });
    const kam = reg['kamailio'] ? median(reg['kamailio'].rate) : undefined;
    for (const [name, r] of Object.entries(reg)) {
      const m = median(r.rate);
      t1.push([name, `${m.toFixed(0)} [${Math.min(...r.rate).toFixed(0)}-${Math.max(...r.rate).toFixed(0)}]`, median(r.cpuPerReg).toFixed(1), String(r.failures), kam ? `${(m / kam).toFixed(2)}x` : '-']);
    }
    json.register = reg;

    // Handshakes
    const hs: HsResult[] = [];
    const hsServers: Running[] = [await startOurs(cert), await startOurs(cert, 'plain-tls')];
    if (has('openssl')) hsServers.push(await startOpenssl(cert));
    else notes.push('openssl s_server column skipped: openssl not installed');
    for (const s of hsServers) await handshakeLoad(s.name, s.port, s.pid, HS_WARMUP); // warm-up
    for (let r = 0; r < REPEATS; r++) for (const s of hsServers) hs.push(await handshakeLoad(s.name, s.port, s.pid)); // in turns, as above
    for (const s of hsServers) await s.stop();
    const per = (n: string) => hs.filter((h) => h.name === n).map((h) => h.handshakes / Math.max(1e-9, h.serverCpu));
    const ref = per('openssl s_server').length ? median(per('openssl s_server')) : undefined;
    const t2 = new Table({ head: ['full TLS 1.2 handshakes (RSA-2048)', 'hs / server core-s median [min-max]', 'hs/s wall', 'vs openssl s_server'] });
    for (const n of ['trustline', 'node:tls (bare, same policy)', 'openssl s_server']) {
      const xs = per(n);
      if (!xs.length) continue;
      const wall = median(hs.filter((h) => h.name === n).map((h) => h.handshakes / h.seconds));
      t2.push([n, `${median(xs).toFixed(0)} [${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}]`, wall.toFixed(0), ref ? `${(median(xs) / ref).toFixed(2)}x` : '-']);
    }
    json.handshakes = hs;
    const loads = `load average ${load0.map((x) => x.toFixed(2)).join(', ')} before, ${os.loadavg().map((x) => x.toFixed(2)).join(', ')} after`;
    json.loadAverage = { before: load0, after: os.loadavg() };
    if (flag('json')) console.log(JSON.stringify(json, null, 2));
    else {
      console.log(`# ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}; node ${process.version} (OpenSSL ${process.versions.openssl}); ${COUNT} REGISTERs per run, ${WINDOW} in flight, ${AORS} AORs, ${REPEATS} runs; handshakes ${REPEATS} x ${HS_SECONDS} s after ${HS_WARMUP} s of warm-up; TLS 1.2 ${CIPHER}; servers ${TASKSET ? 'pinned to cpu0, client to cpu1' : 'unpinned'}; ${loads}`);
      if (servers.length) console.log(t1.toString());
      console.log(t2.toString());
    }
    for (const n of notes) console.log(`note: ${n}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
