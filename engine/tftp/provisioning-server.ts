// The configuration download service: one FileService behind four front doors (TFTP 69, HTTP 6970, HTTPS 6971 with
// the CallManager certificates, HTTPS 6972 with Tomcat's), with a request journal that tests and reports read.
import { EventEmitter } from 'node:events';
import { logger } from '../../common/log.js';
import { FileService, type FileServiceOptions, type FrontDoor, type ResolveResult } from './file-service.js';
import { HttpFront, type HttpRequestEvent, type HttpsSettings, type HttpTlsInfo } from './http-front.js';
import type { ProvisioningSource } from './provisioning-source.js';
import { TftpServer, type TftpServerOptions, type TransferRecord } from './tftp-server.js';

const log = logger('tftp');

export const DEFAULT_PORTS = { tftp: 69, http: 6970, https6971: 6971, https6972: 6972 } as const;

export interface FrontDoorSettings {
  /** Default true (HTTPS doors: when certificates are given). */
  enabled?: boolean;
  port?: number;
  /** Overrides the server-wide address. */
  address?: string;
}

export interface ProvisioningServerOptions {
  source: ProvisioningSource;
  fileService?: FileServiceOptions;
  /** Address every front door binds to unless its own says otherwise; default 0.0.0.0. */
  address?: string;
  tftp?: FrontDoorSettings & Omit<TftpServerOptions, 'resolve' | 'port' | 'address'>;
  http?: FrontDoorSettings;
  /** CallManager (RSA) and CallManager-ECDSA certificates. Not started without certificates. */
  https6971?: FrontDoorSettings & Partial<HttpsSettings>;
  /** Tomcat certificate(s). Not started without certificates. */
  https6972?: FrontDoorSettings & Partial<HttpsSettings>;
  /** Journal entries kept; default 2000. */
  journalSize?: number;
}

export interface ProvisioningPorts {
  tftp?: number;
  http?: number;
  https6971?: number;
  https6972?: number;
}

export interface JournalEntry {
  seq: number;
  at: string;
  frontDoor: FrontDoor;
  remote: string;
  /** The name as requested. */
  file: string;
  status: ResolveResult['status'] | 'bad-request';
  /** HTTP status code (HTTP front doors). */
  httpStatus?: number;
  /** Canonical name served or refused. */
  name?: string;
  served?: string;
  reason?: string;
  bytes?: number;
  /** TFTP: how the transfer ended, once it has. */
  transfer?: { outcome: TransferRecord['outcome']; negotiated: TransferRecord['negotiated']; blksize: number; blocks: number; bytes: number; retransmissions: number; reason?: string };
  tls?: HttpTlsInfo;
}

export class ProvisioningServer extends EventEmitter {
  readonly fileService: FileService;
  readonly #o: ProvisioningServerOptions;
  readonly #journal: JournalEntry[] = [];
  #seq = 0;
  #tftp: TftpServer | undefined;
  readonly #fronts = new Map<'http' | 'https6971' | 'https6972', HttpFront>();
  /** TFTP journal entries waiting for their transfer to end, by client TID. */
  readonly #pendingTftp = new Map<string, JournalEntry>();

  constructor(o: ProvisioningServerOptions) {
    super();
    this.#o = o;
    this.fileService = new FileService(o.source, o.fileService);
  }

  get journal(): readonly JournalEntry[] {
    return this.#journal;
  }

  clearJournal(): void {
    this.#journal.length = 0;
  }

