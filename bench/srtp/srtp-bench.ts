// `npm run bench:srtp` / `trustline bench srtp`: protect and unprotect packets/s and MB/s per suite at 160 and 1200-byte
// payloads, for the TypeScript and native backends, the naive node:crypto yardstick and Debian's libsrtp, in one run,
// with the ratio to libsrtp. Cases run interleaved (all implementations of a case back to back) so that load drift on
// a shared machine hits them alike; single-threaded runs pin the process (and the libsrtp harness) to one CPU.
import Table from 'cli-table3';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { availableSrtpBackends } from '../../ciphers/srtp/session.js';
import { loadNativeSrtpAddon, nativeSrtpUnavailableReason } from '../../ciphers/srtp/native/load.js';
import { SRTP_SUITE_NAMES, isSrtpSuiteName, type SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import { buildLibsrtpHarness, runLibsrtp } from './libsrtp.js';
import { measure, type MeasureSpec, type SrtpBenchBackend, type SrtpBenchOp } from './measure.js';

export type SrtpBenchImpl = SrtpBenchBackend | 'libsrtp';
export const SRTP_BENCH_IMPLS: SrtpBenchImpl[] = ['naive', 'ts', 'native', 'libsrtp'];

export interface SrtpBenchOptions {
  suites?: SrtpSuiteName[];
  sizes?: number[];
  ops?: SrtpBenchOp[];
  impls?: SrtpBenchImpl[];
  /** Measured repeats per case (median reported); default 5, --quick 3. */
  repeats?: number;
  /** Seconds per repeat; default 0.3, --quick 0.1. */
  seconds?: number;
  /** Packets per batch call (ts and native); default 64. */
  batch?: number;
  /** Parallel worker threads (and libsrtp processes) for aggregate throughput; default 1 (pinned). */
  workers?: number;
  /** Fewer suites, repeats and seconds (about 30 s). */
  quick?: boolean;
  /** Pin to one CPU when single-threaded (default true; taskset must exist). */
  pin?: boolean;
  /** Progress lines (stderr by default). */
  progress?: (line: string) => void;
}

export interface SrtpBenchResult {
  suite: SrtpSuiteName;
  size: number;
  op: SrtpBenchOp;
  impl: SrtpBenchImpl;
  /** Packets/s: median, min, max over the repeats (summed over workers). */
  median: number;
  min: number;
  max: number;
  /** Payload MB/s at the median. */
  mbps: number;
}

export interface SrtpBenchReport {
  date: string;
  command: string;
  machine: { cpu: string; cpus: number; load: number[]; node: string; openssl: string; libsrtp?: string; pinnedCpu?: number };
  options: { repeats: number; seconds: number; batch: number; workers: number };
  /** Implementations left out, and why. */
  unavailable: Partial<Record<SrtpBenchImpl, string>>;
  results: SrtpBenchResult[];
}

const QUICK_SUITES: SrtpSuiteName[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AES_256_CM_HMAC_SHA1_80', 'AEAD_AES_128_GCM', 'AEAD_AES_256_GCM'];

/** Pins this process (all its threads; children inherit it) to `cpu`. Returns the CPU, or undefined. */
function pinTo(cpu: number): number | undefined {
  const r = spawnSync('taskset', ['-a', '-cp', String(cpu), String(process.pid)], { stdio: 'ignore' });
  return r.status === 0 ? cpu : undefined;
}

function stats(pps: number[], size: number): Pick<SrtpBenchResult, 'median' | 'min' | 'max' | 'mbps'> {
  const s = [...pps].sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)]!;
  return { median, min: s[0]!, max: s[s.length - 1]!, mbps: (median * size) / 1e6 };
}

