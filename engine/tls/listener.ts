// One TLS port serving the RSA CallManager and the CallManager-ECDSA certificate: OpenSSL picks the certificate from
// the negotiated suite, in the policy's server order (honorCipherOrder). Each ClientHello is read before OpenSSL
// sees it, so that the ECDHE group follows the client's preference (seed 001 L2017), refusals can be explained, and
// every connection leaves a record of what was offered and what was chosen.
// Per-connection work is kept small (handshakes per core-second are benchmarked against openssl s_server): the
// served certificates are parsed once, contexts are cached per client group order, what a record says about an offer
// or a suite is built once and shared (frozen), handshake deadlines share one timer, and the local end of a connection
// is known from the listening socket (no getsockname per connection).
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { EventEmitter } from 'node:events';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { logger } from '../../common/log.js';
import { DeadlineQueue } from '../../common/deadline-queue.js';
import { TLS_VERSION_CODES, describeCode, findSuite, type TlsSuite } from '../../ciphers/tls/suite-catalogue.js';
import { readClientHello, groupCode, groupName, sigalgName, type ClientHelloInfo } from './client-hello.js';
import { ecdhCurveForClient, forecastNegotiation, type NegotiationForecast, type ServerCertificates, type TlsPolicy } from './policy.js';
import { subjectLine, type PeerChain, type Verdict } from './peer-verification.js';

const log = logger('tls');
const EMPTY = Buffer.alloc(0);

export interface KeyPairInput {
  key: string | Buffer;
  /** PEM certificate, optionally followed by its chain. */
  cert: string | Buffer;
}

export interface SecureListenerOptions {
  /** The RSA CallManager certificate (always present). */
  rsa: KeyPairInput;
  /** The CallManager-ECDSA certificate, when the cluster has one. */
  ecdsa?: KeyPairInput;
  policy: TlsPolicy;
  /** Mutual TLS: ask for a client certificate and refuse connections without one. */
  requestClientCert?: boolean;
  /** CA certificates named in the CertificateRequest (the union of the trust stores verifyPeer uses). */
  clientCa?: readonly (string | Buffer)[];
  /** Decides on the client certificate after the handshake (phone MIC/LSC, trunk subject names...). */
  verifyPeer?: (peer: PeerChain, socket: tls.TLSSocket, record: ConnectionRecord) => Verdict | Promise<Verdict>;
  /** Appends TLS secrets in NSS key log format (SSLKEYLOGFILE) so Wireshark can decode the sessions. */
  keyLogFile?: string;
  onKeyLog?: (line: string, record: ConnectionRecord) => void;
  /** `endpoints`: the connection's addresses, as the listener already read them (no system call needed). */
  onSecureConnection?: (socket: tls.TLSSocket, record: ConnectionRecord, endpoints: Endpoints) => void;
  /** TCP_NODELAY on every accepted connection, set at accept (before TLS wraps the socket). Default false. */
  noDelay?: boolean;
  /** Time allowed from TCP accept to the end of the TLS handshake. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** How many connection records to keep. Default 1000. */
  maxRecords?: number;
  /** Name in logs, e.g. "SIP 5061". */
  name?: string;
}

/** Both ends of an accepted connection. */
export interface Endpoints {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
}

export type RefusalStage = 'client-hello' | 'handshake' | 'client-certificate' | 'timeout';

