// The declarative half of a scenario, normalized: clusters (defaults of a fresh install), security profiles (plus
// CUCM's built-in non-secure ones), phones (groups expanded: MACs and lines counting up) and trunks. Checks what the
// schema cannot: references between them, unique well-formed MACs, key sizes that fit the key type.
import { normalizeMacAddress } from '../engine/tftp/provisioning-source.js';
import { DEFAULT_TLS_CIPHERS_PRESET } from '../engine/tls/presets.js';
import { DEFAULT_MIN_TLS_VERSION } from '../engine/tls/policy.js';
import { DEFAULT_CAPF_PARAMETERS, DEFAULT_DEVICE_SETTINGS } from '../engine/capf/device-operations.js';
import { DEFAULT_SRTP_CIPHERS } from '../engine/media-policy/srtp-ciphers-policy.js';
import { PHONE_MODELS, isKnownModel } from './vocabulary.js';
import { PURPOSES, type Purpose } from '../engine/pki/purposes.js';
import type * as D from './document.js';
import type {
  CapfSpec,
  CertificateSpec,
  ClusterSpec,
  EnterpriseParametersSpec,
  PhoneCertificateSpec,
  PhoneProfileSpec,
  PhoneSpec,
  TrunkProfileSpec,
  TrunkSpec,
  ScenarioPlan,
} from './model.js';
import type { PathSegment } from './errors.js';
import { BuildContext, unknownName } from './build-context.js';

/** CUCM's default phone profile (non-secure) and SIP trunk profile, used when a phone or trunk names none. */
export const DEFAULT_PHONE_PROFILE = 'Universal Device Template - Model-independent Security Profile';
export const DEFAULT_TRUNK_PROFILE = 'Non Secure SIP Trunk Profile';
/** The name of the cluster declared with `cluster:`. */
export const SINGLE_CLUSTER_NAME = 'cucm';
export const RESERVED_PHONE_NAMES = ['all'];

const RSA_SIZES = [1024, 2048, 3072, 4096];
const EC_SIZES = [256, 384, 521];

/** The plan's declaration part (everything but the steps), and where each cluster was declared. */
export interface Declarations extends Pick<ScenarioPlan, 'clusters' | 'phoneProfiles' | 'trunkProfiles' | 'phones' | 'groups' | 'trunks'> {
  /** Where each cluster is declared (documents path prefix). */
  clusterPath: Record<string, PathSegment[]>;
}

export function defaultParameters(): EnterpriseParametersSpec {
  return {
    tlsCiphers: DEFAULT_TLS_CIPHERS_PRESET,
    srtpCiphers: DEFAULT_SRTP_CIPHERS,
    httpsCiphers: 'rsa-only',
    minTlsVersion: DEFAULT_MIN_TLS_VERSION,
    tftpFileSignatureAlgorithm: 'sha1',
    phoneInteractionOnCertificateUpdate: 'auto-reset',
    prepareClusterForRollback: false,
    autoRegistration: false,
    tlsResumptionTimer: 3600,
  };
}

/** Only the parameters the document sets (for `set` steps). */
export function parametersPatch(p: D.EnterpriseParametersDocument): Partial<EnterpriseParametersSpec> {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Partial<EnterpriseParametersSpec>;
}

export function capfPatch(c: D.CapfDocument): Partial<CapfSpec> {
  const { onlineCa, ...rest } = c;
  const out = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<CapfSpec>;
  if (onlineCa) out.onlineCa = { hostname: onlineCa.hostname, port: onlineCa.port ?? 443, template: onlineCa.template, type: onlineCa.type ?? 'microsoft-ca' };
  return out;
}

