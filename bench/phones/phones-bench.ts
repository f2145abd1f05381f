// bench:phones — N emulated phones boot (configuration over HTTP 6970) and register over TLS, each with its own
// LSC (EC P-256, signed with the cluster's CAPF key), against the embedded cluster running in its own process; then M
// concurrent calls through the cluster's B2BUA with SDES-SRTP G.711 media at 20 ms for a few seconds. Phones run in
// worker threads of this process (callers in one, callees in the other, each with its own media clock), so the two
// ends of a call never share a thread. Reports phones/s, RSS and CPU of both processes, media packets/s, SRTP
// authentication failures and late packets.
//   npm run bench:phones [-- --phones 10000 --calls 1000 --seconds 5 --concurrency 200 --no-boot --fresh --json]
// The cluster's state directory is kept in bench/.build/phones-cluster-<N> and reopened by the next run (--fresh
// recreates it, --state DIR puts it elsewhere, --temp-cluster uses a temporary one).
import Table from 'cli-table3';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ClusterReady, ClusterStats } from './cluster-process.js';
import { fleetPhone } from './fleet.js';
import type { MediaTotals, WorkerCommand, WorkerInit } from './phone-worker.js';

export interface PhonesBenchOptions {
  phones: number;
  calls: number;
  seconds: number;
  concurrency: number;
  callConcurrency: number;
  boot: boolean;
  /** Cluster state directory kept between runs (default bench/.build/phones-cluster-<N>); '' = a temporary one. */
  state: string;
  /** Recreate the kept cluster. */
  fresh: boolean;
  json: boolean;
}

export function parsePhonesBenchArgs(args: string[]): PhonesBenchOptions {
  const num = (name: string, def: number) => {
    const i = args.indexOf(`--${name}`);
    if (i < 0) return def;
    const v = Number(args[i + 1]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a number, got ${JSON.stringify(args[i + 1])}`);
    return v;
  };
  const o: PhonesBenchOptions = {
    phones: num('phones', 1000),
    calls: num('calls', 200),
    seconds: num('seconds', 5),
    concurrency: num('concurrency', 200),
    callConcurrency: num('call-concurrency', 100),
    boot: !args.includes('--no-boot'),
    state: '',
    fresh: args.includes('--fresh'),
    json: args.includes('--json'),
  };
  const si = args.indexOf('--state');
  o.state = si >= 0 ? args[si + 1] ?? '' : args.includes('--temp-cluster') ? '' : fileURLToPath(new URL(`../.build/phones-cluster-${o.phones}`, import.meta.url));
  if (o.phones < 2 || o.phones % 2) throw new Error('--phones must be an even number >= 2 (callers and callees)');
  if (o.calls > o.phones / 2) throw new Error(`--calls ${o.calls} needs at least ${o.calls * 2} phones`);
  return o;
}

export interface PhonesBenchReport {
  date: string;
  node: string;
  cpus: number;
  options: PhonesBenchOptions;
  cluster: { setupMs: number; reused: boolean; stateDir: string };
  lscs: { ms: number; perSecond: number; keys: string };
  registration: {
    registered: number;
    failed: number;
    /** Attempts repeated after a failure (the first error is kept). */
    retries: number;
    firstError?: string;
    wallMs: number;
    phonesPerSecond: number;
    cpuMs: { phones: number; cluster: number };
    rss: { phones: number; cluster: number; total: number };
    bindings: number;
  };
  calls?: {
    connected: number;
    failed: number;
    firstError?: string;
    setupMs: number;
    mediaSeconds: number;
    packetsPerSecond: number;
    /** The measurement window only (after every call connected): packets received, late, authentication failures. */
    window: { received: number; late: number; authFailures: number; latePercent: number };
    cpuMs: { phones: number; cluster: number };
    cpuPercent: { phones: number; cluster: number };
    rss: { phones: number; cluster: number; total: number };
    totals: MediaTotals;
    latePercent: number;
  };
}

const log = (m: string) => process.stderr.write(`[bench:phones] ${m}\n`);
const mb = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;

function startWorker(init: WorkerInit): Worker {
  const ext = extname(fileURLToPath(import.meta.url));
  const file = new URL(`./phone-worker${ext}`, import.meta.url);
  if (ext !== '.ts') return new Worker(file, { workerData: init });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(file.href)}); });`;
  return new Worker(boot, { eval: true, workerData: init });
}

/** Sends a command and resolves with the worker's next message of `type` (rejects on 'error'). */
function ask<T>(w: Worker, cmd: WorkerCommand, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: { type: string; message?: string }) => {
      if (m.type === 'error') {
        w.off('message', on);
        reject(new Error(m.message));
      } else if (m.type === type) {
        w.off('message', on);
        resolve(m as T);
      }
    };
    w.on('message', on);
    w.postMessage(cmd);
  });
}

