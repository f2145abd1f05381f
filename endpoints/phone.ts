// An emulated Cisco phone: its identity (MAC, model, device name, MIC from a manufacturing source, LSC from CAPF), its
// trust store and its state directory, and boot() up to SIP registration. What a phone keeps in flash survives a
// restart of the process: trust.json (CTL, ITL, TVS members, trust events) and phone.json (certificates, keys, the
// encrypted-config flag). After boot, register() and the call methods run the SIP user agent (endpoints/sip) on the
// context the boot produced (`registrationContext()`).
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { ClusterPki } from '../engine/pki/index.js';
import { normalizeMacAddress } from '../engine/tftp/index.js';
import { runBoot, type BootIdentity, type BootResult, type ReadyForRegistration } from './boot/boot-sequence.js';
import type { BootEvent } from './boot/boot-events.js';
import { engineCapfPort, type CapfPort, type HeldCertificate } from './boot/capf-port.js';
import { FileFetcher, type FileServerAddress } from './boot/file-fetcher.js';
import { builtinModels, micDeviceIdentity, type ModelProfile, type ModelRegistry } from './models/model-profiles.js';
import { readJsonState, removeStaleTemps, SerialQueue, StateFileError, writeJsonState, type StateFileHooks } from './store/state-file.js';
import type { ClientCredential } from './tls/phone-tls-offer.js';
import type { PhoneCall, PlaceCallOptions, CallResult } from './sip/phone-call.js';
import { PhoneUserAgent, type PhoneUaEvents, type PhoneUserAgentOptions, type RegistrationResult, type SipServerTarget } from './sip/phone-ua.js';
import { phoneTlsOffer } from './tls/phone-tls-offer.js';
import { PhoneTrustStore } from './trust/phone-trust-store.js';
import { engineTvsPort, type TvsPort } from './trust/tvs-port.js';

/** A MIC and its key, from any manufacturing source (see manufacturingIdentity for the emulated Cisco CA). */
export interface MicInput {
  /** DER or PEM. */
  certificate: Uint8Array | string;
  /** KeyObject or PEM. */
  privateKey: KeyObject | string;
  /** Issuing CA then root (PEM), sent after the MIC on TLS. */
  chainPems?: string[];
}

export interface PhoneOptions {
  mac: string;
  /** A model profile or a name the registry knows ("cisco-88xx", "current", "Cisco 8845"). */
  model: ModelProfile | string;
  /** Where the phone keeps its flash (created when absent). */
  stateDir: string;
  /** The MIC, the first time the phone is opened (kept in its state afterwards). */
  mic?: MicInput;
  /** Default SEP<MAC> (CSF<MAC> for soft clients). */
  deviceName?: string;
  /** Manual key distribution: the symmetric key entered on the phone (16 or 32 bytes). */
  manualKey?: Uint8Array;
  /** The CAPF authentication string entered on the phone. */
  authString?: string;
  /** The TFTP server (DHCP option 150) and its ports. */
  tftp: FileServerAddress;
  /** TVS client; default engine/tvs's, false for none. */
  tvs?: TvsPort | false;
  /** CAPF client; default engine/capf's, false for none. */
  capf?: CapfPort | false;
  /** Maps host names from the configuration (CallManager, CAPF, TVS) to addresses; `hosts` is the simple form. */
  resolveHost?: (name: string) => string;
  hosts?: Readonly<Record<string, string>>;
  registry?: ModelRegistry;
  timeouts?: { fileMs?: number; tvsConnectMs?: number; tvsResponseMs?: number; tftpRetransmitMs?: number };
  hooks?: StateFileHooks;
}

interface PersistedPhone {
  version: 1;
  mac: string;
  deviceName: string;
  model: string;
  mic?: { certificate: string; privateKey: string; chainPems?: string[] };
  lsc?: { certificate: string; privateKey: string; installedAt: string };
  manualKey?: string;
  authString?: string;
  encryptedConfigExpected: boolean;
  lastConfig?: { at: string; securityMode?: number; encrypted: boolean };
}