function certificateSpec(ctx: BuildContext, purpose: Purpose, d: D.CertificateOptionsDocument | undefined, path: PathSegment[]): CertificateSpec {
  const ec = purpose.endsWith('-ECDSA');
  const keyType = d?.keyType ?? (ec ? 'EC' : 'RSA');
  const keySize = d?.keySize ?? (keyType === 'EC' ? 384 : 2048);
  if (d?.keySize !== undefined && !(keyType === 'EC' ? EC_SIZES : RSA_SIZES).includes(keySize))
    ctx.error([...path, 'keySize'], `keySize ${keySize} is not ${keyType === 'EC' ? 'an EC size (256, 384 or 521)' : 'an RSA size (1024, 2048, 3072 or 4096)'}`);
  if (ec && keyType === 'RSA') ctx.error([...path, 'keyType'], `${purpose} is an EC certificate: keyType must be EC`);
  if (!ec && keyType === 'EC' && purpose !== 'CAPF') ctx.error([...path, 'keyType'], `${purpose} is an RSA certificate: keyType must be RSA (use ${purpose}-ECDSA for EC)`);
  return {
    purpose,
    present: d?.present ?? true,
    keyType,
    keySize,
    hash: d?.hash ?? (keyType === 'EC' ? 'SHA384' : 'SHA256'),
    signedBy: d?.signedBy ?? 'self',
    multiServer: d?.multiServer ?? false,
    ...(d?.sharedWith ? { sharedWith: d.sharedWith } : {}),
  };
}

function clusterSpec(ctx: BuildContext, name: string, d: D.ClusterDocument, path: PathSegment[], single: boolean): ClusterSpec {
  const parameters = { ...defaultParameters(), ...parametersPatch(d.parameters ?? {}) };
  const certificates = Object.fromEntries(PURPOSES.map((p) => [p, certificateSpec(ctx, p, d.certificates?.[p], [...path, 'certificates', p])])) as Record<Purpose, CertificateSpec>;
  const capf: CapfSpec = {
    active: true,
    certificateIssuer: DEFAULT_CAPF_PARAMETERS.certificateIssuer,
    validityDays: DEFAULT_CAPF_PARAMETERS.validityDays,
    operationExpiresDays: DEFAULT_CAPF_PARAMETERS.operationExpiresDays,
    endpointAdvancedEncryption: DEFAULT_CAPF_PARAMETERS.endpointAdvancedEncryption,
    ...capfPatch(d.capf ?? {}),
  };
  if (capf.certificateIssuer === 'online-ca' && !capf.onlineCa)
    ctx.error([...path, 'capf', 'certificateIssuer'], 'certificateIssuer online-ca needs capf.onlineCa (hostname and template of the online CA)');
  return {
    name,
    ...(d.description ? { description: d.description } : {}),
    version: String(d.version ?? '14') as ClusterSpec['version'],
    hostname: d.hostname ?? (single ? 'cucm-pub' : `${name}-pub`),
    domain: d.domain ?? 'trustline.test',
    subscribers: d.subscribers ?? [],
    securityMode: d.securityMode ?? 'non-secure',
    sipOAuth: d.sipOAuth ?? false,
    build: d.build ?? 'restricted',
    exportControlled: d.exportControlled ?? true,
    fips: d.fips ?? false,
    commonCriteria: d.commonCriteria ?? false,
    parameters,
    certificates,
    capf,
    location: ctx.location(path.length ? path : [], path.length > 1 ? 'key' : 'value'),
  };
}

function clusters(ctx: BuildContext, doc: D.ScenarioDocument): { list: ClusterSpec[]; paths: Record<string, PathSegment[]> } {
  const list: ClusterSpec[] = [];
  const paths: Record<string, PathSegment[]> = {};
  if (doc.cluster && doc.clusters) ctx.error(['clusters'], 'declare the cluster under cluster: (one cluster) or clusters: (several by name), not both', 'key');
  if (doc.cluster) {
    paths[SINGLE_CLUSTER_NAME] = ['cluster'];
    list.push(clusterSpec(ctx, SINGLE_CLUSTER_NAME, doc.cluster, ['cluster'], true));
  } else if (doc.clusters) {
    if (!Object.keys(doc.clusters).length) ctx.error(['clusters'], 'clusters: declare at least one cluster');
    for (const [name, c] of Object.entries(doc.clusters)) {
      paths[name] = ['clusters', name];
      list.push(clusterSpec(ctx, name, c, ['clusters', name], false));
    }
  } else ctx.error([], 'missing cluster: declare cluster: (one cluster) or clusters: (several by name)', 'value');
  const names = list.map((c) => c.name);
  const hosts = new Map<string, string>();
  for (const c of list) {
    for (const host of [c.hostname, ...c.subscribers]) {
      const other = hosts.get(host.toLowerCase());
      if (other) ctx.error([...paths[c.name]!, 'hostname'], `host name ${host} is already used by cluster ${other}`, 'owner');
      else hosts.set(host.toLowerCase(), c.name);
    }
    for (const p of PURPOSES) {
      const shared = c.certificates[p].sharedWith;
      if (shared === undefined) continue;
      const at = [...paths[c.name]!, 'certificates', p, 'sharedWith'];
      if (shared === c.name) ctx.error(at, `${p}.sharedWith names this cluster itself`);
      else if (!names.includes(shared)) ctx.error(at, unknownName('cluster', shared, names));
    }
  }
  return { list, paths };
}

