// Read-only TFTP server (RFC 1350 + RFC 2347/2348/2349 options): one transfer per request on its own ephemeral
// socket (a fresh TID, RFC 1350 §4), lock-step DATA/ACK with retransmission on timeout and bounded retries, block
// numbers rolling over past 65535, bounded concurrent transfers. Hostile datagrams get an ERROR (rate-limited) or
// are dropped; nothing a peer sends can throw out of a handler.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { logger } from '../../common/log.js';
import {
  DEFAULT_BLKSIZE,
  MAX_BLKSIZE,
  MIN_BLKSIZE,
  TftpErrorCode,
  TftpPacketError,
  decodeTftpPacket,
  describeTftpPacket,
  encodeTftpPacket,
  readRequestOptions,
  toNetascii,
  type TftpMode,
  type TftpOptions,
  type TftpPacket,
} from './tftp-packets.js';

const log = logger('tftp');

/** What the server needs to know about a requested file. */
export type TftpFileResult = { status: 'ok'; body: Uint8Array } | { status: 'not-found' | 'forbidden' | 'error'; reason: string };

export interface TftpRequestInfo {
  remoteAddress: string;
  remotePort: number;
  mode: TftpMode;
}

export interface TftpServerOptions {
  /** Default 69; 0 lets the OS choose (tests). */
  port?: number;
  /** Default 0.0.0.0. */
  address?: string;
  resolve: (filename: string, info: TftpRequestInfo) => TftpFileResult | Promise<TftpFileResult>;
  /** Retransmission interval when the client does not negotiate "timeout"; default 1000 ms. */
  retransmitMs?: number;
  /** Retransmissions of one packet before the transfer is abandoned; default 5. */
  maxRetries?: number;
  /** Transfers at once; default 64. */
  maxTransfers?: number;
  /** Transfers at once from one client address; default 8. */
  maxTransfersPerClient?: number;
  /** Largest block size granted; default 65464 (RFC 2348's maximum). */
  maxBlksize?: number;
  /** ERROR replies to malformed or stray datagrams, per second; default 50 (beyond that they are dropped). */
  maxErrorRepliesPerSecond?: number;
  /** Transfer records kept; default 1000. */
  maxRecords?: number;
}

export type TransferOutcome = 'completed' | 'refused' | 'timeout' | 'aborted' | 'error' | 'stopped';

export interface TransferRecord {
  readonly id: number;
  readonly request: 'RRQ' | 'WRQ';
  readonly remote: string;
  readonly filename: string;
  readonly mode: TftpMode;
  readonly requestedOptions: TftpOptions;
  /** Options acknowledged in the OACK (none = plain RFC 1350 transfer). */
  negotiated: { blksize?: number; tsize?: number; timeout?: number };
  blksize: number;
  outcome: 'pending' | TransferOutcome;
  reason?: string;
  /** Bytes sent in DATA packets acknowledged by the client. */
  bytes: number;
  blocks: number;
  retransmissions: number;
  readonly startedAt: string;
  endedAt?: string;
}

export interface TftpServerStats {
  datagrams: number;
  malformed: number;
  strays: number;
  errorRepliesDropped: number;
  requests: number;
  refused: number;
  completed: number;
}

interface Active {
  record: TransferRecord;
  socket?: dgram.Socket;
  timer?: NodeJS.Timeout;
  /** Datagrams handed to the socket and not yet sent: the socket closes only once they are out. */
  inFlight: number;
  closing?: boolean;
  finish(outcome: TransferOutcome, reason?: string): void;
}

export class TftpServer extends EventEmitter {
  readonly #o: Required<Omit<TftpServerOptions, 'resolve'>> & Pick<TftpServerOptions, 'resolve'>;
  #socket: dgram.Socket | undefined;
  readonly #active = new Map<string, Active>();
  readonly #records: TransferRecord[] = [];
  #nextId = 1;
  #errorBudget = { second: 0, used: 0 };
  readonly stats: TftpServerStats = { datagrams: 0, malformed: 0, strays: 0, errorRepliesDropped: 0, requests: 0, refused: 0, completed: 0 };

