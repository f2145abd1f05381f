// The embedded cluster the phone tests run against: EmbeddedCluster (TFTP/HTTP/HTTPS, TVS, CAPF, SIP on OS-chosen
// loopback ports) in a temporary state directory, with the B2BUA plugged into its SIP server (the cluster's own when
// it has one), and emulated phones opened with a MIC from the cluster's manufacturing CA, booted, and registered.
// Media runs on a clock at 2x so a second of audio takes half a second; counts are asserted, never timings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { B2bua, type LineMediaProfile } from '../../engine/calls/index.js';
import { EmbeddedCluster } from '../../engine/cluster/cluster.js';
import type { ClusterConfigInput, DeviceInput } from '../../engine/cluster/config.js';
import type { PhoneDevice } from '../../engine/sip/index.js';
import { builtinModels, Phone, manufacturingIdentity, type PhoneSipOptions, type RegistrationResult } from '../../endpoints/index.js';
import { MediaClock } from '../../endpoints/media/index.js';

export const SPEED = 2;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Wall time for `mediaMs` of media at the test clock's speed. */
export const media = (mediaMs: number) => sleep(mediaMs / SPEED);

export const GCM256 = 'AEAD_AES_256_GCM';
export const GCM128 = 'AEAD_AES_128_GCM';
export const CM80 = 'AES_CM_128_HMAC_SHA1_80';
export const CM32 = 'AES_CM_128_HMAC_SHA1_32';

/** Waits until `f()` is true (polling), or fails naming `what`. */
export async function until(f: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

const PORTS = { sipUdp: 0, sipTcp: 0, sipTls: 0, tftp: 0, http: 0, https6971: 0, https6972: 0, tvs: 0, capf: 0 } as const;

/** The phone security profiles the tests use. */
export const PROFILES: NonNullable<ClusterConfigInput['phoneProfiles']> = {
  Encrypted: { deviceSecurityMode: 'encrypted' },
  Authenticated: { deviceSecurityMode: 'authenticated' },
  'Non Secure TCP': { deviceSecurityMode: 'non-secure', transport: 'TCP' },
  'Non Secure UDP': { deviceSecurityMode: 'non-secure', transport: 'UDP' },
  'Non Secure Digest': { deviceSecurityMode: 'non-secure', transport: 'TCP', digestAuthentication: true },
};

export interface PhoneLab {
  cluster: EmbeddedCluster;
  b2bua: B2bua;
  clock: MediaClock;
  dir: string;
  /** Opens, boots and (unless register: false) registers the phone of a configured device. */
  phone(label: string, o?: { register?: boolean; sip?: PhoneSipOptions; mic?: boolean }): Promise<Phone>;
  close(): Promise<void>;
}

/** What the cluster knows of a line's device for media: its model's SRTP suites. */
function lineMedia(device: PhoneDevice | undefined): LineMediaProfile | undefined {
  const m = device?.model ? builtinModels.find(String(device.model)) : undefined;
  return m ? { capabilities: m.srtp.suites } : undefined;
}

export async function startLab(o: { devices: Record<string, DeviceInput>; parameters?: ClusterConfigInput['parameters']; securityMode?: 'mixed' | 'non-secure' }): Promise<PhoneLab> {
  const dir = mkdtempSync(join(tmpdir(), 'trustline-phone-calls-'));
  const cluster = await EmbeddedCluster.create({
    stateDir: join(dir, 'cluster'),
    config: { securityMode: o.securityMode ?? 'mixed', network: { bind: '127.0.0.1', ports: { ...PORTS } }, phoneProfiles: PROFILES, devices: o.devices, ...(o.parameters ? { parameters: o.parameters } : {}) },
  });
  const endpoints = await cluster.start();
  const server = cluster.sipServer!;
  const own = (cluster as unknown as { b2bua?: B2bua }).b2bua;
  const b2bua = own ?? new B2bua(server, { srtpCiphers: cluster.config.parameters.srtpCiphers === 'all' ? 'all-supported' : cluster.config.parameters.srtpCiphers, lineMedia });
  if (!own) b2bua.attach();
  const clock = new MediaClock({ speed: SPEED });
  const phones: Phone[] = [];
  return {
    cluster,
    b2bua,
    clock,
    dir,
    async phone(label, po = {}) {
      const d = o.devices[label];
      if (!d) throw new Error(`no device ${label} in the lab`);
      const model = builtinModels.get(String(d.model ?? '8865'));
      const mic = po.mic === false ? undefined : await manufacturingIdentity(cluster.pki, d.mac, model);
      const phone = await Phone.open({ mac: d.mac, model, stateDir: join(dir, label), ...(mic ? { mic } : {}), tftp: endpoints.fileServer, timeouts: { fileMs: 5000 } });
      phones.push(phone);
      await phone.boot();
      if (po.register !== false) {
        const r = await phone.register({ clock, keepaliveMs: 0, media: { rtcpIntervalMs: 400 }, ...po.sip });
        if (r.outcome !== 'registered') throw new Error(`${label} did not register: ${r.reason}`);
      }
      return phone;
    },
    async close() {
      await Promise.allSettled(phones.map((p) => p.close()));
      await b2bua.close().catch(() => undefined);
      await cluster.close();
      clock.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A registration result without the parts that change run to run (for messages). */
export function brief(r: RegistrationResult): string {
  return `${r.outcome} ${r.status ?? ''} ${r.reason} ${r.tls ? `${r.tls.version} ${r.tls.suite}` : ''}`;
}
