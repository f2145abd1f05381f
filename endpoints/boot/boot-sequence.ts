// The phone's boot up to (not including) SIP registration, as an observable sequence of steps (002 L1069-1125,
// anchors 1.7 and §3):
//   ctl    CTLSEP<MAC>.tlv, else CTLFile.tlv (mixed mode only; the trust store decides)
//   itl    ITLSEP<MAC>.tlv, else ITLFile.tlv (not Jabber)
//   config SEP<MAC>.cnf.xml: HTTPS 6971 first when the ITL signer version is 1.1 and the model can; then .enc.sgn
//          (when the phone expects one), .sgn (when it holds an ITL/CTL), plain; over the model's transports
//   capf   when the configuration asks for a certificate operation, or the phone cannot decrypt its configuration
//          (001 L6079-6082); after a new LSC the configuration is fetched again
//   ready  the parsed configuration: security mode, transport, CallManagers, TVS, client certificate, SIP TLS offer
import { createHash, X509Certificate } from 'node:crypto';
import { logger } from '../../common/log.js';
import type { CapfAuthMode } from '../../engine/capf/index.js';
import { CAPF_AUTH_MODE_CODES, CnfXmlError, DEVICE_SECURITY_MODE_CODES, parseCnfXml, TRANSPORT_CODES, type PhoneConfig } from '../../engine/tftp/index.js';
import { decryptConfig, parseEncryptedConfig, Role, TlvError } from '../../engine/trust/index.js';
import type { ModelProfile } from '../models/model-profiles.js';
import { phoneTlsOffer, type ClientCredential, type TlsOffer } from '../tls/phone-tls-offer.js';
import type { PhoneTrustStore, TrustBasis, TrustDecision } from '../trust/phone-trust-store.js';
import type { TvsMemberAddress } from '../trust/tvs-port.js';
import { BootRecorder, type BootEvent, type BootStep, type StepSummary } from './boot-events.js';
import type { CapfPort, CapfResult, HeldCertificate } from './capf-port.js';
import type { FetchResult, FetchTransport, FileFetcher } from './file-fetcher.js';

const log = logger('phone-boot');

export type SecurityModeName = 'non-secure' | 'authenticated' | 'encrypted';
export type TransportName = 'TCP' | 'UDP' | 'TLS' | 'TCP+UDP';

/** What the phone holds when it boots. */
export interface BootIdentity {
  mic?: HeldCertificate & { chainPems?: string[] };
  lsc?: HeldCertificate;
  /** Manual key distribution: the symmetric key entered on the phone (001 L6055-6064). */
  manualKey?: Buffer;
  /** The CAPF authentication string entered on the phone (By Authentication String). */
  authString?: string;
  /** The last configuration told the phone its configuration is encrypted for its certificate: ask for .enc.sgn first. */
  encryptedConfigExpected?: boolean;
}

/** What the boot changes in the phone (the Phone facade persists it). */
export interface BootEffects {
  lscInstalled(lsc: HeldCertificate): Promise<void>;
  lscDeleted(): Promise<void>;
  configApplied(c: { encrypted: boolean; config: PhoneConfig }): Promise<void>;
}

export interface BootContext {
  mac: string;
  deviceName: string;
  model: ModelProfile;
  trust: PhoneTrustStore;
  fetcher: FileFetcher;
  identity: BootIdentity;
  effects?: BootEffects;
  capf?: CapfPort;
  /** Maps a host name from the configuration (CallManager, CAPF) to where to connect. */
  resolveHost?: (name: string) => string;
  listeners?: ((e: BootEvent) => void)[];
}

export interface CallManagerTarget {
  priority: number;
  processNodeName: string;
  /** Where to connect (resolveHost applied). */
  host: string;
  sipPort: number;
  securedSipPort: number;
  /** The port for the configured transport. */
  port: number;
}

/** Everything SIP registration needs (the next step, outside the boot). */
export interface ReadyForRegistration {
  config: PhoneConfig;
  configFile: string;
  configVia: { transport: FetchTransport; form: 'plain' | 'signed' | 'encrypted'; basis?: TrustBasis };
  securityMode: SecurityModeName;
  transport: TransportName;
  callManagers: CallManagerTarget[];
  tvsMembers: TvsMemberAddress[];
  /** The certificate the phone presents on TLS: its LSC, else its MIC (002 L1152-1153). */
  clientCertificate?: 'LSC' | 'MIC';
  /** The SIP TLS offer for the configured mode (TLS transports only). */
  sipTls?: TlsOffer;
  /** Where the CallManager certificate will be checked: CTL CCM records, else the ITL's. */
  callManagerTrust: 'ctl' | 'itl' | 'none';
  warnings: string[];
}

