// SEP<MAC>.cnf.xml and XMLDefault.cnf.xml: the phone configuration as a typed model, written and read with the
// small XML module. Element names and codes are the ones public descriptions give (research anchors §3:
// usecallmanager.nz's SEPMAC.cnf.xml page and field dumps); the model keeps only what a phone acts on.
import { child, childrenNamed, childText, newElement, parseXml, serializeXml, XmlError, type XmlElement, type XmlLimits } from './xml.js';

/** `<deviceSecurityMode>`: 1 non-secure, 2 authenticated (TLS with NULL cipher), 3 encrypted (TLS + SRTP). */
export const DEVICE_SECURITY_MODE_CODES = { 'non-secure': 1, authenticated: 2, encrypted: 3 } as const;
/** `<transportLayerProtocol>`: 1 TCP, 2 UDP, 3 TLS; 4 (TCP+UDP) is unverified (anchors §3, §9). */
export const TRANSPORT_CODES = { TCP: 1, UDP: 2, TLS: 3, 'TCP+UDP': 4 } as const;
/** `<capfAuthMode>`: 0 when no certificate operation is pending, else the profile's authentication mode (anchors §2.6). */
export const CAPF_AUTH_MODE_CODES = { none: 0, 'auth-string': 1, 'null-string': 2, 'existing-lsc': 3, 'existing-mic': 4 } as const;

/**
 * `<disableTLSCiphers>` codes. The source prints 5 and 7 as "TLS_ECDHE_ECDHE_…", read as the ECDSA suites.
 */
export const DISABLE_TLS_CIPHER_CODES: Readonly<Record<number, string>> = {
  1: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
  2: 'TLS_RSA_WITH_AES_128_CBC_SHA',
  3: 'TLS_RSA_WITH_AES_256_CBC_SHA',
  4: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  5: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  6: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  7: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
};

export const SERVICE_URL_NAMES = [
  'authenticationURL',
  'directoryURL',
  'idleURL',
  'informationURL',
  'messagesURL',
  'proxyServerURL',
  'servicesURL',
  'secureAuthenticationURL',
  'secureDirectoryURL',
  'secureIdleURL',
  'secureInformationURL',
  'secureMessagesURL',
  'secureServicesURL',
] as const;

export interface CnfCallManager {
  priority: number;
  name: string;
  description?: string;
  sipPort: number;
  securedSipPort: number;
  processNodeName: string;
}

export interface CnfTvsMember {
  priority: number;
  address: string;
  port: number;
}

export interface CnfCapf {
  phonePort: number;
  processNodeName?: string;
}

export interface CnfLine {
  button: number;
  name: string;
  displayName?: string;
  proxy?: string;
  port?: number;
  authName?: string;
  authPassword?: string;
}

/** What `SEP<MAC>.cnf.xml` carries that trustline's phones act on. Absent = element not present. */
export interface PhoneConfig {
  fullConfig: boolean;
  deviceProtocol?: string;
  ipAddressMode?: number;
  callManagers: CnfCallManager[];
  tvs: CnfTvsMember[];
  loadInformation?: string;
  deviceSecurityMode?: number;
  transportLayerProtocol?: number;
  tlsResumptionTimer?: number;
  /** Codes 1..7 of DISABLE_TLS_CIPHER_CODES. */
  disableTlsCiphers?: number[];
  tls12Only?: boolean;
  capfAuthMode?: number;
  capfList: CnfCapf[];
  /** MD5 hex of the phone certificate the config is encrypted to ('' = none). */
  certHash?: string;
  encrConfig?: boolean;
  lines: CnfLine[];
  urls: Partial<Record<(typeof SERVICE_URL_NAMES)[number], string>>;
}

export class CnfXmlError extends Error {
  constructor(
    readonly element: string,
    detail: string,
  ) {
    super(`cnf.xml <${element}>: ${detail}`);
    this.name = 'CnfXmlError';
  }
}

