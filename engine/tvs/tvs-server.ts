// The Trust Verification Service: TLS on 2445 with the node's TVS certificate. A phone sends VERIFY (or QUERY) with
// its device name and a certificate; TVS answers valid + roles + TTL or invalid, from a TvsTrustSource (exact match of
// the certificate's SHA-256). Bad input gets no answer: it is journaled and the connection closed, as tvsd does.
// Bounded: connections, message size, requests per connection, handshake and idle time.
import { X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';
import { logger } from '../../common/log.js';
import type { ClusterPki } from '../pki/cluster-pki.js';
import { roleCode } from '../trust/tags.js';
import {
  commandName,
  decodeRequest,
  encodeResponse,
  roleDisplay,
  TVS_HEADER_LENGTH,
  TVS_MAX_BODY_LENGTH,
  TvsFramer,
  TvsProtocolError,
  type TvsMessage,
  type TvsRequestKind,
} from './tvs-codec.js';
import { TVS_PORT, tvsTlsProfile, type TvsTlsParams, type TvsTlsProfile } from './tvs-tls.js';
import { ClusterTrustSource, sha256Hex, type TvsTrustMatch, type TvsTrustSource } from './tvs-trust.js';

const log = logger('tvs');

/** tvsctl's default TTL (one day); its accepted range is 1 s to 30 days. */
export const DEFAULT_TVS_TTL_SECONDS = 86_400;
export const MAX_TVS_TTL_SECONDS = 2_592_000;
/** The device name form tvsd accepts (research anchors 2.7). */
export const TVS_DEVICE_NAME_PATTERN = /^CP-[0-9]{4}-SEP[0-9A-F]{12}$/;

export interface TvsCredentials {
  key: string | Buffer;
  /** PEM certificate, optionally followed by its chain. */
  cert: string | Buffer;
}

export interface TvsServerOptions {
  trust: TvsTrustSource;
  credentials: TvsCredentials;
  /** Default 2445; 0 lets the OS choose. */
  port?: number;
  /** Default 0.0.0.0. */
  host?: string;
  /** TTL of valid answers unless the trust source gives one (default 86400 s, 1..2592000). */
  ttlSeconds?: number;
  tls?: TvsTlsParams;
  /** Simultaneous connections, handshakes included (default 64); more are dropped by the kernel accept path. */
  maxConnections?: number;
  /** Largest message accepted, header included (default 16 KiB; at most 10 + 65535). */
  maxMessageBytes?: number;
  /** Requests answered on one connection before it is closed (default 16). */
  maxRequestsPerConnection?: number;
  /** TCP accept to end of TLS handshake (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Silence allowed on an open connection (default 10 s, tvsd's timeout). */
  idleTimeoutMs?: number;
  /** Device names answered (default TVS_DEVICE_NAME_PATTERN). */
  deviceNamePattern?: RegExp;
  /** Journal entries kept (default 1000). */
  journalSize?: number;
  /** Name in logs (default "TVS"). */
  name?: string;
}

export interface TvsCertificateSummary {
  subject: string;
  issuer: string;
  serialHex: string;
  fingerprintSha256: string;
  notAfter: string;
}

/** One answer (or refusal) of the service, for tests and reports. */
export interface TvsJournalEntry {
  seq: number;
  at: string;
  /** Connection number (1, 2, …) and peer address. */
  connection: number;
  remote: string;
  tls?: { protocol: string; cipher: string };
  outcome: 'valid' | 'invalid' | 'error';
  kind?: TvsRequestKind;
  sessionId?: number;
  deviceName?: string;
  certificate?: TvsCertificateSummary;
  roles?: number[];
  roleNames?: string[];
  ttlSeconds?: number;
  /** Where the trust source found the certificate. */
  sources?: string[];
  error?: { code: string; message: string; offset?: number; streamOffset?: number };
}

export interface TvsServerStats {
  connections: number;
  active: number;
  dropped: number;
  handshakeFailures: number;
  valid: number;
  invalid: number;
  errors: number;
}

interface Connection {
  id: number;
  remote: string;
  socket: tls.TLSSocket;
  framer: TvsFramer;
  tls: { protocol: string; cipher: string };
  sessionId?: number;
  requests: number;
  closing: boolean;
}

function positiveInt(v: number | undefined, dflt: number, what: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new RangeError(`${what} ${n} must be an integer from 1 to ${max}`);
  return n;
}

function dn(text: string): string {
  return text.split('\n').filter(Boolean).join(', ');
}

export class TvsServer extends EventEmitter {
  readonly name: string;
  readonly tlsProfile: TvsTlsProfile;
  readonly #o: TvsServerOptions;
  readonly #ttl: number;
  readonly #maxBody: number;
  readonly #maxRequests: number;
  readonly #idleMs: number;
  readonly #pattern: RegExp;
  readonly #journalSize: number;
  #credentials: TvsCredentials;
  #server: tls.Server | undefined;
  readonly #raw = new Set<Socket>();
  readonly #journal: TvsJournalEntry[] = [];
  #seq = 0;
  #connSeq = 0;
  readonly #stats: TvsServerStats = { connections: 0, active: 0, dropped: 0, handshakeFailures: 0, valid: 0, invalid: 0, errors: 0 };
  #detach: (() => void) | undefined;

  constructor(o: TvsServerOptions) {
    super();
    this.#o = o;
    this.name = o.name ?? 'TVS';
    this.#ttl = positiveInt(o.ttlSeconds, DEFAULT_TVS_TTL_SECONDS, 'ttlSeconds', MAX_TVS_TTL_SECONDS);
    this.#maxBody = positiveInt(o.maxMessageBytes, 16 * 1024, 'maxMessageBytes', TVS_HEADER_LENGTH + TVS_MAX_BODY_LENGTH) - TVS_HEADER_LENGTH;
    if (this.#maxBody < 1) throw new RangeError(`maxMessageBytes must exceed the ${TVS_HEADER_LENGTH}-byte header`);
    this.#maxRequests = positiveInt(o.maxRequestsPerConnection, 16, 'maxRequestsPerConnection');
    this.#idleMs = positiveInt(o.idleTimeoutMs, 10_000, 'idleTimeoutMs');
    positiveInt(o.maxConnections, 64, 'maxConnections');
    positiveInt(o.handshakeTimeoutMs, 10_000, 'handshakeTimeoutMs');
    this.#pattern = o.deviceNamePattern ?? TVS_DEVICE_NAME_PATTERN;
    this.#journalSize = positiveInt(o.journalSize, 1000, 'journalSize');
    this.tlsProfile = tvsTlsProfile(o.tls);
    this.#credentials = o.credentials;
    tls.createSecureContext(this.#contextOptions()); // bad keys fail here, not at the first phone
  }

  /**
   * A TVS for one node of a cluster: its TVS certificate, answers from the cluster's trust stores and own certificates.
   * When that TVS certificate is regenerated in this process the new one is served at once (TVS restarts itself, 001 L3076).
   */
  static forCluster(pki: ClusterPki, opts: Omit<TvsServerOptions, 'trust' | 'credentials'> & { node?: string; trust?: TvsTrustSource } = {}): TvsServer {
    const { node, trust, ...rest } = opts;
    const creds = pki.tlsCredentials('TVS', node);
    const server = new TvsServer({ ...rest, trust: trust ?? new ClusterTrustSource(pki), credentials: { key: creds.key, cert: creds.cert }, name: rest.name ?? `TVS ${creds.identity.node}` });
    const off = pki.onEvent((e) => {
      if (e.purpose === 'TVS' && e.node === creds.identity.node && (e.type === 'certificate-regenerated' || e.type === 'certificate-uploaded')) {
        const c = pki.tlsCredentials('TVS', creds.identity.node);
        server.setCredentials({ key: c.key, cert: c.cert });
      }
    });
    server.#detach = () => {
      off();
    };
    return server;
  }

  get journal(): readonly TvsJournalEntry[] {
    return this.#journal;
  }

  clearJournal(): void {
    this.#journal.length = 0;
  }

  get stats(): Readonly<TvsServerStats> {
    return { ...this.#stats };
  }

  get listening(): boolean {
    return !!this.#server?.listening;
  }

  address(): AddressInfo {
    const a = this.#server?.address();
    if (!a || typeof a === 'string') throw new Error(`${this.name} is not listening`);
    return a;
  }

  get port(): number {
    return this.address().port;
  }

  /** Serves another key and certificate from the next handshake on. */
  setCredentials(c: TvsCredentials): void {
    this.#credentials = c;
    this.#server?.setSecureContext(this.#contextOptions());
    log.info(`${this.name}: serving a new TVS certificate`);
  }

  #contextOptions(): tls.SecureContextOptions {
    const p = this.tlsProfile;
    return { key: this.#credentials.key, cert: this.#credentials.cert, ciphers: p.ciphers, minVersion: p.minVersion, maxVersion: p.maxVersion, honorCipherOrder: true, sessionIdContext: 'trustline-tvs' };
  }

  async start(): Promise<AddressInfo> {
    if (this.#server) throw new Error(`${this.name} is already started`);
    const server = tls.createServer({ ...this.#contextOptions(), handshakeTimeout: this.#o.handshakeTimeoutMs ?? 10_000, requestCert: false }, (s) => this.#onSecure(s));
    server.maxConnections = this.#o.maxConnections ?? 64;
    server.on('connection', (raw: Socket) => {
      this.#raw.add(raw);
      this.#stats.connections++;
      this.#stats.active++;
      raw.once('close', () => {
        this.#raw.delete(raw);
        this.#stats.active--;
      });
    });
    server.on('drop', (d?: { remoteAddress?: string; remotePort?: number }) => {
      this.#stats.dropped++;
      log.warn(`${this.name}: connection from ${d?.remoteAddress}:${d?.remotePort} dropped: ${server.maxConnections} connections already open`);
    });
    server.on('tlsClientError', (e: NodeJS.ErrnoException, s: tls.TLSSocket) => {
      this.#stats.handshakeFailures++;
      log.info(`${this.name}: TLS handshake with ${s.remoteAddress}:${s.remotePort} failed: ${e.code ?? ''} ${e.message.split('\n')[0]}`.trim());
    });
    this.#server = server;
    const port = this.#o.port ?? TVS_PORT;
    const host = this.#o.host ?? '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e) => {
      this.#server = undefined;
      throw e;
    });
    server.on('error', (e) => log.error(`${this.name}: ${e.message}`));
    log.info(`${this.name}: listening on ${host}:${this.port}; ${this.tlsProfile.description}; TTL ${this.#ttl} s`);
    return this.address();
  }

  async stop(): Promise<void> {
    this.#detach?.();
    this.#detach = undefined;
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.#raw) s.destroy();
    await closed;
  }

  #onSecure(socket: tls.TLSSocket): void {
    const conn: Connection = {
      id: ++this.#connSeq,
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      socket,
      framer: new TvsFramer({ maxBodyLength: this.#maxBody }),
      tls: { protocol: socket.getProtocol() ?? '?', cipher: socket.getCipher()?.name ?? '?' },
      requests: 0,
      closing: false,
    };
    log.debug(`${this.name}: #${conn.id} ${conn.remote} ${conn.tls.protocol} ${conn.tls.cipher}`);
    socket.setTimeout(this.#idleMs);
    socket.on('timeout', () => {
      if (!conn.closing && conn.framer.pending > 0) {
        this.#fail(conn, new TvsProtocolError('TIMEOUT', `${conn.framer.pending} byte(s) of an incomplete message, then ${this.#idleMs} ms of silence`));
      } else log.debug(`${this.name}: #${conn.id} idle for ${this.#idleMs} ms, closing`);
      socket.destroy();
    });
    socket.on('error', (e) => log.debug(`${this.name}: #${conn.id} ${e.message}`));
    socket.on('end', () => {
      if (!conn.closing && conn.framer.pending > 0) {
        this.#fail(conn, new TvsProtocolError('TRUNCATED', `the phone ended the connection ${conn.framer.pending} byte(s) into a message`));
      }
    });
    socket.on('data', (chunk: Buffer) => {
      if (conn.closing) return;
      let messages: TvsMessage[];
      try {
        messages = conn.framer.push(chunk);
      } catch (e) {
        this.#fail(conn, e);
        return;
      }
      for (const m of messages) {
        if (conn.closing) break;
        try {
          this.#handle(conn, m);
        } catch (e) {
          this.#fail(conn, e);
        }
      }
    });
  }

  #handle(conn: Connection, m: TvsMessage): void {
    const partial: Partial<TvsJournalEntry> = { sessionId: m.header.sessionId };
    if (++conn.requests > this.#maxRequests) {
      this.#fail(conn, new TvsProtocolError('TOO_MANY_REQUESTS', `more than ${this.#maxRequests} requests on one connection`), partial);
      return;
    }
    if (conn.sessionId === undefined) conn.sessionId = m.header.sessionId;
    else if (m.header.sessionId !== conn.sessionId) {
      this.#fail(conn, new TvsProtocolError('SESSION', `session id ${m.header.sessionId}, the connection's is ${conn.sessionId}`, { field: 'header.sessionId', offset: 4 }), partial);
      return;
    }
    let req;
    try {
      req = decodeRequest(m);
    } catch (e) {
      this.#fail(conn, e, partial);
      return;
    }
    Object.assign(partial, { kind: req.kind, deviceName: req.deviceName });
    if (!this.#pattern.test(req.deviceName)) {
      this.#fail(conn, new TvsProtocolError('DEVICE_NAME', `"${req.deviceName}" does not match ${this.#pattern}`, { field: 'DEVICE_NAME' }), partial);
      return;
    }
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(req.certificate);
    } catch (e) {
      this.#fail(conn, new TvsProtocolError('CERTIFICATE', `not an X.509 certificate (${(e as Error).message})`, { field: 'CERTIFICATE' }), partial);
      return;
    }
    const certificate: TvsCertificateSummary = {
      subject: dn(x509.subject),
      issuer: dn(x509.issuer),
      serialHex: x509.serialNumber.toLowerCase(),
      fingerprintSha256: sha256Hex(req.certificate),
      notAfter: new Date(x509.validTo).toISOString(),
    };
    partial.certificate = certificate;
    let response: Buffer;
    let entry: Omit<TvsJournalEntry, 'seq' | 'at' | 'connection' | 'remote' | 'tls'>;
    try {
      const match: TvsTrustMatch | undefined = this.#o.trust.lookup(req.certificate);
      if (match) {
        const roles = [...new Set(match.roles.map((r) => roleCode(r)))].sort((a, b) => a - b);
        const sendable = roles.filter((r) => r <= 0xff);
        if (sendable.length !== roles.length) log.warn(`${this.name}: roles ${roles.filter((r) => r > 0xff).join(', ')} do not fit one byte and were left out`);
        const ttl = match.ttlSeconds ?? this.#ttl;
        response = encodeResponse({ kind: req.kind, sessionId: req.sessionId, status: 'valid', roles: sendable, ttlSeconds: ttl });
        entry = { ...partial, outcome: 'valid', roles: sendable, roleNames: sendable.map(roleDisplay), ttlSeconds: ttl, sources: [...(match.sources ?? [])] };
      } else {
        response = encodeResponse({ kind: req.kind, sessionId: req.sessionId, status: 'invalid' });
        entry = { ...partial, outcome: 'invalid' };
      }
    } catch (e) {
      // A failing trust source costs this connection, never the service.
      this.#fail(conn, e, partial, 'TRUST_SOURCE');
      return;
    }
    conn.socket.write(response);
    this.#record(conn, entry);
  }

  #fail(conn: Connection, err: unknown, partial: Partial<TvsJournalEntry> = {}, code?: string): void {
    conn.closing = true;
    const e = err instanceof Error ? err : new Error(String(err));
    const pe = err instanceof TvsProtocolError ? err : undefined;
    this.#record(conn, {
      ...partial,
      outcome: 'error',
      error: {
        code: code ?? pe?.code ?? 'INTERNAL',
        message: e.message,
        ...(pe?.offset !== undefined ? { offset: pe.offset } : {}),
        ...(pe?.streamOffset !== undefined ? { streamOffset: pe.streamOffset } : {}),
      },
    });
    conn.socket.end();
    setTimeout(() => conn.socket.destroy(), 1000).unref();
  }

  #record(conn: Connection, e: Omit<TvsJournalEntry, 'seq' | 'at' | 'connection' | 'remote' | 'tls'>): void {
    const entry: TvsJournalEntry = { seq: ++this.#seq, at: new Date().toISOString(), connection: conn.id, remote: conn.remote, tls: conn.tls, ...e };
    this.#journal.push(entry);
    if (this.#journal.length > this.#journalSize) this.#journal.splice(0, this.#journal.length - this.#journalSize);
    this.#stats[entry.outcome === 'error' ? 'errors' : entry.outcome]++;
    const who = `${conn.remote} (#${conn.id})${entry.deviceName ? ` ${entry.deviceName}` : ''}`;
    const what = entry.certificate ? ` "${entry.certificate.subject}" sha256 ${entry.certificate.fingerprintSha256.slice(0, 16)}…` : '';
    const kind = entry.kind ? `${commandName(entry.kind === 'verify' ? 1 : 3)}` : 'request';
    if (entry.outcome === 'error') log.warn(`${this.name}: ${who}: ${kind} refused, connection closed: ${entry.error?.message}`);
    else log.info(`${this.name}: ${who}: ${kind}${what}: ${entry.outcome}${entry.outcome === 'valid' ? ` roles ${entry.roleNames?.join(',') || 'none'} TTL ${entry.ttlSeconds} s` : ''}`);
    try {
      this.emit('answer', entry);
    } catch (e) {
      log.error(`${this.name}: an 'answer' listener failed: ${(e as Error).message}`);
    }
  }
}

/** Creates and starts a TVS server. */
export async function startTvsServer(o: TvsServerOptions): Promise<TvsServer> {
  const s = new TvsServer(o);
  await s.start();
  return s;
}
