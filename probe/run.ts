// `trustline probe` from start to report: enumeration, SIP through each accepted suite, client certificates and
// fallback simulations, with one limiter for every connection so the target never sees more than `concurrency`.
import { TLS_SUITES, findSuite, type TlsSuite, type TlsVersionName } from '../ciphers/tls/suite-catalogue.js';
import { packageVersion } from '../common/paths.js';
import { clientCertVariants, probeClientCerts, type ClientCertVariant } from './client-certs.js';
import { enumerate, type ProgressFn } from './enumerate.js';
import { resolveProfile, simulateFallback, type ResolveOptions } from './fallback.js';
import { Limiter } from './limiter.js';
import type { Target } from './raw-probe.js';
import { sipCheck } from './sip-check.js';
import { formatTarget } from './target.js';
import { tlsConnect, unavailableSuites } from './tls-client.js';
import type { CertificateReport, ProbeReport, SuiteProbe, VersionReport } from './types.js';

export type SipMode = 'each' | 'once' | 'off';

export interface ProbeOptions {
  /** Connections in flight at most (default 4). */
  concurrency?: number;
  /** Per-connection timeout (default 5000 ms). */
  timeoutMs?: number;
  /** Minimum spacing between connection starts (default 0). */
  delayMs?: number;
  versions?: readonly TlsVersionName[];
  suites?: readonly TlsSuite[];
  /** Run the TLS enumeration (default true). */
  enumerate?: boolean;
  groups?: boolean;
  sigalgs?: boolean;
  /** OPTIONS through every accepted suite (each), the preferred suite per version (once), or not at all. */
  sip?: SipMode;
  /** Time allowed for a SIP answer (default: timeoutMs). */
  sipTimeoutMs?: number;
  /** Also REGISTER (after OPTIONS, same connection). */
  register?: { user?: string; expires?: number };
  /** Client certificate probes (default true when a version is supported). */
  clientCerts?: boolean;
  /** MIC/LSC to try; the first one is also presented in the SIP step. */
  givenClientCerts?: readonly ClientCertVariant[];
  /** Fallback simulations (`--as`). */
  as?: readonly string[];
  asOptions?: ResolveOptions;
  onProgress?: ProgressFn;
}

async function sipThroughSuite(
  target: Target,
  v: TlsVersionName,
  p: SuiteProbe,
  opts: ProbeOptions,
  limiter: Limiter,
  timeoutMs: number,
  sipTimeoutMs: number,
): Promise<void> {
  const suite = findSuite(p.code)!;
  if (unavailableSuites([suite]).length) {
    p.handshake = { outcome: 'unavailable', detail: `node's OpenSSL cannot run ${suite.openssl}: accepted by ServerHello, SIP not tried` };
    return;
  }
  await limiter.run(async () => {
    const id = opts.givenClientCerts?.[0]; // a phone's MIC/LSC, for servers that require one
    const r = await tlsConnect(target, { suites: [suite], minVersion: v, maxVersion: v, timeoutMs, ...(id?.cert && id.key ? { cert: id.cert, key: id.key } : {}) });
    if (!r.ok || !r.socket) {
      p.handshake = { outcome: 'failed', detail: r.error ?? 'handshake failed' };
      return;
    }
    try {
      p.handshake = {
        outcome: 'completed',
        ...(r.protocol ? { protocol: r.protocol } : {}),
        ...(r.suite ? { suite: r.suite } : {}),
        ...(r.certificate ? { certificate: r.certificate.label } : {}),
        detail: `${r.protocol} ${r.suite}${r.certificate ? `, ${r.certificate.label}` : ''}`,
      };
      if (r.certificate && p.certificate && r.certificate.fingerprint256 !== p.certificate.fingerprint256)
        p.handshake.detail += ` (a different certificate than the raw probe got: ${p.certificate.label})`;
      p.sip = await sipCheck(r.socket, target, { method: 'OPTIONS', timeoutMs: sipTimeoutMs });
      if (opts.register && p.sip.outcome === 'answered') p.register = await sipCheck(r.socket, target, { method: 'REGISTER', timeoutMs: sipTimeoutMs, ...opts.register });
    } finally {
      r.socket.destroy();
    }
  });
}