const el = (name: string, text: string | number | boolean = '', attrs: Record<string, string> = {}): XmlElement => newElement(name, attrs, [], String(text));
const parent = (name: string, children: (XmlElement | undefined)[], attrs: Record<string, string> = {}): XmlElement =>
  newElement(name, attrs, children.filter((c): c is XmlElement => c !== undefined));

function callManagerGroup(members: CnfCallManager[], extra: XmlElement[] = []): XmlElement {
  return parent('callManagerGroup', [
    ...extra,
    parent(
      'members',
      members.map((m) =>
        parent(
          'member',
          [
            parent('callManager', [
              el('name', m.name),
              m.description === undefined ? undefined : el('description', m.description),
              parent('ports', [el('sipPort', m.sipPort), el('securedSipPort', m.securedSipPort)]),
              el('processNodeName', m.processNodeName),
            ]),
          ],
          { priority: String(m.priority) },
        ),
      ),
    ),
  ]);
}

function tvsElement(members: CnfTvsMember[]): XmlElement {
  return parent('TVS', [parent('members', members.map((m) => parent('member', [el('port', m.port), el('address', m.address)], { priority: String(m.priority) })))]);
}

function capfListElement(list: CnfCapf[]): XmlElement {
  return parent(
    'capfList',
    list.map((c) => parent('capf', [el('phonePort', c.phonePort), c.processNodeName === undefined ? undefined : el('processNodeName', c.processNodeName)])),
  );
}

/** Writes SEP<MAC>.cnf.xml. Element order follows CUCM's files as dumped publicly; phones look elements up by name. */
export function generateCnfXml(c: PhoneConfig): string {
  const opt = <T>(v: T | undefined, f: (v: T) => XmlElement) => (v === undefined ? undefined : f(v));
  const root = parent('device', [
    el('fullConfig', c.fullConfig),
    opt(c.deviceProtocol, (v) => el('deviceProtocol', v)),
    opt(c.ipAddressMode, (v) => el('ipAddressMode', v)),
    c.callManagers.length ? parent('devicePool', [callManagerGroup(c.callManagers)]) : undefined,
    c.tvs.length ? tvsElement(c.tvs) : undefined,
    c.lines.length
      ? parent('sipProfile', [
          parent(
            'sipLines',
            c.lines.map((l) =>
              parent(
                'line',
                [
                  el('featureID', 9),
                  el('proxy', l.proxy ?? 'USECALLMANAGER'),
                  el('port', l.port ?? 5060),
                  el('name', l.name),
                  opt(l.displayName, (v) => el('displayName', v)),
                  opt(l.authName, (v) => el('authName', v)),
                  opt(l.authPassword, (v) => el('authPassword', v)),
                ],
                { button: String(l.button) },
              ),
            ),
          ),
        ])
      : undefined,
    opt(c.loadInformation, (v) => el('loadInformation', v)),
    opt(c.deviceSecurityMode, (v) => el('deviceSecurityMode', v)),
    opt(c.transportLayerProtocol, (v) => el('transportLayerProtocol', v)),
    opt(c.tlsResumptionTimer, (v) => el('TLSResumptionTimer', v)),
    opt(c.disableTlsCiphers, (v) => el('disableTLSCiphers', v.join(','))),
    opt(c.tls12Only, (v) => el('tls12Only', v ? 1 : 0)),
    ...SERVICE_URL_NAMES.map((n) => opt(c.urls[n], (v) => el(n, v))),
    opt(c.capfAuthMode, (v) => el('capfAuthMode', v)),
    c.capfList.length ? capfListElement(c.capfList) : undefined,
    opt(c.certHash, (v) => el('certHash', v)),
    opt(c.encrConfig, (v) => el('encrConfig', v)),
  ]);
  return serializeXml(root);
}

function int(e: XmlElement | undefined, name: string, min: number, max: number): number | undefined {
  const t = childText(e, name);
  if (t === undefined || t === '') return undefined;
  if (!/^-?[0-9]{1,10}$/.test(t)) throw new CnfXmlError(name, `"${t.slice(0, 40)}" is not an integer`);
  const n = Number(t);
  if (n < min || n > max) throw new CnfXmlError(name, `${n} is outside ${min}..${max}`);
  return n;
}

