// Who is on the other end of a mutual-TLS connection: phones (MIC or LSC chaining to the right trust store, device
// name bound to the certificate) and SIP trunks (peer certificate matched against the profile's "Secure Certificate
// Subject or Subject Alternate Name" names, per port). Pure functions over node:crypto X509Certificate.
import { X509Certificate } from 'node:crypto';

export type CertificateInput = X509Certificate | string | Buffer;

export function toX509(c: CertificateInput): X509Certificate {
  return c instanceof X509Certificate ? c : new X509Certificate(c);
}

/** Splits a PEM bundle into certificates. */
export function parsePemBundle(pem: string | Buffer): X509Certificate[] {
  const text = pem.toString();
  return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new X509Certificate(b));
}

export interface PeerChain {
  leaf: X509Certificate;
  /** Other certificates the peer sent (or node found), any order. */
  intermediates: readonly X509Certificate[];
}

export type Verdict = { ok: true; detail?: string } | { ok: false; reason: string };

export interface ChainResult {
  ok: boolean;
  reason?: string;
  /** leaf first, trust anchor last. */
  path: X509Certificate[];
}

/** Subject attribute values by key (node prints one "KEY=value" per line; values may be JSON-quoted). */
export function subjectAttributes(dn: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of dn.split('\n')) {
    const i = line.indexOf('=');
    if (i <= 0) continue;
    const key = line.slice(0, i).trim().toUpperCase();
    let value = line.slice(i + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        /* keep as printed */
      }
    }
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

export function commonName(cert: X509Certificate): string | undefined {
  const cns = subjectAttributes(cert.subject).get('CN');
  return cns?.[cns.length - 1];
}

/** One-line subject, e.g. "CN=SEP001122334455, O=Example". */
export function subjectLine(cert: X509Certificate): string {
  return cert.subject.split('\n').filter(Boolean).join(', ');
}

export interface CertificateNames {
  cn: string | undefined;
  dns: string[];
  ip: string[];
  uri: string[];
}

export function certificateNames(cert: X509Certificate): CertificateNames {
  const names: CertificateNames = { cn: commonName(cert), dns: [], ip: [], uri: [] };
  const san = cert.subjectAltName;
  if (san) {
    // "DNS:a, IP Address:1.2.3.4, URI:x"; node quotes values holding separators as JSON strings.
    const re = /(DNS|IP Address|URI|email|DirName|othername|Registered ID):("(?:[^"\\]|\\.)*"|[^,]*)(?:,\s*|$)/g;
    for (let m = re.exec(san); m && m[0]; m = re.exec(san)) {
      let v = m[2]!.trim();
      if (v.startsWith('"')) {
        try {
          v = JSON.parse(v) as string;
        } catch {
          /* keep */
        }
      }
      if (m[1] === 'DNS') names.dns.push(v);
      else if (m[1] === 'IP Address') names.ip.push(v);
      else if (m[1] === 'URI') names.uri.push(v);
    }
  }
  return names;
}

function timeCheck(c: X509Certificate, at: Date): string | undefined {
  if (at < new Date(c.validFrom)) return `certificate "${subjectLine(c)}" is not valid before ${c.validFrom}`;
  if (at > new Date(c.validTo)) return `certificate "${subjectLine(c)}" expired on ${c.validTo}`;
  return undefined;
}

/**
 * Builds a path from the leaf to one of the trust anchors (a trust store is a list of CA or directly trusted
 * certificates, as CUCM's CallManager-trust / CAPF-trust), checking signatures, CA flags and validity dates.
 */