export interface ConnectionRecord {
  readonly id: number;
  readonly remote: string;
  localPort: number;
  readonly startedAt: string;
  outcome: 'pending' | 'accepted' | 'refused';
  /** The offer in names, client order. Lists (and the forecast, suite and certificate below) are frozen and shared by
   * every record with the same offer or outcome: records are read, never edited. */
  clientHello?: {
    readonly versions: readonly string[];
    readonly suites: readonly string[];
    readonly groups?: readonly string[];
    readonly sigalgs?: readonly string[];
    readonly keyShares: readonly string[];
    readonly serverName?: string;
  };
  /** What the policy predicted from the ClientHello (kept to spot model drift). */
  forecast?: Readonly<{ version?: string; suite?: string; certificate?: string; group?: string; refusal?: string }>;
  protocol?: string;
  suite?: Readonly<{ iana: string; openssl: string; code: number }>;
  certificate?: Readonly<{ type: 'RSA' | 'ECDSA'; detail: string; subject: string }>;
  /** ECDHE group: the first of the client's groups the policy allows (it is what this connection's context lists first). */
  ecdheGroup?: string;
  sharedSigalgs?: readonly string[];
  peer?: { subject: string; issuer: string; fingerprint256: string; serialNumber: string; verdict?: string };
  refusal?: { stage: RefusalStage; reason: string; opensslError?: string };
}

export interface SecureListener extends EventEmitter {
  listen(port?: number, host?: string): Promise<AddressInfo>;
  address(): AddressInfo;
  close(): Promise<void>;
  readonly policy: TlsPolicy;
  /** Recent connection records (at most maxRecords), oldest first: a snapshot, taken again after each new connection. */
  readonly records: readonly ConnectionRecord[];
  on(event: 'secureConnection', fn: (socket: tls.TLSSocket, record: ConnectionRecord) => void): this;
  on(event: 'refusal', fn: (record: ConnectionRecord) => void): this;
  on(event: 'record', fn: (record: ConnectionRecord) => void): this;
}

type ServedIdentity = Readonly<{ type: 'RSA' | 'ECDSA'; detail: string; subject: string }>;
type RecordSuite = NonNullable<ConnectionRecord['suite']>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Most SecureContexts kept (one per distinct client group order; real clients have only a few). */
const MAX_CONTEXTS = 64;
/** getSharedSigalgs() threw (no signature algorithms in this protocol version). */
const UNAVAILABLE: unique symbol = Symbol('unavailable');

/** Most distinct offers (versions, suites, groups, signature algorithms) whose evaluation is kept. */
const MAX_OFFERS = 256;

/** One accepted connection, from TCP accept to the end of its handshake (or its refusal). */
class Handshake {
  /** ClientHello bytes received so far. */
  buf: Buffer = EMPTY;
  /** Set once the ClientHello is complete (or refused): later 'data' events are TLS's replay. */
  helloDone = false;
  /** Set at the first 'secure' (a renegotiation emits it again). */
  secured = false;
  constructor(
    readonly raw: net.Socket,
    readonly rec: ConnectionRecord,
  ) {}
}

const frozen = <T>(xs: T[]): readonly T[] => Object.freeze(xs);

function sameNames(a: readonly string[], b: readonly number[], name: (code: number) => string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== name(b[i]!)) return false;
  return true;
}

/** What the listener derives from an offer; the same for every ClientHello with the same lists. */
interface OfferFacts {
  /** The first ClientHello with this offer (its lists are compared on lookup). */
  hello: ClientHelloInfo;
  forecast: NegotiationForecast;
  /** The record's view of the forecast (frozen, shared by the records of this offer). */
  recordForecast: NonNullable<ConnectionRecord['forecast']>;
  ecdhCurve: string;
  /** The offer in names (frozen, shared by the records of this offer). */
  versions: readonly string[];
  suites: readonly string[];
  groups: readonly string[] | undefined;
  sigalgs: readonly string[] | undefined;
  /** The last record summary built for this offer: reused while key shares and server name are the same. */
  summary?: NonNullable<ConnectionRecord['clientHello']>;
  /**
   * getSharedSigalgs() once a handshake with this offer completed, per protocol version.
   * OpenSSL derives it from the client's list, the context's and the version only, so it is the same every time.
   */
  shared?: Map<string, readonly string[]>;
}

