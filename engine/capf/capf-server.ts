// The CAPF service: a TLS listener on 3804 with the CAPF certificate (no client certificate requested), one session per
// connection (capf-session.ts), session ids allocated in order, bounded connections and message sizes, and a journal
// of every decision in the CAPF store. Refreshes its certificate when the pki regenerates CAPF.
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { logger } from '../../common/log.js';
import type { ClusterPki } from '../pki/cluster-pki.js';
import type { MinTlsVersion } from '../tls/policy.js';
import { CapfConnection, type TranscriptEntry } from './capf-connection.js';
import { runCapfSession, type SessionRecord, type SessionTimeouts } from './capf-session.js';
import type { CapfStore } from './capf-store.js';
import { CAPF_PORT, capfTlsOptions } from './capf-tls.js';
import type { OnlineCa } from './lsc-issuer.js';

export interface CapfServerOptions {
  pki: ClusterPki;
  store: CapfStore;
  /** Default "0.0.0.0"; tests use 127.0.0.1. */
  host?: string;
  /** Default 3804; 0 lets the OS choose. */
  port?: number;
  minTlsVersion?: MinTlsVersion;
  commonCriteria?: boolean;
  /** OpenSSL cipher string replacing CUCM's CAPF list (001 L2269). */
  ciphers?: string;
  securityLevel?: number;
  /** "Enable IPv6" (001 L5238): when false, IPv6 connections are refused. Default true. */
  enableIpv6?: boolean;
  timeouts?: Partial<SessionTimeouts> & { handshakeMs?: number };
  /** Keepalive interval; default the store's keepAliveMinutes (15 min). */
  keepAliveMs?: number;
  /** RETRY_DELAY sent with RETRY_LATER, seconds (default 3600). */
  retryLaterSeconds?: number;
  /** Largest element length accepted in one message (default 65535, the protocol's limit). */
  maxMessageBodyLength?: number;
  /** Simultaneous connections (default 64). */
  maxConnections?: number;
  /** Refuse certificate authentication without SUDI_DATA (default false). */
  requireSudi?: boolean;
  /** AUTH_REQUEST {VERSION, AUTH_TYPE 0} as capfd (default) or {VERSION} only as the CUCM capture. */
  authRequest?: 'version-and-auth-type' | 'version-only';
  /** First session id (default 1); ids then increase by one per connection. */
  firstSessionId?: number;
  /** Keep each session's bytes (tests, byte-level reports). */
  recordTranscripts?: boolean;
  now?: () => Date;
  /** The CA of Online CA mode (used when the store's Certificate Issuer to Endpoint is online-ca). */
  onlineCa?: OnlineCa;
}

