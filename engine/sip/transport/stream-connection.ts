// One TCP or TLS connection carrying SIP: framing (SipStreamFramer), RFC 5626 CRLF keepalive pong, write
// coalescing (everything sent in one turn of the event loop leaves in one write, one TLS record when it fits),
// and bounds on what a slow or silent peer can make us hold.
import type net from 'node:net';
import { logger } from '../../../common/log.js';
import { DeadlineQueue } from '../../../common/deadline-queue.js';
import { PING, PONG, type SipMessage, SipStreamFramer, type SipParseError } from '../message/index.js';
import type { Connection, TlsFacts } from './types.js';

const log = logger('sip.transport');

export interface StreamLimits {
  /** Bytes queued for writing before the connection is dropped as a slow consumer (default 8 MiB). */
  maxWriteBuffer: number;
  /** Close after this long without receiving anything (ms, 0 = never; default 0). */
  idleTimeoutMs: number;
  maxMessageBytes?: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxWriteBuffer: 8 * 1024 * 1024, idleTimeoutMs: 0 };

export interface StreamHandlers {
  onMessage(message: SipMessage, conn: StreamConnection): void;
  /** A message that framed but did not parse (answer 400 when it is a request). */
  onInvalid(error: SipParseError, bytes: Buffer, conn: StreamConnection): void;
  onClose(conn: StreamConnection, reason: string): void;
}

let nextId = 1;

/** How long a closing connection may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 1000;
/** Sockets closed with end() that have not reported 'close' yet: destroyed when their grace is over (one timer). */
const closing = new DeadlineQueue<net.Socket>(CLOSE_GRACE_MS, (socket) => socket.destroy());

export class StreamConnection implements Connection {
  readonly id = nextId++;
  readonly transport: 'TCP' | 'TLS';
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly direction: 'inbound' | 'outbound';
  readonly tls: TlsFacts | undefined;
  /** Made at the first bytes received (a connection that never carries a message never needs one). */
  private framer: SipStreamFramer | undefined;
  private readonly maxMessageBytes: number | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private closedReason: string | undefined;
  /** The transport layer's connection-table keys for this connection (so that a close does not scan the table). */
  tableKeys: readonly string[] = [];
  /** Time of the last received bytes (ms since epoch), for keepalive bookkeeping. */
  lastActivity = Date.now();

  constructor(
    private readonly socket: net.Socket,
    opts: {
      transport: 'TCP' | 'TLS';
      direction: 'inbound' | 'outbound';
      tls?: TlsFacts;
      limits?: Partial<StreamLimits>;
      /** The socket's addresses when already known (a TLS listener read them off the TCP socket). */
      endpoints?: { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number };
      /** TCP_NODELAY was set at accept (the TLS listener's noDelay): not asked for again. */
      noDelaySet?: boolean;
    },
    private readonly handlers: StreamHandlers,
  ) {
    this.transport = opts.transport;
    this.direction = opts.direction;
    this.tls = opts.tls;
    const at = opts.endpoints ?? socket;
    this.remoteAddress = normaliseAddress(at.remoteAddress ?? '');
    this.remotePort = at.remotePort ?? 0;
    this.localAddress = normaliseAddress(at.localAddress ?? '');
    this.localPort = at.localPort ?? 0;
    // Read field by field: no merged limits object per connection.
    const limits = opts.limits;
    this.maxWriteBuffer = limits?.maxWriteBuffer ?? DEFAULT_STREAM_LIMITS.maxWriteBuffer;
    this.maxMessageBytes = limits?.maxMessageBytes || undefined;
    if (!opts.noDelaySet) socket.setNoDelay(true);
    const idleTimeoutMs = limits?.idleTimeoutMs ?? DEFAULT_STREAM_LIMITS.idleTimeoutMs;
    if (idleTimeoutMs > 0) {
      socket.setTimeout(idleTimeoutMs, () => this.close(`idle for ${idleTimeoutMs} ms`));
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.close(`socket error: ${e.message}`));
    socket.on('close', () => {
      // The socket is gone: the destroy fallback close() armed has nothing left to do.
      closing.delete(socket);
      this.close('closed by peer');
    });
    socket.on('end', () => this.close('closed by peer'));
  }

  private readonly maxWriteBuffer: number;

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  get closeReason(): string | undefined {
    return this.closedReason;
  }

  /** Queues bytes; they leave together at the end of this turn of the event loop. False when closed. */
  send(data: Buffer): boolean {
    if (this.closedReason !== undefined) return false;
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
    return true;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closedReason !== undefined || this.pending.length === 0) return;
    const out = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.socket.write(out);
    if (this.socket.writableLength > this.maxWriteBuffer) {
      this.close(`peer is not reading: ${this.socket.writableLength} bytes queued (limit ${this.maxWriteBuffer})`);
    }
  }

  /** RFC 5626 3.5.1 ping (client side of a flow). */
  ping(): boolean {
    return this.send(PING);
  }

  close(reason = 'closed'): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.pending = [];
    const socket = this.socket;
    if (!socket.destroyed) {
      // After the peer's end a socket that is not half-open ends and destroys itself once its writes are out
      // (node's allowHalfOpen: false); otherwise we end it. Either way it gets a grace period, then is destroyed.
      if (!(socket.readableEnded && socket.allowHalfOpen === false)) {
        socket.end();
        socket.destroySoon?.();
      }
      closing.add(socket);
    }
    if (log.enabled('debug')) log.debug(`${this.transport} #${this.id} ${this.remoteAddress}:${this.remotePort} closed: ${reason}`);
    this.handlers.onClose(this, reason);
  }

  /** Destroys the socket at once (stop). */
  destroy(reason = 'stopped'): void {
    this.close(reason);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.lastActivity = Date.now();
    this.framer ??= new SipStreamFramer({
      role: this.direction === 'inbound' ? 'server' : 'client',
      ...(this.maxMessageBytes ? { maxMessageBytes: this.maxMessageBytes } : {}),
    });
    for (const ev of this.framer.push(chunk)) {
      switch (ev.type) {
        case 'message':
          try {
            this.handlers.onMessage(ev.message, this);
          } catch (e) {
            log.error(`${this.transport} #${this.id}: handler failed: ${(e as Error).stack ?? e}`);
          }
          break;
        case 'invalid':
          this.handlers.onInvalid(ev.error, ev.bytes, this);
          break;
        case 'ping':
          this.send(PONG);
          break;
        case 'pong':
          break;
        case 'error':
          log.warn(`${this.transport} #${this.id} ${this.remoteAddress}:${this.remotePort}: framing lost: ${ev.error.message}`);
          this.close(`framing lost: ${ev.error.message}`);
          return;
      }
      if (this.closedReason !== undefined) return;
    }
  }
}

/** "::ffff:127.0.0.1" -> "127.0.0.1" (dual-stack sockets). */
export function normaliseAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
