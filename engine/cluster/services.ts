// The cluster's running services and what each reads when it starts: Cisco TFTP (TFTP 69, HTTP 6970, HTTPS 6971 with
// the CallManager certificates), Cisco Tomcat (HTTPS 6972), Cisco Trust Verification Service (2445), CAPF (3804) and
// Cisco CallManager (SIP UDP/TCP 5060, TLS 5061). Like CUCM's services they load certificates, the security mode and
// the TLS policy at start, so a change reaches them through a restart. A port configured as 0 is chosen by the OS the
// first time and kept across restarts, so the phones' configuration stays right.
import dgram from 'node:dgram';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { logger } from '../../common/log.js';
import { startCapfServer, type CapfServer, type CapfStore, type OnlineCa, type SessionRecord } from '../capf/index.js';
import type { ClusterPki, Purpose } from '../pki/index.js';
import { SipServer, type ServerRequestHandler } from '../sip/index.js';
import { ProvisioningServer, type CallManagerNode, type JournalEntry as FileRequestEntry, type KeyCertPair } from '../tftp/index.js';
import { buildTlsPolicy, clientOptionsFor } from '../tls/policy.js';
import { X509Certificate } from 'node:crypto';
import { TvsServer, type TvsJournalEntry } from '../tvs/index.js';
import type { ClusterConfig, PortName } from './config.js';
import type { CertificateFaultPort, ClusterFaults, ForeignSigner } from './faults.js';
import type { ClusterJournal } from './journal.js';
import type { ClusterProvisioningSource, PhoneFacing } from './provisioning.js';
import { sipTrunks, type ClusterDeviceDirectory } from './sip-directory.js';
import { outboundTrunkVerifier } from './trunks.js';

/** The NULL-SHA offer for Authenticated trunks, when the TLS policy has one (Cipher Management may leave it out). */
function authenticatedOffer(policy: Parameters<typeof clientOptionsFor>[0]): { authenticated?: ReturnType<typeof clientOptionsFor> } {
  try {
    return { authenticated: clientOptionsFor(policy, 'authenticated') };
  } catch {
    return {};
  }
}

const log = logger('cluster');

export type ServiceKey = 'tvs' | 'capf' | 'callmanager' | 'tftp' | 'tomcat' | 'ctimanager';
/** Start order: what phones are told about (TVS, CAPF, CallManager) is bound before the files that name it are served. */
export const SERVICE_KEYS: readonly ServiceKey[] = ['tvs', 'capf', 'callmanager', 'tftp', 'tomcat', 'ctimanager'];

/** CUCM's service names (the spellings of engine/pki's effects and the scenario language). */
export const SERVICE_NAMES: Readonly<Record<ServiceKey, string>> = {
  tvs: 'Cisco Trust Verification Service',
  capf: 'Cisco Certificate Authority Proxy Function',
  callmanager: 'Cisco CallManager',
  tftp: 'Cisco TFTP',
  tomcat: 'Cisco Tomcat',
  ctimanager: 'Cisco CTIManager',
};

const ALIASES: Readonly<Record<string, ServiceKey>> = { sip: 'callmanager', 'call manager': 'callmanager', http: 'tftp', https: 'tftp', ctimanager: 'ctimanager', cti: 'ctimanager', 'trust verification service': 'tvs', 'certificate authority proxy function': 'capf' };

/** Accepts a key ("tftp"), CUCM's name ("Cisco TFTP", any case) or an alias ("sip"). */
export function parseServiceName(name: string): ServiceKey {
  const n = name.trim().toLowerCase().replace(/^cisco\s+/, '');
  if ((SERVICE_KEYS as readonly string[]).includes(n)) return n as ServiceKey;
  const byName = SERVICE_KEYS.find((k) => SERVICE_NAMES[k].toLowerCase().replace(/^cisco\s+/, '') === n);
  if (byName) return byName;
  const alias = ALIASES[n];
  if (alias) return alias;
  throw new Error(`unknown service "${name}" (known: ${SERVICE_KEYS.map((k) => SERVICE_NAMES[k]).join(', ')})`);
}

export interface ServiceAddress {
  host: string;
  port: number;
}