function bool(e: XmlElement | undefined, name: string): boolean | undefined {
  const t = childText(e, name);
  if (t === undefined || t === '') return undefined;
  const v = t.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new CnfXmlError(name, `"${t.slice(0, 40)}" is not true/false`);
}

function priorityOf(m: XmlElement, where: string, index: number): number {
  const p = m.attributes.priority;
  if (p === undefined) return index;
  if (!/^[0-9]{1,3}$/.test(p)) throw new CnfXmlError(where, `priority "${p.slice(0, 20)}" is not a small integer`);
  return Number(p);
}

const port = (e: XmlElement | undefined, name: string) => int(e, name, 0, 65535);

function readCallManagers(group: XmlElement | undefined): CnfCallManager[] {
  return childrenNamed(child(group, 'members'), 'member').map((m, i) => {
    const cm = child(m, 'callManager');
    const ports = child(cm, 'ports');
    const processNodeName = childText(cm, 'processNodeName');
    if (!processNodeName) throw new CnfXmlError('processNodeName', `member ${i} of the CallManager group has none`);
    const out: CnfCallManager = {
      priority: priorityOf(m, 'callManagerGroup/members/member', i),
      name: childText(cm, 'name') ?? processNodeName,
      sipPort: port(ports, 'sipPort') ?? 5060,
      securedSipPort: port(ports, 'securedSipPort') ?? 5061,
      processNodeName,
    };
    const d = childText(cm, 'description');
    if (d !== undefined) out.description = d;
    return out;
  });
}

function readTvs(tvs: XmlElement | undefined): CnfTvsMember[] {
  return childrenNamed(child(tvs, 'members'), 'member').map((m, i) => {
    const address = childText(m, 'address');
    if (!address) throw new CnfXmlError('TVS/members/member/address', `member ${i} has no address`);
    return { priority: priorityOf(m, 'TVS/members/member', i), address, port: port(m, 'port') ?? 2445 };
  });
}

function readCapfList(list: XmlElement | undefined): CnfCapf[] {
  return childrenNamed(list, 'capf').map((c) => {
    const out: CnfCapf = { phonePort: port(c, 'phonePort') ?? 3804 };
    const p = childText(c, 'processNodeName');
    if (p) out.processNodeName = p;
    return out;
  });
}

function parseRoot(xml: string, expected: string, limits?: XmlLimits): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(xml, limits);
  } catch (e) {
    if (e instanceof XmlError) throw new CnfXmlError(e.path || expected, e.message);
    throw e;
  }
  if (root.name !== expected) throw new CnfXmlError(root.name, `the root element is <${root.name}>, expected <${expected}>`);
  return root;
}

