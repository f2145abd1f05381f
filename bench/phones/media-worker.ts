// One thread of the media-only bench (media-bench.ts): `count` MediaSessions on loopback with the thread's own media
// clock, the same per-leg setup as bench:phones' calls (rtcp-mux, SRTCP every 5 s, every payload byte checked), but
// no SIP: ports and keys come from the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { MediaClock } from '../../endpoints/media/media-clock.js';
import { MediaSession, type MediaKeys } from '../../endpoints/media/media-session.js';

export interface MediaWorkerInit {
  count: number;
  name: string;
}

export type MediaWorkerCommand =
  | { cmd: 'start'; remotes: number[]; keys: MediaKeys[] }
  | { cmd: 'stats' }
  | { cmd: 'close' };

export interface MediaWorkerStats {
  received: number;
  late: number;
  authFailures: number;
  lost: number;
  contentErrors: number;
  sent: number;
  clock: { lateTicks: number; skippedTicks: number; maxLagMs: number };
  /** Event-loop utilisation of the thread since it started sending (0..1). */
  busy: number;
}

const init = workerData as MediaWorkerInit;
const clock = new MediaClock();
const sessions: MediaSession[] = [];
for (let i = 0; i < init.count; i++) sessions.push(await MediaSession.open({ clock, name: `${init.name}${i}`, rtcpMux: true, rtcpIntervalMs: 5000, initialSequence: Math.floor(Math.random() * 0x8000) }));
let elu0 = performance.eventLoopUtilization();

parentPort!.on('message', (m: MediaWorkerCommand) => {
  switch (m.cmd) {
    case 'start':
      sessions.forEach((s, i) => {
        s.setRemote({ address: '127.0.0.1', rtpPort: m.remotes[i]! });
        s.setKeys(m.keys[i]!);
        s.start();
      });
      elu0 = performance.eventLoopUtilization();
      return parentPort!.postMessage({ type: 'started' });
    case 'stats': {
      const t: MediaWorkerStats = { received: 0, late: 0, authFailures: 0, lost: 0, contentErrors: 0, sent: 0, clock: { lateTicks: 0, skippedTicks: 0, maxLagMs: 0 }, busy: 0 };
      for (const s of sessions) {
        const st = s.stats();
        t.sent += st.send?.packets ?? 0;
        t.received += st.receive?.packets ?? 0;
        t.late += st.receive?.late ?? 0;
        t.authFailures += st.receive?.authFailures ?? 0;
        t.lost += st.receive?.lost ?? 0;
        t.contentErrors += st.receive?.contentErrors ?? 0;
      }
      const c = clock.stats();
      t.clock = { lateTicks: c.lateTicks, skippedTicks: c.skippedTicks, maxLagMs: Math.round(c.maxLagMs) };
      t.busy = performance.eventLoopUtilization(elu0).utilization;
      return parentPort!.postMessage({ type: 'stats', stats: t });
    }
    case 'close':
      void Promise.all(sessions.map((s) => s.close())).then(() => {
        clock.stop();
        parentPort!.postMessage({ type: 'closed' });
        parentPort!.close();
      });
      return;
  }
});
parentPort!.postMessage({ type: 'ready', ports: sessions.map((s) => s.rtpPort) });
