// Times EmbeddedCluster.create with N phones as bench:phones configures them (Encrypted 8865s, mixed mode), then its
// reopen: the cluster-side cost of a large fleet before any phone connects.
//   node --import tsx bench/phones/create-bench.ts [N=2000] [--keep DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EmbeddedCluster } from '../../engine/cluster/cluster.js';
import type { DeviceInput } from '../../engine/cluster/config.js';
import { fleetPhone } from './fleet.js';

const n = Number(process.argv[2] ?? 2000);
if (!Number.isInteger(n) || n < 1) throw new Error(`N must be a positive integer, got ${JSON.stringify(process.argv[2])}`);
const ki = process.argv.indexOf('--keep');
const dir = ki > 0 ? process.argv[ki + 1]! : mkdtempSync(join(tmpdir(), 'trustline-create-'));
const devices: Record<string, DeviceInput> = {};
for (let i = 0; i < n; i++) {
  const p = fleetPhone(i);
  devices[`p${i}`] = { mac: p.mac, model: 8865, profile: 'Encrypted', line: p.line };
}
const config = {
  securityMode: 'mixed' as const,
  network: { bind: '127.0.0.1', ports: { sipUdp: 0, sipTcp: 0, sipTls: 0, tftp: 0, http: 0, https6971: 0, https6972: 0, tvs: 0, capf: 0 } },
  phoneProfiles: { Encrypted: { deviceSecurityMode: 'encrypted' as const } },
  devices,
};
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const cluster = await EmbeddedCluster.create({ stateDir: dir, force: true, config });
const createMs = performance.now() - t0;
const cpu1 = process.cpuUsage(cpu0);
await cluster.close();
const t1 = performance.now();
const again = await EmbeddedCluster.open({ stateDir: dir });
const openMs = performance.now() - t1;
const capf = await again.capfStore();
const count = capf.devices().length;
await again.close();
if (ki < 0) rmSync(dir, { recursive: true, force: true });
const rss = process.memoryUsage().rss;
process.stdout.write(
  `${n} phones: create ${(createMs / 1000).toFixed(2)} s (CPU ${((cpu1.user + cpu1.system) / 1e6).toFixed(2)} s), reopen ${(openMs / 1000).toFixed(2)} s, ${count} CAPF devices, RSS ${(rss / 1048576).toFixed(0)} MiB\n`,
);
