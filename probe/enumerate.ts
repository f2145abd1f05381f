// TLS enumeration, one question per connection: which versions, which suites per version (each offered alone, as
// sslscan does), the server's preference order (offer all accepted suites, take the chosen one, remove it, repeat; then
// offer them reversed to tell server from client preference, as testssl.sh and nmap do), groups and signature schemes,
// and the certificate served with each accepted suite.
import { TLS_SUITES, TLS_VERSIONS, findSuite, type TlsSuite, type TlsVersionName } from '../ciphers/tls/suite-catalogue.js';
import { groupName, sigalgName } from '../engine/tls/client-hello.js';
import { summarizeCertificate } from './certs.js';
import type { Limiter } from './limiter.js';
import { rawProbe, type HelloOffer, type RawProbeResult, type Target } from './raw-probe.js';
import type { ServerFlight } from './server-flight.js';
import type { GroupReport, Preference, SigalgReport, SuiteProbe, VersionReport } from './types.js';
import { formatVersion } from './tls-wire.js';

export type ProgressFn = (p: { phase: string; done: number; total: number }) => void;

export interface EnumerateOptions {
  timeoutMs: number;
  limiter: Limiter;
  /** Versions to test (default all four). */
  versions?: readonly TlsVersionName[];
  /** Suites to test (default: the whole catalogue, NULL and anonymous suites included). */
  suites?: readonly TlsSuite[];
  groups?: boolean;
  sigalgs?: boolean;
  onProgress?: ProgressFn;
}

export interface Enumeration {
  versions: VersionReport[];
  groups: GroupReport[];
  sigalgs: SigalgReport[];
}

/** Groups and signature schemes the enumeration asks about. */
export const PROBE_GROUPS: readonly number[] = [23, 24, 25, 29, 30];
export const PROBE_SIGALGS_TLS12: readonly number[] = [
  0x0201, 0x0203, 0x0401, 0x0403, 0x0501, 0x0503, 0x0601, 0x0603, 0x0804, 0x0805, 0x0806, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b,
];
export const PROBE_SIGALGS_TLS13: readonly number[] = [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b];

export function suitesForVersion(v: TlsVersionName, suites: readonly TlsSuite[] = TLS_SUITES): TlsSuite[] {
  return suites.filter((s) => s.versions.includes(v));
}

const hex = (c: number) => `0x${c.toString(16).padStart(4, '0')}`;
export const suiteName = (code: number) => findSuite(code)?.openssl ?? hex(code);

/** Key exchange as read from the flight: "ECDHE X25519", "DHE 2048", "RSA". */
export function keyExchangeOf(f: ServerFlight): string | undefined {
  const s = f.suite !== undefined ? findSuite(f.suite) : undefined;
  if (f.version === 'TLSv1.3') return f.serverHello?.keyShare ? `ECDHE ${groupName(f.serverHello.keyShare.group)}` : undefined;
  const ske = f.serverKeyExchange;
  if (ske?.kind === 'ecdhe') return `ECDHE ${groupName(ske.group)}`;
  if (ske?.kind === 'dhe') return `DHE ${ske.primeBits}`;
  return s?.keyExchange === 'RSA' ? 'RSA' : undefined;
}

export function signatureOf(f: ServerFlight): string | undefined {
  const a = f.certificateVerify?.sigalg ?? f.serverKeyExchange?.sigalg;
  return a === undefined ? undefined : sigalgName(a);
}

/** One-line reason for a probe that did not get the expected ServerHello. */
export function refusalOf(r: RawProbeResult): string {
  return r.outcome === 'alert' ? `alert ${r.flight.alert!.name}` : r.detail;
}

function toSuiteProbe(suite: TlsSuite, v: TlsVersionName, r: RawProbeResult): SuiteProbe {
  const base = { code: suite.code, iana: suite.iana, openssl: suite.openssl };
  const f = r.flight;
  if (r.outcome !== 'server-hello' || !f.serverHello) return { ...base, result: r.outcome === 'alert' ? 'rejected' : 'error', detail: refusalOf(r) };
  if (f.version !== v) return { ...base, result: 'other-version', detail: `server answered ${formatVersion(f.serverHello.versionCode)} to a ${v} offer` };
  if (f.suite !== suite.code) return { ...base, result: 'error', detail: `server chose ${suiteName(f.suite!)}, which was not offered` };
  const leaf = f.certificates?.[0];
  const kx = keyExchangeOf(f);
  const sig = signatureOf(f);
  return {
    ...base,
    result: 'accepted',
    detail: r.detail,
    ...(leaf ? { certificate: summarizeCertificate(leaf, f.certificates!.length - 1) } : {}),
    ...(kx ? { keyExchange: kx } : {}),
    ...(sig ? { signature: sig } : {}),
  };
}