function collectCertificates(versions: readonly VersionReport[]): CertificateReport[] {
  const byFp = new Map<string, CertificateReport>();
  for (const v of versions)
    for (const p of v.suites) {
      if (!p.certificate) continue;
      const key = p.certificate.fingerprint256 || p.certificate.subject;
      const entry = byFp.get(key) ?? { certificate: p.certificate, servedWith: [] };
      entry.servedWith.push(`${v.version} ${p.openssl}`);
      byFp.set(key, entry);
    }
  return [...byFp.values()];
}

function verdictOf(target: Target, versions: readonly VersionReport[], certs: readonly CertificateReport[]): string {
  const sup = versions.filter((v) => v.supported);
  if (versions.length && !sup.length) return `${formatTarget(target)}: no TLS version accepted (${versions.map((v) => `${v.version}: ${v.detail}`).join('; ')})`;
  const parts = sup.map((v) => `${v.version} ${v.suites.filter((p) => p.result === 'accepted').length} suite(s)${v.preference === 'server' || v.preference === 'client' ? `, ${v.preference} order` : ''}`);
  const sipped = sup.flatMap((v) => v.suites.filter((p) => p.sip && p.sip.outcome !== 'not-sent'));
  const skipped = sup.flatMap((v) => v.suites.filter((p) => p.sip?.outcome === 'not-sent')).length;
  const ok = sipped.filter((p) => p.sip!.outcome === 'answered');
  const sip = sipped.length ? `; SIP OPTIONS answered through ${ok.length}/${sipped.length} suite(s)${skipped ? ` (${skipped} not tried)` : ''}` : '';
  return `${formatTarget(target)}: ${parts.join('; ')}; certificates ${certs.map((c) => c.certificate.label).join(', ') || 'none seen'}${sip}`;
}