function phoneProfiles(doc: D.ScenarioDocument): Record<string, PhoneProfileSpec> {
  const out: Record<string, PhoneProfileSpec> = {
    [DEFAULT_PHONE_PROFILE]: profileSpec(DEFAULT_PHONE_PROFILE, { deviceSecurityMode: 'non-secure' }, true),
  };
  for (const [name, p] of Object.entries(doc.profiles?.phone ?? {})) out[name] = profileSpec(name, p, false);
  return out;
}

function profileSpec(name: string, p: D.PhoneProfileDocument, builtIn: boolean): PhoneProfileSpec {
  const secure = p.deviceSecurityMode !== 'non-secure';
  return {
    name,
    ...(p.description ? { description: p.description } : {}),
    deviceSecurityMode: p.deviceSecurityMode,
    transport: secure ? 'TLS' : (p.transport ?? 'TCP'),
    tftpEncryptedConfig: p.tftpEncryptedConfig ?? false,
    excludeDigestCredentials: p.excludeDigestCredentials ?? false,
    oauth: p.oauth ?? false,
    authMode: p.authMode ?? DEFAULT_DEVICE_SETTINGS.authMode,
    keyOrder: p.keyOrder ?? DEFAULT_DEVICE_SETTINGS.keyOrder,
    rsaKeySize: p.rsaKeySize ?? DEFAULT_DEVICE_SETTINGS.rsaKeySize,
    ecKeySize: p.ecKeySize ?? DEFAULT_DEVICE_SETTINGS.ecKeySize,
    builtIn,
  };
}

function trunkProfiles(doc: D.ScenarioDocument): Record<string, TrunkProfileSpec> {
  const make = (name: string, p: D.TrunkProfileDocument, builtIn: boolean): TrunkProfileSpec => {
    const secure = p.deviceSecurityMode !== 'non-secure';
    return {
      name,
      ...(p.description ? { description: p.description } : {}),
      deviceSecurityMode: p.deviceSecurityMode,
      incomingTransport: p.incomingTransport ?? (secure ? 'TLS' : 'TCP+UDP'),
      outgoingTransport: p.outgoingTransport ?? (secure ? 'TLS' : 'TCP'),
      incomingPort: p.incomingPort ?? (secure ? 5061 : 5060),
      x509SubjectNames: p.x509SubjectName === undefined ? [] : Array.isArray(p.x509SubjectName) ? p.x509SubjectName : [p.x509SubjectName],
      enableDigestAuthentication: p.enableDigestAuthentication ?? false,
      builtIn,
    };
  };
  const out: Record<string, TrunkProfileSpec> = { [DEFAULT_TRUNK_PROFILE]: make(DEFAULT_TRUNK_PROFILE, { deviceSecurityMode: 'non-secure' }, true) };
  for (const [name, p] of Object.entries(doc.profiles?.trunk ?? {})) out[name] = make(name, p, false);
  return out;
}