function offerFor(v: TlsVersionName, suites: readonly number[], extra: Partial<HelloOffer> = {}): HelloOffer {
  return { versions: [v], suites, ...extra };
}

/** Derives the preference order among `accepted` (codes, offered in this order first). */
async function preferenceOrder(
  target: Target,
  v: TlsVersionName,
  accepted: readonly number[],
  opts: EnumerateOptions,
  tick: () => void,
): Promise<{ order: string[]; preference: Preference; note?: string }> {
  if (accepted.length === 0) return { order: [], preference: 'none' };
  if (accepted.length === 1) return { order: [suiteName(accepted[0]!)], preference: 'single' };
  const ask = (codes: readonly number[]) => opts.limiter.run(() => rawProbe(target, offerFor(v, codes), { timeoutMs: opts.timeoutMs, stopAt: 'server-hello' })).finally(tick);
  const remaining = [...accepted];
  const picked: number[] = [];
  let note: string | undefined;
  while (remaining.length > 0) {
    const r = await ask(remaining);
    const chosen = r.outcome === 'server-hello' && r.flight.version === v ? r.flight.suite : undefined;
    if (chosen === undefined || !remaining.includes(chosen)) {
      note = `stopped after ${picked.length} of ${accepted.length}: offered ${remaining.map(suiteName).join(', ')}, got ${chosen !== undefined ? suiteName(chosen) : refusalOf(r)}`;
      break;
    }
    picked.push(chosen);
    remaining.splice(remaining.indexOf(chosen), 1);
  }
  // Reversed offer: a server that honours its own order picks the same first suite.
  const reversed = [...accepted].reverse();
  const r = await ask(reversed);
  const first = r.outcome === 'server-hello' && r.flight.version === v ? r.flight.suite : undefined;
  let preference: Preference;
  if (first === undefined) {
    preference = 'undetermined';
    note = [note, `the reversed offer got ${refusalOf(r)}`].filter(Boolean).join('; ');
  } else if (first === picked[0]) preference = 'server';
  else if (first === reversed[0] && picked[0] === accepted[0]) preference = 'client';
  else {
    preference = 'undetermined';
    note = [note, `first pick ${suiteName(picked[0]!)}, reversed offer picked ${suiteName(first)}`].filter(Boolean).join('; ');
  }
  return { order: picked.map(suiteName), preference, ...(note ? { note } : {}) };
}

