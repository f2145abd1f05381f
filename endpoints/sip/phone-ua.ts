// The phone's SIP user agent on engine/sip (UserAgentCore over a PhoneTransport): one signalling connection to its
// CallManager the way the configuration says (TCP/UDP for Non Secure; TLS with NULL-SHA for Authenticated, with an
// encrypting suite for Encrypted), opened with the model's TLS offer and fallback and its LSC (else MIC) as client
// certificate, the CallManager certificate checked by the phone's trust store. Then REGISTER (digest when challenged,
// refreshed before it expires, keepalives, re-registration after the connection is lost) and calls (phone-call.ts).
// It records the TLS facts of its connection and can export the TLS key log (NSS format) and each call's SRTP keys.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { logger } from '../../common/log.js';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import type { SignallingSecurity } from '../../engine/media-policy/index.js';
import type { SipResponse } from '../../engine/sip/message/index.js';
import type { StreamConnection, SipTarget, TransportLayerOptions } from '../../engine/sip/transport/index.js';
import { type Credentials, type IncomingRequest, type RequestResult, UserAgentCore } from '../../engine/sip/ua-core.js';
import type { TransactionLayerOptions } from '../../engine/sip/transaction/index.js';
import type { SecurityModeName } from '../boot/boot-sequence.js';
import { formatKeyLog, type SrtpKeyExport } from '../media/key-export.js';
import { MediaClock } from '../media/media-clock.js';
import type { MediaSessionOptions } from '../media/media-session.js';
import type { ModelProfile } from '../models/model-profiles.js';
import { connectWithOffer, type ServerCertificateRecord, type TlsHandshakeRecord, type TlsOffer } from '../tls/phone-tls-offer.js';
import type { CallMediaOptions } from './call-media.js';
import { type CallPort, type CallResult, type CallState, PhoneCall, type PlaceCallOptions } from './phone-call.js';
import { clientTlsFacts, connectTcp, PhoneTransport } from './phone-transport.js';

const log = logger('phone.sip');

export type SignallingTransport = 'UDP' | 'TCP' | 'TLS';
export type RegistrationState = 'unregistered' | 'connecting' | 'registering' | 'registered' | 'failed';
export type RegistrationOutcome = 'registered' | 'refused' | 'failed' | 'timeout' | 'unregistered';

/** A CallManager (or any registrar/proxy) the phone can register with, in priority order. */
export interface SipServerTarget {
  host: string;
  port: number;
  transport: SignallingTransport;
  /** For records (the configuration's processNodeName). */
  name?: string;
}

/** What the phone learnt of its TLS connection to the CallManager. */
export interface SignallingTlsRecord {
  outcome: 'accepted' | 'refused';
  version?: string;
  /** IANA name of the negotiated suite. */
  suite?: string;
  openssl?: string;
  nullCipher?: boolean;
  certificateType?: 'RSA' | 'ECDSA';
  serverCertificate?: { subject: string; fingerprint256: string; keyType: string };
  /** The certificate the phone offered (the server asks for it on 5061). */
  clientCertificate: 'lsc' | 'mic' | 'none';
  /** The phone's decision on the server certificate (trust store, a custom check, or none). */
  serverTrust: { decision: 'accepted' | 'refused' | 'unchecked'; reason: string };
  /** Every handshake tried, in order (the model's fallback). */
  attempts: Omit<TlsHandshakeRecord, 'serverCertificate'>[];
  refusal?: string;
}

export interface RegistrationResult {
  outcome: RegistrationOutcome;
  /** Final status of the REGISTER, when one came. */
  status?: number;
  reason: string;
  server?: SipServerTarget;
  transport: SignallingTransport;
  securityMode: SecurityModeName;
  /** The signalling as the media policy sees it: SDES keys only go over 'encrypted'. */
  signalling: SignallingSecurity;
  tls?: SignallingTlsRecord;
  /** Seconds granted. */
  expires?: number;
  contact?: string;
  aor?: string;
  at: string;
  /** REGISTERs sent on this registration (refreshes included). */
  registers: number;
}