function phoneCert(v: boolean | D.PhoneCertificateDocument | undefined, dflt: PhoneCertificateSpec | null | undefined): PhoneCertificateSpec | null | undefined {
  if (v === undefined) return dflt;
  if (v === false) return null;
  const o = v === true ? {} : v;
  const keyType = o.keyType ?? 'RSA';
  return { keyType, keySize: o.keySize ?? (keyType === 'EC' ? 256 : 2048), expired: o.expired ?? false };
}

/** Adds i to a directory number, keeping its width and a leading '+'; undefined if it is not all digits. */
function nextLine(line: string, i: number): string | undefined {
  const m = /^(\+?)([0-9]+)$/.exec(line);
  if (!m) return undefined;
  const n = (BigInt(m[2]!) + BigInt(i)).toString().padStart(m[2]!.length, '0');
  return `${m[1]}${n}`;
}

const MAX_MAC = 0xffffffffffff;

function phones(
  ctx: BuildContext,
  doc: D.ScenarioDocument,
  clusterNames: string[],
  profiles: Record<string, PhoneProfileSpec>,
): { list: PhoneSpec[]; groups: Record<string, string[]> } {
  const list: PhoneSpec[] = [];
  const groups: Record<string, string[]> = {};
  const byMac = new Map<string, { phone: string; line: number }>();
  const declared = Object.keys(doc.phones ?? {});
  const taken = new Map<string, PathSegment[]>();
  for (const [name, p] of Object.entries(doc.phones ?? {})) {
    const path: PathSegment[] = ['phones', name];
    if (RESERVED_PHONE_NAMES.includes(name)) {
      ctx.error(path, `'${name}' is reserved (it means every phone): choose another name`, 'key');
      continue;
    }
    if (p.cluster !== undefined && !clusterNames.includes(p.cluster)) ctx.error([...path, 'cluster'], unknownName('cluster', p.cluster, clusterNames));
    if (!isKnownModel(p.model)) ctx.error([...path, 'model'], unknownName('phone model', p.model, PHONE_MODELS));
    const profile = p.profile ?? DEFAULT_PHONE_PROFILE;
    if (!profiles[profile]) ctx.error([...path, 'profile'], unknownName('phone security profile', profile, Object.keys(profiles).filter((k) => !profiles[k]!.builtIn)));
    if (p.line !== undefined && p.lines !== undefined) ctx.error([...path, 'lines'], 'give line or lines, not both', 'key');
    const lines = (p.lines ?? (p.line !== undefined ? [p.line] : [])).map(String);
    const base = normalizeMacAddress(p.mac);
    if (!base) continue; // the schema reported the form
    const first = parseInt(base, 16);
    const count = p.count ?? 1;
    if (first + count - 1 > MAX_MAC) {
      ctx.error([...path, 'mac'], `a group of ${count} phones starting at ${base} runs past FFFFFFFFFFFF`);
      continue;
    }
    if (count > 1) for (const l of lines) if (nextLine(l, 1) === undefined) ctx.error([...path, p.lines ? 'lines' : 'line'], `line ${l} cannot count up for a group of ${count} phones: use digits only`);
    const profileSpec = profiles[profile];
    const members: string[] = [];
    for (let i = 0; i < count; i++) {
      const mac = (first + i).toString(16).toUpperCase().padStart(12, '0');
      const phoneName = count > 1 || p.count !== undefined ? `${name}-${i + 1}` : name;
      const prev = byMac.get(mac);
      const macAt = ctx.location([...path, 'mac']);
      if (prev) {
        ctx.error([...path, 'mac'], `duplicate MAC ${mac}${count > 1 ? ` (member ${phoneName} of the group)` : ''}: phone '${prev.phone}' (line ${prev.line}) already has it`);
        break;
      }
      byMac.set(mac, { phone: phoneName, line: macAt.line });
      const clash = taken.get(phoneName);
      if (clash || (phoneName !== name && declared.includes(phoneName))) {
        ctx.error(path, `phone name '${phoneName}' is used twice (group members are named <group>-1, <group>-2, …)`, 'key');
        break;
      }
      taken.set(phoneName, path);
      members.push(phoneName);
      list.push({
        name: phoneName,
        ...(p.count !== undefined ? { group: name, index: i + 1 } : {}),
        model: p.model,
        mac,
        deviceName: `SEP${mac}`,
        cluster: p.cluster ?? clusterNames[0] ?? SINGLE_CLUSTER_NAME,
        profile,
        lines: lines.map((l) => (i === 0 ? l : (nextLine(l, i) ?? l))),
        protocol: 'SIP',
        authMode: p.authMode ?? profileSpec?.authMode ?? DEFAULT_DEVICE_SETTINGS.authMode,
        ...(p.authString !== undefined ? { authString: String(p.authString) } : {}),
        capfOperation: p.capfOperation ?? 'none',
        certificates: { mic: phoneCert(p.certificates?.mic, undefined), lsc: phoneCert(p.certificates?.lsc, null) ?? null },
        offer: { ...(p.offer?.tlsSuites ? { tlsSuites: p.offer.tlsSuites } : {}), ...(p.offer?.tlsVersions ? { tlsVersions: p.offer.tlsVersions } : {}), ...(p.offer?.srtpSuites ? { srtpSuites: p.offer.srtpSuites } : {}) },
        location: ctx.location(path, 'key'),
      });
    }
    if (p.count !== undefined) groups[name] = members;
    if (p.authMode === 'auth-string' && p.authString === undefined && p.capfOperation === 'install-upgrade')
      ctx.warn([...path, 'authMode'], 'authMode auth-string with no authString: enrollment will need one');
  }
  return { list, groups };
}