/** Where everything is, for the phones and tools that use the cluster. */
export interface ClusterEndpoints {
  cluster: string;
  /** The address the services bind to, and the one written into phone configurations. */
  bind: string;
  advertise: string;
  /** Publisher FQDN (certificate names). */
  fqdn: string;
  sip: { udp?: ServiceAddress; tcp?: ServiceAddress; tls?: ServiceAddress };
  tftp?: ServiceAddress;
  http?: ServiceAddress;
  https6971?: ServiceAddress;
  https6972?: ServiceAddress;
  tvs?: ServiceAddress;
  capf?: ServiceAddress;
  /** What a phone configuration lists (engine/tftp's model, the bound ports). */
  callManagers: CallManagerNode[];
  tvsMembers: { address: string; port: number; priority: number }[];
  capfServers: { processNodeName: string; phonePort: number }[];
  /** DHCP option 150 as the emulated phones take it (endpoints' FileServerAddress). */
  fileServer: { host: string; tftpPort?: number; httpPort?: number; https6971Port?: number };
  /** Ports that could not be bound as configured and what was done instead. */
  warnings: string[];
}

export interface ServiceContext {
  clusterName: string;
  pki: ClusterPki;
  config(): ClusterConfig;
  capfStore(): Promise<CapfStore>;
  source: ClusterProvisioningSource;
  journal: ClusterJournal;
  faults: ClusterFaults;
  directory: ClusterDeviceDirectory;
  foreignSigner: ForeignSigner;
  /** Called just before a service binds (it loads the cluster's state then). */
  loading(key: ServiceKey): void;
  onCapfSession(s: SessionRecord): void;
  /** INVITE and other request handlers (the B2BUA), applied to each start of the SIP server. */
  sipHandlers(): ReadonlyMap<string, ServerRequestHandler>;
  /** Offset added to a privileged port that cannot be bound (EACCES), e.g. 10000: 69 → 10069. Undefined: fail. */
  privilegedPortOffset?: number;
  /** The CA of CAPF's Online CA mode, when the cluster has one (EmbeddedCluster.useOnlineCa). */
  onlineCa?(): OnlineCa | undefined;
}

interface BindError extends Error {
  code?: string;
  port?: number;
}

function firstExternalIpv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

async function freeOnBoth(host: string, port: number): Promise<number | undefined> {
  const tcp = net.createServer();
  const got = await new Promise<number | undefined>((resolve) => {
    tcp.once('error', () => resolve(undefined));
    tcp.listen(port, host, () => resolve((tcp.address() as net.AddressInfo).port));
  });
  if (got === undefined) return undefined;
  const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  const ok = await new Promise<boolean>((resolve) => {
    udp.once('error', () => resolve(false));
    udp.bind(got, host, () => resolve(true));
  });
  await new Promise<void>((r) => tcp.close(() => r()));
  await new Promise<void>((r) => {
    try {
      udp.close(() => r());
    } catch {
      r();
    }
  });
  return ok ? got : undefined;
}

/** One port free for both TCP and UDP (SIP 5060 is one port number for both transports). */
async function sharedEphemeralPort(host: string): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const p = await freeOnBoth(host, 0);
    if (p !== undefined) return p;
  }
  throw new Error(`no port free for both TCP and UDP on ${host}`);
}

export class ClusterServices {
  readonly #c: ServiceContext;
  /** Ports bound the first time (configured 0 or moved off a privileged port), kept across restarts. */
  readonly #bound = new Map<PortName, number>();
  readonly #warnings: string[] = [];
  #sip: SipServer | undefined;
  #tvs: TvsServer | undefined;
  #capf: CapfServer | undefined;
  #tftp: ProvisioningServer | undefined;
  #tomcat: ProvisioningServer | undefined;
  #cti = false;
  readonly #detach = new Map<ServiceKey, () => void>();

