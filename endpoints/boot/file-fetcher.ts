// How the phone gets a file from its TFTP server: TFTP (69), HTTP (6970) or HTTPS (6971, CallManager certificates,
// mutual authentication with the phone's LSC/MIC). One call = one request on one transport; the boot sequence picks
// the transports in the model's order. Bounded: size and time, every failure a result, never a throw.
import http from 'node:http';
import type { TLSSocket } from 'node:tls';
import { connectWithOffer, type ServerCertificateRecord, type TlsHandshakeRecord, type TlsOffer } from '../tls/phone-tls-offer.js';
import { TftpClientError, tftpGet } from './tftp-client.js';

export type FetchTransport = 'tftp' | 'http' | 'https-6971';

/** The TFTP server the phone was pointed at (DHCP option 150) and its ports. */
export interface FileServerAddress {
  host: string;
  /** Default 69. */
  tftpPort?: number;
  /** Default 6970. */
  httpPort?: number;
  /** Default 6971. */
  https6971Port?: number;
}

export type FetchStatus = 'ok' | 'not-found' | 'forbidden' | 'error' | 'unreachable' | 'untrusted-server';

export interface FetchResult {
  name: string;
  transport: FetchTransport;
  status: FetchStatus;
  body?: Buffer;
  reason?: string;
  httpStatus?: number;
  tftp?: { blksize: number; blocks: number; retransmissions: number; negotiated: Record<string, string> };
  tls?: { attempts: TlsHandshakeRecord[]; connected?: TlsHandshakeRecord };
  durationMs: number;
}

export interface HttpsFetch {
  offer: TlsOffer;
  verifyServer: (cert: ServerCertificateRecord) => Promise<true | string> | true | string;
}

export interface FileFetcherOptions {
  server: FileServerAddress;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** Largest file accepted; default 4 MiB. */
  maxBytes?: number;
  /** TFTP blksize option (0 = none). */
  tftpBlockSize?: number;
  tftpRetransmitMs?: number;
}

const DEFAULT_MAX = 4 * 1024 * 1024;

export class FileFetcher {
  readonly #o: FileFetcherOptions;

  constructor(o: FileFetcherOptions) {
    this.#o = o;
  }

  get server(): FileServerAddress {
    return this.#o.server;
  }

  async fetch(name: string, transport: FetchTransport, https?: HttpsFetch): Promise<FetchResult> {
    const started = Date.now();
    let r: Omit<FetchResult, 'durationMs'>;
    if (transport === 'tftp') r = await this.#tftp(name);
    else if (transport === 'http') r = await this.#http(name);
    else if (!https) r = { name, transport, status: 'error', reason: 'HTTPS needs a TLS offer and a server check' };
    else r = await this.#https(name, https);
    return { ...r, durationMs: Date.now() - started };
  }

  async #tftp(name: string): Promise<Omit<FetchResult, 'durationMs'>> {
    const s = this.#o.server;
    try {
      const r = await tftpGet(name, {
        host: s.host,
        port: s.tftpPort ?? 69,
        timeoutMs: this.#o.timeoutMs ?? 10_000,
        maxBytes: this.#o.maxBytes ?? DEFAULT_MAX,
        ...(this.#o.tftpBlockSize ? { blksize: this.#o.tftpBlockSize } : {}),
        ...(this.#o.tftpRetransmitMs ? { retransmitMs: this.#o.tftpRetransmitMs } : {}),
      });
      return { name, transport: 'tftp', status: 'ok', body: r.data, tftp: { blksize: r.blksize, blocks: r.blocks, retransmissions: r.retransmissions, negotiated: r.negotiated } };
    } catch (e) {
      if (!(e instanceof TftpClientError)) throw e;
      const status: FetchStatus =
        e.failure === 'not-found' ? 'not-found' : e.failure === 'access-violation' ? 'forbidden' : e.failure === 'timeout' || e.failure === 'network-error' ? 'unreachable' : 'error';
      return { name, transport: 'tftp', status, reason: e.message };
    }
  }

  #http(name: string): Promise<Omit<FetchResult, 'durationMs'>> {
    const s = this.#o.server;
    return this.#get(name, 'http', { host: s.host, port: s.httpPort ?? 6970 });
  }

  async #https(name: string, h: HttpsFetch): Promise<Omit<FetchResult, 'durationMs'>> {
    const s = this.#o.server;
    const port = s.https6971Port ?? 6971;
    const c = await connectWithOffer(h.offer, { host: s.host, port, timeoutMs: this.#o.timeoutMs ?? 10_000, verifyServer: h.verifyServer });
    const tlsInfo = { attempts: c.attempts, ...(c.connected ? { connected: c.connected } : {}) };
    if (!c.socket) {
      const status: FetchStatus = c.failure?.kind === 'network' ? 'unreachable' : c.failure?.kind === 'untrusted-server' ? 'untrusted-server' : 'error';
      return { name, transport: 'https-6971', status, reason: c.failure?.reason ?? 'no TLS connection', tls: tlsInfo };
    }
    const r = await this.#get(name, 'https-6971', { host: s.host, port, socket: c.socket });
    return { ...r, tls: tlsInfo };
  }

  #get(name: string, transport: FetchTransport, t: { host: string; port: number; socket?: TLSSocket }): Promise<Omit<FetchResult, 'durationMs'>> {
    const maxBytes = this.#o.maxBytes ?? DEFAULT_MAX;
    const timeoutMs = this.#o.timeoutMs ?? 10_000;
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: Omit<FetchResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        t.socket?.destroy();
        resolve(r);
      };
      const req = http.request({
        host: t.host,
        port: t.port,
        method: 'GET',
        path: '/' + encodeURIComponent(name),
        headers: { Connection: 'close' },
        // createConnection is only used without an agent (agent: false would open a new connection).
        ...(t.socket ? { createConnection: () => t.socket! } : { agent: false }),
      });
      const timer = setTimeout(() => done({ name, transport, status: 'unreachable', reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => done({ name, transport, status: 'unreachable', reason: `${e.code ? `${e.code}: ` : ''}${e.message}` }));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) return done({ name, transport, status: 'error', httpStatus: status, reason: `more than the ${maxBytes} bytes accepted` });
          chunks.push(c);
        });
        res.on('error', (e) => done({ name, transport, status: 'unreachable', reason: e.message }));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          if (status === 200) return done({ name, transport, status: 'ok', httpStatus: status, body });
          const reason = `HTTP ${status}: ${body.toString('utf8', 0, Math.min(body.length, 300)).trim()}`;
          done({ name, transport, status: status === 404 ? 'not-found' : status === 403 ? 'forbidden' : 'error', httpStatus: status, reason });
        });
      });
      req.end();
    });
  }
}
