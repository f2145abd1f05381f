// One TLS port serving the RSA CallManager and the CallManager-ECDSA certificate: OpenSSL picks the certificate from
// the negotiated suite, in the policy's server order (honorCipherOrder). Each ClientHello is read before OpenSSL
// sees it, so that the ECDHE group follows the client's preference (seed 001 L2017), refusals can be explained, and
// every connection leaves a record of what was offered and what was chosen.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { EventEmitter } from 'node:events';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { logger } from '../../common/log.js';
import { describeCode, findSuite, type TlsSuite } from '../../ciphers/tls/suite-catalogue.js';
import { readClientHello, groupCode, groupName, sigalgName, type ClientHelloInfo } from './client-hello.js';
import { ecdhCurveForClient, forecastNegotiation, type NegotiationForecast, type ServerCertificates, type TlsPolicy } from './policy.js';
import { subjectLine, type PeerChain, type Verdict } from './peer-verification.js';

const log = logger('tls');

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
  onSecureConnection?: (socket: tls.TLSSocket, record: ConnectionRecord) => void;
  /** Time allowed from TCP accept to the end of the TLS handshake. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** How many connection records to keep. Default 1000. */
  maxRecords?: number;
  /** Name in logs, e.g. "SIP 5061". */
  name?: string;
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
  private readonly contexts = new Map<string, tls.SecureContext>();
  private readonly certs: ServerCertificates;
  private readonly served: Map<string, { type: 'RSA' | 'ECDSA'; detail: string; subject: string }>;
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
    this.served = new Map([[rsaCert.fingerprint256, { type: 'RSA', detail: rsaType.detail, subject: subjectLine(rsaCert) }]]);
    this.certs = { rsa: true };
    if (opts.ecdsa) {
      const ecCert = new X509Certificate(opts.ecdsa.cert);
      const ecType = keyTypeOf(ecCert);
      if (ecType.type !== 'ECDSA') throw new Error(`ecdsa: certificate "${subjectLine(ecCert)}" is ${ecType.detail}, expected an EC key`);
      this.certs.ecdsaCurve = ecType.curve;
      this.served.set(ecCert.fingerprint256, { type: 'ECDSA', detail: ecType.detail, subject: subjectLine(ecCert) });
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
    if (ctx) return ctx;
    const { rsa, ecdsa } = this.opts;
    ctx = tls.createSecureContext({
      key: ecdsa ? [rsa.key, ecdsa.key] : rsa.key,
      cert: ecdsa ? [rsa.cert, ecdsa.cert] : rsa.cert,
      ...this.policy.serverOptions,
      ecdhCurve,
      ...(this.opts.clientCa ? { ca: [...this.opts.clientCa] } : {}),
      sessionIdContext: `trustline-${this.policy.port}`,
    });
    // Distinct client group orders are few; bound the cache anyway.
    if (this.contexts.size < 64) this.contexts.set(ecdhCurve, ctx);
    return ctx;
  }

  private addRecord(raw: net.Socket): ConnectionRecord {
    const rec: ConnectionRecord = {
      id: this.nextId++,
      remote: `${raw.remoteAddress}:${raw.remotePort}`,
      localPort: raw.localPort ?? 0,
      startedAt: new Date().toISOString(),
      outcome: 'pending',
    };
    this.recs.push(rec);
    const max = this.opts.maxRecords ?? 1000;
    if (this.recs.length > max) this.recs.splice(0, this.recs.length - max);
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
    raw.once('close', () => this.sockets.delete(raw));
    const rec = this.addRecord(raw);
    let buf: Buffer = Buffer.alloc(0);
    const timeoutMs = this.opts.handshakeTimeoutMs ?? 10_000;
    const timer = setTimeout(() => {
      this.refuse(rec, 'timeout', `handshake not finished within ${timeoutMs} ms`);
      raw.destroy();
    }, timeoutMs);
    timer.unref();
    raw.once('close', () => {
      clearTimeout(timer);
      if (rec.outcome !== 'pending') return;
      if (rec.clientHello) this.refuse(rec, 'handshake', 'client closed the connection during the handshake');
      else this.refuse(rec, 'client-hello', buf.length ? 'connection closed before a complete ClientHello' : 'connection closed without sending anything');
    });
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let hello: ClientHelloInfo | 'incomplete';
      try {
        hello = readClientHello(buf);
      } catch (e) {
        raw.off('data', onData);
        this.refuse(rec, 'client-hello', (e as Error).message);
        raw.destroy();
        return;
      }
      if (hello === 'incomplete') return;
      raw.off('data', onData);
      raw.pause();
      raw.unshift(buf); // TLSSocket feeds bytes already buffered on the wrapped socket to OpenSSL first
      this.startTls(raw, rec, hello, timer);
    };
    raw.on('data', onData);
    raw.on('error', (e) => log.debug(`${this.name}: #${rec.id} socket error ${e.message}`));
  }

  private startTls(raw: net.Socket, rec: ConnectionRecord, hello: ClientHelloInfo, timer: NodeJS.Timeout): void {
    rec.clientHello = {
      versions: [...hello.versions],
      suites: hello.cipherSuites.map((c) => findSuite(c)?.openssl ?? describeCode(c)),
      ...(hello.groups ? { groups: hello.groups.map(groupName) } : {}),
      ...(hello.sigalgs ? { sigalgs: hello.sigalgs.map(sigalgName) } : {}),
      keyShares: hello.keyShareGroups.map(groupName),
      ...(hello.serverName ? { serverName: hello.serverName } : {}),
    };
    const forecast = forecastNegotiation(this.policy, hello, this.certs);
    rec.forecast = {
      ...(forecast.version ? { version: forecast.version } : {}),
      ...(forecast.suite ? { suite: forecast.suite.openssl } : {}),
      ...(forecast.certificate ? { certificate: forecast.certificate } : {}),
      ...(forecast.group ? { group: forecast.group } : {}),
      ...(forecast.refusal ? { refusal: forecast.refusal } : {}),
    };
    const ecdhCurve = ecdhCurveForClient(this.policy, hello);
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
      void this.onSecure(socket, rec, ecdhCurve, forecast);
    });
  }

  private async onSecure(socket: tls.TLSSocket, rec: ConnectionRecord, ecdhCurve: string, forecast: NegotiationForecast): Promise<void> {
    rec.protocol = socket.getProtocol() ?? undefined;
    const cipher = socket.getCipher();
    const suite: TlsSuite | undefined = findSuite(cipher.standardName) ?? findSuite(cipher.name);
    rec.suite = suite ? { iana: suite.iana, openssl: suite.openssl, code: suite.code } : { iana: cipher.standardName, openssl: cipher.name, code: -1 };
    const local = socket.getX509Certificate();
    if (local) rec.certificate = this.served.get(local.fingerprint256) ?? { ...keyTypeOf(local), subject: subjectLine(local) };
    if (suite?.keyExchange === 'ECDHE') rec.ecdheGroup = ecdhCurve.split(':')[0];
    else if (suite?.keyExchange === 'DHE') rec.ecdheGroup = 'DHE (auto parameters)';
    try {
      rec.sharedSigalgs = socket.getSharedSigalgs();
    } catch {
      /* not available for this protocol */
    }
    if (forecast.suite && suite && forecast.suite !== suite)
      log.debug(`${this.name}: #${rec.id} forecast ${forecast.suite.openssl}, OpenSSL chose ${suite.openssl}`);

    const chain = peerChainOf(socket);
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
    log.info(
      `${this.name}: accepted ${rec.remote} (#${rec.id}) ${rec.protocol} ${rec.suite.openssl} cert ${rec.certificate?.detail ?? '?'}` +
        (rec.ecdheGroup ? ` group ${rec.ecdheGroup}` : '') +
        (rec.peer ? ` peer "${rec.peer.subject}"` : ''),
    );
    this.emit('record', rec);
    this.emit('secureConnection', socket, rec);
    this.opts.onSecureConnection?.(socket, rec);
  }
}

/** Creates (does not start) a listener; call listen() on it. Throws on unusable keys or certificates. */
export function createSecureListener(opts: SecureListenerOptions): SecureListener {
  return new Listener(opts);
}