export async function runProbe(target: Target, opts: ProbeOptions = {}): Promise<ProbeReport> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 5000;
  const limiter = new Limiter(opts.concurrency ?? 4, opts.delayMs ?? 0);
  const sipMode = opts.sip ?? 'each';
  const sipTimeoutMs = opts.sipTimeoutMs ?? timeoutMs;
  const notes: string[] = [];
  const progress = opts.onProgress;

  let versions: VersionReport[] = [];
  let groups: ProbeReport['groups'] = [];
  let sigalgs: ProbeReport['sigalgs'] = [];
  if (opts.enumerate !== false) {
    const e = await enumerate(target, {
      timeoutMs,
      limiter,
      ...(opts.versions ? { versions: opts.versions } : {}),
      ...(opts.suites ? { suites: opts.suites } : {}),
      groups: opts.groups !== false,
      sigalgs: opts.sigalgs !== false,
      ...(progress ? { onProgress: progress } : {}),
    });
    ({ versions, groups, sigalgs } = e);
    const catalogue = opts.suites ?? TLS_SUITES;
    const unavailable = unavailableSuites(catalogue);
    if (unavailable.length)
      notes.push(`${unavailable.map((s) => s.openssl).join(', ')}: asked with raw ClientHellos only (node's OpenSSL cannot finish a handshake with them, so no SIP step)`);
    notes.push('suites outside trustline\'s catalogue (ARIA, CCM_8, PSK, SRP, GOST, export...) are not asked about');

    // SIP through each accepted suite (or the preferred one per version).
    if (sipMode !== 'off') {
      const jobs = versions
        .filter((v) => v.supported)
        .flatMap((v) => {
          const accepted = v.suites.filter((p) => p.result === 'accepted');
          if (sipMode === 'once') {
            const first = accepted.find((p) => p.openssl === v.order[0]) ?? accepted[0];
            return first ? [{ v, p: first }] : [];
          }
          return accepted.map((p) => ({ v, p }));
        });
      let done = 0;
      const sipTick = () => progress?.({ phase: 'SIP', done: ++done, total: jobs.length });
      progress?.({ phase: 'SIP', done, total: jobs.length });
      // The preferred suite of the highest version goes first: a port that does not answer SIP at all costs one
      // timeout, not one per suite.
      jobs.sort((a, b) => (a.v.version < b.v.version ? 1 : a.v.version > b.v.version ? -1 : a.v.order.indexOf(a.p.openssl) - b.v.order.indexOf(b.p.openssl)));
      const first = jobs.find(({ p }) => !unavailableSuites([findSuite(p.code)!]).length);
      if (first) {
        await sipThroughSuite(target, first.v.version, first.p, opts, limiter, timeoutMs, sipTimeoutMs);
        sipTick();
      }
      const silent = first?.p.sip?.outcome === 'no-answer';
      if (silent) notes.push(`SIP: no answer to OPTIONS through ${first!.v.version} ${first!.p.openssl} within ${sipTimeoutMs} ms; OPTIONS not tried through the other suites`);
      await Promise.all(
        jobs
          .filter((j) => j !== first)
          .map(async ({ v, p }) => {
            if (silent) {
              p.sip = { method: 'OPTIONS', outcome: 'not-sent', detail: `not tried: no answer through ${first!.v.version} ${first!.p.openssl}`, ms: 0 };
            } else await sipThroughSuite(target, v.version, p, opts, limiter, timeoutMs, sipTimeoutMs);
            sipTick();
          }),
      );
    }
  }

  // Client certificates, in the highest supported version with the suites accepted there.
  const clientCertificates: ProbeReport['clientCertificates'] = [];
  const best = [...versions].reverse().find((v) => v.supported && v.suites.some((p) => p.result === 'accepted' && !unavailableSuites([findSuite(p.code)!]).length));
  if (opts.clientCerts !== false && best) {
    const suites = best.suites.filter((p) => p.result === 'accepted').map((p) => findSuite(p.code)!);
    const variants = clientCertVariants(opts.givenClientCerts ?? []);
    progress?.({ phase: 'client certificates', done: 0, total: variants.length });
    const sipOff = sipMode === 'off' || versions.some((v) => v.suites.some((p) => p.sip?.outcome === 'no-answer'));
    clientCertificates.push(...(await probeClientCerts(target, variants, { timeoutMs, sipTimeoutMs, limiter, version: best.version, suites, sip: !sipOff })));
  } else if (opts.clientCerts !== false && opts.enumerate !== false) notes.push('client certificates not probed: no TLS handshake possible');

  const fallback: ProbeReport['fallback'] = [];
  for (const as of opts.as ?? []) {
    progress?.({ phase: `--as ${as}`, done: 0, total: 1 });
    const profile = await resolveProfile(as, opts.asOptions);
    fallback.push(await simulateFallback(target, profile, { timeoutMs, sipTimeoutMs, limiter, sip: sipMode !== 'off' }));
  }

  const certificates = collectCertificates(versions);
  const verdict =
    opts.enumerate === false
      ? `${formatTarget(target)}: ${fallback.map((f) => `--as ${f.profile}: ${f.summary}`).join('; ')}`
      : verdictOf(target, versions, certificates);
  return {
    tool: 'trustline probe',
    trustlineVersion: packageVersion(),
    target: { host: target.host, port: target.port, ...(target.serverName ? { serverName: target.serverName } : {}) },
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    connections: limiter.started,
    options: { concurrency: limiter.concurrency, timeoutMs, delayMs: limiter.delayMs, sip: sipMode },
    verdict,
    versions,
    groups,
    sigalgs,
    certificates,
    clientCertificates,
    fallback,
    notes,
  };
}