  get ports(): ProvisioningPorts {
    const p: ProvisioningPorts = {};
    if (this.#tftp) p.tftp = this.#tftp.port;
    for (const [k, f] of this.#fronts) p[k] = f.port;
    return p;
  }

  get tftpServer(): TftpServer | undefined {
    return this.#tftp;
  }

  #add(e: Omit<JournalEntry, 'seq' | 'at'>): JournalEntry {
    const entry: JournalEntry = { seq: ++this.#seq, at: new Date().toISOString(), ...e };
    this.#journal.push(entry);
    const max = this.#o.journalSize ?? 2000;
    if (this.#journal.length > max) this.#journal.splice(0, this.#journal.length - max);
    const what = entry.status === 'ok' ? `${entry.served} (${entry.bytes} bytes)` : entry.reason;
    const level = entry.status === 'ok' ? 'info' : entry.status === 'error' ? 'error' : 'info';
    log[level](`${entry.frontDoor} ${entry.remote} "${entry.file}" ${entry.httpStatus ?? ''}${entry.httpStatus ? ' ' : ''}${entry.status}: ${what}`);
    this.emit('request', entry);
    return entry;
  }

  #fromResult(frontDoor: FrontDoor, remote: string, file: string, r: ResolveResult): Omit<JournalEntry, 'seq' | 'at'> {
    const e: Omit<JournalEntry, 'seq' | 'at'> = { frontDoor, remote, file, status: r.status };
    if (r.name) e.name = r.name;
    if (r.status === 'ok') {
      e.served = r.served;
      e.bytes = r.body.length;
    } else e.reason = r.reason;
    return e;
  }

  #onHttp(ev: HttpRequestEvent): void {
    const file = ev.target;
    const base = ev.result
      ? this.#fromResult(ev.frontDoor, ev.remote, file, ev.result)
      : { frontDoor: ev.frontDoor, remote: ev.remote, file, status: 'bad-request' as const, reason: ev.reason ?? `HTTP ${ev.statusCode}` };
    this.#add({ ...base, httpStatus: ev.statusCode, ...(ev.tls ? { tls: ev.tls } : {}) });
  }

  #onTransfer(r: TransferRecord): void {
    let e = this.#pendingTftp.get(r.remote);
    this.#pendingTftp.delete(r.remote);
    // Refused before the file service was asked (write request, busy, bad option, mail mode).
    e ??= this.#add({ frontDoor: 'tftp', remote: r.remote, file: r.filename, status: 'bad-request', reason: r.reason ?? r.outcome });
    e.transfer = { outcome: r.outcome, negotiated: { ...r.negotiated }, blksize: r.blksize, blocks: r.blocks, bytes: r.bytes, retransmissions: r.retransmissions, ...(r.reason ? { reason: r.reason } : {}) };
    this.emit('transfer', e);
  }

  /** Starts every enabled front door; on any failure the ones started are stopped again and the error is thrown. */
  async start(): Promise<ProvisioningPorts> {
    if (this.#tftp || this.#fronts.size) return this.ports;
    const o = this.#o;
    const addr = (d?: FrontDoorSettings) => d?.address ?? o.address ?? '0.0.0.0';
    try {
      if (o.tftp?.enabled !== false) {
        const { enabled: _e, port, address: _a, ...tuning } = o.tftp ?? {};
        const tftp = new TftpServer({
          ...tuning,
          port: port ?? DEFAULT_PORTS.tftp,
          address: addr(o.tftp),
          resolve: (name, info) => {
            const remote = `${info.remoteAddress}:${info.remotePort}`;
            const r = this.fileService.resolve(name, { frontDoor: 'tftp', remoteAddress: info.remoteAddress });
            this.#pendingTftp.set(remote, this.#add(this.#fromResult('tftp', remote, name, r)));
            return r;
          },
        });
        tftp.on('transfer', (r: TransferRecord) => this.#onTransfer(r));
        this.#tftp = tftp;
        await tftp.start();
      }
      if (o.http?.enabled !== false) await this.#startFront('http', 'http', o.http ?? {}, DEFAULT_PORTS.http);
      for (const k of ['https6971', 'https6972'] as const) {
        const s = o[k];
        if (!s || s.enabled === false) continue;
        if (!s.certificates?.length) {
          log.warn(`${k}: no certificates given, not started`);
          continue;
        }
        await this.#startFront(k, k === 'https6971' ? 'https-6971' : 'https-6972', s, DEFAULT_PORTS[k]);
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
    return this.ports;
  }

  async #startFront(key: 'http' | 'https6971' | 'https6972', frontDoor: Exclude<FrontDoor, 'tftp'>, s: FrontDoorSettings & Partial<HttpsSettings>, defaultPort: number): Promise<void> {
    const { enabled: _e, port, address: _a, ...tls } = s;
    const front = new HttpFront({
      frontDoor,
      port: port ?? defaultPort,
      address: s.address ?? this.#o.address ?? '0.0.0.0',
      resolve: (name, ctx) => this.fileService.resolve(name, ctx),
      ...(frontDoor === 'http' ? {} : { tls: tls as HttpsSettings }),
      onRequest: (ev) => this.#onHttp(ev),
    });
    this.#fronts.set(key, front);
    await front.start();
  }

  async stop(): Promise<void> {
    const tftp = this.#tftp;
    this.#tftp = undefined;
    const fronts = [...this.#fronts.values()];
    this.#fronts.clear();
    await Promise.allSettled([tftp?.stop(), ...fronts.map((f) => f.stop())]);
  }

  /** Stops the servers and stops listening to the source. */
  async close(): Promise<void> {
    await this.stop();
    this.fileService.close();
  }
}

export async function startProvisioningServer(o: ProvisioningServerOptions): Promise<ProvisioningServer> {
  const s = new ProvisioningServer(o);
  await s.start();
  return s;
}