export interface BootResult {
  status: 'ready' | 'failed';
  failedStep?: BootStep;
  reason: string;
  ready?: ReadyForRegistration;
  steps: StepSummary[];
  events: BootEvent[];
}

const MODE_BY_CODE: Readonly<Record<number, SecurityModeName>> = Object.fromEntries(Object.entries(DEVICE_SECURITY_MODE_CODES).map(([k, v]) => [v, k as SecurityModeName]));
const TRANSPORT_BY_CODE: Readonly<Record<number, TransportName>> = Object.fromEntries(Object.entries(TRANSPORT_CODES).map(([k, v]) => [v, k as TransportName]));
const AUTH_MODE_BY_CODE: Readonly<Record<number, CapfAuthMode>> = Object.fromEntries(
  Object.entries(CAPF_AUTH_MODE_CODES)
    .filter(([k]) => k !== 'none')
    .map(([k, v]) => [v, k as CapfAuthMode]),
);

const md5 = (der: Uint8Array) => createHash('md5').update(der).digest('hex');
const isXml = (b: Buffer) => /^\s*</.test(b.toString('latin1', 0, Math.min(b.length, 64)));

type ConfigOutcome =
  | { kind: 'config'; config: PhoneConfig; file: string; transport: FetchTransport; form: 'plain' | 'signed' | 'encrypted'; basis?: TrustBasis }
  | { kind: 'needs-capf'; stub: PhoneConfig; file: string; reason: string }
  | { kind: 'failed'; reason: string };

class Boot {
  readonly rec: BootRecorder;
  readonly #c: BootContext;
  readonly #mac: string;

  constructor(c: BootContext) {
    this.#c = c;
    this.#mac = c.mac.toUpperCase();
    this.rec = new BootRecorder(c.listeners ?? []);
  }

