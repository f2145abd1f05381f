// What one scenario run holds while it runs: its clusters (EmbeddedCluster + the B2BUA plugged into it), its phones
// (Phone + the runner's view of them: which cluster they point at, the CAPF gate, fault overrides) and its calls.
// The action modules (phone-actions, call-actions, cluster-actions, fault-actions, probe-action) work on this state;
// the executor (executor-factory.ts) builds it in setup and releases it in teardown.
import type { B2bua } from '../../engine/calls/index.js';
import type { ClusterEndpoints, EmbeddedCluster } from '../../engine/cluster/index.js';
import type { BootResult, ClientCredential, ModelProfile, Phone, PhoneCall, PhoneSipOptions, TrustEvent } from '../../endpoints/index.js';
import type { MediaClock } from '../../endpoints/media/index.js';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import type { RunCapture } from './capture.js';
import type { ViaRoutePlan } from './trunk-wiring.js';
import type { CallLeg, ClusterSpec, FaultSpec, PhoneSpec, ScenarioPlan } from '../model.js';

export interface ClusterHandle {
  name: string;
  spec: ClusterSpec;
  cluster: EmbeddedCluster;
  b2bua: B2bua;
  /** The B2BUA's routes: trunks to the other clusters, `via` per dialled number (trunk-wiring.ts). */
  routePlan: ViaRoutePlan;
  endpoints: ClusterEndpoints;
  /** The loopback address its services bind to (127.0.0.1, 127.0.0.2, …). */
  address: string;
  /** Host name shown in ladders and connection records. */
  host: string;
  /**
   * Phone boots at once against this cluster. Emulated phones all come from one address, and the TFTP service
   * serves at most 8 transfers per client address (a real cluster sees one address per phone).
   */
  boots: Semaphore;
}

/** At most `limit` holders at once; the others wait in order. */
export class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#free = limit;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** Whether the phone's CAPF client may run: only inside `enroll` steps (boots defer CAPF to them). */
export interface CapfGate {
  open: boolean;
}

export interface PhoneHandle {
  name: string;
  spec: PhoneSpec;
  phone: Phone;
  model: ModelProfile;
  /** The cluster the phone points at now (DHCP option 150); `move` changes it. */
  cluster: ClusterHandle;
  capf: CapfGate;
  /** Host names of every cluster of the scenario (publisher name and FQDN) → its address: the phones' DNS. */
  hosts: Record<string, string>;
  /** Trust decisions made since the last `takeTrust()` (boot, registration, TVS). */
  trustSince: TrustEvent[];
  lastBoot?: BootResult;
  /** The phone's SRTP suites (its model's, a scenario `offer`, a cipher-mismatch fault). */
  srtpSuites: readonly SrtpSuiteName[];
  /** A fault replaces what the phone presents or offers on SIP TLS. */
  override: { clientCertificate?: ClientCredential & { kind: 'lsc' | 'mic' }; tlsSuites?: string[]; srtpSuites?: SrtpSuiteName[] };
  /** The scenario wants it registered (a boot that registers, a register step, a move): resets register it again. */
  wantsRegistration: boolean;
  /** The door the phone fetches its configuration through (a boot's `door`, kept for resets). */
  door: 'tftp' | 'http-6970' | 'https-6971' | 'https-6972';
  /** Packet corruption of what this phone sends (a packet-corruption fault), read at every packet. */
  corruption: { active: boolean; every: number; target: 'payload' | 'auth-tag' | 'header' | 'replay' };
}

export interface CallHandle {
  leg: CallLeg;
  from: PhoneHandle;
  to?: PhoneHandle;
  out: PhoneCall;
  in?: PhoneCall;
  /** How many entries of the B2BUA's journal of this call are in the report already. */
  journalRecorded: { count: number };
  /** The SIP trunk (its name on the caller's cluster) a call to another cluster leaves on. */
  trunk?: string;
  /** Its trunk connection is in the report already. */
  trunkRecorded?: boolean;
}

export interface ActiveFault {
  spec: FaultSpec;
  /** Undoes the fault (clearFault). */
  clear(): Promise<void>;
}

export interface World {
  plan: ScenarioPlan;
  dir: string;
  clusters: Map<string, ClusterHandle>;
  phones: Map<string, PhoneHandle>;
  calls: Map<string, CallHandle>;
  faults: Map<string, ActiveFault>;
  clock: MediaClock;
  /** Media time runs this many times faster than the wall clock (tests use 2). */
  mediaSpeed: number;
  /** SIP options every registration uses (clock, media defaults). */
  sipDefaults: PhoneSipOptions;
  /** `--capture`: media packets and keys of the run. */
  capture?: RunCapture;
}

export function clusterOf(w: World, name: string): ClusterHandle {
  const c = w.clusters.get(name);
  if (!c) throw new Error(`no cluster "${name}" in this scenario`);
  return c;
}

export function phoneOf(w: World, name: string): PhoneHandle {
  const p = w.phones.get(name);
  if (!p) throw new Error(`no phone "${name}" in this scenario`);
  return p;
}

/** Closes the phone's SIP user agent (registration, calls, media), keeping its keys for the capture first. */
export async function closeSip(w: World, p: PhoneHandle): Promise<void> {
  w.capture?.collect(p.phone.sip);
  await p.phone.close();
}

/** The trust decisions since the last call, and forgets them. */
export function takeTrust(p: PhoneHandle): TrustEvent[] {
  return p.trustSince.splice(0, p.trustSince.length);
}

/** Runs `fn` on every item, at most `limit` at once; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return out;
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Resolves with `p`, or with undefined after `ms` (the timer is cleared either way, so nothing lingers). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wall time for `mediaMs` of media time. */
export const mediaWait = (w: World, mediaMs: number, signal?: AbortSignal): Promise<void> => sleep(mediaMs / w.mediaSpeed, signal);