/** FNV-1a over the lists an offer is evaluated on, each led by its length (undefined lists by -1). */
function offerHash(hello: ClientHelloInfo): number {
  let h = 0x811c9dc5;
  h = Math.imul(h ^ hello.versions.length, 0x01000193);
  for (const v of hello.versions) h = Math.imul(h ^ TLS_VERSION_CODES[v], 0x01000193);
  h = hashCodes(h, hello.cipherSuites);
  h = hashCodes(h, hello.groups);
  return hashCodes(h, hello.sigalgs);
}

function hashCodes(h: number, xs: readonly number[] | undefined): number {
  if (!xs) return Math.imul(h ^ 0xffffffff, 0x01000193);
  h = Math.imul(h ^ xs.length, 0x01000193);
  for (let i = 0; i < xs.length; i++) h = Math.imul(h ^ xs[i]!, 0x01000193);
  return h;
}

function sameCodes<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether two ClientHellos make the same offer (what forecasts, group orders and names are derived from). */
function sameOffer(a: ClientHelloInfo, b: ClientHelloInfo): boolean {
  return sameCodes(a.cipherSuites, b.cipherSuites) && sameCodes(a.groups, b.groups) && sameCodes(a.sigalgs, b.sigalgs) && sameCodes(a.versions, b.versions);
}

let isoSecond = -1;
let isoPrefix = '';
/** new Date().toISOString(), with the part up to the seconds formatted once per second. */
function isoNow(): string {
  const t = Date.now();
  const s = Math.floor(t / 1000);
  if (s !== isoSecond) {
    isoSecond = s;
    isoPrefix = new Date(s * 1000).toISOString().slice(0, 20); // "YYYY-MM-DDTHH:MM:SS."
  }
  return isoPrefix + MILLIS[t - s * 1000]!;
}

