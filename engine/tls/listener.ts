// One TLS port serving the RSA CallManager and the CallManager-ECDSA certificate: OpenSSL picks the certificate from
// the negotiated suite, in the policy's server order (honorCipherOrder). Each ClientHello is read before OpenSSL
// sees it, so that the ECDHE group follows the client's preference (seed 001 L2017), refusals can be explained, and
// every connection leaves a record of what was offered and what was chosen.
// Per-connection work is kept small (handshakes per core-second are benchmarked against openssl s_server): the
// served certificates are parsed once, contexts are cached per client group order, names for the record come from
// per-listener caches.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { EventEmitter } from 'node:events';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { logger } from '../../common/log.js';
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
  clientHello?: {
    versions: string[];
    suites: string[];
    groups?: string[];
    sigalgs?: string[];
    keyShares: string[];
    serverName?: string;
  };
  /** What the policy predicted from the ClientHello (kept to spot model drift). */
  forecast?: { version?: string; suite?: string; certificate?: string; group?: string; refusal?: string };
  protocol?: string;
  suite?: { iana: string; openssl: string; code: number };
  certificate?: { type: 'RSA' | 'ECDSA'; detail: string; subject: string };
  /** ECDHE group: the first of the client's groups the policy allows (it is what this connection's context lists first). */
  ecdheGroup?: string;
  sharedSigalgs?: string[];
  peer?: { subject: string; issuer: string; fingerprint256: string; serialNumber: string; verdict?: string };
  refusal?: { stage: RefusalStage; reason: string; opensslError?: string };
}

export interface SecureListener extends EventEmitter {
  listen(port?: number, host?: string): Promise<AddressInfo>;
  address(): AddressInfo;
  close(): Promise<void>;
  readonly policy: TlsPolicy;
  /** Recent connection records, oldest first. */
  readonly records: readonly ConnectionRecord[];
  on(event: 'secureConnection', fn: (socket: tls.TLSSocket, record: ConnectionRecord) => void): this;
  on(event: 'refusal', fn: (record: ConnectionRecord) => void): this;
  on(event: 'record', fn: (record: ConnectionRecord) => void): this;
}

type ServedIdentity = { type: 'RSA' | 'ECDSA'; detail: string; subject: string };

/** Most SecureContexts kept (one per distinct client group order; real clients have only a few). */
const MAX_CONTEXTS = 64;
/** getSharedSigalgs() threw (no signature algorithms in this protocol version). */
const UNAVAILABLE: unique symbol = Symbol('unavailable');

/** Most distinct offers (versions, suites, groups, signature algorithms) whose evaluation is kept. */
const MAX_OFFERS = 256;

/** What the listener derives from an offer; the same for every ClientHello with the same lists. */
interface OfferFacts {
  /** The first ClientHello with this offer (its lists are compared on lookup). */
  hello: ClientHelloInfo;
  forecast: NegotiationForecast;
  /** The record's view of the forecast (copied into each record). */
  recordForecast: NonNullable<ConnectionRecord['forecast']>;
  ecdhCurve: string;
  suites: readonly string[];
  groups: readonly string[] | undefined;
  sigalgs: readonly string[] | undefined;
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
  private readonly recs: ConnectionRecord[] = [];
  /** SecureContexts by ecdhCurve (the client's group order), least recently used first. */
  private readonly contexts = new Map<string, tls.SecureContext>();
  private readonly certs: ServerCertificates;
  /** What each served certificate is, parsed once: by SHA-256 fingerprint, and by the suite authentication that selects it. */
  private readonly served: Map<string, ServedIdentity>;
  private readonly rsaServed: ServedIdentity;
  private readonly ecdsaServed: ServedIdentity | undefined;
  /** Suites by the names getCipher() reports (a handful per listener). */
  private readonly suiteByName = new Map<string, TlsSuite | undefined>();
  /** Forecast, group order and names per distinct offer (clients of one kind send the same lists every time). */
  private readonly offers = new Map<number, OfferFacts>();
  private keyLog: fs.WriteStream | undefined;
  private nextId = 1;
  private readonly name: string;

  constructor(private readonly opts: SecureListenerOptions) {
    super();
    this.policy = opts.policy;
    this.name = opts.name ?? `TLS ${opts.policy.port}`;
    const rsaCert = new X509Certificate(opts.rsa.cert);
    const rsaType = keyTypeOf(rsaCert);
    if (rsaType.type !== 'RSA') throw new Error(`rsa: certificate "${subjectLine(rsaCert)}" is ${rsaType.detail}, expected an RSA key`);
    this.rsaServed = { type: 'RSA', detail: rsaType.detail, subject: subjectLine(rsaCert) };
    this.served = new Map([[rsaCert.fingerprint256, this.rsaServed]]);
    this.certs = { rsa: true };
    if (opts.ecdsa) {
      const ecCert = new X509Certificate(opts.ecdsa.cert);
      const ecType = keyTypeOf(ecCert);
      if (ecType.type !== 'ECDSA') throw new Error(`ecdsa: certificate "${subjectLine(ecCert)}" is ${ecType.detail}, expected an EC key`);
      this.certs.ecdsaCurve = ecType.curve;
      this.ecdsaServed = { type: 'ECDSA', detail: ecType.detail, subject: subjectLine(ecCert) };
      this.served.set(ecCert.fingerprint256, this.ecdsaServed);
    }
    this.contextFor(opts.policy.serverOptions.ecdhCurve); // fail now, not at the first client, on bad keys
    this.server = net.createServer((s) => this.onConnection(s));
  }