export interface PhoneUaEvents {
  registration: [RegistrationResult];
  'incoming-call': [PhoneCall];
  'call-state': [PhoneCall, CallState];
  'call-ended': [CallResult];
}

export interface PhoneUserAgentOptions {
  deviceName: string;
  model: ModelProfile;
  /** The line (directory number) the phone registers. */
  line: string;
  /** CallManagers in priority order: the next one is tried when one cannot be reached. */
  servers: SipServerTarget[];
  securityMode: SecurityModeName;
  /** TLS: the model's offer (endpoints/tls phoneTlsOffer), with the client certificate in its attempts. */
  tlsOffer?: TlsOffer;
  /** Decides on the CallManager certificate (the phone trust store); absent: not checked, and the record says so. */
  verifyServer?: (cert: ServerCertificateRecord, server: SipServerTarget) => Promise<true | string> | true | string;
  /** Digest credentials (the configuration's line authName/authPassword). */
  credentials?: Credentials;
  /** Domain in the AOR and From/To (default: the server's host). */
  domain?: string;
  /** Requested registration time in seconds (default 3600). */
  expires?: number;
  /** Refresh when this fraction of the granted time has passed (default 0.5). */
  refreshFraction?: number;
  /** CRLF keepalive (streams) or OPTIONS (UDP) interval in ms; 0 = none (default 30000). */
  keepaliveMs?: number;
  /** Register again after the connection is lost (default true; delays double from 1 s up to 30 s). */
  reconnect?: boolean;
  /** SRTP suites offered and accepted, in preference order (default the model's). */
  srtpSuites?: readonly SrtpSuiteName[];
  /** Exchange SDES keys without encrypted TLS (interop labs only; flagged in every call's warnings). */
  allowSdesWithoutTls?: boolean;
  /** The shared media clock (default: one per process). */
  clock?: MediaClock;
  /** Defaults for every call's media session (address, ports, RTCP interval, jitter buffer, SRTP backend…). */
  media?: Partial<MediaSessionOptions>;
  /** Answer incoming calls by themselves: true (at once) or after this many ms. */
  autoAnswer?: boolean | number;
  /** Time allowed for TCP+TLS per attempt and for each REGISTER (default 5000 / 10000 ms). */
  connectTimeoutMs?: number;
  registerTimeoutMs?: number;
  /** Collect the TLS key log of the signalling connection (NSS SSLKEYLOGFILE format; default true). */
  keyLog?: boolean;
  userAgent?: string;
  transport?: TransportLayerOptions;
  transactions?: TransactionLayerOptions;
}

let sharedClock: MediaClock | undefined;
/** The process's media clock (one 20 ms timer for every call). */
export function defaultMediaClock(): MediaClock {
  sharedClock ??= new MediaClock();
  return sharedClock;
}

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE';
const MAX_ENDED_CALLS = 200;
const MAX_KEYLOG_LINES = 2000;

function signallingOf(mode: SecurityModeName, transport: SignallingTransport, nullCipher: boolean | undefined): SignallingSecurity {
  if (transport !== 'TLS') return 'none';
  if (nullCipher) return 'authenticated';
  return mode === 'authenticated' ? 'authenticated' : 'encrypted';
}

export class PhoneUserAgent extends EventEmitter<PhoneUaEvents> {
  readonly deviceName: string;
  readonly line: string;
  readonly model: ModelProfile;
  readonly transport: PhoneTransport;
  readonly core: UserAgentCore;
  readonly clock: MediaClock;
  readonly instanceId = randomUUID();
  readonly #o: PhoneUserAgentOptions;
  #state: RegistrationState = 'unregistered';
  #last: RegistrationResult | undefined;
  #server: SipServerTarget | undefined;
  #conn: StreamConnection | undefined;
  #connClosed: Promise<string> | undefined;
  #local: { address: string; port: number } | undefined;
  #tls: SignallingTlsRecord | undefined;
  #registerCallId = `${randomUUID()}`;
  #cseq = 1;
  #registers = 0;
  #pending: Promise<RegistrationResult> | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #keepaliveTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectDelay = 1000;
  #wantRegistered = false;
  #closing = false;
  readonly #calls = new Map<string, PhoneCall>();
  readonly #ended: CallResult[] = [];
  readonly #endedKeys: SrtpKeyExport[] = [];
  readonly #keyLog: string[] = [];
  readonly #port: CallPort;

