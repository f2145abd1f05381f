// UDP, TCP and TLS behind one interface. Listens (servers) and connects (clients, phones, outbound trunks);
// keeps one connection table keyed by (transport, remote address, port) so that requests reuse an open
// connection and responses go back on the connection their request came on (RFC 3261 18.2.2). The TLS server is
// engine/tls's createSecureListener, so the cipher policy, certificate choice and refusal logging stay there.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { logger } from '../../../common/log.js';
import { findSuite } from '../../../ciphers/tls/suite-catalogue.js';
import { createSecureListener, type ConnectionRecord, type Endpoints, type SecureListener, type SecureListenerOptions } from '../../tls/listener.js';
import type { PeerChain, Verdict } from '../../tls/peer-verification.js';
import { type SipMessage, SipParseError, type SipResponse, parseSipMessage, serializeMessage, viaRport } from '../message/index.js';
import { errorResponseForRaw } from './malformed.js';
import { DEFAULT_STREAM_LIMITS, StreamConnection, type StreamLimits, normaliseAddress } from './stream-connection.js';
import {
  type Connection,
  type MessageSource,
  type PeerIdentity,
  type SipTarget,
  type TlsFacts,
  type TransportProtocol,
  defaultPort,
} from './types.js';
import { stampVia } from './via-stamp.js';

const log = logger('sip.transport');

/** How the TLS server decides on a client certificate: accept (with an identity) or refuse with a reason. */
export type PeerIdentifier = (
  chain: PeerChain,
  socket: tls.TLSSocket,
  record: ConnectionRecord,
) => Promise<{ ok: true; identity?: PeerIdentity } | { ok: false; reason: string }> | ({ ok: true; identity?: PeerIdentity } | { ok: false; reason: string });

export interface TlsServerSetup extends Omit<SecureListenerOptions, 'verifyPeer' | 'onSecureConnection'> {
  /** Runs when a client certificate was requested (requestClientCert); its identity rides on the connection. */
  identifyPeer?: PeerIdentifier;
}

/** TLS client side (a phone with its MIC/LSC, an outbound secure trunk). */
export interface TlsClientSetup {
  /** Client certificate and key (PEM; the certificate may be followed by its chain). */
  key?: string | Buffer;
  cert?: string | Buffer;
  /** Trust anchors for the server certificate; with them rejectUnauthorized defaults to true. */
  ca?: string | Buffer | (string | Buffer)[];
  rejectUnauthorized?: boolean;
  /** Checks the server certificate after the handshake (a phone: its ITL/CTL; an outbound trunk: the target's names). */
  verifyServer?: (chain: PeerChain, target: SipTarget) => Verdict;
  /** Suites/versions/groups the client offers (a phone's, or clientOptionsFor(policy, mode)). */
  ciphers?: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ecdhCurve?: string;
  sigalgs?: string;
  /** Host name checking; off by default (phones compare the certificate with their trust list, not a name). */
  checkServerIdentity?: (host: string, cert: tls.PeerCertificate) => Error | undefined;
  /** The offer for targets with tlsMode 'authenticated' (clientOptionsFor(policy, 'authenticated'): NULL-SHA). */
  authenticated?: Pick<TlsClientSetup, 'ciphers' | 'minVersion' | 'maxVersion' | 'ecdhCurve' | 'sigalgs'>;
}

export interface TransportLayerOptions {
  limits?: Partial<StreamLimits>;
  /** Open stream connections allowed (both directions; default 10000). */
  maxConnections?: number;
  /** Time allowed to open a TCP/TLS connection (ms, default 10000). */
  connectTimeoutMs?: number;
  tlsClient?: TlsClientSetup;
  /** Address put in Via/Contact when bound to a wildcard (default: the listening host, 127.0.0.1 for 0.0.0.0). */
  advertisedHost?: string;
  /** Local address outbound TCP/TLS connections bind to (a phone's own address). */
  localAddress?: string;
}

/** A way to reach a target: the connection (streams) or UDP socket, and the local address to put in Via. */
export interface Flow {
  transport: TransportProtocol;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  connection?: Connection;
  send(data: Buffer): boolean;
}

export type MessageHandler = (message: SipMessage, source: MessageSource) => void;

function key(t: TransportProtocol, host: string, port: number): string {
  return `${t}|${host.toLowerCase()}|${port}`;
}