function trunks(ctx: BuildContext, doc: D.ScenarioDocument, clusterNames: string[], profiles: Record<string, TrunkProfileSpec>): TrunkSpec[] {
  const out: TrunkSpec[] = [];
  for (const [name, t] of Object.entries(doc.trunks ?? {})) {
    const path: PathSegment[] = ['trunks', name];
    const ends = Object.entries(t.ends ?? {});
    let ok = ends.length === 2;
    for (const [cluster, end] of ends) {
      if (!clusterNames.includes(cluster)) {
        ctx.error([...path, 'ends', cluster], unknownName('cluster', cluster, clusterNames), 'key');
        ok = false;
      }
      if (end.profile !== undefined && !profiles[end.profile]) {
        ctx.error([...path, 'ends', cluster, 'profile'], unknownName('SIP trunk security profile', end.profile, Object.keys(profiles).filter((k) => !profiles[k]!.builtIn)));
        ok = false;
      }
    }
    if (!ok) continue;
    const mk = ([cluster, end]: [string, D.TrunkEndDocument]) => {
      const profile = end.profile ?? DEFAULT_TRUNK_PROFILE;
      const secure = profiles[profile]!.deviceSecurityMode !== 'non-secure';
      return { cluster, profile, port: end.port ?? (secure ? 5061 : 5060), srtpAllowed: end.srtpAllowed ?? false, ...(end.node ? { node: end.node } : {}) };
    };
    const spec: TrunkSpec = { name, ...(t.description ? { description: t.description } : {}), ends: [mk(ends[0]!), mk(ends[1]!)], location: ctx.location(path, 'key') };
    for (const [i, e] of spec.ends.entries())
      if (e.srtpAllowed && profiles[e.profile]!.deviceSecurityMode !== 'encrypted')
        ctx.warn([...path, 'ends', ends[i]![0], 'srtpAllowed'], `SRTP Allowed on a trunk whose profile is not encrypted exposes the SRTP keys in clear signalling (seed002 §16 item 41)`);
    out.push(spec);
  }
  return out;
}

export function buildDeclarations(ctx: BuildContext, doc: D.ScenarioDocument): Declarations {
  const c = clusters(ctx, doc);
  const names = c.list.map((x) => x.name);
  const pp = phoneProfiles(doc);
  const tp = trunkProfiles(doc);
  const ph = phones(ctx, doc, names, pp);
  return { clusters: c.list, phoneProfiles: pp, trunkProfiles: tp, phones: ph.list, groups: ph.groups, trunks: trunks(ctx, doc, names, tp), clusterPath: c.paths };
}
