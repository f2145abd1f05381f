// One thread of bench:phones: a PhoneFleet for a slice of the phones, with its own media clock. Commands from the
// bench over postMessage: issue (keys and LSCs), register (boot + TLS + REGISTER with bounded concurrency), call
// (place calls to lines of the other thread, wait until connected), media (live totals), hangup (final totals).
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { MediaClock } from '../../endpoints/media/media-clock.js';
import type { PhoneCall } from '../../endpoints/sip/phone-call.js';
import { fleetPhone, issueLscs, PhoneFleet, type FleetPhone, type FleetServer, type LscIssuer } from './fleet.js';

export interface WorkerInit {
  first: number;
  count: number;
  server: FleetServer;
  issuer: LscIssuer;
}

export type WorkerCommand =
  | { cmd: 'issue' }
  | { cmd: 'register'; concurrency: number; boot: boolean }
  | { cmd: 'call'; calls: { from: number; line: string }[]; concurrency: number }
  | { cmd: 'media' }
  | { cmd: 'hangup' }
  | { cmd: 'close' };

export interface MediaTotals {
  calls: number;
  sent: number;
  received: number;
  authFailures: number;
  late: number;
  lost: number;
  contentErrors: number;
  replays?: number;
  /** Datagrams that were not (S)RTP, by reason. */
  malformed?: Record<string, number>;
  failedCalls?: number;
  problems?: string[];
  clock?: { lateTicks: number; skippedTicks: number; maxLagMs: number };
}

const init = workerData as WorkerInit;
const clock = new MediaClock();
const fleet = new PhoneFleet({ server: init.server, clock });
const phones: FleetPhone[] = Array.from({ length: init.count }, (_, i) => fleetPhone(init.first + i));
const placed: PhoneCall[] = [];

async function pool<T>(items: readonly T[], concurrency: number, f: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await f(items[next++]!);
    }),
  );
}

parentPort!.on('message', (m: WorkerCommand) => {
  void (async () => {
    const t0 = performance.now();
    switch (m.cmd) {
      case 'issue':
        issueLscs(phones, init.issuer);
        return parentPort!.postMessage({ type: 'issued', ms: performance.now() - t0 });
      case 'register': {
        let ok = 0;
        let failed = 0;
        let firstError: string | undefined;
        let retries = 0;
        await pool(phones, m.concurrency, async (p) => {
          // A phone that fails tries again, twice, after 1 and 2 s (as a phone retries its CallManager).
          for (let attempt = 0; attempt < 3; attempt++) {
            if (attempt > 0) {
              retries++;
              await new Promise((r) => setTimeout(r, 1000 * attempt));
            }
            try {
              if (m.boot && attempt === 0) await fleet.boot(p);
              if (await fleet.register(p)) {
                ok++;
                return;
              }
            } catch (e) {
              p.error = (e as Error).message;
            }
            firstError ??= `${p.deviceName}: ${p.error}`;
          }
          failed++;
        });
        return parentPort!.postMessage({ type: 'registered', ok, failed, retries, firstError, ms: performance.now() - t0 });
      }
      case 'call': {
        let ok = 0;
        let failed = 0;
        let firstError: string | undefined;
        await pool(m.calls, m.concurrency, async (c) => {
          const p = phones[c.from - init.first];
          if (!p?.registered) {
            failed++;
            firstError ??= `phone ${c.from} is not registered`;
            return;
          }
          const call = fleet.call(p, c.line);
          placed.push(call);
          const r = await call.waitFor(['connected', 'ended'], 60_000).catch((e: Error) => ({ state: 'timeout', endReason: e.message }));
          if (r.state === 'connected') ok++;
          else {
            failed++;
            firstError ??= `${p.deviceName} → ${c.line}: ${r.endReason ?? r.state}`;
          }
        });
        return parentPort!.postMessage({ type: 'connected', ok, failed, firstError, ms: performance.now() - t0 });
      }
      case 'media':
        return parentPort!.postMessage({ type: 'media', totals: fleet.mediaTotals() });
      case 'hangup': {
        await Promise.allSettled(placed.map((c) => c.hangup()));
        // The callee side ends on the BYE the cluster relays.
        const until = Date.now() + 20_000;
        while (fleet.calls.length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        const t: Required<MediaTotals> = { calls: 0, sent: 0, received: 0, authFailures: 0, late: 0, lost: 0, contentErrors: 0, replays: 0, malformed: {}, failedCalls: 0, problems: [], clock: { lateTicks: 0, skippedTicks: 0, maxLagMs: 0 } };
        for (const r of fleet.ended) {
          const s = r.stats;
          if (!s) continue;
          t.calls++;
          t.sent += s.send?.packets ?? 0;
          t.received += s.receive?.packets ?? 0;
          t.authFailures += s.receive?.authFailures ?? 0;
          t.late += s.receive?.late ?? 0;
          t.lost += s.receive?.lost ?? 0;
          t.contentErrors += s.receive?.contentErrors ?? 0;
          t.replays += s.receive?.replays ?? 0;
          if (s.receive?.malformed) for (const [k, v] of Object.entries(s.receive.srtpFailures)) if (k !== 'auth-fail') t.malformed[k] = (t.malformed[k] ?? 0) + v;
          if (!r.ok) {
            t.failedCalls++;
            if (t.problems.length < 5) t.problems.push(`${r.id}: ${r.problems.join('; ')}`);
          }
        }
        const c = clock.stats();
        t.clock = { lateTicks: c.lateTicks, skippedTicks: c.skippedTicks, maxLagMs: Math.round(c.maxLagMs) };
        return parentPort!.postMessage({ type: 'hungup', totals: t, ms: performance.now() - t0 });
      }
      case 'close':
        await fleet.close();
        clock.stop();
        parentPort!.postMessage({ type: 'closed' });
        parentPort!.close();
        return;
    }
  })().catch((e: Error) => parentPort!.postMessage({ type: 'error', message: e.stack ?? e.message }));
});
parentPort!.postMessage({ type: 'started' });