/** A worker running worker.ts/.js; from TypeScript sources it first registers tsx (workers do not inherit its hooks). */
function startWorker(spec: MeasureSpec): Worker {
  const ext = extname(fileURLToPath(import.meta.url));
  const file = new URL(`./worker${ext}`, import.meta.url);
  if (ext !== '.ts') return new Worker(file, { workerData: spec });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(file.href)}); });`;
  return new Worker(boot, { eval: true, workerData: spec });
}

function inWorkers(spec: MeasureSpec, workers: number): Promise<number[]> {
  const runs = Array.from(
    { length: workers },
    () =>
      new Promise<number[]>((resolve, reject) => {
        const w = startWorker(spec);
        w.once('message', (m: number[]) => resolve(m));
        w.once('error', reject);
        w.once('exit', (code) => code !== 0 && reject(new Error(`bench worker exited with ${code}`)));
      }),
  );
  return Promise.all(runs).then((all) => all[0]!.map((_, i) => all.reduce((sum, r) => sum + r[i]!, 0)));
}

export async function runSrtpBench(opts: SrtpBenchOptions = {}): Promise<SrtpBenchReport> {
  const quick = opts.quick ?? false;
  const suites = opts.suites ?? (quick ? QUICK_SUITES : [...SRTP_SUITE_NAMES]);
  const sizes = opts.sizes ?? [160, 1200];
  const ops = opts.ops ?? ['protect', 'unprotect'];
  const repeats = opts.repeats ?? (quick ? 3 : 5);
  const seconds = opts.seconds ?? (quick ? 0.1 : 0.3);
  const batch = opts.batch ?? 64;
  const workers = Math.max(1, Math.floor(opts.workers ?? 1));
  const progress = opts.progress ?? ((line: string) => process.stderr.write(line + '\n'));
  const impls = new Set(opts.impls ?? SRTP_BENCH_IMPLS);
  const unavailable: SrtpBenchReport['unavailable'] = {};

  if (impls.has('native') && !availableSrtpBackends().includes('native')) {
    unavailable.native = nativeSrtpUnavailableReason();
    impls.delete('native');
  }
  let harness = '';
  if (impls.has('libsrtp')) {
    const h = buildLibsrtpHarness();
    if (h.ok) harness = h.path;
    else {
      unavailable.libsrtp = h.reason;
      impls.delete('libsrtp');
    }
  }
  let pinnedCpu: number | undefined;
  if (workers === 1 && opts.pin !== false) {
    pinnedCpu = pinTo(Number(process.env.TRUSTLINE_BENCH_CPU ?? Math.max(0, os.cpus().length - 1)));
    if (pinnedCpu === undefined) progress('bench: taskset is not available, running unpinned (numbers vary more)');
  }

  const results: SrtpBenchResult[] = [];
  let libsrtpVersion: string | undefined;
  const order: SrtpBenchImpl[] = (['libsrtp', 'native', 'ts', 'naive'] as const).filter((i) => impls.has(i));
  const total = suites.length * sizes.length * ops.length;
  let done = 0;
  for (const suite of suites) {
    for (const size of sizes) {
      for (const op of ops) {
        done++;
        const line: string[] = [];
        for (const impl of order) {
          if (impl === 'naive' && op !== 'protect') continue;
          let pps: number[] | null;
          if (impl === 'libsrtp') {
            const r = await runLibsrtp(harness, op, suite, size, repeats, seconds, workers);
            if (r) libsrtpVersion = r.version;
            pps = r?.pps ?? null;
          } else {
            const spec: MeasureSpec = { backend: impl, suite, size, op, repeats, seconds, batch };
            pps = workers === 1 ? measure(spec) : await inWorkers(spec, workers);
          }
          if (!pps) continue;
          const r = { suite, size, op, impl, ...stats(pps, size) };
          results.push(r);
          line.push(`${impl} ${fmtPps(r.median)}`);
        }
        progress(`bench srtp [${done}/${total}] ${suite} ${size} B ${op}: ${line.join(', ')}`);
      }
    }
  }
  return {
    date: new Date().toISOString(),
    command: process.argv.slice(1).join(' '),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cpus: os.cpus().length,
      load: os.loadavg().map((l) => Math.round(l * 100) / 100),
      node: process.version,
      openssl: loadNativeSrtpAddon()?.info().openssl ?? `OpenSSL ${process.versions.openssl}`,
      ...(libsrtpVersion ? { libsrtp: libsrtpVersion } : {}),
      ...(pinnedCpu !== undefined ? { pinnedCpu } : {}),
    },
    options: { repeats, seconds, batch, workers },
    unavailable,
    results,
  };
}

export function fmtPps(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} k`;
}

