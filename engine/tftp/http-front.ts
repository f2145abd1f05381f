// HTTP (6970) and HTTPS (6971: CallManager + CallManager-ECDSA, 6972: Tomcat) front doors of the file service:
// GET and HEAD of a file name, no directory listing, 404/403 with the reason as a text body. The HTTPS doors ask for
// a client certificate without requiring one at the TLS layer: the file service decides per file who must have
// presented which certificate (the LSC rule), so other phones and curl still get the public files.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { logger } from '../../common/log.js';
import type { FrontDoor, RequestContext, ResolveResult } from './file-service.js';

const log = logger('tftp');

export interface KeyCertPair {
  /** PEM private key. */
  key: string | Buffer;
  /** PEM certificate, optionally followed by its chain. */
  cert: string | Buffer;
}

export interface HttpsSettings {
  /** One pair per key type: OpenSSL serves the one the negotiated suite needs (RSA or ECDSA). */
  certificates: KeyCertPair[];
  /** Send a CertificateRequest; default true. The client may still send none. */
  requestClientCertificate?: boolean;
  /** CA names put in the CertificateRequest (e.g. CAPF and the manufacturing CA). */
  clientCa?: (string | Buffer)[];
  /** Protocol bounds; default TLS 1.2 only (HAProxy config download ports, seed 001 L4335). */
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher string (e.g. from engine/tls policy); default node's. */
  ciphers?: string;
  honorCipherOrder?: boolean;
}

export interface HttpTlsInfo {
  protocol: string | null;
  cipher: string;
  /** Key type of the server certificate served. */
  serverCertificate: 'RSA' | 'EC' | 'unknown';
  /** Subject CN of the client certificate, when one was presented. */
  clientCertificate?: string;
}

export interface HttpRequestEvent {
  frontDoor: FrontDoor;
  remote: string;
  method: string;
  /** The request target as received (truncated). */
  target: string;
  statusCode: number;
  result?: ResolveResult;
  /** Why the request never reached the file service (bad method, bad path encoding). */
  reason?: string;
  tls?: HttpTlsInfo;
}

export interface HttpFrontOptions {
  frontDoor: Exclude<FrontDoor, 'tftp'>;
  port: number;
  address: string;
  resolve: (name: string, ctx: RequestContext) => ResolveResult | Promise<ResolveResult>;
  /** Required for the HTTPS front doors. */
  tls?: HttpsSettings;
  onRequest?: (e: HttpRequestEvent) => void;
  /** Connections at once; default 256. */
  maxConnections?: number;
  /** Time to receive a request (headers included); default 10 s. */
  requestTimeoutMs?: number;
}

function tlsInfo(socket: TLSSocket): HttpTlsInfo {
  const served = socket.getCertificate() as Record<string, unknown> | null;
  const peer = socket.getPeerCertificate();
  const info: HttpTlsInfo = {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.name ?? '',
    serverCertificate: !served ? 'unknown' : 'modulus' in served ? 'RSA' : 'pubkey' in served ? 'EC' : 'unknown',
  };
  if (peer && peer.raw) info.clientCertificate = String(peer.subject?.CN ?? '(no CN)');
  return info;
}

export class HttpFront {
  readonly #o: HttpFrontOptions;
  #server: http.Server | https.Server | undefined;
  readonly #sockets = new Set<import('node:net').Socket>();

  constructor(o: HttpFrontOptions) {
    if (o.frontDoor !== 'http' && !o.tls?.certificates.length) throw new Error(`the ${o.frontDoor} front door needs at least one certificate`);
    this.#o = o;
  }