export const PHONE_FILE = 'phone.json';

/** What register() may change from what the boot's configuration gives (scenarios, tests, labs). */
export type PhoneSipOptions = Partial<Omit<PhoneUserAgentOptions, 'deviceName' | 'model' | 'servers' | 'securityMode' | 'line'>> & {
  /** Register without a client certificate even if the phone has one (a refusal test). */
  withoutClientCertificate?: boolean;
  /** Only these CallManagers (default: the configuration's, in priority order). */
  servers?: SipServerTarget[];
  /** Another line than the configuration's first. */
  line?: string;
};

/** A SIP-side event of the phone: its registration, and its calls ringing, changing state and ending. */
export type PhoneSipEvent =
  | { type: 'registration'; registration: RegistrationResult }
  | { type: 'incoming-call'; call: PhoneCall }
  | { type: 'call-state'; call: PhoneCall; state: PhoneCall['state'] }
  | { type: 'call-ended'; result: CallResult };
const FORMAT = 'trustline-phone';

/** What the SIP user agent and media will attach to once a boot is ready (the registration step is not here yet). */
export interface RegistrationContext {
  deviceName: string;
  model: ModelProfile;
  ready: ReadyForRegistration;
  /** The TLS client certificate (LSC, else MIC). */
  clientCertificate?: ClientCredential;
  /** Checks the CallManager certificate on SIP TLS: `trust.verifyServerCertificate('ccm', …)`. */
  trust: PhoneTrustStore;
}

function toPem(der: Uint8Array): string {
  return new X509Certificate(der).toString();
}

function toDer(c: Uint8Array | string): Buffer {
  return Buffer.from(new X509Certificate(typeof c === 'string' ? c : Buffer.from(c)).raw);
}

function keyPem(k: KeyObject): string {
  return k.export({ format: 'pem', type: 'pkcs8' }) as string;
}

export class Phone {
  readonly mac: string;
  readonly deviceName: string;
  readonly model: ModelProfile;
  readonly stateDir: string;
  readonly trust: PhoneTrustStore;
  #state: PersistedPhone;
  #tftp: FileServerAddress;
  readonly #o: PhoneOptions;
  readonly #queue = new SerialQueue();
  readonly #listeners = new Set<(e: BootEvent) => void>();
  readonly #sipListeners = new Set<(e: PhoneSipEvent) => void>();
  #lastBoot: BootResult | undefined;
  #ua: PhoneUserAgent | undefined;

  private constructor(o: PhoneOptions, model: ModelProfile, state: PersistedPhone, trust: PhoneTrustStore) {
    this.#o = o;
    this.mac = state.mac;
    this.deviceName = state.deviceName;
    this.model = model;
    this.stateDir = o.stateDir;
    this.trust = trust;
    this.#state = state;
    this.#tftp = o.tftp;
  }