function ratio(a: SrtpBenchResult | undefined, b: SrtpBenchResult | undefined): string {
  return a && b ? `${(a.median / b.median).toFixed(2)}x` : '';
}

/** Native >= 4x Debian libsrtp per suite at 160 B; TS protect >= naive node:crypto; TS unprotect within 10 % of protect. */
export function srtpBenchTargets(report: SrtpBenchReport): { line: string; ok: boolean }[] {
  const get = (suite: string, size: number, op: string, impl: string) =>
    report.results.find((r) => r.suite === suite && r.size === size && r.op === op && r.impl === impl);
  const out: { line: string; ok: boolean }[] = [];
  const suites = [...new Set(report.results.map((r) => r.suite))];
  for (const suite of suites) {
    for (const op of ['protect', 'unprotect'] as const) {
      const n = get(suite, 160, op, 'native');
      const l = get(suite, 160, op, 'libsrtp');
      if (n && l) out.push({ line: `native ${op} ${suite} 160 B: ${ratio(n, l)} Debian libsrtp (target >= 4x)`, ok: n.median >= 4 * l.median });
    }
    const tp = get(suite, 160, 'protect', 'ts');
    const nv = get(suite, 160, 'protect', 'naive');
    const tu = get(suite, 160, 'unprotect', 'ts');
    if (tp && nv) out.push({ line: `ts protect ${suite} 160 B: ${ratio(tp, nv)} naive node:crypto (target >= 1x)`, ok: tp.median >= nv.median });
    if (tp && tu) out.push({ line: `ts unprotect/protect ${suite} 160 B: ${ratio(tu, tp)} (target >= 0.90x)`, ok: tu.median >= 0.9 * tp.median });
  }
  return out;
}

export function formatSrtpBench(report: SrtpBenchReport): string {
  const impls = SRTP_BENCH_IMPLS.filter((i) => report.results.some((r) => r.impl === i));
  const head = ['suite', 'bytes', 'op', ...impls.map((i) => `${i} pps (MB/s)`), ...(impls.includes('libsrtp') ? impls.filter((i) => i !== 'libsrtp' && i !== 'naive').map((i) => `${i}/libsrtp`) : [])];
  const t = new Table({ head, style: { head: [], border: [] } });
  const keys = [...new Set(report.results.map((r) => `${r.suite}|${r.size}|${r.op}`))];
  for (const key of keys) {
    const [suite, size, op] = key.split('|') as [string, string, string];
    const row = (impl: SrtpBenchImpl) => report.results.find((r) => r.suite === suite && r.size === Number(size) && r.op === op && r.impl === impl);
    const lib = row('libsrtp');
    t.push([
      suite,
      size,
      op,
      ...impls.map((i) => {
        const r = row(i);
        return r ? `${fmtPps(r.median)} (${r.mbps.toFixed(0)})` : '';
      }),
      ...(impls.includes('libsrtp') ? impls.filter((i) => i !== 'libsrtp' && i !== 'naive').map((i) => ratio(row(i), lib)) : []),
    ]);
  }
  const m = report.machine;
  const lines = [
    `# ${report.date}  ${m.cpu} (${m.cpus} CPUs), load ${m.load.join(' ')}, node ${m.node}, ${m.openssl}${m.libsrtp ? `, ${m.libsrtp} (Debian, NSS)` : ''}`,
    `# ${report.options.workers === 1 ? (m.pinnedCpu !== undefined ? `pinned to CPU ${m.pinnedCpu}` : 'unpinned') : `${report.options.workers} workers in parallel (aggregate)`}; median of ${report.options.repeats} x ${report.options.seconds} s; batches of ${report.options.batch}; MB/s of payload`,
    ...Object.entries(report.unavailable).map(([impl, why]) => `# ${impl}: not measured (${why})`),
    t.toString(),
  ];
  const targets = srtpBenchTargets(report);
  if (targets.length && report.options.workers === 1) {
    lines.push(`targets (docs/performance.md): ${targets.filter((x) => x.ok).length}/${targets.length} met`);
    for (const x of targets) lines.push(`  ${x.ok ? 'ok  ' : 'MISS'} ${x.line}`);
  }
  return lines.join('\n');
}