export function verifyChain(chain: PeerChain, anchors: readonly X509Certificate[], at: Date = new Date(), storeName = 'trust store'): ChainResult {
  const isAnchor = (c: X509Certificate) => anchors.some((a) => a.fingerprint256 === c.fingerprint256);
  const path: X509Certificate[] = [chain.leaf];
  const leafTime = timeCheck(chain.leaf, at);
  if (leafTime) return { ok: false, reason: leafTime, path };
  if (isAnchor(chain.leaf)) return { ok: true, path }; // directly trusted (e.g. a peer's self-signed certificate)
  let cur = chain.leaf;
  const pool = [...chain.intermediates.filter((c) => !isAnchor(c)), ...anchors];
  for (let depth = 0; depth < 8; depth++) {
    const issuer = pool.find((cand) => cand.fingerprint256 !== cur.fingerprint256 && cur.checkIssued(cand) && cur.verify(cand.publicKey));
    if (!issuer) {
      const self = cur.subject === cur.issuer;
      return {
        ok: false,
        reason: self
          ? `self-signed certificate "${subjectLine(cur)}" is not in ${storeName}`
          : `no issuer for "${subjectLine(cur)}" (issuer "${cur.issuer.split('\n').filter(Boolean).join(', ')}") in ${storeName}`,
        path,
      };
    }
    if (!issuer.ca) return { ok: false, reason: `issuer "${subjectLine(issuer)}" is not a CA (basicConstraints)`, path };
    const t = timeCheck(issuer, at);
    if (t) return { ok: false, reason: t, path };
    path.push(issuer);
    if (isAnchor(issuer)) return { ok: true, path };
    cur = issuer;
  }
  return { ok: false, reason: 'certificate chain longer than 8', path };
}

// ---------------------------------------------------------------------------------------------------------------
// Phones

/** A MIC's subject CN: "CP-<model>-SEP<MAC>" (the TVS/CAPF device name form, research anchors 2.7). */
const MIC_CN = /^CP-([0-9A-Z]+)-(SEP[0-9A-F]{12})$/i;

export type PhoneCertificateKind = 'MIC' | 'LSC';

/**
 * The device name a phone certificate is bound to: an LSC's CN (or SAN URI) is the device name itself
 * ("SEP001122334455", capfd issues CN=device name); a MIC's CN is "CP-7841-SEP001122334455".
 */
export function deviceNameOf(cert: X509Certificate): { deviceName: string; form: PhoneCertificateKind } | undefined {
  const cn = commonName(cert);
  if (cn) {
    const m = MIC_CN.exec(cn);
    if (m) return { deviceName: m[2]!.toUpperCase(), form: 'MIC' };
    if (/^[A-Za-z0-9._-]{1,50}$/.test(cn)) return { deviceName: cn.toUpperCase(), form: 'LSC' };
  }
  const uri = certificateNames(cert).uri.find((u) => /^[A-Za-z0-9._-]{1,50}$/.test(u));
  return uri ? { deviceName: uri.toUpperCase(), form: 'LSC' } : undefined;
}

export interface PhoneTrust {
  /** Issuers of LSCs: CAPF or the online/offline CA (CAPF-trust / CallManager-trust). */
  lsc: readonly X509Certificate[];
  /** Cisco Manufacturing CA roots for MICs (CallManager-trust); empty when MIC roots were removed (L1321-1330). */
  mic: readonly X509Certificate[];
}

export interface PhoneVerdictOk {
  ok: true;
  kind: PhoneCertificateKind;
  deviceName: string;
  detail: string;
}