  start(): Promise<{ address: string; port: number }> {
    const o = this.#o;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      void this.#handle(req, res).catch((e: unknown) => {
        log.error(`${o.frontDoor}: ${(e as Error).message}`);
        if (!res.headersSent) this.#text(res, req, 500, 'internal error');
        else res.destroy();
      });
    };
    const timeout = o.requestTimeoutMs ?? 10_000;
    let server: http.Server | https.Server;
    if (o.frontDoor === 'http') server = http.createServer({ requestTimeout: timeout, headersTimeout: timeout }, handler);
    else {
      const t = o.tls!;
      server = https.createServer(
        {
          key: t.certificates.map((c) => c.key),
          cert: t.certificates.map((c) => c.cert),
          requestCert: t.requestClientCertificate ?? true,
          rejectUnauthorized: false,
          ...(t.clientCa ? { ca: t.clientCa } : {}),
          minVersion: t.minVersion ?? 'TLSv1.2',
          maxVersion: t.maxVersion ?? 'TLSv1.2',
          ...(t.ciphers ? { ciphers: t.ciphers } : {}),
          ...(t.honorCipherOrder !== undefined ? { honorCipherOrder: t.honorCipherOrder } : {}),
          handshakeTimeout: timeout,
          requestTimeout: timeout,
          headersTimeout: timeout,
        },
        handler,
      );
      server.on('tlsClientError', (e, socket) => log.info(`${o.frontDoor}: TLS handshake with ${socket.remoteAddress}:${socket.remotePort} failed: ${e.message}`));
    }
    server.maxConnections = o.maxConnections ?? 256;
    server.keepAliveTimeout = 5000;
    server.on('connection', (s: import('node:net').Socket) => {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
    server.on('clientError', (e: Error, socket: import('node:net').Socket) => {
      log.debug(`${o.frontDoor}: bad request from ${socket.remoteAddress}: ${e.message}`);
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: o.port, host: o.address }, () => {
        server.off('error', reject);
        server.on('error', (e) => log.error(`${o.frontDoor}: ${e.message}`));
        this.#server = server;
        const a = server.address() as AddressInfo;
        log.info(`${o.frontDoor} listening on ${a.address}:${a.port}`);
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  get port(): number {
    const a = this.#server?.address() as AddressInfo | null | undefined;
    if (!a) throw new Error(`the ${this.#o.frontDoor} front door is not started`);
    return a.port;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    const closed = new Promise<void>((r) => s.close(() => r()));
    for (const sock of this.#sockets) sock.destroy();
    await closed;
  }

  #text(res: http.ServerResponse, req: http.IncomingMessage, status: number, body: string, headers: Record<string, string> = {}): void {
    const b = Buffer.from(body + '\n', 'utf8');
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(b.length), 'Cache-Control': 'no-store', ...headers });
    res.end(req.method === 'HEAD' ? undefined : b);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const o = this.#o;
    const socket = req.socket;
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const target = (req.url ?? '').slice(0, 300);
    const secure = o.frontDoor !== 'http';
    const event: HttpRequestEvent = { frontDoor: o.frontDoor, remote, method: req.method ?? '', target, statusCode: 0 };
    if (secure) event.tls = tlsInfo(socket as TLSSocket);
    const done = (status: number, body: string, reason?: string, headers?: Record<string, string>) => {
      event.statusCode = status;
      if (reason) event.reason = reason;
      this.#text(res, req, status, body, headers);
      o.onRequest?.(event);
    };
    req.resume(); // bodies are not read: drain them
    if (req.method !== 'GET' && req.method !== 'HEAD') return done(405, `method ${req.method} not allowed`, `method ${req.method}`, { Allow: 'GET, HEAD' });
    const url = req.url ?? '';
    if (!url.startsWith('/')) return done(400, 'the request target must be a path', 'not a path');
    const path = url.split(/[?#]/, 1)[0]!;
    let name: string;
    try {
      name = decodeURIComponent(path);
    } catch {
      return done(400, 'bad percent-encoding in the path', 'bad percent-encoding');
    }
    const ctx: RequestContext = { frontDoor: o.frontDoor, remoteAddress: socket.remoteAddress ?? '' };
    if (secure) {
      const peer = (socket as TLSSocket).getPeerCertificate();
      if (peer && peer.raw) ctx.clientCertificate = peer.raw;
    }
    const result = await o.resolve(name, ctx);
    event.result = result;
    if (result.status === 'ok') {
      event.statusCode = 200;
      res.writeHead(200, { 'Content-Type': result.contentType, 'Content-Length': String(result.body.length), 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : result.body);
      o.onRequest?.(event);
      return;
    }
    const status = result.status === 'not-found' ? 404 : result.status === 'forbidden' ? 403 : 500;
    done(status, result.reason);
  }
}