/** "000Z" ... "999Z". */
const MILLIS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z`);

/** The first name of a ':'-separated list ("P-256:P-384" -> "P-256"). */
function firstOf(list: string): string {
  const i = list.indexOf(':');
  return i < 0 ? list : list.slice(0, i);
}

function keyTypeOf(cert: X509Certificate): { type: 'RSA' | 'ECDSA'; detail: string; curve?: string } {
  const k = cert.publicKey;
  if (k.asymmetricKeyType === 'ec') {
    const nc = k.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    const code = groupCode(nc);
    const curve = code !== undefined ? groupName(code) : nc;
    return { type: 'ECDSA', detail: `ECDSA ${curve}`, curve };
  }
  if (k.asymmetricKeyType === 'rsa' || k.asymmetricKeyType === 'rsa-pss') return { type: 'RSA', detail: `RSA ${k.asymmetricKeyDetails?.modulusLength ?? '?'}` };
  throw new Error(`server certificate "${subjectLine(cert)}" has a ${k.asymmetricKeyType} key (expected RSA or EC)`);
}

function peerChainOf(socket: tls.TLSSocket): PeerChain | null {
  const leaf = socket.getPeerX509Certificate();
  if (!leaf) return null;
  const intermediates: X509Certificate[] = [];
  const seen = new Set([leaf.fingerprint256]);
  let c = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
  for (let i = 0; c && c.raw && i < 10; i++) {
    const x = new X509Certificate(c.raw);
    if (!seen.has(x.fingerprint256)) {
      seen.add(x.fingerprint256);
      intermediates.push(x);
    }
    if (!c.issuerCertificate || c.issuerCertificate === c) break;
    c = c.issuerCertificate;
  }
  return { leaf, intermediates };
}

function explainTlsError(e: NodeJS.ErrnoException, forecast: NegotiationForecast | undefined): string {
  const code = e.code ?? '';
  const f = forecast?.refusal ? `: ${forecast.refusal}` : '';
  if (code === 'ERR_SSL_NO_SHARED_CIPHER') return `handshake failure, no shared cipher${f}`;
  if (/VERSION|PROTOCOL/.test(code)) return `handshake failure, protocol version${f}`;
  if (code === 'ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM' || code === 'ERR_SSL_NO_SHARED_SIGNATURE_ALGORITHMS') return `handshake failure, no usable signature algorithm${f}`;
  const alert = /ALERT_(\w+)/.exec(code);
  if (alert) return `client aborted the handshake with alert ${alert[1]!.toLowerCase().replace(/_/g, ' ')}`;
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'client closed the connection during the handshake';
  return `handshake failure: ${e.message.split('\n')[0]}${f}`;
}

class Listener extends EventEmitter implements SecureListener {
  readonly policy: TlsPolicy;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** The last maxRecords records, a ring: adding one never moves the others (Array#shift is a runtime call). */
  private readonly ring: ConnectionRecord[] = [];
  /** Index in `ring` of the oldest record once the ring is full. */
  private ringStart = 0;
  private readonly maxRecords: number;
  /** `records` as last handed out; rebuilt after the next record is added. */
  private snapshot: readonly ConnectionRecord[] | undefined;
  /** SecureContexts by ecdhCurve (the client's group order), least recently used first. */
  private readonly contexts = new Map<string, tls.SecureContext>();
  private readonly certs: ServerCertificates;
  /** What each served certificate is, parsed once: by SHA-256 fingerprint, and by the suite authentication that selects it. */
  private readonly served: Map<string, ServedIdentity>;
  private readonly rsaServed: ServedIdentity;
  private readonly ecdsaServed: ServedIdentity | undefined;
  /** Suites by the names getCipher() reports (a handful per listener), with the record's frozen view of each. */
  private readonly suiteByName = new Map<string, { suite: TlsSuite | undefined; view: RecordSuite }>();
  /** Forecast, group order and names per distinct offer (clients of one kind send the same lists every time). */
  private readonly offers = new Map<number, OfferFacts>();
  private keyLog: fs.WriteStream | undefined;
  private nextId = 1;
  private readonly name: string;
  /** Handshakes not finished yet, refused when their time is up (one timer for all). */
  private readonly deadlines: DeadlineQueue<Handshake>;
  /** The listening socket's address: every accepted connection's local end (a wildcard address is asked per socket). */
  private localPort = 0;
  private localAddress: string | undefined;

  constructor(private readonly opts: SecureListenerOptions) {
    super();
    this.policy = opts.policy;
    this.name = opts.name ?? `TLS ${opts.policy.port}`;
    this.maxRecords = Math.max(0, Math.floor(opts.maxRecords ?? 1000));
    const rsaCert = new X509Certificate(opts.rsa.cert);
    const rsaType = keyTypeOf(rsaCert);
    if (rsaType.type !== 'RSA') throw new Error(`rsa: certificate "${subjectLine(rsaCert)}" is ${rsaType.detail}, expected an RSA key`);
    this.rsaServed = Object.freeze({ type: 'RSA', detail: rsaType.detail, subject: subjectLine(rsaCert) });
    this.served = new Map([[rsaCert.fingerprint256, this.rsaServed]]);
    this.certs = { rsa: true };
    if (opts.ecdsa) {
      const ecCert = new X509Certificate(opts.ecdsa.cert);
      const ecType = keyTypeOf(ecCert);
      if (ecType.type !== 'ECDSA') throw new Error(`ecdsa: certificate "${subjectLine(ecCert)}" is ${ecType.detail}, expected an EC key`);
      this.certs.ecdsaCurve = ecType.curve;
      this.ecdsaServed = Object.freeze({ type: 'ECDSA', detail: ecType.detail, subject: subjectLine(ecCert) });
      this.served.set(ecCert.fingerprint256, this.ecdsaServed);
    }
    this.contextFor(opts.policy.serverOptions.ecdhCurve); // fail now, not at the first client, on bad keys
    const timeoutMs = opts.handshakeTimeoutMs ?? 10_000;
    this.deadlines = new DeadlineQueue(timeoutMs, (h) => {
      this.refuse(h.rec, 'timeout', `handshake not finished within ${timeoutMs} ms`);
      h.raw.destroy();
    });
    this.server = net.createServer({ noDelay: !!opts.noDelay }, (s) => this.onConnection(s));
  }

  get records(): readonly ConnectionRecord[] {
    if (!this.snapshot) {
      const { ring, ringStart } = this;
      this.snapshot = ringStart === 0 ? ring.slice() : ring.slice(ringStart).concat(ring.slice(0, ringStart));
    }
    return this.snapshot;
  }

  listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    if (this.opts.keyLogFile && !this.keyLog) {
      this.keyLog = fs.createWriteStream(this.opts.keyLogFile, { flags: 'a', mode: 0o600 });
      this.keyLog.on('error', (e) => log.error(`${this.name}: key log ${this.opts.keyLogFile}: ${e.message}`));
    }
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const a = this.address();
        this.localPort = a.port;
        this.localAddress = a.address === '0.0.0.0' || a.address === '::' ? undefined : a.address;
        log.info(`${this.name}: listening on ${host}:${this.address().port}; ${this.policy.description}`);
        resolve(this.address());
      });
    });
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    this.deadlines.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server.listening ? this.server.close(() => r()) : r()));
    if (this.keyLog) {
      const k = this.keyLog;
      this.keyLog = undefined;
      await new Promise<void>((r) => k.end(r));
    }
  }

  private contextFor(ecdhCurve: string): tls.SecureContext {
    let ctx = this.contexts.get(ecdhCurve);
    if (ctx) {
      if (this.contexts.size > 1) {
        // keep the map in least-recently-used order
        this.contexts.delete(ecdhCurve);
        this.contexts.set(ecdhCurve, ctx);
      }
      return ctx;
    }
    const { rsa, ecdsa } = this.opts;
    ctx = tls.createSecureContext({
      key: ecdsa ? [rsa.key, ecdsa.key] : rsa.key,
      cert: ecdsa ? [rsa.cert, ecdsa.cert] : rsa.cert,
      ...this.policy.serverOptions,
      ecdhCurve,
      ...(this.opts.clientCa ? { ca: [...this.opts.clientCa] } : {}),
      sessionIdContext: `trustline-${this.policy.port}`,
    });
    // Distinct client group orders are few; bound the cache anyway (least recently used goes).
    if (this.contexts.size >= MAX_CONTEXTS) this.contexts.delete(this.contexts.keys().next().value!);
    this.contexts.set(ecdhCurve, ctx);
    return ctx;
  }

  /** The facts of this ClientHello's offer, evaluated once per distinct offer. */
  private offerFacts(hello: ClientHelloInfo): OfferFacts {
    const key = offerHash(hello);
    let facts = this.offers.get(key);
    if (facts && sameOffer(facts.hello, hello)) return facts;
    const forecast = forecastNegotiation(this.policy, hello, this.certs);
    const fc: Mutable<NonNullable<ConnectionRecord['forecast']>> = {};
    if (forecast.version) fc.version = forecast.version;
    if (forecast.suite) fc.suite = forecast.suite.openssl;
    if (forecast.certificate) fc.certificate = forecast.certificate;
    if (forecast.group) fc.group = forecast.group;
    if (forecast.refusal) fc.refusal = forecast.refusal;
    facts = {
      hello,
      forecast,
      recordForecast: Object.freeze(fc),
      ecdhCurve: ecdhCurveForClient(this.policy, hello),
      versions: frozen(hello.versions.slice()),
      suites: frozen(hello.cipherSuites.map((c) => findSuite(c)?.openssl ?? describeCode(c))),
      groups: hello.groups ? frozen(hello.groups.map(groupName)) : undefined,
      sigalgs: hello.sigalgs ? frozen(hello.sigalgs.map(sigalgName)) : undefined,
    };
    if (this.offers.size >= MAX_OFFERS && !this.offers.has(key)) this.offers.delete(this.offers.keys().next().value!);
    this.offers.set(key, facts); // a colliding offer takes the slot over
    return facts;
  }

  /**
   * The record's view of a ClientHello (names instead of code points, in the client's order). Frozen and shared: the
   * offer's lists always, the whole summary while clients of this offer send the same key shares and server name.
   */
  private offerSummary(hello: ClientHelloInfo, facts: OfferFacts): NonNullable<ConnectionRecord['clientHello']> {
    const last = facts.summary;
    if (last && last.serverName === hello.serverName && sameNames(last.keyShares, hello.keyShareGroups, groupName)) return last;
    // Same keys, in the same order, as records have always had.
    const summary: Partial<Mutable<NonNullable<ConnectionRecord['clientHello']>>> = { versions: facts.versions, suites: facts.suites };
    if (facts.groups) summary.groups = facts.groups;
    if (facts.sigalgs) summary.sigalgs = facts.sigalgs;
    summary.keyShares = frozen(hello.keyShareGroups.map(groupName));
    if (hello.serverName) summary.serverName = hello.serverName;
    facts.summary = Object.freeze(summary as NonNullable<ConnectionRecord['clientHello']>);
    return facts.summary;
  }

  /** socket.getSharedSigalgs(), or UNAVAILABLE where it throws; looked up once per offer and protocol version. */
  private sharedSigalgs(socket: tls.TLSSocket, facts: OfferFacts, protocol: string): readonly string[] | typeof UNAVAILABLE {
    const known = facts.shared?.get(protocol);
    if (known) return known;
    let list: string[];
    try {
      list = socket.getSharedSigalgs();
    } catch {
      return UNAVAILABLE; // not available for this protocol
    }
    if (!Array.isArray(list)) return list; // the socket is gone: nothing to learn
    const shared = frozen(list);
    (facts.shared ??= new Map()).set(protocol, shared);
    return shared;
  }

  /** The catalogue's suite for what getCipher() reports, and the record's (frozen, shared) view of it. */
  private suiteOf(cipher: tls.CipherNameAndProtocol): { suite: TlsSuite | undefined; view: RecordSuite } {
    const k = cipher.standardName || cipher.name;
    let known = this.suiteByName.get(k);
    if (known) return known;
    const suite = findSuite(cipher.standardName) ?? findSuite(cipher.name);
    const view = suite ? { iana: suite.iana, openssl: suite.openssl, code: suite.code } : { iana: cipher.standardName, openssl: cipher.name, code: -1 };
    known = { suite, view: Object.freeze(view) };
    if (this.suiteByName.size < 256) this.suiteByName.set(k, known);
    return known;
  }

  /**
   * The certificate OpenSSL served. Up to TLS 1.2 the suite's authentication selects it (one RSA and at most one
   * ECDSA certificate are loaded), so no certificate is parsed per connection; otherwise (TLS 1.3, unknown suite)
   * the served certificate is looked up by fingerprint.
   */
  private servedFor(suite: TlsSuite | undefined, socket: tls.TLSSocket): ServedIdentity | undefined {
    if (suite?.authentication === 'RSA') return this.rsaServed;
    if (suite?.authentication === 'ECDSA' && this.ecdsaServed) return this.ecdsaServed;
    const local = socket.getX509Certificate();
    return local ? this.served.get(local.fingerprint256) ?? { ...keyTypeOf(local), subject: subjectLine(local) } : undefined;
  }

  private addRecord(raw: net.Socket): ConnectionRecord {
    const rec: ConnectionRecord = {
      id: this.nextId++,
      remote: `${raw.remoteAddress}:${raw.remotePort}`,
      localPort: this.localPort, // an accepted connection's local port is the listening port
      startedAt: isoNow(),
      outcome: 'pending',
    };
    if (this.ring.length < this.maxRecords) this.ring.push(rec);
    else if (this.maxRecords > 0) {
      this.ring[this.ringStart] = rec; // the oldest goes
      this.ringStart = this.ringStart + 1 === this.maxRecords ? 0 : this.ringStart + 1;
    }
    this.snapshot = undefined;
    return rec;
  }

  private refuse(rec: ConnectionRecord, stage: RefusalStage, reason: string, opensslError?: string): void {
    if (rec.outcome !== 'pending') return;
    rec.outcome = 'refused';
    rec.refusal = { stage, reason, ...(opensslError ? { opensslError } : {}) };
    log.warn(`${this.name}: refused ${rec.remote} (#${rec.id}) at ${stage}: ${reason}`);
    this.emit('refusal', rec);
    this.emit('record', rec);
  }

  private onConnection(raw: net.Socket): void {
    this.sockets.add(raw);
    const h = new Handshake(raw, this.addRecord(raw));
    this.deadlines.add(h);
    raw.on('close', () => this.onRawClose(h));
    // The listener stays attached once TLS has the socket (TLSSocket replays the buffered hello through 'data'):
    // removing it would turn the socket's event table into a dictionary for the rest of the connection.
    raw.on('data', (chunk: Buffer) => {
      if (!h.helloDone) this.onHelloBytes(h, chunk);
    });
    raw.on('error', (e) => log.debug(`${this.name}: #${h.rec.id} socket error ${e.message}`));
  }

  /** 'close' comes once per socket: on() spares the once() wrapper. */
  private onRawClose(h: Handshake): void {
    this.sockets.delete(h.raw);
    this.deadlines.delete(h);
    const rec = h.rec;
    if (rec.outcome !== 'pending') return;
    if (rec.clientHello) this.refuse(rec, 'handshake', 'client closed the connection during the handshake');
    else this.refuse(rec, 'client-hello', h.buf.length ? 'connection closed before a complete ClientHello' : 'connection closed without sending anything');
  }

  private onHelloBytes(h: Handshake, chunk: Buffer): void {
    const buf = h.buf.length ? Buffer.concat([h.buf, chunk]) : chunk;
    h.buf = buf;
    let hello: ClientHelloInfo | 'incomplete';
    try {
      hello = readClientHello(buf);
    } catch (e) {
      h.helloDone = true;
      this.refuse(h.rec, 'client-hello', (e as Error).message);
      h.raw.destroy();
      return;
    }
    if (hello === 'incomplete') return;
    h.helloDone = true;
    h.raw.pause();
    h.raw.unshift(buf); // TLSSocket feeds bytes already buffered on the wrapped socket to OpenSSL first
    this.startTls(h, hello);
  }

  private startTls(h: Handshake, hello: ClientHelloInfo): void {
    const { raw, rec } = h;
    const facts = this.offerFacts(hello);
    rec.clientHello = this.offerSummary(hello, facts);
    rec.forecast = facts.recordForecast;
    let socket: tls.TLSSocket;
    try {
      socket = new tls.TLSSocket(raw, {
        isServer: true,
        secureContext: this.contextFor(facts.ecdhCurve),
        requestCert: !!this.opts.requestClientCert,
        rejectUnauthorized: false, // the verdict is ours (verifyPeer), after the handshake
      });
    } catch (e) {
      this.refuse(rec, 'handshake', `cannot start TLS: ${(e as Error).message}`);
      raw.destroy();
      return;
    }
    if (this.keyLog || this.opts.onKeyLog)
      socket.on('keylog', (line: Buffer) => {
        this.keyLog?.write(line);
        this.opts.onKeyLog?.(line.toString('latin1'), rec);
      });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (rec.outcome === 'pending') this.refuse(rec, 'handshake', explainTlsError(e, facts.forecast), `${e.code ?? ''} ${e.message.split('\n')[0]}`.trim());
      else log.debug(`${this.name}: #${rec.id} ${e.message}`);
    });
    // on() and a flag rather than once(): no wrapper per connection.
    socket.on('secure', () => {
      if (h.secured) return;
      h.secured = true;
      this.deadlines.delete(h);
      this.onSecure(socket, h, facts);
    });
  }

  private onSecure(socket: tls.TLSSocket, h: Handshake, facts: OfferFacts): void {
    const { rec } = h;
    const { ecdhCurve, forecast } = facts;
    rec.protocol = socket.getProtocol() ?? undefined;
    const { suite, view } = this.suiteOf(socket.getCipher());
    rec.suite = view;
    const served = this.servedFor(suite, socket);
    if (served) rec.certificate = served;
    if (suite?.keyExchange === 'ECDHE') rec.ecdheGroup = firstOf(ecdhCurve);
    else if (suite?.keyExchange === 'DHE') rec.ecdheGroup = 'DHE (auto parameters)';
    const shared = this.sharedSigalgs(socket, facts, rec.protocol ?? '');
    if (shared !== UNAVAILABLE) rec.sharedSigalgs = shared;
    if (forecast.suite && suite && forecast.suite !== suite)
      log.debug(`${this.name}: #${rec.id} forecast ${forecast.suite.openssl}, OpenSSL chose ${suite.openssl}`);

    if (!this.opts.requestClientCert) return this.accept(socket, h); // no CertificateRequest: no client certificate
    const chain = peerChainOf(socket);
    if (!chain) {
      this.refuse(rec, 'client-certificate', 'client certificate missing');
      socket.destroy();
      return;
    }
    rec.peer = {
      subject: subjectLine(chain.leaf),
      issuer: chain.leaf.issuer.split('\n').filter(Boolean).join(', '),
      fingerprint256: chain.leaf.fingerprint256,
      serialNumber: chain.leaf.serialNumber,
    };
    if (!this.opts.verifyPeer) return this.accept(socket, h);
    // Taken a promise turn later even from a verifier that answers at once, as it always was (one code path).
    let verdict: Promise<Verdict>;
    try {
      verdict = Promise.resolve(this.opts.verifyPeer(chain, socket, rec));
    } catch (e) {
      verdict = Promise.resolve({ ok: false, reason: `peer verification failed: ${(e as Error).message}` });
    }
    verdict.then(
      (v) => this.onVerdict(socket, h, v),
      (e: unknown) => this.onVerdict(socket, h, { ok: false, reason: `peer verification failed: ${(e as Error).message}` }),
    );
  }

  private onVerdict(socket: tls.TLSSocket, h: Handshake, verdict: Verdict): void {
    const { rec } = h;
    if (!verdict.ok) {
      rec.peer!.verdict = verdict.reason;
      this.refuse(rec, 'client-certificate', verdict.reason);
      socket.destroy();
      return;
    }
    if (verdict.detail) rec.peer!.verdict = verdict.detail;
    this.accept(socket, h);
  }

  private accept(socket: tls.TLSSocket, h: Handshake): void {
    const { rec, raw } = h;
    if (socket.destroyed) {
      this.refuse(rec, 'handshake', 'connection closed right after the handshake');
      return;
    }
    rec.outcome = 'accepted';
    if (log.enabled('info'))
      log.info(
        `${this.name}: accepted ${rec.remote} (#${rec.id}) ${rec.protocol} ${rec.suite!.openssl} cert ${rec.certificate?.detail ?? '?'}` +
          (rec.ecdheGroup ? ` group ${rec.ecdheGroup}` : '') +
          (rec.peer ? ` peer "${rec.peer.subject}"` : ''),
      );
    this.emit('record', rec);
    this.emit('secureConnection', socket, rec);
    if (this.opts.onSecureConnection) {
      // Addresses as the listener knows them: the TCP socket under TLS has the peer's cached since addRecord(), the
      // local end is the listening socket's (asked per socket only behind a wildcard address).
      const endpoints: Endpoints = {
        remoteAddress: raw.remoteAddress,
        remotePort: raw.remotePort,
        localAddress: this.localAddress ?? raw.localAddress,
        localPort: this.localPort,
      };
      this.opts.onSecureConnection(socket, rec, endpoints);
    }
  }
}

/** Creates (does not start) a listener; call listen() on it. Throws on unusable keys or certificates. */
export function createSecureListener(opts: SecureListenerOptions): SecureListener {
  return new Listener(opts);
}