export function verifyPhoneCertificate(
  chain: PeerChain | null,
  trust: PhoneTrust,
  opts: { expectedDeviceName?: string; at?: Date } = {},
): PhoneVerdictOk | { ok: false; reason: string } {
  if (!chain) return { ok: false, reason: 'client certificate missing (phone must present its LSC or MIC)' };
  const bound = deviceNameOf(chain.leaf);
  if (!bound) return { ok: false, reason: `certificate "${subjectLine(chain.leaf)}" names no device (expected CN=SEP<MAC> or CN=CP-<model>-SEP<MAC>)` };
  // A MIC-form CN must chain to a MIC root, an LSC to an LSC issuer: a CAPF-signed "CP-..." or a
  // manufacturing-signed plain device name is refused.
  const store = bound.form === 'MIC' ? trust.mic : trust.lsc;
  const storeName = bound.form === 'MIC' ? 'the MIC trust store (Cisco Manufacturing CA)' : 'the LSC trust store (CAPF / CA)';
  const chained = verifyChain(chain, store, opts.at, storeName);
  if (!chained.ok) return { ok: false, reason: `untrusted ${bound.form}: ${chained.reason}` };
  if (opts.expectedDeviceName && opts.expectedDeviceName.toUpperCase() !== bound.deviceName)
    return { ok: false, reason: `device name mismatch: certificate is bound to ${bound.deviceName}, expected ${opts.expectedDeviceName.toUpperCase()}` };
  return {
    ok: true,
    kind: bound.form,
    deviceName: bound.deviceName,
    detail: `${bound.form} for ${bound.deviceName} chained to "${subjectLine(chained.path[chained.path.length - 1]!)}"`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// SIP trunks

/** The field holds up to 4096 characters, names separated by space, comma, semicolon or colon (L8563). */
export const MAX_SUBJECT_NAME_FIELD = 4096;

export function parseSubjectNames(field: string): string[] {
  if (field.length > MAX_SUBJECT_NAME_FIELD)
    throw new Error(`Secure Certificate Subject or Subject Alternate Name: ${field.length} characters, at most ${MAX_SUBJECT_NAME_FIELD}`);
  return field.split(/[\s,;:]+/).filter(Boolean);
}

/** Matches the peer certificate's subject CN and SAN entries (DNS, IP, URI) against the names, case-insensitively. */
export function matchSubjectNames(cert: X509Certificate, names: readonly string[]): { ok: true; matched: string; on: string } | { ok: false; reason: string } {
  const n = certificateNames(cert);
  const candidates: [string, string][] = [
    ...(n.cn ? ([['subject CN', n.cn]] as [string, string][]) : []),
    ...n.dns.map((d): [string, string] => ['SAN DNS', d]),
    ...n.ip.map((d): [string, string] => ['SAN IP', d]),
    ...n.uri.map((d): [string, string] => ['SAN URI', d]),
  ];
  for (const name of names) {
    const hit = candidates.find(([, v]) => v.toLowerCase() === name.toLowerCase());
    if (hit) return { ok: true, matched: name, on: hit[0] };
  }
  const shown = candidates.map(([k, v]) => `${k} ${v}`).join(', ') || 'no names';
  return { ok: false, reason: `subject name mismatch: certificate has ${shown}; profile expects ${names.join(', ') || '(none)'}` };
}

export interface TrunkSecurityProfile {
  /** Trunk (or profile) name, for logs. */
  name: string;
  /** Incoming port (L8564, default 5061). */
  port: number;
  /** The profile field as typed, or already split. */
  subjectNames: string | readonly string[];
  /** Trust store the peer certificate must chain to (CallManager-trust). */
  trust: readonly X509Certificate[];
}

function namesOf(p: TrunkSecurityProfile): string[] {
  return typeof p.subjectNames === 'string' ? parseSubjectNames(p.subjectNames) : [...p.subjectNames];
}

/** The uniqueness rule of L8563: one subject name per incoming port across all trunks. Returns the conflicts. */
export function findSubjectNameConflicts(profiles: readonly TrunkSecurityProfile[]): string[] {
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const p of profiles)
    for (const name of namesOf(p)) {
      const key = `${p.port}|${name.toLowerCase()}`;
      const prev = seen.get(key);
      if (prev && prev !== p.name) out.push(`subject name ${name} on port ${p.port} is used by trunks ${prev} and ${p.name}`);
      else seen.set(key, p.name);
    }
  return out;
}

/**
 * Finds the trunk an incoming TLS connection belongs to: same incoming port, a matching subject name, and a
 * peer certificate that chains to that trunk's trust store.
 */
export function identifyTrunk(
  chain: PeerChain | null,
  port: number,
  profiles: readonly TrunkSecurityProfile[],
  at: Date = new Date(),
): { ok: true; trunk: TrunkSecurityProfile; matched: string; detail: string } | { ok: false; reason: string } {
  if (!chain) return { ok: false, reason: 'client certificate missing (secure SIP trunk peers must present one)' };
  const onPort = profiles.filter((p) => p.port === port);
  if (onPort.length === 0) return { ok: false, reason: `no secure SIP trunk listens on port ${port}` };
  const reasons: string[] = [];
  for (const p of onPort) {
    const m = matchSubjectNames(chain.leaf, namesOf(p));
    if (!m.ok) {
      reasons.push(`${p.name}: ${m.reason}`);
      continue;
    }
    const c = verifyChain(chain, p.trust, at, `the trust store of trunk ${p.name}`);
    if (!c.ok) {
      reasons.push(`${p.name}: untrusted certificate: ${c.reason}`);
      continue;
    }
    return { ok: true, trunk: p, matched: m.matched, detail: `trunk ${p.name} (${m.on} ${m.matched})` };
  }
  return { ok: false, reason: reasons.join('; ') };
}