/** The report as a Markdown table plus the target lines (for docs/performance.md). */
export function formatSrtpBenchMarkdown(report: SrtpBenchReport): string {
  const impls = SRTP_BENCH_IMPLS.filter((i) => report.results.some((r) => r.impl === i));
  const ratios = impls.includes('libsrtp') ? impls.filter((i) => i === 'native' || i === 'ts') : [];
  const rows = [
    `| suite | bytes | op | ${impls.map((i) => `${i} pps (MB/s)`).join(' | ')} | ${ratios.map((i) => `${i} / libsrtp`).join(' | ')} |`,
    `|---|---:|---|${impls.map(() => '---:').join('|')}|${ratios.map(() => '---:').join('|')}|`,
  ];
  const keys = [...new Set(report.results.map((r) => `${r.suite}|${r.size}|${r.op}`))];
  for (const key of keys) {
    const [suite, size, op] = key.split('|') as [string, string, string];
    const row = (impl: SrtpBenchImpl) => report.results.find((r) => r.suite === suite && r.size === Number(size) && r.op === op && r.impl === impl);
    const cells = impls.map((i) => {
      const r = row(i);
      return r ? `${fmtPps(r.median)} (${r.mbps.toFixed(0)})` : '';
    });
    const rs = ratios.map((i) => {
      const x = ratio(row(i), row('libsrtp'));
      return i === 'native' && Number(size) === 160 && x ? `**${x}**` : x;
    });
    rows.push(`| ${suite} | ${size} | ${op} | ${cells.join(' | ')} | ${rs.join(' | ')} |`);
  }
  const targets = srtpBenchTargets(report);
  const missed = targets.filter((t) => !t.ok);
  rows.push('', `Targets met: ${targets.length - missed.length}/${targets.length}${missed.length ? '. Missed:' : '.'}`);
  for (const t of missed) rows.push(`- ${t.line}`);
  return rows.join('\n');
}

/** Options from `bench/run.ts srtp` arguments (the CLI parses its own with commander). */
export function parseSrtpBenchArgs(args: string[]): SrtpBenchOptions & { json: boolean; markdown: boolean } {
  const value = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  const list = (flag: string): string[] | undefined => value(flag)?.split(',').map((s) => s.trim()).filter(Boolean);
  const num = (flag: string): number | undefined => {
    const v = value(flag);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n > 0)) throw new Error(`${flag} must be a positive number, got ${v}`);
    return n;
  };
  const known = new Set(['--suites', '--sizes', '--ops', '--impls', '--repeats', '--seconds', '--batch', '--workers', '--quick', '--json', '--markdown', '--no-pin']);
  for (const a of args) if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown option ${a} (known: ${[...known].join(' ')})`);
  const suites = list('--suites');
  for (const s of suites ?? []) if (!isSrtpSuiteName(s)) throw new Error(`unknown suite ${s}`);
  const ops = list('--ops');
  for (const o of ops ?? []) if (o !== 'protect' && o !== 'unprotect') throw new Error(`--ops takes protect,unprotect; got ${o}`);
  const impls = list('--impls');
  for (const i of impls ?? []) if (!SRTP_BENCH_IMPLS.includes(i as SrtpBenchImpl)) throw new Error(`--impls takes ${SRTP_BENCH_IMPLS.join(',')}; got ${i}`);
  const sizes = list('--sizes')?.map(Number);
  for (const s of sizes ?? []) if (!(Number.isInteger(s) && s >= 0 && s <= 60000)) throw new Error(`--sizes takes payload bytes 0..60000`);
  return {
    ...(suites ? { suites: suites as SrtpSuiteName[] } : {}),
    ...(sizes ? { sizes } : {}),
    ...(ops ? { ops: ops as SrtpBenchOp[] } : {}),
    ...(impls ? { impls: impls as SrtpBenchImpl[] } : {}),
    repeats: num('--repeats'),
    seconds: num('--seconds'),
    batch: num('--batch'),
    workers: num('--workers'),
    quick: args.includes('--quick'),
    pin: !args.includes('--no-pin'),
    json: args.includes('--json'),
    markdown: args.includes('--markdown'),
  };
}