export async function enumerate(target: Target, opts: EnumerateOptions): Promise<Enumeration> {
  const catalogue = opts.suites ?? TLS_SUITES;
  const versions = TLS_VERSIONS.filter((v) => !opts.versions || opts.versions.includes(v));
  const probe = (offer: HelloOffer, stopAt: 'server-hello' | 'flight' = 'flight') => opts.limiter.run(() => rawProbe(target, offer, { timeoutMs: opts.timeoutMs, stopAt }));
  let done = 0;
  let total = 0;
  let phase = '';
  const begin = (name: string, n: number) => {
    phase = name;
    total += n;
    opts.onProgress?.({ phase, done, total });
  };
  const tick = () => opts.onProgress?.({ phase, done: ++done, total });

  // 1. Versions: every suite of the version offered at once.
  begin('versions', versions.length);
  const versionProbes = await Promise.all(
    versions.map(async (v) => {
      const suites = suitesForVersion(v, catalogue).map((s) => s.code);
      const r = suites.length ? await probe(offerFor(v, suites), 'server-hello') : undefined;
      tick();
      return { v, r };
    }),
  );
  const reports: VersionReport[] = versionProbes.map(({ v, r }) => {
    let supported = false;
    let detail: string;
    if (!r) detail = 'no catalogue suite runs in this version';
    else if (r.outcome === 'server-hello' && r.flight.version === v) {
      supported = true;
      detail = r.detail;
    } else if (r.outcome === 'server-hello') detail = `not supported: server answered ${formatVersion(r.flight.serverHello!.versionCode)}`;
    else detail = `not supported: ${refusalOf(r)}`;
    return { version: v, supported, detail, suites: [], order: [], preference: 'none' };
  });
  const supported = reports.filter((r) => r.supported);

  // 2. Each suite alone, per supported version.
  const jobs = supported.flatMap((rep) => suitesForVersion(rep.version, catalogue).map((s) => ({ rep, s })));
  begin('suites', jobs.length);
  const probes = await Promise.all(
    jobs.map(async ({ rep, s }) => {
      const r = await probe(offerFor(rep.version, [s.code]));
      tick();
      return { rep, p: toSuiteProbe(s, rep.version, r) };
    }),
  );
  for (const { rep, p } of probes) rep.suites.push(p);

  // 3. Preference order per version (sequential within a version, versions in parallel).
  const acceptedOf = (rep: VersionReport) => rep.suites.filter((p) => p.result === 'accepted').map((p) => p.code);
  begin('preference', supported.reduce((n, rep) => n + (acceptedOf(rep).length > 1 ? acceptedOf(rep).length + 1 : 0), 0));
  await Promise.all(
    supported.map(async (rep) => {
      const o = await preferenceOrder(target, rep.version, acceptedOf(rep), opts, tick);
      rep.order = o.order;
      rep.preference = o.preference;
      if (o.note) rep.orderNote = o.note;
    }),
  );

  // 4. Groups and 5. signature schemes, in TLS 1.2 (or the highest older version) and TLS 1.3.
  const groups: GroupReport[] = [];
  const sigalgs: SigalgReport[] = [];
  const legacy = [...supported].reverse().find((r) => r.version !== 'TLSv1.3');
  const modern = supported.find((r) => r.version === 'TLSv1.3');
  const scopes = [legacy, modern].filter((r): r is VersionReport => !!r);
  if (opts.groups !== false) {
    const gJobs = scopes.flatMap((rep) => {
      const suites = acceptedOf(rep).filter((c) => rep.version === 'TLSv1.3' || findSuite(c)?.keyExchange === 'ECDHE');
      return suites.length ? PROBE_GROUPS.map((g) => ({ rep, g, suites })) : [];
    });
    begin('groups', gJobs.length);
    groups.push(
      ...(await Promise.all(
        gJobs.map(async ({ rep, g, suites }) => {
          const r = await probe(offerFor(rep.version, suites, { groups: [g] }));
          tick();
          const f = r.flight;
          const got = rep.version === 'TLSv1.3' ? f.serverHello?.keyShare?.group : f.serverKeyExchange?.kind === 'ecdhe' ? f.serverKeyExchange.group : undefined;
          const ok = r.outcome === 'server-hello' && f.version === rep.version && got === g;
          const detail = ok
            ? f.serverHello?.helloRetryRequest
              ? `HelloRetryRequest for ${groupName(g)}`
              : `${suiteName(f.suite!)} with ${groupName(g)}`
            : r.outcome === 'server-hello'
              ? `server used ${got !== undefined ? groupName(got) : 'no ECDHE group'}`
              : refusalOf(r);
          return { version: rep.version, group: groupName(g), accepted: ok, detail };
        }),
      )),
    );
  }
  if (opts.sigalgs !== false) {
    const sJobs = scopes.flatMap((rep) => {
      const tls13 = rep.version === 'TLSv1.3';
      const suites = acceptedOf(rep).filter((c) => {
        const s = findSuite(c);
        return tls13 || (s && s.keyExchange !== 'RSA' && s.authentication !== 'none');
      });
      if (!suites.length || (rep.version !== 'TLSv1.2' && !tls13)) return [];
      return (tls13 ? PROBE_SIGALGS_TLS13 : PROBE_SIGALGS_TLS12).map((a) => ({ rep, a, suites }));
    });
    begin('signature schemes', sJobs.length);
    sigalgs.push(
      ...(await Promise.all(
        sJobs.map(async ({ rep, a, suites }) => {
          const r = await probe(offerFor(rep.version, suites, { sigalgs: [a] }));
          tick();
          const f = r.flight;
          const used = f.certificateVerify?.sigalg ?? f.serverKeyExchange?.sigalg;
          const ok = r.outcome === 'server-hello' && f.version === rep.version && used === a;
          const leaf = f.certificates?.[0];
          const cert = leaf ? summarizeCertificate(leaf).label : undefined;
          const detail = ok
            ? `${suiteName(f.suite!)}${cert ? `, ${cert} certificate` : ''}`
            : r.outcome === 'server-hello'
              ? used === undefined
                ? `${suiteName(f.suite!)}: signature scheme not visible`
                : `server signed with ${sigalgName(used)}`
              : refusalOf(r);
          return { version: rep.version, sigalg: sigalgName(a), accepted: ok, ...(ok && cert ? { certificate: cert } : {}), detail };
        }),
      )),
    );
  }
  return { versions: reports, groups, sigalgs };
}