/** A TLS connection opened for one server name serves that name only (two trunks to one peer expecting different names). */
function targetKey(t: SipTarget): string {
  if (t.transport !== 'TLS') return key(t.transport, t.host, t.port);
  const k = t.servername ? `${key(t.transport, t.host, t.port)}|${t.servername.toLowerCase()}` : key(t.transport, t.host, t.port);
  return t.tlsMode === 'authenticated' ? `${k}|authenticated` : k; // a NULL-SHA connection serves Authenticated targets only
}

export class TransportLayer extends EventEmitter {
  private handler: MessageHandler = () => undefined;
  private readonly limits: StreamLimits;
  private readonly maxConnections: number;
  private udp: dgram.Socket | undefined;
  private udpAddress: AddressInfo | undefined;
  private udpReady: Promise<void> | undefined;
  private readonly tcpServers: net.Server[] = [];
  private readonly tlsListeners: SecureListener[] = [];
  private readonly conns = new Map<string, StreamConnection>();
  private readonly all = new Set<StreamConnection>();
  private readonly connecting = new Map<string, Promise<StreamConnection>>();
  private readonly identities = new WeakMap<tls.TLSSocket, PeerIdentity>();
  /** TlsFacts' suite by the listener's (shared) record suite: looked up in the catalogue once per suite. */
  private readonly tlsSuites = new Map<NonNullable<ConnectionRecord['suite']>, TlsFacts['suite']>();
  private readonly bound: Partial<Record<TransportProtocol, AddressInfo>> = {};
  private stopped = false;