  get #model(): ModelProfile {
    return this.#c.model;
  }

  #trustEvent<T extends TrustDecision>(step: BootStep, d: T): T {
    const { accepted: _a, parsed: _p, ...decision } = d as T & { parsed?: unknown };
    this.rec.emit({ type: 'trust', step, decision });
    return d;
  }

  #fetchEvent(step: BootStep, r: FetchResult): FetchResult {
    const e: Omit<Extract<BootEvent, { type: 'fetch' }>, 'seq' | 'at'> = {
      type: 'fetch',
      step,
      file: r.name,
      transport: r.transport,
      status: r.status,
      durationMs: r.durationMs,
      ...(r.body ? { bytes: r.body.length } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.tftp ? { tftp: { blksize: r.tftp.blksize, blocks: r.tftp.blocks, retransmissions: r.tftp.retransmissions } } : {}),
    };
    if (r.tls) {
      const c = r.tls.connected;
      e.tls = { attempts: r.tls.attempts.length };
      if (c?.protocol) e.tls.protocol = c.protocol;
      if (c?.suite) e.tls.suite = c.suite;
      if (c?.serverCertificate) {
        e.tls.serverKeyType = c.serverCertificate.keyType;
        e.tls.serverSubject = c.serverCertificate.subject;
      }
      if (c?.clientCertificate) e.tls.clientCertificate = c.clientCertificate;
    }
    this.rec.emit(e);
    return r;
  }

  /** A file over the model's transports: a network failure moves to the next transport, an answer ends the search. */
  async #fetchAny(step: BootStep, name: string): Promise<FetchResult> {
    let last: FetchResult | undefined;
    for (const t of this.#model.config.transports) {
      last = this.#fetchEvent(step, await this.#c.fetcher.fetch(name, t));
      if (last.status !== 'unreachable' && last.status !== 'error') return last;
    }
    return last!;
  }

  /** The client certificate the phone presents: LSC, else MIC. */
  #credential(): ClientCredential | undefined {
    const { lsc, mic } = this.#c.identity;
    if (lsc) return { certificate: lsc.der, privateKey: lsc.privateKey, label: 'LSC' };
    if (mic) return { certificate: mic.der, privateKey: mic.privateKey, label: 'MIC', ...(mic.chainPems ? { chainPems: mic.chainPems } : {}) };
    return undefined;
  }

  async #trustListStep(kind: 'ctl' | 'itl'): Promise<'continue' | 'fatal'> {
    const m = this.#model;
    const enabled = kind === 'ctl' ? m.trust.ctl : m.trust.itl;
    const KIND = kind.toUpperCase();
    if (!enabled) {
      this.rec.skip(kind, kind === 'itl' ? `${m.id} does not support ITL (002 L1070-1072)` : `${m.id} does not download a CTL`);
      return 'continue';
    }
    this.rec.start(kind);
    const names = [`${KIND}SEP${this.#mac}.tlv`, `${KIND}File.tlv`];
    let found: FetchResult | undefined;
    const misses: string[] = [];
    for (const name of names) {
      const r = await this.#fetchAny(kind, name);
      if (r.status === 'ok') {
        found = r;
        break;
      }
      misses.push(`${name}: ${r.reason ?? r.status}`);
      if (r.status !== 'not-found' && r.status !== 'forbidden') break;
    }
    if (!found) {
      const reason = kind === 'ctl' ? `no CTL (the cluster is not in mixed mode): ${misses.join('; ')}` : `no ITL: ${misses.join('; ')}`;
      this.rec.end(kind, 'not-found', reason);
      return 'continue';
    }
    const d = this.#trustEvent(kind, await this.#c.trust.acceptTrustList(kind, found.name, found.body!));
    if (d.accepted) {
      this.rec.end(kind, 'ok', `${found.name} accepted (${d.basis}): ${d.reason}`);
      return 'continue';
    }
    if (d.fatal) {
      this.rec.end(kind, 'failed', `${found.name} refused: ${d.reason}`);
      return 'fatal';
    }
    this.rec.end(kind, 'refused', `${found.name} refused, the phone keeps its ${this.#c.trust[kind] ? `stored ${KIND}` : `lack of ${KIND}`}: ${d.reason}`);
    return 'continue';
  }

  /** Whether the config is first asked for over HTTPS 6971 (anchors §3: ITL signer version 1.1). */
  #https6971(): boolean {
    const itl = this.#c.trust.itl;
    const v = itl?.header.signerVersion;
    return this.#model.config.https6971 && this.#model.trust.itlVersion === '1.1' && !!v && (v.major > 1 || v.minor >= 1) && !this.#c.trust.rollback;
  }

  async #fetchConfigFile(name: string, https: boolean): Promise<FetchResult> {
    if (!https) return this.#fetchAny('config', name);
    const offer = phoneTlsOffer({ model: this.#model, purpose: 'https-config', ...this.#cred() });
    const verifyServer = async (cert: { der: Buffer; keyType: string }) => {
      // usecallmanager.nz: the 6971 certificate must be EC (CallManager-ECDSA) and trusted as TFTP (anchors §3).
      if (cert.keyType !== 'ec') return `the server presented a ${cert.keyType.toUpperCase()} certificate; the phone uses 6971 with CallManager-ECDSA only (anchors §3)`;
      const d = this.#trustEvent('config', await this.#c.trust.verifyServerCertificate('tftp', cert.der, `${this.#c.fetcher.server.host}:${this.#c.fetcher.server.https6971Port ?? 6971}`));
      return d.accepted ? true : d.reason;
    };
    return this.#fetchEvent('config', await this.#c.fetcher.fetch(name, 'https-6971', { offer, verifyServer }));
  }

  #cred(): { clientCertificate?: ClientCredential } {
    const c = this.#credential();
    return c ? { clientCertificate: c } : {};
  }

  /** Turns a downloaded configuration file into a PhoneConfig (verify, decrypt, parse), or says why not. */
  async #readConfig(r: FetchResult, variant: string): Promise<ConfigOutcome> {
    const body = r.body!;
    let xml: Buffer;
    let form: 'plain' | 'signed' | 'encrypted';
    let basis: TrustBasis | undefined;
    if (isXml(body)) {
      const channel = r.transport === 'https-6971' ? 'HTTPS 6971' : undefined;
      const d = this.#trustEvent('config', await this.#c.trust.acceptUnsignedFile(r.name, body, channel ? { verifiedChannel: channel } : {}));
      if (!d.accepted) return { kind: 'failed', reason: `${r.name} refused: ${d.reason}` };
      xml = body;
      form = 'plain';
      basis = d.basis;
    } else {
      const d = this.#trustEvent('config', await this.#c.trust.verifySignedFile(r.name, body));
      if (!d.accepted || !d.parsed) return { kind: 'failed', reason: `${r.name} refused: ${d.reason}` };
      basis = d.basis;
      if (variant === '.enc.sgn' || d.parsed.header.encryption) {
        const plain = this.#decrypt(r.name, body);
        if (typeof plain === 'string') return { kind: 'failed', reason: plain };
        xml = plain;
        form = 'encrypted';
      } else {
        xml = d.parsed.content;
        form = 'signed';
      }
    }
    let config: PhoneConfig;
    try {
      config = parseCnfXml(xml);
    } catch (e) {
      if (e instanceof CnfXmlError) return { kind: 'failed', reason: `${r.name}: ${e.message}` };
      throw e;
    }
    if (!config.fullConfig && config.encrConfig) {
      const mine = this.#keyFor(config.certHash);
      if (config.certHash && mine) {
        this.rec.emit({ type: 'note', step: 'config', message: `${r.name} is the stub of an encrypted configuration for the phone's ${mine.label} (certHash matches): asking for the .enc.sgn` });
        return this.#encrypted(r.transport);
      }
      const why = !config.certHash
        ? 'the MD5 value is blank'
        : this.#c.identity.lsc || this.#c.identity.mic
          ? `the certHash ${config.certHash} matches neither the phone's LSC nor its MIC`
          : 'the phone holds no certificate';
      return { kind: 'needs-capf', stub: config, file: r.name, reason: `the configuration is encrypted but ${why} (001 L6079-6081)` };
    }
    return { kind: 'config', config, file: r.name, transport: r.transport, form, ...(basis ? { basis } : {}) };
  }

  /** The phone certificate whose MD5 is the stub's certHash (RSA: the configuration key is RSA-wrapped). */
  #keyFor(certHash: string | undefined): (HeldCertificate & { label: 'LSC' | 'MIC' }) | undefined {
    if (!certHash) return undefined;
    const { lsc, mic } = this.#c.identity;
    for (const [label, c] of [['LSC', lsc], ['MIC', mic]] as const) {
      if (c && md5(c.der) === certHash.toLowerCase() && c.privateKey.asymmetricKeyType === 'rsa') return { ...c, label };
    }
    return undefined;
  }

  #decrypt(name: string, bytes: Buffer): Buffer | string {
    const id = this.#c.identity;
    let parsed;
    try {
      parsed = parseEncryptedConfig(bytes);
    } catch (e) {
      if (e instanceof TlvError) return `${name}: ${e.message}`;
      throw e;
    }
    const keys: { label: string; key: Parameters<typeof decryptConfig>[1] }[] = [];
    if (!parsed.wrappedKey && id.manualKey) keys.push({ label: 'manual key', key: { manualKey: id.manualKey } });
    if (parsed.wrappedKey) for (const [label, c] of [['LSC', id.lsc], ['MIC', id.mic]] as const) if (c) keys.push({ label, key: c.privateKey });
    if (!keys.length) return `${name} cannot be decrypted: ${parsed.wrappedKey ? 'the phone holds no certificate key' : 'no symmetric key was entered on the phone'}; the configuration is not applied (001 L6064)`;
    const errors: string[] = [];
    for (const k of keys) {
      try {
        const plain = decryptConfig(parsed, k.key);
        this.rec.emit({ type: 'note', step: 'config', message: `${name} decrypted with the phone's ${k.label}` });
        return plain;
      } catch (e) {
        if (!(e instanceof TlvError)) throw e;
        errors.push(`${k.label}: ${e.message}`);
      }
    }
    return `${name} cannot be decrypted (${errors.join('; ')}): the configuration is not applied (001 L6064)`;
  }

  async #encrypted(transport: FetchTransport): Promise<ConfigOutcome> {
    const name = `${this.#c.deviceName}.cnf.xml.enc.sgn`;
    const r = transport === 'https-6971' ? await this.#fetchConfigFile(name, true) : await this.#fetchAny('config', name);
    if (r.status !== 'ok') return { kind: 'failed', reason: `${name}: ${r.reason ?? r.status}` };
    const out = await this.#readConfig(r, '.enc.sgn');
    if (out.kind === 'needs-capf') return { kind: 'failed', reason: `${name} decrypted to another stub configuration` };
    return out;
  }

  /** The configuration variants the phone asks for, in order. */
  #variants(): string[] {
    const m = this.#model;
    const id = this.#c.identity;
    if (!m.config.signedConfig || !this.#c.trust.holdsTrustList) return [''];
    const manual = !!id.manualKey && m.config.encryptedConfig.includes('manual');
    const pki = !!id.encryptedConfigExpected && m.config.encryptedConfig.includes('pki') && !!(id.lsc || id.mic);
    return manual || pki ? ['.enc.sgn', '.sgn', ''] : ['.sgn', ''];
  }

  async #configRound(): Promise<ConfigOutcome> {
    const base = `${this.#c.deviceName}.cnf.xml`;
    const variants = this.#variants();
    const problems: string[] = [];
    if (this.#https6971()) {
      // Each variant over 6971 while the server answers "not found" (an ECDSA-LSC phone has no .enc.sgn, only its
      // .sgn, answered in the clear to its LSC); any other failure falls back to the plain transports.
      for (const v of variants.filter((x) => x !== '')) {
        const r = await this.#fetchConfigFile(base + v, true);
        if (r.status === 'ok') {
          const out = await this.#readConfig(r, v);
          if (out.kind !== 'failed') return out;
          problems.push(out.reason);
        } else problems.push(`${r.name} over HTTPS 6971: ${r.reason ?? r.status}`);
        if (r.status !== 'not-found') break;
      }
      this.rec.emit({ type: 'note', step: 'config', message: `HTTPS 6971 did not give a usable configuration; falling back to ${this.#model.config.transports.join(', ')} (anchors §3)` });
    }
    for (const v of variants) {
      const r = await this.#fetchAny('config', base + v);
      if (r.status !== 'ok') {
        problems.push(`${r.name}: ${r.reason ?? r.status}`);
        if (r.status === 'not-found' || r.status === 'forbidden') continue;
        return { kind: 'failed', reason: problems.join('; ') };
      }
      // A file that arrived but is refused ends the search: the phone does not fall back to a weaker form.
      const out = await this.#readConfig(r, v);
      if (out.kind === 'failed' && problems.length) return { kind: 'failed', reason: `${problems.join('; ')}; ${out.reason}` };
      return out;
    }
    return { kind: 'failed', reason: problems.join('; ') };
  }

  async #applied(out: Extract<ConfigOutcome, { kind: 'config' }>): Promise<void> {
    await this.#c.trust.setTvsMembers(out.config.tvs.map((t) => ({ address: t.address, port: t.port, priority: t.priority })));
    await this.#c.effects?.configApplied({ encrypted: out.form === 'encrypted', config: out.config });
    if (out.form === 'encrypted') this.#c.identity.encryptedConfigExpected = true;
  }

  async #capf(config: PhoneConfig, why: string): Promise<CapfResult | { status: 'skipped'; detail: string }> {
    const m = this.#model;
    const code = config.capfAuthMode ?? 0;
    const authMode = AUTH_MODE_BY_CODE[code];
    const skip = (detail: string) => {
      this.rec.end('capf', 'skipped', detail);
      return { status: 'skipped' as const, detail };
    };
    if (!m.certificates.capfVersion) return skip(`${m.id} has no CAPF client`);
    if (!authMode) return skip(`${why}, but no CAPF operation is pending (<capfAuthMode> ${code})`);
    const capfServer = config.capfList[0];
    if (!capfServer) return skip(`${why}, but the configuration lists no CAPF server`);
    const id = this.#c.identity;
    if (authMode === 'auth-string' && !id.authString) return skip('By Authentication String: waiting for the user to enter the string on the phone (001 L5192-5193)');
    if (!this.#c.capf) return skip('no CAPF client attached to this phone');
    const name = capfServer.processNodeName ?? this.#c.fetcher.server.host;
    const host = this.#c.resolveHost?.(name) ?? name;
    const trusted = this.#capfCertificates();
    const offer = phoneTlsOffer({ model: m, purpose: 'capf' });
    const r = await this.#c.capf.enroll({
      host,
      port: capfServer.phonePort,
      deviceName: this.#c.deviceName,
      authMode,
      ...(id.authString !== undefined ? { authString: id.authString } : {}),
      ...(id.mic ? { mic: id.mic } : {}),
      ...(id.lsc ? { lsc: id.lsc } : {}),
      model: m,
      trustedCertificates: trusted,
      ...(offer.attempts[0] ? { tls: offer.attempts[0] } : {}),
    });
    this.rec.emit({
      type: 'capf',
      step: 'capf',
      status: r.status,
      detail: r.detail,
      ...(r.authenticatedWith ? { authenticatedWith: r.authenticatedWith } : {}),
      ...(r.lsc ? { lsc: { subject: r.lsc.subject, keyType: r.lsc.keyType, keySize: r.lsc.keySize } } : {}),
      ...(r.tls ? { tls: r.tls } : {}),
    });
    if (r.status === 'installed' && r.lsc) {
      id.lsc = { der: r.lsc.der, privateKey: r.lsc.privateKey };
      await this.#c.effects?.lscInstalled(id.lsc);
    } else if (r.status === 'deleted') {
      delete id.lsc;
      await this.#c.effects?.lscDeleted();
    }
    const ok = ['installed', 'deleted', 'fetched', 'no-operation'].includes(r.status);
    this.rec.end('capf', ok ? 'ok' : 'failed', `${authMode} at ${host}:${capfServer.phonePort}: ${r.status}: ${r.detail}${trusted.length ? '' : ' (no CAPF record in the ITL/CTL: server not verified)'}`);
    return r;
  }

  /** CAPF certificates of the phone's CTL/ITL (PEM), to verify the CAPF server. */
  #capfCertificates(): string[] {
    const out: string[] = [];
    for (const l of [this.#c.trust.ctl, this.#c.trust.itl]) {
      for (const r of l?.records ?? []) {
        if (r.role === Role.CAPF && r.certificate) {
          const pem = new X509Certificate(r.certificate).toString();
          if (!out.includes(pem)) out.push(pem);
        }
      }
    }
    return out;
  }

  #ready(out: Extract<ConfigOutcome, { kind: 'config' }>): { ready?: ReadyForRegistration; reason: string } {
    const c = out.config;
    const warnings: string[] = [];
    const securityMode = MODE_BY_CODE[c.deviceSecurityMode ?? 1];
    if (!securityMode) return { reason: `unknown <deviceSecurityMode> ${c.deviceSecurityMode}` };
    let transport = TRANSPORT_BY_CODE[c.transportLayerProtocol ?? 1];
    if (!transport) return { reason: `unknown <transportLayerProtocol> ${c.transportLayerProtocol}` };
    if (securityMode !== 'non-secure' && transport !== 'TLS') {
      warnings.push(`device security mode ${securityMode} with transport ${transport}: TLS is used (001 L5750)`);
      transport = 'TLS';
    }
    const cred = this.#credential();
    if (securityMode !== 'non-secure' && !cred) {
      return { reason: `device security mode ${securityMode} needs an LSC or MIC for mutual TLS, and the phone has neither (002 L1273-1277)` };
    }
    if (!c.callManagers.length) return { reason: 'the configuration lists no CallManager' };
    const trust = this.#c.trust;
    const ccm = (l: typeof trust.ctl) => !!l?.records.some((r) => r.role === Role.CCM || r.role === Role['CCM+TFTP']);
    const callManagerTrust = ccm(trust.ctl) ? 'ctl' : ccm(trust.itl) ? 'itl' : 'none';
    if (securityMode !== 'non-secure' && callManagerTrust === 'none') warnings.push('secure mode but no CCM record in the CTL/ITL: the CallManager certificate can only be checked through TVS');
    if (securityMode !== 'non-secure' && !trust.ctl) warnings.push('secure mode without a CTL: the phone learns the cluster security mode from the CTL (001 L2844-2846)');
    const tls = transport === 'TLS';
    const ready: ReadyForRegistration = {
      config: c,
      configFile: out.file,
      configVia: { transport: out.transport, form: out.form, ...(out.basis ? { basis: out.basis } : {}) },
      securityMode,
      transport,
      callManagers: [...c.callManagers]
        .sort((a, b) => a.priority - b.priority)
        .map((m) => ({
          priority: m.priority,
          processNodeName: m.processNodeName,
          host: this.#c.resolveHost?.(m.processNodeName) ?? m.processNodeName,
          sipPort: m.sipPort,
          securedSipPort: m.securedSipPort,
          port: tls ? m.securedSipPort : m.sipPort,
        })),
      tvsMembers: c.tvs.map((t) => ({ address: t.address, port: t.port, priority: t.priority })),
      callManagerTrust,
      warnings,
    };
    if (cred) ready.clientCertificate = cred.label as 'LSC' | 'MIC';
    if (tls) {
      ready.sipTls = phoneTlsOffer({
        model: this.#model,
        purpose: 'sip',
        mode: securityMode === 'authenticated' ? 'authenticated' : 'encrypted',
        ...(c.disableTlsCiphers ? { disableTlsCiphers: c.disableTlsCiphers } : {}),
        ...(c.tls12Only !== undefined ? { tls12Only: c.tls12Only } : {}),
        ...this.#cred(),
      });
      if (!ready.sipTls.attempts.length) return { reason: `no SIP TLS offer is possible: ${ready.sipTls.description}` };
    }
    return { ready, reason: `${securityMode} over ${transport} to ${ready.callManagers[0]!.host}:${ready.callManagers[0]!.port}${cred ? ` with its ${cred.label}` : ''}` };
  }

  async run(): Promise<BootResult> {
    const fail = (step: BootStep, reason: string): BootResult => {
      log.warn(`${this.#c.deviceName}: boot failed at ${step}: ${reason}`);
      return { status: 'failed', failedStep: step, reason, steps: this.rec.steps, events: this.rec.events };
    };
    if ((await this.#trustListStep('ctl')) === 'fatal') return fail('ctl', this.rec.steps.at(-1)!.reason);
    if ((await this.#trustListStep('itl')) === 'fatal') return fail('itl', this.rec.steps.at(-1)!.reason);

    this.rec.start('config');
    let out = await this.#configRound();
    if (out.kind === 'failed') {
      this.rec.end('config', 'failed', out.reason);
      return fail('config', out.reason);
    }
    if (out.kind === 'config') {
      await this.#applied(out);
      this.rec.end('config', 'ok', `${out.file} (${out.form}${out.basis ? `, ${out.basis}` : ''}) over ${out.transport}`);
    } else this.rec.end('config', 'refused', `${out.file}: ${out.reason}`);

    const pending = out.kind === 'config' ? (out.config.capfAuthMode ?? 0) > 0 && out.config.capfList.length > 0 : true;
    if (!pending) this.rec.skip('capf', 'no certificate operation pending (<capfAuthMode> 0)');
    else {
      this.rec.start('capf');
      const cfg = out.kind === 'config' ? out.config : out.stub;
      const why = out.kind === 'config' ? 'the configuration asks for a certificate operation' : out.reason;
      const r = await this.#capf(cfg, why);
      if (out.kind === 'needs-capf' && r.status !== 'installed') return fail('capf', `${out.reason}; CAPF: ${r.detail}`);
      if (r.status === 'installed') {
        // "After the public key gets stored in the database, the phone resets and requests a new configuration file" (001 L6082).
        this.rec.emit({ type: 'note', step: 'capf', message: 'new LSC installed: the phone requests its configuration again' });
        if (out.kind === 'needs-capf') this.#c.identity.encryptedConfigExpected = true;
        this.rec.start('config');
        out = await this.#configRound();
        if (out.kind !== 'config') {
          const reason = out.kind === 'failed' ? out.reason : `${out.file}: ${out.reason}`;
          this.rec.end('config', 'failed', reason);
          return fail('config', reason);
        }
        await this.#applied(out);
        this.rec.end('config', 'ok', `${out.file} (${out.form}${out.basis ? `, ${out.basis}` : ''}) over ${out.transport}, after CAPF`);
      }
    }
    if (out.kind !== 'config') return fail('config', 'no configuration');
    this.rec.start('ready');
    const r = this.#ready(out);
    if (!r.ready) {
      this.rec.end('ready', 'failed', r.reason);
      return fail('ready', r.reason);
    }
    this.rec.end('ready', 'ok', r.reason);
    return { status: 'ready', reason: r.reason, ready: r.ready, steps: this.rec.steps, events: this.rec.events };
  }
}

/** Boots a phone up to SIP registration. Never throws for what the network or the cluster does: see `status`. */
export function runBoot(c: BootContext): Promise<BootResult> {
  return new Boot(c).run();
}