export interface CapfServer extends EventEmitter {
  readonly port: number;
  readonly host: string;
  /** The TLS configuration in one line. */
  readonly tlsDescription: string;
  address(): AddressInfo;
  /** The most recent sessions (at most 200), oldest first. */
  sessions(): readonly SessionRecord[];
  /** Loads the current CAPF certificate (done automatically when the pki regenerates or uploads CAPF). */
  refreshCredentials(): void;
  /** Stops listening, ends open sessions and writes the journal. */
  close(): Promise<void>;
  on(event: 'session', listener: (s: SessionRecord) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

const log = logger('capf');

export async function startCapfServer(opts: CapfServerOptions): Promise<CapfServer> {
  const tlsOpts = capfTlsOptions({
    ...(opts.minTlsVersion !== undefined ? { minTlsVersion: opts.minTlsVersion } : {}),
    ...(opts.commonCriteria !== undefined ? { commonCriteria: opts.commonCriteria } : {}),
    ...(opts.ciphers !== undefined ? { ciphers: opts.ciphers } : {}),
    ...(opts.securityLevel !== undefined ? { securityLevel: opts.securityLevel } : {}),
  });
  const creds = () => opts.pki.tlsCredentials('CAPF');
  const now = opts.now ?? (() => new Date());
  const timeouts: SessionTimeouts = {
    authResponseMs: opts.timeouts?.authResponseMs ?? 30_000,
    keyGenerationMs: opts.timeouts?.keyGenerationMs ?? 60 * 60_000,
    responseMs: opts.timeouts?.responseMs ?? 30_000,
  };
  const busy = new Set<string>();
  const records: SessionRecord[] = [];
  const running = new Set<Promise<SessionRecord>>();
  const sockets = new Set<TLSSocket>();
  let nextId = opts.firstSessionId ?? 1;
  let closing = false;

  const c0 = creds();
  const server: Server = createServer({
    key: c0.key,
    cert: c0.cert,
    ciphers: tlsOpts.ciphers,
    minVersion: tlsOpts.minVersion,
    maxVersion: tlsOpts.maxVersion,
    honorCipherOrder: true,
    requestCert: false,
    handshakeTimeout: opts.timeouts?.handshakeMs ?? 10_000,
  });
  server.maxConnections = opts.maxConnections ?? 64;

  const emitter = new EventEmitter() as CapfServer;

  server.on('secureConnection', (socket: TLSSocket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    if (opts.enableIpv6 === false && socket.remoteFamily === 'IPv6' && !(socket.remoteAddress ?? '').startsWith('::ffff:')) {
      opts.store.record({ peer, step: 'connect', outcome: 'refused', reason: 'IPv6 connection refused: the Enable IPv6 parameter is False (001 L5238)' });
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const sessionId = nextId;
    nextId = nextId >= 0xffffffff ? 1 : nextId + 1;
    const transcript: TranscriptEntry[] | undefined = opts.recordTranscripts ? [] : undefined;
    const conn = new CapfConnection(socket, { role: 'server', sessionId, ...(opts.maxMessageBodyLength !== undefined ? { maxBodyLength: opts.maxMessageBodyLength } : {}), ...(transcript ? { transcript } : {}) });
    opts.store.record({ sessionId, peer, step: 'connect', outcome: 'info', reason: `${socket.getProtocol() ?? '?'} ${socket.getCipher()?.standardName ?? '?'}` });
    const p = runCapfSession({
      conn,
      sessionId,
      peer,
      pki: opts.pki,
      store: opts.store,
      now,
      timeouts,
      keepAliveMs: opts.keepAliveMs ?? opts.store.parameters().keepAliveMinutes * 60_000,
      retryLaterSeconds: opts.retryLaterSeconds ?? 3600,
      requireSudi: opts.requireSudi ?? false,
      authRequest: opts.authRequest ?? 'version-and-auth-type',
      busy,
      log,
      ...(transcript ? { transcript } : {}),
      ...(opts.onlineCa ? { onlineCa: opts.onlineCa } : {}),
    });
    running.add(p);
    void p.then((rec) => {
      running.delete(p);
      records.push(rec);
      if (records.length > 200) records.splice(0, records.length - 200);
      emitter.emit('session', rec);
    });
  });

  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    opts.store.record({ peer: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, step: 'tls', outcome: 'failed', reason: `TLS handshake failed: ${err.message}` });
    socket.destroy();
  });
  server.on('error', (err) => log.error(`CAPF listener: ${err.message}`));

  const host = opts.host ?? '0.0.0.0';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? CAPF_PORT, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  log.info(`CAPF listening on ${address.address}:${address.port}: ${tlsOpts.description}`);
  opts.store.record({ step: 'listen', outcome: 'info', reason: `listening on ${address.address}:${address.port}; ${tlsOpts.description}` });

  const refreshCredentials = () => {
    const c = creds();
    server.setSecureContext({ key: c.key, cert: c.cert, ciphers: tlsOpts.ciphers, minVersion: tlsOpts.minVersion, maxVersion: tlsOpts.maxVersion, honorCipherOrder: true });
    opts.store.record({ step: 'credentials', outcome: 'info', reason: `CAPF certificate ${c.identity.certificate.serialHex} "${c.identity.certificate.subject}" in use` });
  };
  const unsubscribe = opts.pki.onEvent((e) => {
    if (e.purpose === 'CAPF' && (e.type === 'certificate-regenerated' || e.type === 'certificate-uploaded')) refreshCredentials();
  });

  Object.defineProperties(emitter, {
    port: { value: address.port, enumerable: true },
    host: { value: address.address, enumerable: true },
    tlsDescription: { value: tlsOpts.description, enumerable: true },
  });
  emitter.address = () => server.address() as AddressInfo;
  emitter.sessions = () => records;
  emitter.refreshCredentials = refreshCredentials;
  emitter.close = async () => {
    if (closing) return;
    closing = true;
    unsubscribe();
    const closed = new Promise<void>((r) => server.close(() => r()));
    const grace = setTimeout(() => {
      for (const s of sockets) s.destroy();
    }, 2000);
    grace.unref();
    for (const s of sockets) s.end();
    await Promise.allSettled([...running]);
    clearTimeout(grace);
    for (const s of sockets) s.destroy();
    await closed;
    await opts.store.flush();
  };
  return emitter;
}
