// The media half of bench:phones without SIP or the cluster: M calls as 2 × M MediaSessions on loopback, callers in one
// worker thread and callees in another (each with its own media clock), SRTP AEAD_AES_256_GCM (what the 8800s
// negotiate), PCMU at 20 ms, rtcp-mux, every payload byte checked. Reports packets/s, late packets (the 60 ms playout
// rule), authentication failures and how busy each thread's event loop was; for profiling the per-packet path:
//   node --import tsx bench/phones/media-bench.ts [--calls 1000] [--seconds 5] [--json]
//   node --cpu-prof --cpu-prof-dir /tmp/prof --import tsx bench/phones/media-bench.ts   (one profile per thread)
import { randomBytes } from 'node:crypto';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MediaKeys } from '../../endpoints/media/media-session.js';
import type { MediaWorkerCommand, MediaWorkerInit, MediaWorkerStats } from './media-worker.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number, got ${JSON.stringify(process.argv[i + 1])}`);
  return v;
}

function startWorker(init: MediaWorkerInit): Worker {
  const ext = extname(fileURLToPath(import.meta.url));
  const file = new URL(`./media-worker${ext}`, import.meta.url);
  if (ext !== '.ts') return new Worker(file, { workerData: init });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(file.href)}); });`;
  return new Worker(boot, { eval: true, workerData: init });
}

function next<T>(w: Worker, type: string, cmd?: MediaWorkerCommand): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      w.off('message', on);
      w.off('error', reject);
      resolve(m as T);
    };
    w.on('message', on);
    w.once('error', reject);
    if (cmd) w.postMessage(cmd);
  });
}

const policy = () => ({ suite: 'AEAD_AES_256_GCM' as const, keys: [{ key: randomBytes(32), salt: randomBytes(12) }] });

const calls = arg('calls', 1000);
const seconds = arg('seconds', 5);
const workers = [startWorker({ count: calls, name: 'caller' }), startWorker({ count: calls, name: 'callee' })];
const [a, b] = await Promise.all(workers.map((w) => next<{ ports: number[] }>(w, 'ready')));
const up = Array.from({ length: calls }, policy);
const down = Array.from({ length: calls }, policy);
const keysA: MediaKeys[] = up.map((u, i) => ({ sendPolicy: u, receivePolicy: down[i]! }));
const keysB: MediaKeys[] = up.map((u, i) => ({ sendPolicy: down[i]!, receivePolicy: u }));
await Promise.all([next(workers[0]!, 'started', { cmd: 'start', remotes: b!.ports, keys: keysA }), next(workers[1]!, 'started', { cmd: 'start', remotes: a!.ports, keys: keysB })]);
await new Promise((r) => setTimeout(r, 500));
const snap = () => Promise.all(workers.map((w) => next<{ stats: MediaWorkerStats }>(w, 'stats', { cmd: 'stats' }).then((m) => m.stats)));
const s0 = await snap();
const t0 = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
const s1 = await snap();
const wall = performance.now() - t0;
await Promise.all(workers.map((w) => next(w, 'closed', { cmd: 'close' })));
// Never outlive the measurement (the bench lock is shared): whatever a thread still holds goes with it.
await Promise.all(workers.map((w) => w.terminate()));
const sum = (s: MediaWorkerStats[], k: 'received' | 'late' | 'authFailures' | 'lost' | 'contentErrors' | 'sent') => s.reduce((x, y) => x + y[k], 0);
const received = sum(s1, 'received') - sum(s0, 'received');
const late = sum(s1, 'late') - sum(s0, 'late');
const report = {
  calls,
  seconds: Math.round(wall) / 1000,
  packetsPerSecond: Math.round((received / wall) * 1000),
  window: { received, late, latePercent: received ? Math.round((10000 * late) / received) / 100 : 0, authFailures: sum(s1, 'authFailures') - sum(s0, 'authFailures') },
  totals: { sent: sum(s1, 'sent'), received: sum(s1, 'received'), late: sum(s1, 'late'), lost: sum(s1, 'lost'), authFailures: sum(s1, 'authFailures'), contentErrors: sum(s1, 'contentErrors') },
  threads: s1.map((s, i) => ({ thread: i === 0 ? 'callers' : 'callees', busyPercent: Math.round(s.busy * 100), clock: s.clock })),
};
if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
else {
  const w = report.window;
  process.stdout.write(
    `${calls} calls, ${report.seconds} s window: ${report.packetsPerSecond} packets/s received; late ${w.late} of ${w.received} (${w.latePercent} %); auth failures ${w.authFailures}; ` +
      `totals sent ${report.totals.sent}, received ${report.totals.received}, lost ${report.totals.lost}, content errors ${report.totals.contentErrors}\n` +
      report.threads.map((t) => `  ${t.thread}: event loop busy ${t.busyPercent} %, clock late ticks ${t.clock.lateTicks}, skipped ${t.clock.skippedTicks}, max lag ${t.clock.maxLagMs} ms`).join('\n') +
      '\n',
  );
}
