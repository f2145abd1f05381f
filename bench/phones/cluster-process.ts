// The embedded cluster of bench:phones in its own process: EmbeddedCluster with N Encrypted 8800 phones (TFTP/HTTP,
// TVS, CAPF, SIP TLS on OS-chosen loopback ports) and the B2BUA on its SIP server. The state directory is kept and
// reopened by later runs with the same N unless the bench says `fresh` (creation takes seconds: 5.5 s at 10 000). Talks to the bench over IPC:
// 'ready' (where it listens, the CAPF material the bench signs LSCs with, the CallManager fingerprints), then answers
// 'stats' (RSS, CPU, bindings, active calls) and 'stop'.
import { X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { B2bua } from '../../engine/calls/index.js';
import { EmbeddedCluster } from '../../engine/cluster/cluster.js';
import type { DeviceInput } from '../../engine/cluster/config.js';
import { builtinModels } from '../../endpoints/models/model-profiles.js';
import { fleetPhone } from './fleet.js';

export interface ClusterReady {
  type: 'ready';
  setupMs: number;
  /** The cluster was reopened from an earlier run's state directory. */
  reused: boolean;
  host: string;
  tlsPort: number;
  httpPort?: number;
  issuer: { keyPem: string; certPem: string; subject: Record<string, string> };
  pinned: string[];
}

export interface ClusterStats {
  type: 'stats';
  rss: number;
  cpuMs: number;
  bindings: number;
  activeCalls: number;
  endedCalls: number;
}

const send = (m: unknown) => process.send!(m);

async function main(): Promise<void> {
  const n = Number(process.argv[2]);
  const dir = process.argv[3]!;
  const keep = process.argv[4] === 'keep';
  const t0 = performance.now();
  const devices: Record<string, DeviceInput> = {};
  for (let i = 0; i < n; i++) {
    const p = fleetPhone(i);
    devices[`p${i}`] = { mac: p.mac, model: 8865, profile: 'Encrypted', line: p.line };
  }
  const reuse = keep && EmbeddedCluster.exists(dir);
  const config = {
    securityMode: 'mixed' as const,
    network: { bind: '127.0.0.1', ports: { sipUdp: 0, sipTcp: 0, sipTls: 0, tftp: 0, http: 0, https6971: 0, https6972: 0, tvs: 0, capf: 0 } },
    phoneProfiles: { Encrypted: { deviceSecurityMode: 'encrypted' as const } },
    devices,
  };
  const cluster = reuse ? await EmbeddedCluster.open({ stateDir: dir }) : await EmbeddedCluster.create({ stateDir: dir, force: true, config });
  const setupMs = performance.now() - t0;
  const e = await cluster.start();
  const server = cluster.sipServer!;
  const suites = builtinModels.get('8865').srtp.suites;
  const own = (cluster as unknown as { b2bua?: B2bua }).b2bua;
  const b2bua = own ?? B2bua.attach(server, { lineMedia: () => ({ capabilities: suites }), maxEndedCalls: 100 });
  const capf = cluster.pki.tlsCredentials('CAPF');
  const ready: ClusterReady = {
    type: 'ready',
    setupMs,
    reused: reuse,
    host: '127.0.0.1',
    tlsPort: e.sip.tls!.port,
    ...(e.http ? { httpPort: e.http.port } : {}),
    issuer: { keyPem: capf.key, certPem: capf.identity.pem, subject: { ...cluster.pki.settings.subject } },
    pinned: (['CallManager', 'CallManager-ECDSA'] as const).map((p) => new X509Certificate(cluster.pki.certificate(p).pem).fingerprint256),
  };
  send(ready);
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stats') {
      const cpu = process.cpuUsage();
      const stats: ClusterStats = { type: 'stats', rss: process.memoryUsage().rss, cpuMs: (cpu.user + cpu.system) / 1000, bindings: server.location.size, activeCalls: b2bua.activeCalls.length, endedCalls: b2bua.calls.length - b2bua.activeCalls.length };
      send(stats);
    } else if (m.type === 'stop') {
      void (async () => {
        await b2bua.close().catch(() => undefined);
        await cluster.close();
        if (!keep) rmSync(dir, { recursive: true, force: true });
        send({ type: 'stopped' });
        process.exit(0);
      })();
    }
  });
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  process.exit(1);
});