  constructor(private readonly opts: TransportLayerOptions = {}) {
    super();
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...opts.limits };
    this.maxConnections = opts.maxConnections ?? 10_000;
  }

  /** Every received message (requests with their Via stamped) goes here. */
  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  /** Bound addresses per transport (port 0 resolved). */
  get ports(): Partial<Record<TransportProtocol, number>> {
    const out: Partial<Record<TransportProtocol, number>> = {};
    for (const [t, a] of Object.entries(this.bound)) out[t as TransportProtocol] = a!.port;
    return out;
  }

  /** Open stream connections. */
  connections(): Connection[] {
    return [...this.all];
  }

  /** TLS listeners (their connection records and refusals). */
  get secureListeners(): readonly SecureListener[] {
    return this.tlsListeners;
  }

  private advertised(address: string): string {
    if (this.opts.advertisedHost) return this.opts.advertisedHost;
    if (address === '0.0.0.0' || address === '') return '127.0.0.1';
    if (address === '::') return '::1';
    return address;
  }

  // ---- listening ------------------------------------------------------------------------------------------------

  async listenUdp(port = 5060, host = '127.0.0.1'): Promise<AddressInfo> {
    if (this.udp) throw new Error('UDP is already bound');
    const sock = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    this.udp = sock;
    sock.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    sock.on('error', (e) => log.error(`UDP: ${e.message}`));
    this.udpReady = new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    await this.udpReady;
    this.udpAddress = sock.address();
    this.bound.UDP = this.udpAddress;
    log.info(`UDP listening on ${host}:${this.udpAddress.port}`);
    return this.udpAddress;
  }

  async listenTcp(port = 5060, host = '127.0.0.1'): Promise<AddressInfo> {
    const server = net.createServer((s) => this.onTcpConnection(s));
    server.maxConnections = this.maxConnections;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.tcpServers.push(server);
    const a = server.address() as AddressInfo;
    this.bound.TCP ??= a;
    log.info(`TCP listening on ${host}:${a.port}`);
    return a;
  }

  async listenTls(setup: TlsServerSetup, port = 5061, host = '127.0.0.1'): Promise<AddressInfo> {
    const { identifyPeer, ...rest } = setup;
    const listener = createSecureListener({
      ...rest,
      ...(identifyPeer
        ? {
            verifyPeer: async (chain: PeerChain, socket: tls.TLSSocket, record: ConnectionRecord): Promise<Verdict> => {
              const r = await identifyPeer(chain, socket, record);
              if (!r.ok) return r;
              if (r.identity) this.identities.set(socket, r.identity);
              return { ok: true, ...(r.identity ? { detail: r.identity.detail } : {}) };
            },
          }
        : {}),
      onSecureConnection: (socket, record, endpoints) => this.onTlsConnection(socket, record, endpoints),
      noDelay: true, // SIP wants every message out at once; set at accept, so StreamConnection need not
    });
    listener.on('refusal', (rec: ConnectionRecord) => this.emit('tls-refusal', rec));
    const a = await listener.listen(port, host);
    this.tlsListeners.push(listener);
    this.bound.TLS ??= a;
    return a;
  }

  // ---- inbound ---------------------------------------------------------------------------------------------------

  private admit(socket: net.Socket): boolean {
    if (this.stopped) {
      socket.destroy();
      return false;
    }
    if (this.all.size >= this.maxConnections) {
      log.warn(`refusing ${socket.remoteAddress}:${socket.remotePort}: ${this.all.size} connections open (limit ${this.maxConnections})`);
      socket.destroy();
      return false;
    }
    return true;
  }

  private onTcpConnection(socket: net.Socket): void {
    if (!this.admit(socket)) return;
    this.register(new StreamConnection(socket, { transport: 'TCP', direction: 'inbound', limits: this.limits }, this.streamHandlers));
  }

  private onTlsConnection(socket: tls.TLSSocket, record: ConnectionRecord, endpoints: Endpoints): void {
    if (!this.admit(socket)) return;
    // The listener records a peer exactly when the client sent a certificate.
    const peer = record.peer ? socket.getPeerX509Certificate() : undefined;
    const facts: TlsFacts = {
      protocol: record.protocol ?? socket.getProtocol() ?? '?',
      suite: this.tlsSuite(record.suite),
    };
    if (record.certificate) facts.localCertificate = record.certificate.type;
    if (peer) facts.peerCertificate = peer;
    facts.recordId = record.id;
    const id = record.peer ? this.identities.get(socket) : undefined; // identities come from verified peer certificates
    if (id) facts.identity = id;
    this.register(new StreamConnection(socket, { transport: 'TLS', direction: 'inbound', tls: facts, limits: this.limits, endpoints, noDelaySet: true }, this.streamHandlers));
  }

  /** The negotiated suite as TlsFacts carry it (frozen, shared by the connections that negotiated it). */
  private tlsSuite(rs: ConnectionRecord['suite']): TlsFacts['suite'] {
    const known = rs && this.tlsSuites.get(rs);
    if (known) return known;
    const suite = rs ? findSuite(rs.code) ?? findSuite(rs.openssl) : undefined;
    const view = Object.freeze({ iana: suite?.iana ?? rs?.iana ?? '?', openssl: suite?.openssl ?? rs?.openssl ?? '?', nullCipher: suite?.nullCipher ?? false });
    if (rs && this.tlsSuites.size < 256) this.tlsSuites.set(rs, view);
    return view;
  }

  private register(c: StreamConnection, extraKey?: string): void {
    this.all.add(c);
    const k = key(c.transport, c.remoteAddress, c.remotePort);
    this.conns.set(k, c);
    if (extraKey) this.conns.set(extraKey, c);
    c.tableKeys = extraKey ? [k, extraKey] : [k];
    this.emit('connection', c);
  }

  private readonly streamHandlers = {
    onMessage: (message: SipMessage, conn: StreamConnection) => {
      this.deliver(message, {
        transport: conn.transport,
        remoteAddress: conn.remoteAddress,
        remotePort: conn.remotePort,
        localAddress: conn.localAddress,
        localPort: conn.localPort,
        connection: conn,
      });
    },
    onInvalid: (error: SipParseError, bytes: Buffer, conn: StreamConnection) => {
      log.warn(`${conn.transport} #${conn.id} ${conn.remoteAddress}:${conn.remotePort}: bad message: ${error.message}`);
      const r = errorResponseForRaw(bytes, error.status, reasonFor(error.status), error.message);
      if (r) conn.send(r);
    },
    onClose: (conn: StreamConnection, reason: string) => {
      this.all.delete(conn);
      for (const k of conn.tableKeys) if (this.conns.get(k) === conn) this.conns.delete(k);
      this.emit('connection-closed', conn, reason);
    },
  };

  private onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length <= 4 && msg.every((b) => b === 13 || b === 10 || b === 0)) return; // keepalive noise
    let m: SipMessage;
    try {
      m = parseSipMessage(msg);
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      log.warn(`UDP ${rinfo.address}:${rinfo.port}: bad message: ${e.message}`);
      const r = errorResponseForRaw(msg, e.status, reasonFor(e.status), e.message);
      if (r) this.udp?.send(r, rinfo.port, rinfo.address);
      return;
    }
    const local = this.udpAddress!;
    this.deliver(m, { transport: 'UDP', remoteAddress: normaliseAddress(rinfo.address), remotePort: rinfo.port, localAddress: local.address, localPort: local.port });
  }

  private deliver(message: SipMessage, source: MessageSource): void {
    if (message.kind === 'request') {
      try {
        stampVia(message, source.remoteAddress, source.remotePort, false); // just parsed: nothing read from it yet
      } catch (e) {
        log.warn(`${source.transport} ${source.remoteAddress}:${source.remotePort}: cannot stamp Via: ${(e as Error).message}`);
      }
    }
    this.handler(message, source);
  }

  // ---- outbound --------------------------------------------------------------------------------------------------

  /** The flow to a target: its given connection while open, a connection already open to it, or a new one. */
  async flow(target: SipTarget): Promise<Flow> {
    if (this.stopped) throw new Error('transport layer is stopped');
    if (target.transport === 'UDP') {
      await this.ensureUdp();
      const sock = this.udp!;
      const local = this.udpAddress!;
      return {
        transport: 'UDP',
        localAddress: this.advertised(local.address),
        localPort: local.port,
        remoteAddress: target.host,
        remotePort: target.port,
        send: (data) => {
          sock.send(data, target.port, target.host, (e) => e && log.warn(`UDP send to ${target.host}:${target.port}: ${e.message}`));
          return true;
        },
      };
    }
    const conn = await this.connectionFor(target);
    return {
      transport: conn.transport,
      localAddress: this.viaHost(conn),
      localPort: this.viaPort(conn),
      remoteAddress: conn.remoteAddress,
      remotePort: conn.remotePort,
      connection: conn,
      send: (data) => conn.send(data),
    };
  }

  /** Via sent-by of a stream connection: the listening port of that transport when we have one, else the local port. */
  private viaPort(c: Connection): number {
    if (c.direction === 'inbound') return c.localPort;
    return this.bound[c.transport]?.port ?? c.localPort;
  }

  private viaHost(c: Connection): string {
    return this.advertised(c.localAddress);
  }

  async send(message: SipMessage, target: SipTarget): Promise<Flow> {
    const flow = await this.flow(target);
    flow.send(serializeMessage(message));
    return flow;
  }

  /**
   * RFC 3261 18.2.2: a response goes back on the connection its request came on; when that one is closed, to
   * `received` (else sent-by host) and the sent-by port over a new connection. Over UDP to the source address,
   * and to the source port when the client asked for rport (RFC 3581), else the sent-by port. `bytes`: the response
   * already serialised (the transaction layer has them).
   */
  sendResponse(response: SipResponse, source: MessageSource, bytes: Buffer = serializeMessage(response)): boolean {
    if (source.connection && !source.connection.closed) return source.connection.send(bytes);
    const via = response.topVia();
    if (source.transport === 'UDP') {
      const rport = viaRport(via);
      const port = typeof rport === 'number' ? rport : rport === null ? source.remotePort : via.port ?? 5060;
      const host = via.params.get('received') ?? source.remoteAddress;
      void this.ensureUdp().then(() => this.udp!.send(bytes, port, host));
      return true;
    }
    const host = via.params.get('received') ?? via.host;
    const port = via.port ?? defaultPort(source.transport);
    this.flow({ transport: source.transport, host, port })
      .then((f) => f.send(bytes))
      .catch((e) => log.warn(`cannot send ${response.status} to ${host}:${port}: ${(e as Error).message}`));
    return true;
  }

  private async ensureUdp(): Promise<void> {
    if (!this.udp) await this.listenUdp(0, '127.0.0.1');
    else await this.udpReady;
  }

  private async connectionFor(target: SipTarget): Promise<StreamConnection> {
    if (target.connection && !target.connection.closed && target.connection instanceof StreamConnection) return target.connection;
    const k = targetKey(target);
    const open = this.conns.get(k);
    if (open && !open.closed) return open;
    let pending = this.connecting.get(k);
    if (!pending) {
      pending = this.connect(target).finally(() => this.connecting.delete(k));
      this.connecting.set(k, pending);
    }
    return pending;
  }

  private connect(target: SipTarget): Promise<StreamConnection> {
    if (this.all.size >= this.maxConnections) return Promise.reject(new Error(`${this.all.size} connections open (limit ${this.maxConnections})`));
    const timeoutMs = this.opts.connectTimeoutMs ?? 10_000;
    const k = targetKey(target);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(new Error(`${target.transport} connect to ${target.host}:${target.port}: ${why}`));
      };
      const timer = setTimeout(() => fail(`no connection within ${timeoutMs} ms`), timeoutMs);
      timer.unref();
      let socket: net.Socket;
      if (target.transport === 'TLS') {
        const base = this.opts.tlsClient ?? {};
        if (target.tlsMode === 'authenticated' && !base.authenticated) {
          clearTimeout(timer);
          reject(new Error(`TLS connect to ${target.host}:${target.port}: the target is Authenticated but this client has no NULL-SHA offer (the TLS policy allows none)`));
          return;
        }
        const c = target.tlsMode === 'authenticated' ? { ...base, ...base.authenticated } : base;
        const servername = target.servername ?? (net.isIP(target.host) ? undefined : target.host);
        const s = tls.connect({
          host: target.host,
          port: target.port,
          ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}),
          ...(servername ? { servername } : {}),
          ...(c.key ? { key: c.key } : {}),
          ...(c.cert ? { cert: c.cert } : {}),
          ...(c.ca ? { ca: c.ca } : {}),
          ...(c.ciphers ? { ciphers: c.ciphers } : {}),
          ...(c.minVersion ? { minVersion: c.minVersion } : {}),
          ...(c.maxVersion ? { maxVersion: c.maxVersion } : {}),
          ...(c.ecdhCurve ? { ecdhCurve: c.ecdhCurve } : {}),
          ...(c.sigalgs ? { sigalgs: c.sigalgs } : {}),
          rejectUnauthorized: c.rejectUnauthorized ?? c.ca !== undefined,
          checkServerIdentity: c.checkServerIdentity ?? (() => undefined),
        });
        socket = s;
        s.once('secureConnect', () => {
          clearTimeout(timer);
          if (settled) return;
          const chain = serverChain(s);
          if (c.verifyServer) {
            const v = chain ? c.verifyServer(chain, target) : { ok: false as const, reason: 'server sent no certificate' };
            if (!v.ok) return fail(`server certificate refused: ${v.reason}`);
          }
          const cipher = s.getCipher();
          const suite = findSuite(cipher.standardName) ?? findSuite(cipher.name);
          const facts: TlsFacts = {
            protocol: s.getProtocol() ?? '?',
            suite: { iana: suite?.iana ?? cipher.standardName, openssl: suite?.openssl ?? cipher.name, nullCipher: suite?.nullCipher ?? false },
            ...(chain ? { peerCertificate: chain.leaf, peerChain: chain.intermediates } : {}),
          };
          settled = true;
          const conn = new StreamConnection(s, { transport: 'TLS', direction: 'outbound', tls: facts, limits: this.limits }, this.streamHandlers);
          this.register(conn, k);
          resolve(conn);
        });
      } else {
        socket = net.connect({ host: target.host, port: target.port, ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}) });
        socket.once('connect', () => {
          clearTimeout(timer);
          if (settled) return;
          settled = true;
          const conn = new StreamConnection(socket, { transport: 'TCP', direction: 'outbound', limits: this.limits }, this.streamHandlers);
          this.register(conn, k);
          resolve(conn);
        });
      }
      socket.once('error', (e) => {
        clearTimeout(timer);
        fail(e.message);
      });
    });
  }

  /** Closes listeners and every connection. */
  async close(): Promise<void> {
    this.stopped = true;
    for (const c of [...this.all]) c.destroy('transport layer stopped');
    await Promise.all([
      ...this.tcpServers.map((s) => new Promise<void>((r) => s.close(() => r()))),
      ...this.tlsListeners.map((l) => l.close()),
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
    ]);
    this.udp = undefined;
  }
}

function serverChain(s: tls.TLSSocket): PeerChain | undefined {
  const leaf = s.getPeerX509Certificate();
  if (!leaf) return undefined;
  const intermediates: X509Certificate[] = [];
  let c = s.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
  const seen = new Set([leaf.fingerprint256]);
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

function reasonFor(status: number): string {
  return status === 505 ? 'Version Not Supported' : status === 501 ? 'Not Implemented' : status === 513 ? 'Message Too Large' : 'Bad Request';
}