  constructor(o: PhoneUserAgentOptions) {
    super();
    if (!o.servers.length) throw new TypeError(`${o.deviceName}: no CallManager to register with`);
    this.#o = o;
    this.deviceName = o.deviceName;
    this.line = o.line;
    this.model = o.model;
    this.clock = o.clock ?? defaultMediaClock();
    this.transport = new PhoneTransport(o.transport ?? {});
    this.core = new UserAgentCore({ transport: this.transport, userAgent: o.userAgent ?? `Cisco-CP${o.model.modelNumber}/trustline`, ...(o.transactions ?? {}) });
    this.core.onRequest((inc) => this.#onRequest(inc));
    const self = this;
    this.#port = {
      core: this.core,
      deviceName: o.deviceName,
      line: o.line,
      target: () => this.#target(),
      contact: () => this.#contact(),
      domain: () => this.#domain(),
      signalling: () => this.signalling,
      ...(o.credentials ? { credentials: o.credentials } : {}),
      mediaOptions: (name) => this.#mediaOptions(name),
      ended(call) {
        self.#forget(call);
      },
    };
  }

  get state(): RegistrationState {
    return this.#state;
  }

  get registration(): RegistrationResult | undefined {
    return this.#last;
  }

  get registered(): boolean {
    return this.#state === 'registered';
  }

  /** The TLS facts of the current (or last) signalling connection. */
  get tls(): SignallingTlsRecord | undefined {
    return this.#tls;
  }