  get records(): readonly ConnectionRecord[] {
    return this.recs;
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
        log.info(`${this.name}: listening on ${host}:${this.address().port}; ${this.policy.description}`);
        resolve(this.address());
      });
    });
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
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
    const fc: NonNullable<ConnectionRecord['forecast']> = {};
    if (forecast.version) fc.version = forecast.version;
    if (forecast.suite) fc.suite = forecast.suite.openssl;
    if (forecast.certificate) fc.certificate = forecast.certificate;
    if (forecast.group) fc.group = forecast.group;
    if (forecast.refusal) fc.refusal = forecast.refusal;
    facts = {
      hello,
      forecast,
      recordForecast: fc,
      ecdhCurve: ecdhCurveForClient(this.policy, hello),
      suites: hello.cipherSuites.map((c) => findSuite(c)?.openssl ?? describeCode(c)),
      groups: hello.groups?.map(groupName),
      sigalgs: hello.sigalgs?.map(sigalgName),
    };
    if (this.offers.size >= MAX_OFFERS && !this.offers.has(key)) this.offers.delete(this.offers.keys().next().value!);
    this.offers.set(key, facts); // a colliding offer takes the slot over
    return facts;
  }

  /** The record's view of a ClientHello (names instead of code points, in the client's order): fresh arrays per record. */
  private offerSummary(hello: ClientHelloInfo, facts: OfferFacts): NonNullable<ConnectionRecord['clientHello']> {
    // Same keys, in the same order, as records have always had.
    const summary: Partial<NonNullable<ConnectionRecord['clientHello']>> = { versions: hello.versions.slice(), suites: facts.suites.slice() };
    if (facts.groups) summary.groups = facts.groups.slice();
    if (facts.sigalgs) summary.sigalgs = facts.sigalgs.slice();
    summary.keyShares = hello.keyShareGroups.length ? hello.keyShareGroups.map(groupName) : [];
    if (hello.serverName) summary.serverName = hello.serverName;
    return summary as NonNullable<ConnectionRecord['clientHello']>;
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
    if (Array.isArray(list)) (facts.shared ??= new Map()).set(protocol, list); // else the socket is gone: nothing to learn
    return list;
  }

  private suiteOf(cipher: tls.CipherNameAndProtocol): TlsSuite | undefined {
    const k = cipher.standardName || cipher.name;
    if (this.suiteByName.has(k)) return this.suiteByName.get(k);
    const suite = findSuite(cipher.standardName) ?? findSuite(cipher.name);
    if (this.suiteByName.size < 256) this.suiteByName.set(k, suite);
    return suite;
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
      localPort: raw.localPort ?? 0,
      startedAt: isoNow(),
      outcome: 'pending',
    };
    this.recs.push(rec);
    const max = this.opts.maxRecords ?? 1000;
    while (this.recs.length > max) this.recs.shift(); // shift is O(1) in V8; splice(0, 1) moves the whole array
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
    const rec = this.addRecord(raw);
    let buf: Buffer = EMPTY;
    const timeoutMs = this.opts.handshakeTimeoutMs ?? 10_000;
    const timer = setTimeout(() => {
      this.refuse(rec, 'timeout', `handshake not finished within ${timeoutMs} ms`);
      raw.destroy();
    }, timeoutMs);
    timer.unref();
    raw.on('close', () => {
      // 'close' comes once per socket: on() spares the once() wrapper
      this.sockets.delete(raw);
      clearTimeout(timer);
      if (rec.outcome !== 'pending') return;
      if (rec.clientHello) this.refuse(rec, 'handshake', 'client closed the connection during the handshake');
      else this.refuse(rec, 'client-hello', buf.length ? 'connection closed before a complete ClientHello' : 'connection closed without sending anything');
    });
    // The listener stays attached once TLS has the socket (TLSSocket replays the buffered hello through 'data'):
    // removing it would turn the socket's event table into a dictionary for the rest of the connection.
    let done = false;
    raw.on('data', (chunk: Buffer) => {
      if (done) return;
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let hello: ClientHelloInfo | 'incomplete';
      try {
        hello = readClientHello(buf);
      } catch (e) {
        done = true;
        this.refuse(rec, 'client-hello', (e as Error).message);
        raw.destroy();
        return;
      }
      if (hello === 'incomplete') return;
      done = true;
      raw.pause();
      raw.unshift(buf); // TLSSocket feeds bytes already buffered on the wrapped socket to OpenSSL first
      this.startTls(raw, rec, hello, timer);
    });
    raw.on('error', (e) => log.debug(`${this.name}: #${rec.id} socket error ${e.message}`));
  }

  private startTls(raw: net.Socket, rec: ConnectionRecord, hello: ClientHelloInfo, timer: NodeJS.Timeout): void {
    const facts = this.offerFacts(hello);
    rec.clientHello = this.offerSummary(hello, facts);
    rec.forecast = { ...facts.recordForecast };
    const { forecast, ecdhCurve } = facts;
    let socket: tls.TLSSocket;
    try {
      socket = new tls.TLSSocket(raw, {
        isServer: true,
        secureContext: this.contextFor(ecdhCurve),
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
      if (rec.outcome === 'pending') this.refuse(rec, 'handshake', explainTlsError(e, forecast), `${e.code ?? ''} ${e.message.split('\n')[0]}`.trim());
      else log.debug(`${this.name}: #${rec.id} ${e.message}`);
    });
    socket.once('secure', () => {
      clearTimeout(timer);
      void this.onSecure(socket, rec, facts, raw);
    });
  }

  private async onSecure(socket: tls.TLSSocket, rec: ConnectionRecord, facts: OfferFacts, raw: net.Socket): Promise<void> {
    const { ecdhCurve, forecast } = facts;
    rec.protocol = socket.getProtocol() ?? undefined;
    const cipher = socket.getCipher();
    const suite = this.suiteOf(cipher);
    rec.suite = suite ? { iana: suite.iana, openssl: suite.openssl, code: suite.code } : { iana: cipher.standardName, openssl: cipher.name, code: -1 };
    const served = this.servedFor(suite, socket);
    if (served) rec.certificate = served;
    if (suite?.keyExchange === 'ECDHE') rec.ecdheGroup = firstOf(ecdhCurve);
    else if (suite?.keyExchange === 'DHE') rec.ecdheGroup = 'DHE (auto parameters)';
    const shared = this.sharedSigalgs(socket, facts, rec.protocol ?? '');
    if (shared !== UNAVAILABLE) rec.sharedSigalgs = Array.isArray(shared) ? shared.slice() : (shared as string[]);
    if (forecast.suite && suite && forecast.suite !== suite)
      log.debug(`${this.name}: #${rec.id} forecast ${forecast.suite.openssl}, OpenSSL chose ${suite.openssl}`);

    // Without a CertificateRequest a client cannot send a certificate: skip the lookup.
    const chain = this.opts.requestClientCert ? peerChainOf(socket) : null;
    if (chain) {
      rec.peer = {
        subject: subjectLine(chain.leaf),
        issuer: chain.leaf.issuer.split('\n').filter(Boolean).join(', '),
        fingerprint256: chain.leaf.fingerprint256,
        serialNumber: chain.leaf.serialNumber,
      };
    }
    if (this.opts.requestClientCert) {
      if (!chain) {
        this.refuse(rec, 'client-certificate', 'client certificate missing');
        socket.destroy();
        return;
      }
      if (this.opts.verifyPeer) {
        let verdict: Verdict;
        try {
          verdict = await this.opts.verifyPeer(chain, socket, rec);
        } catch (e) {
          verdict = { ok: false, reason: `peer verification failed: ${(e as Error).message}` };
        }
        if (!verdict.ok) {
          rec.peer!.verdict = verdict.reason;
          this.refuse(rec, 'client-certificate', verdict.reason);
          socket.destroy();
          return;
        }
        if (verdict.detail) rec.peer!.verdict = verdict.detail;
      }
    }
    if (socket.destroyed) {
      this.refuse(rec, 'handshake', 'connection closed right after the handshake');
      return;
    }
    rec.outcome = 'accepted';
    if (log.enabled('info'))
      log.info(
        `${this.name}: accepted ${rec.remote} (#${rec.id}) ${rec.protocol} ${rec.suite.openssl} cert ${rec.certificate?.detail ?? '?'}` +
          (rec.ecdheGroup ? ` group ${rec.ecdheGroup}` : '') +
          (rec.peer ? ` peer "${rec.peer.subject}"` : ''),
      );
    this.emit('record', rec);
    this.emit('secureConnection', socket, rec);
    if (this.opts.onSecureConnection) {
      // The TCP socket under TLS has its addresses cached since addRecord(); the TLS socket would ask the kernel again.
      const endpoints: Endpoints = { remoteAddress: raw.remoteAddress, remotePort: raw.remotePort, localAddress: raw.localAddress, localPort: raw.localPort };
      this.opts.onSecureConnection(socket, rec, endpoints);
    }
  }
}

/** Creates (does not start) a listener; call listen() on it. Throws on unusable keys or certificates. */
export function createSecureListener(opts: SecureListenerOptions): SecureListener {
  return new Listener(opts);
}
