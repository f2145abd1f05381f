// A Node transport for sip.js 0.21 (its UserAgentOptions.transportConstructor) over net/tls, framing by
// Content-Length (RFC 3261 18.3). Independent of our codec on purpose: sip.js parses what we send.
import net from 'node:net';
import tls from 'node:tls';
import { EmitterImpl, type Transport, TransportState } from 'sip.js';
import type { Logger } from 'sip.js/lib/core/index.js';

export interface NodeTransportOptions {
  host: string;
  port: number;
  /** Use TLS with these options (else TCP). */
  tls?: tls.ConnectionOptions;
}

export class NodeSipTransport implements Transport {
  readonly protocol: string;
  state: TransportState = TransportState.Disconnected;
  readonly stateChange = new EmitterImpl<TransportState>();
  onConnect: (() => void) | undefined;
  onDisconnect: ((error?: Error) => void) | undefined;
  onMessage: ((message: string) => void) | undefined;
  private socket: net.Socket | undefined;
  private buf = Buffer.alloc(0);

  constructor(
    _logger: Logger,
    private readonly options: NodeTransportOptions,
  ) {
    this.protocol = options.tls ? 'TLS' : 'TCP';
  }

  private set(s: TransportState): void {
    this.state = s;
    this.stateChange.emit(s);
  }

  connect(): Promise<void> {
    this.set(TransportState.Connecting);
    return new Promise((resolve, reject) => {
      const o = this.options;
      const s = o.tls ? tls.connect({ host: o.host, port: o.port, ...o.tls }) : net.connect({ host: o.host, port: o.port });
      this.socket = s;
      s.once(o.tls ? 'secureConnect' : 'connect', () => {
        this.set(TransportState.Connected);
        this.onConnect?.();
        resolve();
      });
      s.once('error', (e) => {
        if (this.state === TransportState.Connecting) reject(e);
        this.set(TransportState.Disconnected);
        this.onDisconnect?.(e);
      });
      s.on('data', (d: Buffer) => this.onData(d));
      s.on('close', () => {
        if (this.state !== TransportState.Disconnected) {
          this.set(TransportState.Disconnected);
          this.onDisconnect?.();
        }
      });
    });
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      while (this.buf.length >= 2 && this.buf[0] === 13 && this.buf[1] === 10) this.buf = this.buf.subarray(2); // CRLF keepalives
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.subarray(0, end).toString('utf8');
      const m = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)/im.exec(head);
      const len = m ? Number(m[1]) : 0;
      if (this.buf.length < end + 4 + len) return;
      const msg = this.buf.subarray(0, end + 4 + len).toString('utf8');
      this.buf = this.buf.subarray(end + 4 + len);
      this.onMessage?.(msg);
    }
  }

  send(message: string): Promise<void> {
    if (!this.socket || this.state !== TransportState.Connected) return Promise.reject(new Error('not connected'));
    this.socket.write(message);
    return Promise.resolve();
  }

  disconnect(): Promise<void> {
    this.set(TransportState.Disconnecting);
    return new Promise((resolve) => {
      if (!this.socket || this.socket.destroyed) {
        this.set(TransportState.Disconnected);
        return resolve();
      }
      this.socket.once('close', () => resolve());
      this.socket.end();
      this.socket.destroySoon?.();
    });
  }

  async dispose(): Promise<void> {
    if (this.socket && !this.socket.destroyed) this.socket.destroy();
    this.set(TransportState.Disconnected);
  }

  isConnected(): boolean {
    return this.state === TransportState.Connected;
  }
}