  constructor(o: TftpServerOptions) {
    super();
    this.#o = {
      port: o.port ?? 69,
      address: o.address ?? '0.0.0.0',
      resolve: o.resolve,
      retransmitMs: o.retransmitMs ?? 1000,
      maxRetries: o.maxRetries ?? 5,
      maxTransfers: o.maxTransfers ?? 64,
      maxTransfersPerClient: o.maxTransfersPerClient ?? 8,
      maxBlksize: Math.max(MIN_BLKSIZE, Math.min(o.maxBlksize ?? MAX_BLKSIZE, MAX_BLKSIZE)),
      maxErrorRepliesPerSecond: o.maxErrorRepliesPerSecond ?? 50,
      maxRecords: o.maxRecords ?? 1000,
    };
  }

  get #type(): 'udp4' | 'udp6' {
    return net.isIPv6(this.#o.address) ? 'udp6' : 'udp4';
  }

  /** Binds the request port; resolves with the bound address. */
  start(): Promise<{ address: string; port: number }> {
    if (this.#socket) return Promise.resolve(this.address());
    const socket = dgram.createSocket({ type: this.#type });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: this.#o.port, address: this.#o.address }, () => {
        socket.off('error', reject);
        socket.on('error', (e) => log.error(`TFTP socket: ${e.message}`));
        socket.on('message', (msg, rinfo) => this.#onRequestDatagram(msg, rinfo));
        this.#socket = socket;
        const a = this.address();
        log.info(`TFTP listening on ${a.address}:${a.port}`);
        resolve(a);
      });
    });
  }

  address(): { address: string; port: number } {
    if (!this.#socket) throw new Error('the TFTP server is not started');
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  get port(): number {
    return this.address().port;
  }

  get activeTransfers(): number {
    return this.#active.size;
  }

  /** Recent transfers, oldest first. */
  get records(): readonly TransferRecord[] {
    return this.#records;
  }

  /** Closes the request socket and every transfer in progress. */
  async stop(): Promise<void> {
    for (const t of [...this.#active.values()]) t.finish('stopped', 'server stopped');
    const s = this.#socket;
    this.#socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  #mayReplyError(): boolean {
    const now = Math.floor(Date.now() / 1000);
    if (this.#errorBudget.second !== now) this.#errorBudget = { second: now, used: 0 };
    if (this.#errorBudget.used >= this.#o.maxErrorRepliesPerSecond) {
      this.stats.errorRepliesDropped++;
      return false;
    }
    this.#errorBudget.used++;
    return true;
  }

  #sendError(socket: dgram.Socket | undefined, to: dgram.RemoteInfo | { address: string; port: number }, code: number, message: string, limited = false): void {
    if (!socket || to.port === 0) return;
    if (limited && !this.#mayReplyError()) return;
    try {
      socket.send(encodeTftpPacket({ op: 'ERROR', code, message }), to.port, to.address);
    } catch (e) {
      log.debug(`could not send ERROR to ${to.address}:${to.port}: ${(e as Error).message}`);
    }
  }

  #onRequestDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.stats.datagrams++;
    if (rinfo.port === 0) return;
    let p: TftpPacket;
    try {
      p = decodeTftpPacket(msg);
    } catch (e) {
      this.stats.malformed++;
      const detail = e instanceof TftpPacketError ? e.message : String(e);
      log.debug(`malformed datagram from ${rinfo.address}:${rinfo.port}: ${detail}`);
      // Never answer what claims to be an ERROR: two servers must not ping-pong errors.
      if (msg.length >= 2 && msg.readUInt16BE(0) !== 5) this.#sendError(this.#socket, rinfo, TftpErrorCode.ILLEGAL_OPERATION, detail.slice(0, 120), true);
      return;
    }
    switch (p.op) {
      case 'RRQ':
        this.#onReadRequest(p, rinfo);
        return;
      case 'WRQ': {
        this.stats.requests++;
        this.stats.refused++;
        const record = this.#newRecord(p, rinfo);
        record.outcome = 'refused';
        record.reason = 'write request: this server is read-only';
        record.endedAt = record.startedAt;
        log.info(`TFTP WRQ "${p.filename}" from ${record.remote} refused: read-only`);
        this.#sendError(this.#socket, rinfo, TftpErrorCode.ACCESS_VIOLATION, 'Access violation: this server is read-only', true);
        this.emit('transfer', record);
        return;
      }
      case 'ERROR':
        this.stats.strays++;
        return;
      default:
        this.stats.strays++;
        log.debug(`stray ${describeTftpPacket(p)} on the request port from ${rinfo.address}:${rinfo.port}`);
        this.#sendError(this.#socket, rinfo, TftpErrorCode.UNKNOWN_TID, 'Unknown transfer ID', true);
    }
  }

  #newRecord(p: Extract<TftpPacket, { op: 'RRQ' | 'WRQ' }>, rinfo: dgram.RemoteInfo): TransferRecord {
    const r: TransferRecord = {
      id: this.#nextId++,
      request: p.op,
      remote: `${rinfo.address}:${rinfo.port}`,
      filename: p.filename,
      mode: p.mode,
      requestedOptions: p.options,
      negotiated: {},
      blksize: DEFAULT_BLKSIZE,
      outcome: 'pending',
      bytes: 0,
      blocks: 0,
      retransmissions: 0,
      startedAt: new Date().toISOString(),
    };
    this.#records.push(r);
    if (this.#records.length > this.#o.maxRecords) this.#records.splice(0, this.#records.length - this.#o.maxRecords);
    return r;
  }

  #onReadRequest(p: Extract<TftpPacket, { op: 'RRQ' | 'WRQ' }>, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    // A retransmitted RRQ while its transfer runs: the transfer's own retransmissions will answer it.
    if (this.#active.has(key)) return;
    this.stats.requests++;
    const record = this.#newRecord(p, rinfo);
    const refuse = (code: number, reason: string, message = reason) => {
      record.outcome = 'refused';
      record.reason = reason;
      record.endedAt = new Date().toISOString();
      this.stats.refused++;
      log.info(`TFTP RRQ "${p.filename}" from ${record.remote} refused: ${reason}`);
      this.#sendError(this.#socket, rinfo, code, message);
      this.emit('transfer', record);
    };
    if (this.#active.size >= this.#o.maxTransfers) return refuse(TftpErrorCode.NOT_DEFINED, `server busy (${this.#o.maxTransfers} transfers in progress)`);
    let fromClient = 0;
    for (const a of this.#active.values()) if (a.record.remote.startsWith(rinfo.address + ':')) fromClient++;
    if (fromClient >= this.#o.maxTransfersPerClient) return refuse(TftpErrorCode.NOT_DEFINED, `too many transfers from ${rinfo.address} (${this.#o.maxTransfersPerClient})`);
    if (p.mode === 'mail') return refuse(TftpErrorCode.ILLEGAL_OPERATION, 'mail mode is not supported');
    let opts;
    try {
      opts = readRequestOptions(p.options);
    } catch (e) {
      return refuse(TftpErrorCode.OPTION_REFUSED, (e as Error).message);
    }

    // Hold the slot while the file is resolved so that a retransmitted RRQ does not start a second transfer.
    const active: Active = {
      record,
      inFlight: 0,
      finish: (outcome, reason) => {
        if (record.outcome !== 'pending') return;
        record.outcome = outcome;
        if (reason) record.reason = reason;
        record.endedAt = new Date().toISOString();
        if (active.timer) clearTimeout(active.timer);
        active.closing = true;
        if (active.inFlight === 0) this.#closeTransferSocket(active);
        this.#active.delete(key);
        if (outcome === 'completed') this.stats.completed++;
        const level = outcome === 'completed' || outcome === 'stopped' ? 'info' : 'warn';
        log[level](`TFTP "${p.filename}" to ${record.remote}: ${outcome}${reason ? ` (${reason})` : ''}, ${record.bytes} bytes in ${record.blocks} blocks of ${record.blksize}`);
        this.emit('transfer', record);
      },
    };
    this.#active.set(key, active);

    Promise.resolve()
      .then(() => this.#o.resolve(p.filename, { remoteAddress: rinfo.address, remotePort: rinfo.port, mode: p.mode }))
      .then(
        (file) => {
          if (record.outcome !== 'pending') return;
          if (file.status !== 'ok') {
            this.#active.delete(key);
            const code = file.status === 'not-found' ? TftpErrorCode.FILE_NOT_FOUND : file.status === 'forbidden' ? TftpErrorCode.ACCESS_VIOLATION : TftpErrorCode.NOT_DEFINED;
            const prefix = file.status === 'not-found' ? 'File not found' : file.status === 'forbidden' ? 'Access violation' : 'Error';
            return refuse(code, file.reason, `${prefix}: ${file.reason}`);
          }
          const data = p.mode === 'netascii' ? toNetascii(file.body) : Buffer.from(file.body.buffer, file.body.byteOffset, file.body.byteLength);
          this.#startTransfer(active, rinfo, data, opts);
        },
        (e: unknown) => {
          this.#active.delete(key);
          if (record.outcome === 'pending') refuse(TftpErrorCode.NOT_DEFINED, `could not read the file: ${(e as Error).message}`);
        },
      );
  }

  #startTransfer(active: Active, peer: dgram.RemoteInfo, data: Buffer, opts: ReturnType<typeof readRequestOptions>): void {
    const record = active.record;
    const oack: [string, string][] = [];
    let blksize = DEFAULT_BLKSIZE;
    if (opts.blksize !== undefined) {
      blksize = Math.min(opts.blksize, this.#o.maxBlksize);
      record.negotiated.blksize = blksize;
      oack.push(['blksize', String(blksize)]);
    }
    let retransmitMs = this.#o.retransmitMs;
    if (opts.timeout !== undefined) {
      retransmitMs = opts.timeout * 1000;
      record.negotiated.timeout = opts.timeout;
      oack.push(['timeout', String(opts.timeout)]);
    }
    if (opts.tsize !== undefined) {
      record.negotiated.tsize = data.length;
      oack.push(['tsize', String(data.length)]);
    }
    record.blksize = blksize;
    const totalBlocks = Math.floor(data.length / blksize) + 1;
    let sent = 0; // absolute number of the last DATA block sent (0 = none yet)
    let last: Buffer;
    let retries = 0;

    const socket = dgram.createSocket({ type: net.isIPv6(peer.address) ? 'udp6' : 'udp4' });
    active.socket = socket;
    const transmit = (packet: Buffer) => {
      last = packet;
      retries = 0;
      this.#send(active, packet, peer);
    };
    const sendBlock = (n: number) => {
      sent = n;
      const chunk = data.subarray((n - 1) * blksize, Math.min(n * blksize, data.length));
      transmit(encodeTftpPacket({ op: 'DATA', block: n & 0xffff, data: chunk }));
    };
    const arm = () => {
      if (active.timer) clearTimeout(active.timer);
      active.timer = setTimeout(() => {
        if (record.outcome !== 'pending') return;
        if (++retries > this.#o.maxRetries) return active.finish('timeout', `no ACK after ${this.#o.maxRetries} retransmissions`);
        record.retransmissions++;
        this.#send(active, last, peer);
        arm();
      }, retransmitMs);
      active.timer.unref?.();
    };

    socket.on('error', (e) => active.finish('error', `socket: ${e.message}`));
    socket.on('message', (msg, rinfo) => {
      if (record.outcome !== 'pending') return;
      this.stats.datagrams++;
      if (rinfo.address !== peer.address || rinfo.port !== peer.port) {
        // RFC 1350 §4: a packet from another TID gets ERROR 5, and the transfer goes on.
        this.stats.strays++;
        if ((msg.length < 2 || msg.readUInt16BE(0) !== 5) && this.#mayReplyError()) this.#send(active, encodeTftpPacket({ op: 'ERROR', code: TftpErrorCode.UNKNOWN_TID, message: 'Unknown transfer ID' }), rinfo);
        return;
      }
      let p: TftpPacket;
      try {
        p = decodeTftpPacket(msg);
      } catch (e) {
        this.stats.malformed++;
        const detail = e instanceof TftpPacketError ? e.message : String(e);
        this.#send(active, encodeTftpPacket({ op: 'ERROR', code: TftpErrorCode.ILLEGAL_OPERATION, message: detail.slice(0, 120) }), rinfo);
        return active.finish('error', `malformed packet from the client: ${detail}`);
      }
      if (p.op === 'ERROR') return active.finish('aborted', `client sent ERROR ${p.code} "${p.message.slice(0, 100)}"`);
      if (p.op !== 'ACK') {
        this.#send(active, encodeTftpPacket({ op: 'ERROR', code: TftpErrorCode.ILLEGAL_OPERATION, message: `Illegal TFTP operation: ${p.op} during a read transfer` }), rinfo);
        return active.finish('error', `client sent ${describeTftpPacket(p)} during the transfer`);
      }
      if (p.block !== (sent & 0xffff)) return; // duplicate or stale ACK: never resend on it (Sorcerer's Apprentice)
      if (sent > 0) {
        record.blocks = sent;
        record.bytes = Math.min(sent * blksize, data.length);
      }
      if (sent === totalBlocks) return active.finish('completed');
      sendBlock(sent + 1);
      arm();
    });
    socket.bind({ port: 0, address: this.#ephemeralAddress(peer) }, () => {
      if (record.outcome !== 'pending') return;
      if (oack.length) transmit(encodeTftpPacket({ op: 'OACK', options: oack }));
      else sendBlock(1);
      arm();
    });
  }

  /** Bind transfers to the request socket's address (unless it is the wildcard). */
  #ephemeralAddress(peer: dgram.RemoteInfo): string {
    const a = this.#o.address;
    if (net.isIPv6(peer.address) !== net.isIPv6(a)) return net.isIPv6(peer.address) ? '::' : '0.0.0.0';
    return a;
  }

  /** Sends on the transfer's socket; the socket of a finished transfer closes once its last datagram is out. */
  #send(active: Active, packet: Buffer, to: { address: string; port: number }): void {
    const s = active.socket;
    if (!s || to.port === 0) return;
    active.inFlight++;
    s.send(packet, to.port, to.address, (err) => {
      active.inFlight--;
      if (err) active.finish('error', `send: ${err.message}`);
      if (active.closing && active.inFlight === 0) this.#closeTransferSocket(active);
    });
  }

  #closeTransferSocket(active: Active): void {
    const s = active.socket;
    active.socket = undefined;
    if (s) s.close();
  }
}