  /** Opens the phone in its state directory (a first open creates it with the given MIC). */
  static async open(o: PhoneOptions): Promise<Phone> {
    const mac = normalizeMacAddress(o.mac);
    if (!mac) throw new TypeError(`${JSON.stringify(o.mac)} is not a 12-hex-digit MAC address`);
    const model = typeof o.model === 'string' ? (o.registry ?? builtinModels).get(o.model) : o.model;
    const path = join(o.stateDir, PHONE_FILE);
    await removeStaleTemps(path);
    let state = await readJsonState(path, FORMAT, (v) => v as unknown as PersistedPhone);
    if (state) {
      if (state.version !== 1) throw new StateFileError(path, `version ${String(state.version)} is not 1`);
      if (state.mac !== mac) throw new StateFileError(path, `holds phone ${state.mac}, not ${mac}`);
      if (o.deviceName && o.deviceName !== state.deviceName) throw new StateFileError(path, `holds device ${state.deviceName}, not ${o.deviceName}`);
    } else {
      if (o.mic && !model.certificates.mic) throw new TypeError(`${model.id} has no MIC (002 L1142-1145)`);
      state = { version: 1, mac, deviceName: o.deviceName ?? `${model.deviceNamePrefix}${mac}`, model: model.id, encryptedConfigExpected: false };
      if (o.mic) {
        const key = typeof o.mic.privateKey === 'string' ? createPrivateKey(o.mic.privateKey) : o.mic.privateKey;
        state.mic = { certificate: toPem(toDer(o.mic.certificate)), privateKey: keyPem(key), ...(o.mic.chainPems ? { chainPems: o.mic.chainPems } : {}) };
      }
    }
    if (o.manualKey) {
      if (o.manualKey.length !== 16 && o.manualKey.length !== 32) throw new RangeError(`a manual key is 16 or 32 bytes, got ${o.manualKey.length}`);
      state.manualKey = Buffer.from(o.manualKey).toString('hex');
    }
    if (o.authString !== undefined) state.authString = o.authString;
    state.model = model.id;
    const tvsIdentity = micDeviceIdentity(model, state.deviceName);
    const tvs =
      o.tvs === false
        ? undefined
        : (o.tvs ??
          engineTvsPort({
            deviceName: tvsIdentity,
            ...(model.tls.versions.includes('TLSv1.2') ? {} : { tls: { minVersion: model.tls.versions[0]!, maxVersion: model.tls.versions.at(-1)! } }),
            ...(o.timeouts?.tvsConnectMs ? { connectTimeoutMs: o.timeouts.tvsConnectMs } : {}),
            ...(o.timeouts?.tvsResponseMs ? { responseTimeoutMs: o.timeouts.tvsResponseMs } : {}),
            resolveHost: (h) => Phone.#resolve(o, h),
          }));
    const trust = await PhoneTrustStore.open({
      dir: o.stateDir,
      deviceName: state.deviceName,
      ...(tvs ? { tvs } : {}),
      tvsEnabled: model.trust.tvs,
      digests: model.certificates.fileDigests,
      maxTrustListBytes: model.trust.maxTrustListBytes,
      maxTrustListCertificates: model.trust.maxTrustListCertificates,
      itlVersion: model.trust.itlVersion,
      ...(o.hooks ? { hooks: o.hooks } : {}),
    });
    const phone = new Phone(o, model, state, trust);
    await phone.#save();
    return phone;
  }