function clusterAsk<T>(c: ChildProcess, type: string, send?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: { type: string; message?: string }) => {
      if (m.type === 'error') {
        c.off('message', on);
        reject(new Error(m.message));
      } else if (m.type === type) {
        c.off('message', on);
        resolve(m as T);
      }
    };
    c.on('message', on);
    if (send) c.send(send);
  });
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function runPhonesBench(o: PhonesBenchOptions): Promise<PhonesBenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'trustline-bench-phones-'));
  const here = fileURLToPath(new URL('.', import.meta.url));
  const ext = extname(fileURLToPath(import.meta.url));
  log(`cluster with ${o.phones} Encrypted phones in its own process…`);
  const stateDir = o.state || join(dir, 'cluster');
  if (o.state && o.fresh) rmSync(o.state, { recursive: true, force: true });
  if (o.state) mkdirSync(dirname(o.state), { recursive: true });
  const child = fork(join(here, `cluster-process${ext}`), [String(o.phones), stateDir, o.state ? 'keep' : 'temp'], {
    // TRUSTLINE_BENCH_PROF=<dir> writes a CPU profile of the cluster process there.
    execArgv: [...(ext === '.ts' ? ['--import', 'tsx'] : []), ...(process.env.TRUSTLINE_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.TRUSTLINE_BENCH_PROF] : [])],
    env: { ...process.env, TRUSTLINE_LOG: process.env.TRUSTLINE_LOG ?? 'error' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const workers: Worker[] = [];
  try {
    const ready = await clusterAsk<ClusterReady>(child, 'ready');
    log(`cluster ${ready.reused ? `reopened from ${stateDir}` : 'created'} in ${(ready.setupMs / 1000).toFixed(1)} s: SIP TLS ${ready.host}:${ready.tlsPort}`);
    const half = o.phones / 2;
    const server = { host: ready.host, tlsPort: ready.tlsPort, ...(o.boot && ready.httpPort ? { httpPort: ready.httpPort } : {}), pinned: ready.pinned };
    for (const first of [0, half]) {
      const w = startWorker({ first, count: half, server, issuer: ready.issuer });
      await new Promise<void>((resolve, reject) => {
        w.once('message', () => resolve());
        w.once('error', reject);
      });
      workers.push(w);
    }

    let t = performance.now();
    const issued = await Promise.all(workers.map((w) => ask<{ ms: number }>(w, { cmd: 'issue' }, 'issued')));
    const lscMs = performance.now() - t;
    log(`${o.phones} EC P-256 keys and LSCs in ${(lscMs / 1000).toFixed(1)} s`);

    log(`registering ${o.phones} phones over TLS (${o.concurrency} in flight per thread)${o.boot ? ', each after downloading its configuration' : ''}…`);
    const c0 = await clusterAsk<ClusterStats>(child, 'stats', { type: 'stats' });
    const p0 = cpuMs();
    t = performance.now();
    const regs = await Promise.all(workers.map((w) => ask<{ ok: number; failed: number; retries: number; firstError?: string; ms: number }>(w, { cmd: 'register', concurrency: o.concurrency, boot: o.boot }, 'registered')));
    const regMs = performance.now() - t;
    const p1 = cpuMs();
    const c1 = await clusterAsk<ClusterStats>(child, 'stats', { type: 'stats' });
    const rssPhones = process.memoryUsage().rss;
    const registered = regs.reduce((s, r) => s + r.ok, 0);
    const report: PhonesBenchReport = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: (await import('node:os')).cpus().length,
      options: o,
      cluster: { setupMs: Math.round(ready.setupMs), reused: ready.reused, stateDir },
      lscs: { ms: Math.round(lscMs), perSecond: Math.round((o.phones / lscMs) * 1000), keys: 'EC P-256 phone keys, LSCs signed SHA-256 with the CAPF key (RSA 2048), 2 threads' },
      registration: {
        registered,
        failed: regs.reduce((s, r) => s + r.failed, 0),
        retries: regs.reduce((s, r) => s + r.retries, 0),
        ...(regs.find((r) => r.firstError) ? { firstError: regs.find((r) => r.firstError)!.firstError! } : {}),
        wallMs: Math.round(regMs),
        phonesPerSecond: Math.round((registered / regMs) * 1000),
        cpuMs: { phones: Math.round(p1 - p0), cluster: Math.round(c1.cpuMs - c0.cpuMs) },
        rss: { phones: rssPhones, cluster: c1.rss, total: rssPhones + c1.rss },
        bindings: c1.bindings,
      },
    };
    void issued;
    const g = report.registration;
    log(`${registered}/${o.phones} registered in ${(regMs / 1000).toFixed(1)} s (${g.phonesPerSecond}/s)${g.retries ? `, ${g.retries} retries (first error: ${g.firstError})` : ''}; RSS phones ${mb(rssPhones)}, cluster ${mb(c1.rss)}`);

    if (o.calls > 0) {
      log(`${o.calls} concurrent calls with SRTP media…`);
      const calls = Array.from({ length: o.calls }, (_, i) => ({ from: i, line: fleetPhone(half + i).line }));
      t = performance.now();
      const con = await ask<{ ok: number; failed: number; firstError?: string }>(workers[0]!, { cmd: 'call', calls, concurrency: o.callConcurrency }, 'connected');
      const setupMs = performance.now() - t;
      log(`${con.ok} connected in ${(setupMs / 1000).toFixed(1)} s${con.failed ? `, ${con.failed} failed (${con.firstError})` : ''}; media for ${o.seconds} s…`);
      await new Promise((r) => setTimeout(r, 500));
      const snap = () =>
        Promise.all(workers.map((w) => ask<{ totals: MediaTotals }>(w, { cmd: 'media' }, 'media'))).then((a) =>
          a.reduce((s, x) => ({ received: s.received + x.totals.received, late: s.late + x.totals.late, authFailures: s.authFailures + x.totals.authFailures }), { received: 0, late: 0, authFailures: 0 }),
        );
      const m0 = await snap();
      const cc0 = await clusterAsk<ClusterStats>(child, 'stats', { type: 'stats' });
      const q0 = cpuMs();
      const w0 = performance.now();
      await new Promise((r) => setTimeout(r, o.seconds * 1000));
      const m1 = await snap();
      const wall = performance.now() - w0;
      const q1 = cpuMs();
      const cc1 = await clusterAsk<ClusterStats>(child, 'stats', { type: 'stats' });
      const rss = process.memoryUsage().rss;
      const ends = await Promise.all(workers.map((w) => ask<{ totals: MediaTotals }>(w, { cmd: 'hangup' }, 'hungup')));
      const totals = ends.reduce<MediaTotals>(
        (s, e) => ({
          calls: s.calls + e.totals.calls,
          sent: s.sent + e.totals.sent,
          received: s.received + e.totals.received,
          authFailures: s.authFailures + e.totals.authFailures,
          late: s.late + e.totals.late,
          lost: s.lost + e.totals.lost,
          contentErrors: s.contentErrors + e.totals.contentErrors,
          replays: (s.replays ?? 0) + (e.totals.replays ?? 0),
          malformed: Object.fromEntries(Object.keys({ ...s.malformed, ...e.totals.malformed }).map((k) => [k, (s.malformed?.[k] ?? 0) + (e.totals.malformed?.[k] ?? 0)])),
          failedCalls: (s.failedCalls ?? 0) + (e.totals.failedCalls ?? 0),
          problems: [...(s.problems ?? []), ...(e.totals.problems ?? [])].slice(0, 5),
          clock: {
            lateTicks: Math.max(s.clock?.lateTicks ?? 0, e.totals.clock?.lateTicks ?? 0),
            skippedTicks: Math.max(s.clock?.skippedTicks ?? 0, e.totals.clock?.skippedTicks ?? 0),
            maxLagMs: Math.max(s.clock?.maxLagMs ?? 0, e.totals.clock?.maxLagMs ?? 0),
          },
        }),
        { calls: 0, sent: 0, received: 0, authFailures: 0, late: 0, lost: 0, contentErrors: 0 },
      );
      report.calls = {
        connected: con.ok,
        failed: con.failed,
        ...(con.firstError ? { firstError: con.firstError } : {}),
        setupMs: Math.round(setupMs),
        mediaSeconds: Math.round(wall) / 1000,
        packetsPerSecond: Math.round(((m1.received - m0.received) / wall) * 1000),
        window: { received: m1.received - m0.received, late: m1.late - m0.late, authFailures: m1.authFailures - m0.authFailures, latePercent: m1.received > m0.received ? Math.round((10000 * (m1.late - m0.late)) / (m1.received - m0.received)) / 100 : 0 },
        cpuMs: { phones: Math.round(q1 - q0), cluster: Math.round(cc1.cpuMs - cc0.cpuMs) },
        cpuPercent: { phones: Math.round(((q1 - q0) / wall) * 100), cluster: Math.round(((cc1.cpuMs - cc0.cpuMs) / wall) * 100) },
        rss: { phones: rss, cluster: cc1.rss, total: rss + cc1.rss },
        totals,
        latePercent: totals.received ? Math.round((10000 * totals.late) / totals.received) / 100 : 0,
      };
    }
    return report;
  } finally {
    await Promise.allSettled(workers.map((w) => ask(w, { cmd: 'close' }, 'closed').then(() => w.terminate())));
    if (child.connected) {
      child.send({ type: 'stop' });
      await new Promise((r) => {
        const timer = setTimeout(() => (child.kill('SIGKILL'), r(undefined)), 15_000);
        child.once('exit', () => (clearTimeout(timer), r(undefined)));
      });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatPhonesBench(r: PhonesBenchReport): string {
  const t = new Table({ head: ['phase', 'result'], style: { head: [], border: [] } });
  const g = r.registration;
  t.push(
    ['cluster setup', `${(r.cluster.setupMs / 1000).toFixed(1)} s (${r.options.phones} phones configured${r.cluster.reused ? '; reopened from an earlier run' : '; created'})`],
    ['LSCs', `${r.options.phones} in ${(r.lscs.ms / 1000).toFixed(1)} s (${r.lscs.perSecond}/s; ${r.lscs.keys})`],
    ['registered over TLS', `${g.registered}/${r.options.phones}${g.failed ? ` (${g.failed} failed: ${g.firstError})` : ''}${g.retries ? `, ${g.retries} retries` : ''}, ${r.options.boot ? 'config download + ' : ''}TLS + REGISTER`],
    ['phones/s', `${g.phonesPerSecond} (${(g.wallMs / 1000).toFixed(1)} s wall)`],
    ['CPU during registration', `phones ${(g.cpuMs.phones / 1000).toFixed(1)} s, cluster ${(g.cpuMs.cluster / 1000).toFixed(1)} s`],
    ['RSS after registration', `phones ${mb(g.rss.phones)} + cluster ${mb(g.rss.cluster)} = ${mb(g.rss.total)}`],
  );
  const c = r.calls;
  if (c) {
    t.push(
      ['calls connected', `${c.connected}/${r.options.calls}${c.failed ? ` (${c.failed} failed: ${c.firstError})` : ''} in ${(c.setupMs / 1000).toFixed(1)} s`],
      ['media packets/s (received, both ends)', `${c.packetsPerSecond} over ${c.mediaSeconds} s`],
      ['SRTP auth failures / content errors', `${c.totals.authFailures} / ${c.totals.contentErrors} (window: ${c.window.authFailures})`],
      ['late in the window / whole calls', `${c.window.late} of ${c.window.received} (${c.window.latePercent} %) / ${c.totals.late} of ${c.totals.received} (${c.latePercent} %, setup included)`],
      ['lost', `${c.totals.lost}`],
      ['calls whose media failed', `${c.totals.failedCalls ?? 0}${c.totals.problems?.length ? `: ${c.totals.problems[0]}` : ''}${Object.keys(c.totals.malformed ?? {}).length ? `; not (S)RTP: ${JSON.stringify(c.totals.malformed)}` : ''}`],
      ['media clock (worst thread)', `late ticks ${c.totals.clock?.lateTicks ?? 0}, skipped ${c.totals.clock?.skippedTicks ?? 0}, max lag ${c.totals.clock?.maxLagMs ?? 0} ms`],
      ['CPU during media', `phones ${c.cpuPercent.phones} % of a core, cluster ${c.cpuPercent.cluster} %`],
      ['RSS during calls', `phones ${mb(c.rss.phones)} + cluster ${mb(c.rss.cluster)} = ${mb(c.rss.total)}`],
    );
  }
  return t.toString();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const o = parsePhonesBenchArgs(process.argv.slice(2));
  const r = await runPhonesBench(o);
  process.stdout.write((o.json ? JSON.stringify(r, null, 2) : formatPhonesBench(r)) + '\n');
}