/** Reads SEP<MAC>.cnf.xml (a full config or the stub beside an encrypted one). */
export function parseCnfXml(xml: string | Uint8Array, limits?: XmlLimits): PhoneConfig {
  const text = typeof xml === 'string' ? xml : Buffer.from(xml).toString('utf8');
  const d = parseRoot(text, 'device', limits);
  const c: PhoneConfig = {
    fullConfig: bool(d, 'fullConfig') ?? true,
    callManagers: readCallManagers(child(child(d, 'devicePool'), 'callManagerGroup')),
    tvs: readTvs(child(d, 'TVS')),
    capfList: readCapfList(child(d, 'capfList')),
    lines: [],
    urls: {},
  };
  const set = <K extends keyof PhoneConfig>(k: K, v: PhoneConfig[K] | undefined) => {
    if (v !== undefined) c[k] = v;
  };
  set('deviceProtocol', childText(d, 'deviceProtocol'));
  set('ipAddressMode', int(d, 'ipAddressMode', 0, 255));
  set('loadInformation', childText(d, 'loadInformation'));
  set('deviceSecurityMode', int(d, 'deviceSecurityMode', 0, 255));
  set('transportLayerProtocol', int(d, 'transportLayerProtocol', 0, 255));
  set('tlsResumptionTimer', int(d, 'TLSResumptionTimer', 0, 0x7fffffff));
  const dis = childText(d, 'disableTLSCiphers');
  if (dis !== undefined) {
    c.disableTlsCiphers = dis === '' ? [] : dis.split(',').map((s) => {
      const t = s.trim();
      if (!/^[0-9]{1,3}$/.test(t)) throw new CnfXmlError('disableTLSCiphers', `"${t.slice(0, 20)}" is not a cipher code`);
      return Number(t);
    });
  }
  set('tls12Only', bool(d, 'tls12Only'));
  set('capfAuthMode', int(d, 'capfAuthMode', 0, 255));
  set('certHash', childText(d, 'certHash'));
  set('encrConfig', bool(d, 'encrConfig'));
  for (const n of SERVICE_URL_NAMES) {
    const v = childText(d, n);
    if (v !== undefined) c.urls[n] = v;
  }
  c.lines = childrenNamed(child(child(d, 'sipProfile'), 'sipLines'), 'line').map((l, i) => {
    const b = l.attributes.button;
    if (b !== undefined && !/^[0-9]{1,3}$/.test(b)) throw new CnfXmlError('sipLines/line', `button "${b.slice(0, 20)}" is not a number`);
    const line: CnfLine = { button: b === undefined ? i + 1 : Number(b), name: childText(l, 'name') ?? '' };
    const opt = (k: 'displayName' | 'proxy' | 'authName' | 'authPassword') => {
      const v = childText(l, k);
      if (v !== undefined) line[k] = v;
    };
    opt('displayName');
    opt('proxy');
    opt('authName');
    opt('authPassword');
    const p = port(l, 'port');
    if (p !== undefined) line.port = p;
    return line;
  });
  return c;
}

/** XMLDefault.cnf.xml: what a phone without its own config (auto-registration) reads. */
export interface DefaultConfig {
  autoRegistration: boolean;
  callManagers: CnfCallManager[];
  tvs: CnfTvsMember[];
  ipAddressMode?: number;
  loads: { typeId: number; model: string; load: string }[];
}

export function generateXmlDefault(c: DefaultConfig): string {
  const root = parent('Default', [
    el('autoRegistration', c.autoRegistration ? 'enabled' : 'disabled'),
    c.ipAddressMode === undefined ? undefined : el('ipAddressMode', c.ipAddressMode),
    callManagerGroup(c.callManagers, [el('name', 'Default'), el('tftpDefault', true)]),
    c.tvs.length ? tvsElement(c.tvs) : undefined,
    ...c.loads.map((l) => el(`loadInformation${l.typeId}`, l.load, { model: l.model })),
  ]);
  return serializeXml(root);
}

export function parseXmlDefault(xml: string | Uint8Array, limits?: XmlLimits): DefaultConfig {
  const text = typeof xml === 'string' ? xml : Buffer.from(xml).toString('utf8');
  const d = parseRoot(text, 'Default', limits);
  const auto = childText(d, 'autoRegistration');
  if (auto !== undefined && auto !== 'enabled' && auto !== 'disabled') throw new CnfXmlError('autoRegistration', `"${auto.slice(0, 20)}" is not enabled/disabled`);
  const out: DefaultConfig = {
    autoRegistration: auto === 'enabled',
    callManagers: readCallManagers(child(d, 'callManagerGroup')),
    tvs: readTvs(child(d, 'TVS')),
    loads: d.children
      .filter((e) => /^loadInformation[0-9]+$/.test(e.name))
      .map((e) => ({ typeId: Number(e.name.slice('loadInformation'.length)), model: e.attributes.model ?? '', load: e.text.trim() })),
  };
  const ip = int(d, 'ipAddressMode', 0, 255);
  if (ip !== undefined) out.ipAddressMode = ip;
  return out;
}