  static #resolve(o: PhoneOptions, name: string): string {
    return o.resolveHost?.(name) ?? o.hosts?.[name] ?? name;
  }

  #save(): Promise<void> {
    const snapshot = structuredClone(this.#state);
    return this.#queue.run(() => writeJsonState(join(this.stateDir, PHONE_FILE), FORMAT, snapshot, this.#o.hooks));
  }

  /** `CP-<model>-SEP<MAC>`: the identity a MIC carries and TVS requests name (anchors 2.7). */
  get tvsIdentity(): string {
    return micDeviceIdentity(this.model, this.deviceName);
  }

  get mic(): (HeldCertificate & { chainPems?: string[] }) | undefined {
    const m = this.#state.mic;
    return m && { der: toDer(m.certificate), privateKey: createPrivateKey(m.privateKey), ...(m.chainPems ? { chainPems: m.chainPems } : {}) };
  }

  get lsc(): HeldCertificate | undefined {
    const l = this.#state.lsc;
    return l && { der: toDer(l.certificate), privateKey: createPrivateKey(l.privateKey) };
  }

  get manualKey(): Buffer | undefined {
    return this.#state.manualKey ? Buffer.from(this.#state.manualKey, 'hex') : undefined;
  }

  /** The configuration was last delivered encrypted: the phone asks for .enc.sgn first. */
  get encryptedConfigExpected(): boolean {
    return this.#state.encryptedConfigExpected;
  }

  get tftpServer(): FileServerAddress {
    return this.#tftp;
  }

  get lastBoot(): BootResult | undefined {
    return this.#lastBoot;
  }

  /** Points the phone at another TFTP server (DHCP option 150): the trust it holds stays (001 L3359-3369). */
  pointTo(server: FileServerAddress): void {
    this.#tftp = server;
  }

  /** The user types the CAPF authentication string on the phone (By Authentication String, 001 L5192). */
  async enterAuthString(s: string | undefined): Promise<void> {
    if (s === undefined) delete this.#state.authString;
    else this.#state.authString = s;
    await this.#save();
  }

  /** The user enters (or clears) the symmetric key for manual key distribution (001 L6055-6062). */
  async enterManualKey(key: Uint8Array | undefined): Promise<void> {
    if (key === undefined) delete this.#state.manualKey;
    else {
      if (key.length !== 16 && key.length !== 32) throw new RangeError(`a manual key is 16 or 32 bytes, got ${key.length}`);
      this.#state.manualKey = Buffer.from(key).toString('hex');
    }
    await this.#save();
  }

  /** "Reset security settings" (Settings Access): the CTL and ITL are deleted (002 L396-401). The LSC stays. */
  async resetSecuritySettings(): Promise<void> {
    await this.trust.reset();
  }

  onBootEvent(listener: (e: BootEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Boots up to SIP registration (the configuration, trust and certificates it gets are kept). */
  async boot(): Promise<BootResult> {
    const o = this.#o;
    const identity: BootIdentity = { encryptedConfigExpected: this.#state.encryptedConfigExpected };
    const mic = this.mic;
    const lsc = this.lsc;
    if (mic) identity.mic = mic;
    if (lsc) identity.lsc = lsc;
    const manual = this.manualKey;
    if (manual) identity.manualKey = manual;
    if (this.#state.authString !== undefined) identity.authString = this.#state.authString;
    const fetcher = new FileFetcher({
      server: this.#tftp,
      ...(o.timeouts?.fileMs ? { timeoutMs: o.timeouts.fileMs } : {}),
      ...(o.timeouts?.tftpRetransmitMs ? { tftpRetransmitMs: o.timeouts.tftpRetransmitMs } : {}),
      tftpBlockSize: this.model.config.tftpBlockSize,
    });
    const capf = o.capf === false ? undefined : (o.capf ?? engineCapfPort());
    const result = await runBoot({
      mac: this.mac,
      deviceName: this.deviceName,
      model: this.model,
      trust: this.trust,
      fetcher,
      identity,
      ...(capf ? { capf } : {}),
      resolveHost: (h) => Phone.#resolve(o, h),
      listeners: [(e) => this.#listeners.forEach((l) => l(e))],
      effects: {
        lscInstalled: async (l) => {
          this.#state.lsc = { certificate: toPem(l.der), privateKey: keyPem(l.privateKey), installedAt: new Date().toISOString() };
          await this.#save();
        },
        lscDeleted: async () => {
          delete this.#state.lsc;
          await this.#save();
        },
        configApplied: async ({ encrypted, config }) => {
          this.#state.encryptedConfigExpected = encrypted || (config.encrConfig === true && !!config.certHash);
          this.#state.lastConfig = { at: new Date().toISOString(), encrypted, ...(config.deviceSecurityMode !== undefined ? { securityMode: config.deviceSecurityMode } : {}) };
          await this.#save();
        },
      },
    });
    this.#lastBoot = result;
    return result;
  }

  /** The seam for SIP registration and media (a later step): available after a boot that reached `ready`. */
  registrationContext(): RegistrationContext {
    const ready = this.#lastBoot?.ready;
    if (!ready) throw new Error(`${this.deviceName} has not booted to ready${this.#lastBoot ? ` (${this.#lastBoot.failedStep}: ${this.#lastBoot.reason})` : ''}`);
    const lsc = this.lsc;
    const mic = this.mic;
    const ctx: RegistrationContext = { deviceName: this.deviceName, model: this.model, ready, trust: this.trust };
    if (lsc) ctx.clientCertificate = { certificate: lsc.der, privateKey: lsc.privateKey, label: 'LSC' };
    else if (mic) ctx.clientCertificate = { certificate: mic.der, privateKey: mic.privateKey, label: 'MIC', ...(mic.chainPems ? { chainPems: mic.chainPems } : {}) };
    return ctx;
  }
  // ---- SIP: registration and calls (endpoints/sip) ---------------------------------------------------------------

  /** The SIP user agent, once register() created it. */
  get sip(): PhoneUserAgent | undefined {
    return this.#ua;
  }

  /**
   * Registers with the CallManager the configuration names, over its transport and security mode, with the LSC (else
   * MIC) as TLS client certificate and the CallManager certificate checked by the trust store. A phone whose boot
   * did not reach `ready` gets a refused result saying why (an Encrypted phone without certificate, 002 L1273-1277).
   */
  async register(o: PhoneSipOptions = {}): Promise<RegistrationResult> {
    if (!this.#lastBoot?.ready) {
      const b = this.#lastBoot;
      return {
        outcome: b ? 'refused' : 'failed',
        reason: b ? `the boot ended at ${b.failedStep}: ${b.reason}` : `${this.deviceName} has not booted`,
        transport: 'TCP',
        securityMode: 'non-secure',
        signalling: 'none',
        at: new Date().toISOString(),
        registers: 0,
      };
    }
    this.#ua ??= this.#createUserAgent(o);
    return this.#ua.register();
  }

  #createUserAgent(o: PhoneSipOptions): PhoneUserAgent {
    const ctx = this.registrationContext();
    const { ready } = ctx;
    const transport = ready.transport === 'TLS' || ready.securityMode !== 'non-secure' ? 'TLS' : ready.transport === 'UDP' ? 'UDP' : 'TCP';
    const servers = o.servers ?? ready.callManagers.map((m) => ({ host: m.host, port: m.port, transport, name: m.processNodeName }) satisfies SipServerTarget);
    const line = o.line ?? ready.config.lines[0]?.name;
    if (!line) throw new Error(`${this.deviceName}: the configuration gives no line to register`);
    const cfgLine = ready.config.lines.find((l) => l.name === line);
    let tlsOffer = o.tlsOffer ?? ready.sipTls;
    if (transport === 'TLS' && o.withoutClientCertificate) {
      const c = ready.config;
      tlsOffer = phoneTlsOffer({
        model: this.model,
        purpose: 'sip',
        mode: ready.securityMode === 'authenticated' ? 'authenticated' : 'encrypted',
        ...(c.disableTlsCiphers ? { disableTlsCiphers: c.disableTlsCiphers } : {}),
        ...(c.tls12Only !== undefined ? { tls12Only: c.tls12Only } : {}),
      });
    }
    const { withoutClientCertificate: _w, servers: _s, line: _l, ...rest } = o;
    const ua = new PhoneUserAgent({
      deviceName: this.deviceName,
      model: this.model,
      line,
      servers,
      securityMode: ready.securityMode,
      ...(tlsOffer ? { tlsOffer } : {}),
      verifyServer: async (cert, server) => {
        const d = await ctx.trust.verifyServerCertificate('ccm', cert.der, `${server.host}:${server.port}`);
        return d.accepted ? true : d.reason;
      },
      ...(cfgLine?.authName && cfgLine.authPassword !== undefined ? { credentials: { username: cfgLine.authName, password: cfgLine.authPassword } } : {}),
      ...rest,
    });
    ua.on('registration', (registration) => this.#emitSip({ type: 'registration', registration }));
    ua.on('incoming-call', (call) => this.#emitSip({ type: 'incoming-call', call }));
    ua.on('call-state', (call, state) => this.#emitSip({ type: 'call-state', call, state }));
    ua.on('call-ended', (result) => this.#emitSip({ type: 'call-ended', result }));
    return ua;
  }

  #emitSip(e: PhoneSipEvent): void {
    for (const l of [...this.#sipListeners]) l(e);
  }

  onSipEvent(listener: (e: PhoneSipEvent) => void): () => void {
    this.#sipListeners.add(listener);
    return () => this.#sipListeners.delete(listener);
  }

  /** Registration events and the rest, as the user agent's EventEmitter gives them. */
  onUaEvent<K extends keyof PhoneUaEvents>(event: K, listener: (...args: PhoneUaEvents[K]) => void): () => void {
    const ua = this.#requireUa();
    ua.on(event, listener as never);
    return () => ua.off(event, listener as never);
  }

  #requireUa(): PhoneUserAgent {
    if (!this.#ua) throw new Error(`${this.deviceName} is not registered (call register() first)`);
    return this.#ua;
  }

  #pick(call: PhoneCall | string | undefined, what: string, filter: (c: PhoneCall) => boolean): PhoneCall {
    const ua = this.#requireUa();
    if (call && typeof call !== 'string') return call;
    const c = call ? ua.calls.find((x) => x.id === call || x.callId === call) : ua.calls.find(filter);
    if (!c) throw new Error(`${this.deviceName}: no ${call ? `call ${call}` : what}`);
    return c;
  }

  /** Places a call to a directory number (or SIP URI); the call rings, connects or fails on its own (see its events). */
  call(target: string, opts: PlaceCallOptions = {}): PhoneCall {
    return this.#requireUa().call(target, opts);
  }

  /** Answers a ringing incoming call (the given one, else the oldest ringing). */
  answer(call?: PhoneCall | string): Promise<CallResult> {
    return this.#pick(call, 'ringing call', (c) => c.direction === 'incoming' && c.state === 'ringing').answer();
  }

  /** Rejects a ringing incoming call with 486 Busy Here (default) or 603 Decline. */
  reject(call?: PhoneCall | string, status = 486): Promise<CallResult> {
    return this.#pick(call, 'ringing call', (c) => c.direction === 'incoming' && c.state === 'ringing').reject(status);
  }

  hold(call?: PhoneCall | string, direction: 'sendonly' | 'inactive' = 'sendonly'): Promise<CallResult> {
    return this.#pick(call, 'connected call', (c) => c.state === 'connected').hold(direction);
  }

  resume(call?: PhoneCall | string): Promise<CallResult> {
    return this.#pick(call, 'held call', (c) => c.state === 'held').resume();
  }

  /** Hangs up (BYE), cancels a call still ringing out, or declines one ringing in. */
  hangup(call?: PhoneCall | string): Promise<CallResult> {
    return this.#pick(call, 'call', (c) => c.state !== 'ended').hangup();
  }

  /** Unregisters (REGISTER Expires: 0). */
  async unregister(): Promise<RegistrationResult | undefined> {
    return this.#ua?.unregister();
  }

  /** Ends calls, closes the SIP connection and media sockets. The phone can register again afterwards. */
  async close(o: { unregister?: boolean } = {}): Promise<void> {
    const ua = this.#ua;
    this.#ua = undefined;
    await ua?.close(o);
  }

}

/** A MIC for an emulated phone from the cluster's emulated Cisco manufacturing CA (`CP-<model>-SEP<MAC>`). */
export async function manufacturingIdentity(pki: ClusterPki, mac: string, model: ModelProfile): Promise<MicInput> {
  const m = normalizeMacAddress(mac);
  if (!m) throw new TypeError(`${JSON.stringify(mac)} is not a 12-hex-digit MAC address`);
  const spec = model.certificates.mic;
  if (!spec) throw new TypeError(`${model.id} has no MIC (002 L1142-1145)`);
  const mic = await pki.issueManufacturingCertificate(`${model.deviceNamePrefix}${m}`, spec.keyType, { model: model.modelNumber, keySize: spec.keySize });
  return { certificate: mic.certificate.der, privateKey: mic.privateKey, chainPems: mic.chainPems };
}
