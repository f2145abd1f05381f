// One CAPF conversation over a (TLS) stream, for both sides: every message goes out in ONE write (splitting header and
// body "causes the phone's CAPF client to stall", anchors §2.2), incoming bytes are framed and decoded, and receive()
// waits for the next message with a timeout. Any malformed input fails the connection with a CapfProtocolError; the
// queue of unread messages is bounded so a flooding peer cannot grow memory.
import type { Duplex } from 'node:stream';
import { CapfFramer, CapfProtocolError, decodeMessage, encodeMessage, commandName, type CapfFields, type CapfMessage } from './capf-codec.js';

export class CapfTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CapfTimeoutError';
  }
}

export class CapfConnectionClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CapfConnectionClosedError';
  }
}

export interface TranscriptEntry {
  direction: 'sent' | 'received';
  /** The whole message as on the wire. */
  bytes: Buffer;
  command: number;
  at: number;
}

export interface CapfConnectionOptions {
  role: 'server' | 'client';
  /** The server's session id; a client learns it from the first message. */
  sessionId?: number;
  maxBodyLength?: number;
  /** Unread messages held at most (default 8). */
  maxQueued?: number;
  transcript?: TranscriptEntry[];
}

export class CapfConnection {
  readonly socket: Duplex;
  private readonly role: 'server' | 'client';
  private readonly framer: CapfFramer;
  private readonly maxQueued: number;
  private readonly transcript?: TranscriptEntry[];
  private id: number | undefined;
  private readonly queue: CapfMessage[] = [];
  private waiter: { resolve: (m: CapfMessage) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(socket: Duplex, opts: CapfConnectionOptions) {
    this.socket = socket;
    this.role = opts.role;
    this.id = opts.sessionId;
    this.framer = new CapfFramer({ ...(opts.maxBodyLength !== undefined ? { maxBodyLength: opts.maxBodyLength } : {}) });
    this.maxQueued = opts.maxQueued ?? 8;
    if (opts.transcript) this.transcript = opts.transcript;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      try {
        this.framer.end();
        this.fail(new CapfConnectionClosedError('the peer closed the connection'));
      } catch (err) {
        this.fail(err as Error);
      }
    });
    socket.on('close', () => this.fail(new CapfConnectionClosedError('the connection closed')));
    socket.on('error', (err) => this.fail(new CapfConnectionClosedError(`connection error: ${err.message}`)));
  }

  /** The session id (the server's; for a client, the one the server sent first). */
  get sessionId(): number | undefined {
    return this.id;
  }

  /** Why the connection can no longer be read, if it cannot. */
  get error(): Error | undefined {
    return this.failure;
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    try {
      for (const raw of this.framer.push(chunk)) {
        const m = decodeMessage(raw);
        if (this.id === undefined && this.role === 'client') this.id = m.sessionId;
        if (m.sessionId !== this.id) throw new CapfProtocolError(`CAPF ${commandName(m.command)}: session id ${m.sessionId}, expected ${this.id}`, { offset: 2, command: commandName(m.command) });
        this.transcript?.push({ direction: 'received', bytes: raw, command: m.command, at: Date.now() });
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = undefined;
          w.resolve(m);
        } else {
          if (this.queue.length >= this.maxQueued) throw new CapfProtocolError(`CAPF stream: more than ${this.maxQueued} unanswered messages`);
          this.queue.push(m);
        }
      }
    } catch (err) {
      this.fail(err as Error);
      this.socket.pause();
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.reject(err);
    }
  }

  /** Encodes and sends one message in one write. */
  send(command: number, fields: CapfFields = {}): Buffer {
    if (this.id === undefined) throw new CapfProtocolError('no session id yet: a client answers only after the server spoke first');
    const bytes = encodeMessage(command, this.id, fields);
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
    this.transcript?.push({ direction: 'sent', bytes, command, at: Date.now() });
    return bytes;
  }

  /** The next message; rejects on timeout, malformed input or a closed connection. */
  receive(timeoutMs: number): Promise<CapfMessage> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new Error('receive() is already waiting'));
    return new Promise<CapfMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new CapfTimeoutError(`no CAPF message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** Ends the connection (graceful end, then destroy after `graceMs`). */
  close(graceMs = 1000): void {
    if (this.socket.destroyed) return;
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), graceMs);
    t.unref();
    this.socket.once('close', () => clearTimeout(t));
  }

  destroy(): void {
    this.socket.destroy();
  }
}