  get signalling(): SignallingSecurity {
    const t = this.#server?.transport ?? this.#o.servers[0]!.transport;
    return signallingOf(this.#o.securityMode, t, this.#tls?.nullCipher);
  }

  /** Calls in progress. */
  get calls(): PhoneCall[] {
    return [...this.#calls.values()];
  }

  /** Results of the calls that ended (most recent last, bounded). */
  get endedCalls(): readonly CallResult[] {
    return this.#ended;
  }

  #domain(): string {
    return this.#o.domain ?? (this.#server ?? this.#o.servers[0]!).host;
  }

  #target(): SipTarget {
    const s = this.#server ?? this.#o.servers[0]!;
    return { transport: s.transport, host: s.host, port: s.port, ...(this.#conn && !this.#conn.closed ? { connection: this.#conn } : {}) };
  }

  #contact(): string {
    const l = this.#local ?? { address: '127.0.0.1', port: 5060 };
    const host = l.address.includes(':') ? `[${l.address}]` : l.address;
    const t = (this.#server ?? this.#o.servers[0]!).transport.toLowerCase();
    return `<sip:${this.line}@${host}:${l.port};transport=${t}>;+sip.instance="<urn:uuid:${this.instanceId}>";+u.sip!devicename.ccm.cisco.com="${this.deviceName}"`;
  }

  #mediaOptions(name: string): CallMediaOptions {
    const suites = this.#o.srtpSuites ?? this.model.srtp.suites;
    return {
      suites: [...suites],
      signalling: this.signalling,
      ...(this.#o.allowSdesWithoutTls ? { allowSdesWithoutTls: true } : {}),
      user: this.deviceName,
      media: { clock: this.clock, address: this.#local?.address ?? '127.0.0.1', cname: `${this.deviceName}@${this.#domain()}`, ...this.#o.media, name },
    };
  }

  // ---- connection ----------------------------------------------------------------------------------------------------

  #connected(): boolean {
    const t = (this.#server ?? this.#o.servers[0]!).transport;
    if (t === 'UDP') return this.#local !== undefined;
    return !!this.#conn && !this.#conn.closed;
  }

  /** Opens the signalling connection to the first server that answers. */
  async #connect(): Promise<{ ok: true } | { ok: false; outcome: RegistrationOutcome; reason: string; server: SipServerTarget }> {
    let last: { ok: false; outcome: RegistrationOutcome; reason: string; server: SipServerTarget } | undefined;
    for (const server of this.#o.servers) {
      const r = await this.#connectTo(server);
      if (r.ok) return r;
      last = r;
      // Only a network failure moves to the next CallManager; a refused certificate would come back the same.
      if (!r.network) break;
    }
    return last!;
  }

  async #connectTo(server: SipServerTarget): Promise<{ ok: true } | { ok: false; network: boolean; outcome: RegistrationOutcome; reason: string; server: SipServerTarget }> {
    this.#server = server;
    this.#tls = undefined;
    const timeoutMs = this.#o.connectTimeoutMs ?? 5000;
    const where = `${server.host}:${server.port}`;
    if (server.transport === 'UDP') {
      try {
        const flow = await this.transport.flow({ transport: 'UDP', host: server.host, port: server.port });
        this.#local = { address: flow.localAddress, port: flow.localPort };
        return { ok: true };
      } catch (e) {
        return { ok: false, network: true, outcome: 'failed', reason: `UDP ${where}: ${(e as Error).message}`, server };
      }
    }
    if (server.transport === 'TCP') {
      try {
        const s = await connectTcp(server.host, server.port, timeoutMs);
        this.#adopt(s, 'TCP');
        return { ok: true };
      } catch (e) {
        return { ok: false, network: true, outcome: 'failed', reason: (e as Error).message, server };
      }
    }
    const offer = this.#o.tlsOffer;
    if (!offer) return { ok: false, network: false, outcome: 'failed', reason: `${this.deviceName}: TLS to ${where} without a TLS offer`, server };
    const clientCertificate = (offer.attempts[0]?.clientCertificate?.toLowerCase() ?? 'none') as SignallingTlsRecord['clientCertificate'];
    let trust: SignallingTlsRecord['serverTrust'] = { decision: 'unchecked', reason: 'no server check configured' };
    const verify = this.#o.verifyServer;
    const r = await connectWithOffer(offer, {
      host: server.host,
      port: server.port,
      timeoutMs,
      ...(verify
        ? {
            verifyServer: async (cert: ServerCertificateRecord) => {
              const v = await verify(cert, server);
              trust = v === true ? { decision: 'accepted', reason: 'the CallManager certificate passed the phone trust store' } : { decision: 'refused', reason: v };
              return v;
            },
          }
        : {}),
      ...(this.#o.keyLog === false ? {} : { onSocket: (s: TLSSocket) => s.on('keylog', (line: Buffer) => this.#addKeyLog(line)) }),
    });
    const attempts = r.attempts.map(({ serverCertificate: _c, ...rest }) => rest);
    const got = r.connected;
    const cert = got?.serverCertificate;
    this.#tls = {
      outcome: r.socket ? 'accepted' : 'refused',
      ...(got?.protocol ? { version: got.protocol } : {}),
      ...(got?.suite ? { suite: got.suite } : {}),
      ...(got?.openssl ? { openssl: got.openssl, nullCipher: /^NULL/i.test(got.openssl) } : {}),
      ...(cert ? { certificateType: cert.keyType === 'ec' ? 'ECDSA' : 'RSA', serverCertificate: { subject: cert.subject, fingerprint256: cert.fingerprint256, keyType: cert.keyType } } : {}),
      clientCertificate,
      serverTrust: trust,
      attempts,
      ...(r.failure ? { refusal: `${r.failure.kind}: ${r.failure.reason}` } : {}),
    };
    if (!r.socket) {
      const f = r.failure!;
      return { ok: false, network: f.kind === 'network', outcome: f.kind === 'network' ? 'failed' : 'refused', reason: `TLS to ${where}: ${f.kind}: ${f.reason}`, server };
    }
    this.#adopt(r.socket, 'TLS', r.socket);
    return { ok: true };
  }

  #adopt(socket: Socket, transport: 'TCP' | 'TLS', tlsSocket?: TLSSocket): void {
    let closed!: (reason: string) => void;
    this.#connClosed = new Promise((r) => (closed = r));
    const conn = this.transport.adopt(
      socket,
      transport,
      (reason) => {
        closed(reason);
        if (this.#conn === conn) this.#onConnectionLost(reason);
      },
      tlsSocket ? clientTlsFacts(tlsSocket) : undefined,
    );
    this.#conn = conn;
    this.#local = { address: conn.localAddress, port: conn.localPort };
  }

  #onConnectionLost(reason: string): void {
    this.#conn = undefined;
    this.#stopTimers();
    if (this.#closing) return;
    const was = this.#state;
    if (was === 'registered') {
      this.#state = 'unregistered';
      this.#publish({ ...this.#base(), outcome: 'unregistered', reason: `connection to the CallManager lost: ${reason}` });
    }
    if (this.#wantRegistered && this.#o.reconnect !== false) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#reconnectTimer || this.#closing) return;
    const delay = this.#reconnectDelay;
    this.#reconnectDelay = Math.min(this.#reconnectDelay * 2, 30_000);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.register().then((r) => {
        if (r.outcome !== 'registered' && this.#wantRegistered) this.#scheduleReconnect();
      });
    }, delay);
    this.#reconnectTimer.unref();
  }

  #addKeyLog(line: Buffer): void {
    if (this.#keyLog.length >= MAX_KEYLOG_LINES) this.#keyLog.shift();
    this.#keyLog.push(line.toString('latin1').trimEnd());
  }

  // ---- registration --------------------------------------------------------------------------------------------------

  #base(): Omit<RegistrationResult, 'outcome' | 'reason'> {
    const server = this.#server ?? this.#o.servers[0]!;
    return {
      server,
      transport: server.transport,
      securityMode: this.#o.securityMode,
      signalling: this.signalling,
      ...(this.#tls ? { tls: this.#tls } : {}),
      at: new Date().toISOString(),
      registers: this.#registers,
    };
  }

  #publish(r: RegistrationResult): RegistrationResult {
    this.#last = r;
    this.emit('registration', r);
    return r;
  }

  /** Registers (or refreshes the registration); concurrent calls share one attempt. */
  register(): Promise<RegistrationResult> {
    if (this.#closing) return Promise.resolve({ ...this.#base(), outcome: 'failed', reason: 'the phone is closing' });
    this.#wantRegistered = true;
    this.#pending ??= this.#register().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #register(expires = this.#o.expires ?? 3600): Promise<RegistrationResult> {
    const refresh = this.#state === 'registered';
    if (!this.#connected()) {
      this.#state = 'connecting';
      const c = await this.#connect();
      if (!c.ok) {
        this.#state = 'failed';
        return this.#publish({ ...this.#base(), outcome: c.outcome, reason: c.reason });
      }
    }
    if (!refresh) this.#state = 'registering';
    const server = this.#server!;
    const domain = this.#domain();
    const aor = `sip:${this.line}@${domain}`;
    const uri = `sip:${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}${server.transport === 'UDP' ? '' : `;transport=${server.transport.toLowerCase()}`}`;
    const contact = this.#contact();
    const closed = this.#connClosed;
    this.#registers++;
    const request = this.core.request(
      {
        method: 'REGISTER',
        uri,
        from: `<${aor}>`,
        to: `<${aor}>`,
        callId: this.#registerCallId,
        cseq: this.#cseq,
        contact,
        headers: [
          ['Expires', String(expires)],
          ['Allow', ALLOW],
          ['Supported', 'path,outbound,X-cisco-serviceuri'],
        ],
      },
      this.#target(),
      this.#o.credentials ? { credentials: this.#o.credentials } : {},
    );
    const timeoutMs = this.#o.registerTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race<RequestResult | { closed: string } | { timeout: true }>([
      request,
      ...(server.transport !== 'UDP' && closed ? [closed.then((reason) => ({ closed: reason }))] : []),
      new Promise<{ timeout: true }>((r) => (timer = setTimeout(() => r({ timeout: true }), timeoutMs))),
    ]);
    clearTimeout(timer);
    void request.then((r) => (this.#cseq = Math.max(this.#cseq, r.request.cseq.seq + 1)));
    if ('timeout' in outcome) {
      this.#cseq++;
      this.#state = 'failed';
      return this.#publish({ ...this.#base(), outcome: 'timeout', reason: `no answer to REGISTER from ${server.host}:${server.port} within ${timeoutMs} ms` });
    }
    if ('closed' in outcome) {
      this.#cseq++;
      this.#state = 'failed';
      const how = server.transport === 'TLS' ? 'after the TLS handshake (the client certificate or the suite was refused)' : 'before answering';
      return this.#publish({ ...this.#base(), outcome: 'refused', reason: `${server.host}:${server.port} closed the connection ${how}: ${outcome.closed}` });
    }
    this.#cseq = Math.max(this.#cseq, outcome.request.cseq.seq + 1);
    const res = outcome.response;
    if (expires === 0) {
      this.#state = 'unregistered';
      return this.#publish({ ...this.#base(), outcome: 'unregistered', status: res.status, reason: `${res.status} ${res.reason}` });
    }
    if (res.status >= 200 && res.status < 300) {
      const granted = grantedExpires(res, this.instanceId, expires);
      this.#state = 'registered';
      this.#reconnectDelay = 1000;
      this.#scheduleRefresh(granted);
      this.#startKeepalive();
      return this.#publish({ ...this.#base(), outcome: 'registered', status: res.status, reason: `${res.status} ${res.reason}`, expires: granted, contact, aor });
    }
    this.#state = 'failed';
    const warning = res.get('warning');
    const synthetic = outcome.synthetic;
    const kind: RegistrationOutcome = synthetic === 'timeout' ? 'timeout' : synthetic || res.status >= 500 ? 'failed' : 'refused';
    return this.#publish({ ...this.#base(), outcome: kind, status: res.status, reason: `${res.status} ${res.reason}${warning ? `: ${warning}` : ''}` });
  }

  #scheduleRefresh(granted: number): void {
    clearTimeout(this.#refreshTimer);
    const ms = Math.max(1000, granted * 1000 * (this.#o.refreshFraction ?? 0.5));
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = undefined;
      void this.register().then((r) => {
        if (r.outcome !== 'registered') {
          log.warn(`${this.deviceName}: registration refresh failed: ${r.reason}`);
          if (this.#o.reconnect !== false) this.#scheduleReconnect();
        }
      });
    }, ms);
    this.#refreshTimer.unref();
  }

  #startKeepalive(): void {
    const every = this.#o.keepaliveMs ?? 30_000;
    if (every <= 0 || this.#keepaliveTimer) return;
    this.#keepaliveTimer = setInterval(() => {
      if (this.#conn && !this.#conn.closed) this.#conn.ping();
      else if ((this.#server?.transport ?? 'UDP') === 'UDP' && this.#server) {
        const s = this.#server;
        void this.core.request({ method: 'OPTIONS', uri: `sip:${s.host}:${s.port}`, from: `<sip:${this.line}@${this.#domain()}>`, to: `<sip:${s.host}:${s.port}>`, contact: this.#contact() }, this.#target()).catch(() => undefined);
      }
    }, every);
    this.#keepaliveTimer.unref();
  }

  #stopTimers(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
    clearInterval(this.#keepaliveTimer);
    this.#keepaliveTimer = undefined;
  }

  /** REGISTER with Expires: 0 (the binding is removed); the connection stays open. */
  async unregister(): Promise<RegistrationResult> {
    this.#wantRegistered = false;
    this.#stopTimers();
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    if (this.#state !== 'registered' || !this.#connected()) {
      this.#state = 'unregistered';
      return this.#publish({ ...this.#base(), outcome: 'unregistered', reason: 'not registered' });
    }
    await this.#pending?.catch(() => undefined);
    return this.#register(0);
  }

  // ---- calls ---------------------------------------------------------------------------------------------------------

  /** Places a call to a number (or a SIP URI) through the CallManager. */
  call(target: string, opts: PlaceCallOptions = {}): PhoneCall {
    if (this.#closing) throw new Error(`${this.deviceName} is closing`);
    const call = PhoneCall.place(this.#port, target, opts);
    this.#track(call);
    return call;
  }

  #track(call: PhoneCall): void {
    this.#calls.set(call.callId, call);
    call.on('state', (s) => this.emit('call-state', call, s));
  }

  #forget(call: PhoneCall): void {
    if (this.#calls.get(call.callId) === call) this.#calls.delete(call.callId);
    const keys = call.exportKeys();
    const r = call.result();
    this.#ended.push(r);
    this.#endedKeys.push(...keys);
    if (this.#ended.length > MAX_ENDED_CALLS) this.#ended.splice(0, this.#ended.length - MAX_ENDED_CALLS);
    if (this.#endedKeys.length > MAX_ENDED_CALLS * 4) this.#endedKeys.splice(0, this.#endedKeys.length - MAX_ENDED_CALLS * 4);
    // After the listeners of the call's own 'ended' event.
    queueMicrotask(() => this.emit('call-ended', r));
  }

  #onRequest(inc: IncomingRequest): void {
    const req = inc.request;
    if (req.method === 'OPTIONS') {
      inc.reply(200, { headers: [['Allow', ALLOW]] });
      return;
    }
    if (req.method === 'INVITE' && req.toTag === undefined) {
      if (this.#closing) {
        inc.reply(480);
        return;
      }
      const call = PhoneCall.incoming(this.#port, inc);
      this.#track(call);
      this.emit('incoming-call', call);
      const auto = this.#o.autoAnswer;
      if (auto !== undefined && auto !== false) {
        const delay = auto === true ? 0 : auto;
        setTimeout(() => void call.answer().catch((e) => log.warn(`${call.id}: auto-answer failed: ${(e as Error).message}`)), delay).unref();
      }
      return;
    }
    const call = this.#calls.get(req.callId);
    if (!call) {
      if (inc.transaction) inc.reply(481);
      return;
    }
    call.onRequest(inc);
  }

  /** The ringing incoming call (the oldest when several ring). */
  ringing(): PhoneCall | undefined {
    return this.calls.find((c) => c.direction === 'incoming' && c.state === 'ringing');
  }

  // ---- exports ---------------------------------------------------------------------------------------------------------

  /** The TLS key log of the signalling connection(s), NSS SSLKEYLOGFILE format (for Wireshark/tshark). */
  tlsKeyLog(): string {
    return this.#keyLog.length ? `${this.#keyLog.join('\n')}\n` : '';
  }

  /** SRTP keys of every stream of the current and recent calls. */
  srtpKeys(): SrtpKeyExport[] {
    return [...this.#endedKeys, ...this.calls.flatMap((c) => c.exportKeys())];
  }

  /** The same as a key log (endpoints/media/key-export.ts format). */
  srtpKeyLog(): string {
    return formatKeyLog(this.srtpKeys());
  }

  /** Ends calls (BYE), unregisters when asked, closes the connection and every socket. */
  async close(opts: { unregister?: boolean } = {}): Promise<void> {
    if (this.#closing) return;
    await Promise.allSettled(this.calls.map((c) => c.hangup()));
    if (opts.unregister && this.#state === 'registered') await this.unregister().catch(() => undefined);
    this.#closing = true;
    this.#wantRegistered = false;
    this.#stopTimers();
    clearTimeout(this.#reconnectTimer);
    await Promise.allSettled(this.calls.map((c) => c.abandon('the phone closed')));
    this.core.close();
    await this.transport.close();
    this.#state = 'unregistered';
  }
}

/** The time granted to our contact: its expires parameter in the 200, else Expires, else what we asked for. */
function grantedExpires(res: SipResponse, instanceId: string, asked: number): number {
  try {
    for (const c of res.contacts()) {
      const inst = c.params.get('+sip.instance');
      const e = c.params.get('expires');
      if (inst && inst.includes(instanceId) && e && /^\d+$/.test(e)) return Number(e);
    }
    const first = res.contacts().find((c) => c.params.get('expires'));
    if (first && res.contacts().length === 1) return Number(first.params.get('expires'));
  } catch {
    /* a Contact we cannot read: fall back */
  }
  return res.expires() ?? asked;
}