  /** Outbound trunk TLS: the peer's certificate against the trunk profile and CallManager-trust, journaled. */
  readonly #trunkVerifier = outboundTrunkVerifier(
    () => this.#c.config(),
    () => this.#c.pki.trustedPems('CallManager-trust').map((p) => new X509Certificate(p)),
    (d) => this.#c.journal.record({ source: 'sip', kind: 'trunk-tls', decision: d }, `trunk TLS to ${d.remote}${d.trunks.length ? ` (${d.trunks.join(', ')})` : ''}: ${d.outcome}${d.reason ? `: ${d.reason}` : ''}`),
  );

  constructor(ctx: ServiceContext) {
    this.#c = ctx;
  }

  get sip(): SipServer | undefined {
    return this.#sip;
  }
  get tvs(): TvsServer | undefined {
    return this.#tvs;
  }
  get capf(): CapfServer | undefined {
    return this.#capf;
  }
  get tftp(): ProvisioningServer | undefined {
    return this.#tftp;
  }
  get tomcat(): ProvisioningServer | undefined {
    return this.#tomcat;
  }

  /** Forgets the ports bound before (the network settings changed). */
  forgetPorts(): void {
    this.#bound.clear();
    this.#warnings.length = 0;
  }

  running(key: ServiceKey): boolean {
    switch (key) {
      case 'tvs':
        return !!this.#tvs;
      case 'capf':
        return !!this.#capf;
      case 'callmanager':
        return !!this.#sip;
      case 'tftp':
        return !!this.#tftp;
      case 'tomcat':
        return !!this.#tomcat;
      case 'ctimanager':
        return this.#cti;
    }
  }

  get anyRunning(): boolean {
    return SERVICE_KEYS.some((k) => this.running(k));
  }

  #host(): string {
    return this.#c.config().network.bind;
  }

  advertise(): string {
    const n = this.#c.config().network;
    if (n.advertise) return n.advertise;
    if (n.bind === '0.0.0.0' || n.bind === '::') return firstExternalIpv4() ?? '127.0.0.1';
    return n.bind;
  }

  /** The port to bind for a door: the one bound before (restarts), else the configured one. */
  #want(name: PortName): number | false {
    const configured = this.#c.config().network.ports[name];
    if (configured === false) return false;
    return this.#bound.get(name) ?? configured;
  }

  #remember(name: PortName, port: number | undefined): void {
    if (port !== undefined) this.#bound.set(name, port);
  }

  /** Binds with `fn(port)`; a privileged port refused (EACCES) moves by the offset when one is set. */
  async #bindWith<T>(name: PortName, port: number, fn: (port: number) => Promise<T>): Promise<T> {
    try {
      return await fn(port);
    } catch (e) {
      const err = e as BindError;
      const offset = this.#c.privilegedPortOffset;
      if (err.code === 'EACCES' && port > 0 && port < 1024 && offset !== undefined) {
        const moved = port + offset;
        const w = `${name}: port ${port} is privileged (needs root or CAP_NET_BIND_SERVICE); listening on ${moved} instead`;
        this.#warnings.push(w);
        log.warn(w);
        this.#bound.set(name, moved);
        return fn(moved);
      }
      if (err.code === 'EACCES' && port > 0 && port < 1024) {
        throw new Error(`${name}: cannot listen on port ${port} of ${this.#host()}: privileged port (run as root, grant CAP_NET_BIND_SERVICE, or choose other ports)`);
      }
      if (err.code === 'EADDRINUSE') throw new Error(`${name}: port ${port} of ${this.#host()} is already in use`);
      if (err.code === 'EADDRNOTAVAIL') throw new Error(`${name}: address ${this.#host()} is not available on this host`);
      throw e;
    }
  }

  async startAll(): Promise<void> {
    try {
      for (const k of SERVICE_KEYS) if (!this.running(k)) await this.start(k);
    } catch (e) {
      await this.stopAll();
      throw e;
    }
  }

  async stopAll(): Promise<void> {
    for (const k of [...SERVICE_KEYS].reverse()) await this.stop(k);
  }

  async restart(key: ServiceKey): Promise<void> {
    await this.stop(key);
    await this.start(key);
  }

  async start(key: ServiceKey): Promise<void> {
    if (this.running(key)) return;
    this.#c.loading(key);
    try {
      switch (key) {
        case 'tvs':
          await this.#startTvs();
          break;
        case 'capf':
          await this.#startCapf();
          break;
        case 'callmanager':
          await this.#startSip();
          break;
        case 'tftp':
          await this.#startTftp();
          break;
        case 'tomcat':
          await this.#startTomcat();
          break;
        case 'ctimanager':
          this.#cti = true; // not emulated: accepted so that CUCM's restart lists can be followed
          break;
      }
    } catch (e) {
      this.#c.journal.record({ source: 'cluster', kind: 'service', service: SERVICE_NAMES[key], state: 'failed', reason: (e as Error).message }, `${SERVICE_NAMES[key]} failed to start: ${(e as Error).message}`);
      throw e;
    }
    const ports = this.#portsOf(key);
    this.#c.journal.record(
      { source: 'cluster', kind: 'service', service: SERVICE_NAMES[key], state: 'started', ...(Object.keys(ports).length ? { ports } : {}) },
      `${SERVICE_NAMES[key]} started${Object.keys(ports).length ? ` (${Object.entries(ports).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
    );
    // What phones are told changed (a port bound, a service up or down).
    this.#c.source.changed({ scope: 'cluster', reason: `${SERVICE_NAMES[key]} started` });
  }

  async stop(key: ServiceKey): Promise<void> {
    if (!this.running(key)) return;
    this.#detach.get(key)?.();
    this.#detach.delete(key);
    switch (key) {
      case 'tvs': {
        const s = this.#tvs!;
        this.#tvs = undefined;
        await s.stop();
        break;
      }
      case 'capf': {
        const s = this.#capf!;
        this.#capf = undefined;
        await s.close();
        break;
      }
      case 'callmanager': {
        const s = this.#sip!;
        this.#sip = undefined;
        await s.stop();
        break;
      }
      case 'tftp': {
        const s = this.#tftp!;
        this.#tftp = undefined;
        await s.close();
        break;
      }
      case 'tomcat': {
        const s = this.#tomcat!;
        this.#tomcat = undefined;
        await s.close();
        break;
      }
      case 'ctimanager':
        this.#cti = false;
        break;
    }
    this.#c.journal.record({ source: 'cluster', kind: 'service', service: SERVICE_NAMES[key], state: 'stopped' }, `${SERVICE_NAMES[key]} stopped`);
    if (key !== 'ctimanager') this.#c.source.changed({ scope: 'cluster', reason: `${SERVICE_NAMES[key]} stopped` });
  }

  #portsOf(key: ServiceKey): Record<string, number> {
    const e = this.endpoints();
    const p: Record<string, number> = {};
    const put = (k: string, a?: ServiceAddress) => {
      if (a) p[k] = a.port;
    };
    if (key === 'tvs') put('tvs', e.tvs);
    if (key === 'capf') put('capf', e.capf);
    if (key === 'callmanager') {
      put('udp', e.sip.udp);
      put('tcp', e.sip.tcp);
      put('tls', e.sip.tls);
    }
    if (key === 'tftp') {
      put('tftp', e.tftp);
      put('http', e.http);
      put('https6971', e.https6971);
    }
    if (key === 'tomcat') put('https6972', e.https6972);
    return p;
  }

  // ---- one service each ---------------------------------------------------------------------------------------------

  async #startTvs(): Promise<void> {
    const want = this.#want('tvs');
    if (want === false) return;
    const c = this.#c.config();
    const server = await this.#bindWith('tvs', want, async (port) => {
      const s = TvsServer.forCluster(this.#c.pki, { host: this.#host(), port, tls: { minTlsVersion: c.parameters.minTlsVersion, commonCriteria: c.commonCriteria } });
      const forged = this.#c.faults.credentials('tvs', 'TVS');
      if (forged) s.setCredentials({ key: forged.key, cert: forged.cert });
      try {
        await s.start();
      } catch (e) {
        await s.stop(); // detaches its PKI listener
        throw e;
      }
      return s;
    });
    this.#tvs = server;
    this.#remember('tvs', server.port);
    const onAnswer = (e: TvsJournalEntry) => this.onTvsEntry(e);
    server.on('answer', onAnswer);
    this.#detach.set('tvs', () => server.off('answer', onAnswer));
  }

  onTvsEntry(e: TvsJournalEntry): void {
    const what = e.outcome === 'error' ? `error ${e.error?.code ?? ''}: ${e.error?.message ?? ''}` : `${e.outcome}${e.roleNames?.length ? ` (${e.roleNames.join(', ')})` : ''}`;
    this.#c.journal.record({ source: 'tvs', kind: 'tvs-answer', answer: e }, `TVS ${e.deviceName ?? e.remote}: ${e.certificate?.subject ?? 'no certificate'} → ${what}`);
  }

  async #startCapf(): Promise<void> {
    const want = this.#want('capf');
    const c = this.#c.config();
    if (want === false || !c.capf.active) return;
    const store = await this.#c.capfStore();
    const server = await this.#bindWith('capf', want, (port) =>
      startCapfServer({
        pki: this.#c.faults.capfPkiView(this.#c.pki),
        store: this.#c.faults.capfStoreView(store),
        host: this.#host(),
        port,
        minTlsVersion: c.parameters.minTlsVersion,
        commonCriteria: c.commonCriteria,
        ...(this.#c.onlineCa?.() ? { onlineCa: this.#c.onlineCa()! } : {}),
      }),
    );
    this.#capf = server;
    this.#remember('capf', server.port);
    const onSession = (s: SessionRecord) => this.#c.onCapfSession(s);
    server.on('session', onSession);
    this.#detach.set('capf', () => server.off('session', onSession));
  }

  async #startSip(): Promise<void> {
    const c = this.#c.config();
    const p = c.network.ports;
    const host = this.#host();
    let udp = this.#want('sipUdp');
    let tcp = this.#want('sipTcp');
    if (udp === 0 && tcp === 0) udp = tcp = await sharedEphemeralPort(host);
    const tlsPort = this.#want('sipTls');
    const policy = await buildTlsPolicy({
      port: 5061,
      tlsCiphers: c.parameters.tlsCiphers,
      minTlsVersion: c.parameters.minTlsVersion,
      commonCriteria: c.commonCriteria,
      ...(c.parameters.cipherManagement ? { cipherManagement: c.parameters.cipherManagement } : {}),
    });
    const pki = this.#c.pki;
    const cred = (purpose: Purpose) => {
      const f = this.#c.faults.credentials('sip-tls', purpose);
      if (f) return { key: f.key, cert: f.cert };
      const t = pki.tlsCredentials(purpose);
      return { key: t.key, cert: t.cert };
    };
    const start = (ports: { udp: number | false; tcp: number | false; tls: number | false }) =>
      SipServer.start({
        host,
        pki,
        udp: ports.udp === false ? false : { port: ports.udp },
        tcp: ports.tcp === false ? false : { port: ports.tcp },
        tls: ports.tls === false ? false : { port: ports.tls, policy, rsa: cred('CallManager'), ...(pki.has('CallManager-ECDSA') ? { ecdsa: cred('CallManager-ECDSA') } : {}) },
        devices: this.#c.directory,
        registrar: { realm: c.parameters.sipStationRealm },
        trunks: sipTrunks(c),
        clusterId: c.parameters.clusterId,
        transport: {
          // Outbound trunks leave from the cluster's own address (the peer's ACL names it) with CallManager as client
          // certificate; the peer's server certificate is checked against the trunk's profile (trunks.ts).
          ...(host !== '0.0.0.0' && host !== '::' ? { localAddress: host } : {}),
          tlsClient: { ...cred('CallManager'), ...clientOptionsFor(policy, 'encrypted'), ...authenticatedOffer(policy), rejectUnauthorized: false, verifyServer: this.#trunkVerifier },
        },
      });
    let ports = { udp, tcp, tls: tlsPort };
    let server: SipServer | undefined;
    for (let attempt = 0; !server; attempt++) {
      try {
        server = await start(ports);
      } catch (e) {
        const err = e as BindError;
        const offset = this.#c.privilegedPortOffset;
        const which = (['udp', 'tcp', 'tls'] as const).find((k) => ports[k] !== false && ports[k] === err.port);
        if (attempt < 3 && err.code === 'EACCES' && which && offset !== undefined && (err.port ?? 0) < 1024) {
          const moved = err.port! + offset;
          const w = `SIP ${which}: port ${err.port} is privileged; listening on ${moved} instead`;
          this.#warnings.push(w);
          log.warn(w);
          ports = { ...ports, [which]: moved };
          continue;
        }
        if (err.code === 'EADDRINUSE') throw new Error(`Cisco CallManager: port ${err.port ?? '?'} of ${host} is already in use`);
        if (err.code === 'EACCES') throw new Error(`Cisco CallManager: cannot listen on privileged port ${err.port ?? '?'} of ${host} (run as root, grant CAP_NET_BIND_SERVICE, or choose other ports)`);
        throw e;
      }
    }
    this.#sip = server;
    const b = server.ports;
    if (p.sipUdp !== false) this.#remember('sipUdp', b.udp);
    if (p.sipTcp !== false) this.#remember('sipTcp', b.tcp);
    if (p.sipTls !== false) this.#remember('sipTls', b.tls);
    for (const [method, h] of this.#c.sipHandlers()) server.onRequest(method, h);
    const offRefusal = server.journal.onEntry((e) =>
      this.#c.journal.record({ source: 'sip', kind: 'sip-refusal', refusal: e }, `SIP refused ${e.subject}${e.device ? ` ${e.device}` : ''}${e.method ? ` ${e.method}` : ''} at ${e.stage}${e.status ? ` (${e.status})` : ''}: ${e.reason}`),
    );
    const offLocation = server.location.onChange((ev) => {
      const b = ev.binding;
      const registration = {
        type: ev.type,
        aor: b.aor,
        contact: b.contact,
        ...(b.device ? { device: b.device } : {}),
        transport: b.source.transport,
        remote: `${b.source.address}:${b.source.port}`,
        expiresAt: new Date(b.expiresAt).toISOString(),
      };
      this.#c.journal.record({ source: 'sip', kind: 'sip-registration', registration }, `SIP ${ev.type} ${b.device ?? b.aor} (${b.aor}) over ${b.source.transport} from ${registration.remote}`);
    });
    this.#detach.set('callmanager', () => {
      offRefusal();
      offLocation();
    });
  }

  #tlsPairs(port: CertificateFaultPort, purposes: readonly Purpose[]): KeyCertPair[] {
    return purposes.filter((purpose) => this.#c.pki.has(purpose)).map((purpose) => {
      const f = this.#c.faults.credentials(port, purpose);
      if (f) return { key: f.key, cert: f.cert };
      const t = this.#c.pki.tlsCredentials(purpose);
      return { key: t.key, cert: t.cert };
    });
  }

  /** Wraps the file service's resolve: fault injection (tampered files) and nothing else. */
  #intercept(server: ProvisioningServer): void {
    const fs = server.fileService;
    const real = fs.resolve.bind(fs);
    fs.resolve = (name, ctx) => {
      const r = real(name, ctx);
      const { result, applied } = this.#c.faults.applyTamper(name, r, this.#c.foreignSigner);
      if (applied) {
        this.#c.journal.record(
          { source: 'fault', kind: 'fault', fault: 'tampered-file', state: 'applied', detail: { ...applied, frontDoor: ctx.frontDoor, remote: ctx.remoteAddress } },
          `fault: ${applied.name} served tampered (${applied.mode}) on ${ctx.frontDoor}${applied.remaining ? `, ${applied.remaining} more` : ''}`,
        );
      }
      return result;
    };
  }

  #journalRequests(server: ProvisioningServer): () => void {
    const onRequest = (e: FileRequestEntry) =>
      this.#c.journal.record({ source: 'tftp', kind: 'file-request', request: e }, `${e.frontDoor} ${e.remote} ${e.file}: ${e.status}${e.served ? ` (${e.served})` : e.reason ? ` (${e.reason})` : ''}`);
    server.on('request', onRequest);
    return () => server.off('request', onRequest);
  }

  async #startTftp(): Promise<void> {
    const ports = { tftp: this.#want('tftp'), http: this.#want('http'), https6971: this.#want('https6971') };
    if (ports.tftp === false && ports.http === false && ports.https6971 === false) return;
    const clientCa = this.#c.pki.trustedPems('CAPF-trust');
    for (let attempt = 0; ; attempt++) {
      const server = new ProvisioningServer({
        source: this.#c.source,
        address: this.#host(),
        tftp: ports.tftp === false ? { enabled: false } : { port: ports.tftp },
        http: ports.http === false ? { enabled: false } : { port: ports.http },
        https6971: ports.https6971 === false ? { enabled: false } : { port: ports.https6971, certificates: this.#tlsPairs('https-6971', ['CallManager', 'CallManager-ECDSA']), clientCa },
      });
      this.#intercept(server);
      try {
        await server.start();
      } catch (e) {
        server.fileService.close();
        const err = e as BindError;
        const which = (['tftp', 'http', 'https6971'] as const).find((k) => ports[k] !== false && ports[k] === err.port);
        const offset = this.#c.privilegedPortOffset;
        if (attempt < 3 && err.code === 'EACCES' && which && offset !== undefined && (err.port ?? 0) < 1024) {
          const moved = err.port! + offset;
          const w = `${which}: port ${err.port} is privileged (needs root or CAP_NET_BIND_SERVICE); listening on ${moved} instead${which === 'tftp' ? ' (real phones ask TFTP on 69)' : ''}`;
          this.#warnings.push(w);
          log.warn(w);
          ports[which] = moved;
          continue;
        }
        if (err.code === 'EACCES') throw new Error(`Cisco TFTP: cannot listen on privileged port ${err.port ?? '?'} of ${this.#host()} (run as root, grant CAP_NET_BIND_SERVICE, or choose other ports, e.g. --ports 0)`);
        if (err.code === 'EADDRINUSE') throw new Error(`Cisco TFTP: port ${err.port ?? '?'} of ${this.#host()} is already in use`);
        throw e;
      }
      this.#tftp = server;
      const b = server.ports;
      this.#remember('tftp', b.tftp);
      this.#remember('http', b.http);
      this.#remember('https6971', b.https6971);
      this.#detach.set('tftp', this.#journalRequests(server));
      return;
    }
  }

  async #startTomcat(): Promise<void> {
    const want = this.#want('https6972');
    if (want === false) return;
    const server = await this.#bindWith('https6972', want, async (port) => {
      const s = new ProvisioningServer({
        source: this.#c.source,
        address: this.#host(),
        tftp: { enabled: false },
        http: { enabled: false },
        https6972: { port, certificates: this.#tlsPairs('https-6972', ['tomcat', 'tomcat-ECDSA']), clientCa: this.#c.pki.trustedPems('CAPF-trust') },
      });
      this.#intercept(s);
      try {
        await s.start();
      } catch (e) {
        s.fileService.close();
        throw e;
      }
      return s;
    });
    this.#tomcat = server;
    this.#remember('https6972', server.ports.https6972);
    this.#detach.set('tomcat', this.#journalRequests(server));
  }

  // ---- where things are --------------------------------------------------------------------------------------------------

  /** Phone-facing view for the provisioning source: the bound ports, or the configured ones before start. */
  phoneFacing(): PhoneFacing {
    const c = this.#c.config();
    const adv = this.advertise();
    const portOf = (name: PortName, dflt: number) => {
      const b = this.#bound.get(name);
      if (b !== undefined) return b;
      const v = c.network.ports[name];
      return v === false || v === 0 ? dflt : v;
    };
    const sipPort = portOf('sipTcp', portOf('sipUdp', 5060));
    const facing: PhoneFacing = {
      callManagers: [{ processNodeName: adv, name: c.hostname, sipPort, securedSipPort: portOf('sipTls', 5061) }],
      tvs: c.network.ports.tvs === false ? [] : [{ address: adv, port: portOf('tvs', 2445) }],
      capf: c.capf.active && c.network.ports.capf !== false ? [{ processNodeName: adv, phonePort: portOf('capf', 3804) }] : [],
    };
    return facing;
  }

  endpoints(): ClusterEndpoints {
    const c = this.#c.config();
    const host = this.#host();
    const adv = this.advertise();
    const at = (port: number | undefined): ServiceAddress | undefined => (port === undefined ? undefined : { host: adv, port });
    const sip = this.#sip?.ports ?? {};
    const prov = this.#tftp?.ports ?? {};
    const facing = this.phoneFacing();
    const e: ClusterEndpoints = {
      cluster: this.#c.clusterName,
      bind: host,
      advertise: adv,
      fqdn: c.domain ? `${c.hostname}.${c.domain}` : c.hostname,
      sip: {},
      callManagers: facing.callManagers,
      tvsMembers: (c.parameters.tvsMembers ?? facing.tvs).slice(0, 5).map((t, i) => ({ address: t.address, port: t.port ?? 2445, priority: i })),
      capfServers: facing.capf.map((s) => ({ processNodeName: s.processNodeName, phonePort: s.phonePort ?? 3804 })),
      fileServer: { host: adv },
      warnings: [...this.#warnings],
    };
    const put = <K extends 'udp' | 'tcp' | 'tls'>(k: K, port: number | undefined) => {
      const a = at(port);
      if (a) e.sip[k] = a;
    };
    put('udp', sip.udp);
    put('tcp', sip.tcp);
    put('tls', sip.tls);
    const set = (k: 'tftp' | 'http' | 'https6971' | 'https6972' | 'tvs' | 'capf', port: number | undefined) => {
      const a = at(port);
      if (a) e[k] = a;
    };
    set('tftp', prov.tftp);
    set('http', prov.http);
    set('https6971', prov.https6971);
    set('https6972', this.#tomcat?.ports.https6972);
    set('tvs', this.#tvs?.listening ? this.#tvs.port : undefined);
    set('capf', this.#capf?.port);
    if (e.tftp) e.fileServer.tftpPort = e.tftp.port;
    if (e.http) e.fileServer.httpPort = e.http.port;
    if (e.https6971) e.fileServer.https6971Port = e.https6971.port;
    return e;
  }
}
