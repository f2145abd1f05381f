// Server transactions (RFC 3261 17.2, with RFC 6026's Accepted state): the last response is resent when the
// request is retransmitted; over UDP an INVITE's non-2xx is retransmitted until the ACK (timers G/H) and its 2xx
// until the end-to-end ACK (13.3.1.4, T1 doubling to T2, within timer L); timers I/J absorb late retransmissions.
import { type SipRequest, type SipResponse, type CreateResponseOptions, serializeMessage } from '../message/index.js';
import type { MessageSource, TransportLayer } from '../transport/index.js';
import type { TransactionContext } from './client-transaction.js';
import { replyTo } from './reply.js';
import type { TimerHandle } from './timers.js';

export type ServerTransactionState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export class ServerTransaction {
  readonly isInvite: boolean;
  state: ServerTransactionState;
  lastResponse: SipResponse | undefined;
  private lastBytes: Buffer | undefined;
  private readonly reliable: boolean;
  private retransmit: TimerHandle | undefined;
  private timeout: TimerHandle | undefined;
  private interval: number;
  /** Set by the TU: called when a CANCEL for this INVITE arrives while no final response was sent. */
  onCancel: ((cancel: SipRequest) => void) | undefined;
  /** Called when an INVITE's final response timed out without ACK (timer H or L without the 2xx ACK). */
  onAckTimeout: (() => void) | undefined;
  /** The end-to-end ACK for our 2xx, once received. */
  ack: SipRequest | undefined;
  /** Key under which the layer finds the ACK of our 2xx (Call-ID, CSeq, To tag). */
  ackKey: string | undefined;
  retransmissions = 0;

  constructor(
    readonly key: string,
    readonly request: SipRequest,
    readonly source: MessageSource,
    private readonly transport: TransportLayer,
    private readonly ctx: TransactionContext & { accepted(tx: ServerTransaction): void },
  ) {
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'proceeding' : 'trying';
    this.reliable = source.transport !== 'UDP';
    this.interval = ctx.values.T1;
  }

  get method(): string {
    return this.request.method;
  }

  /** Whether a final response has been sent. */
  get answered(): boolean {
    return this.state !== 'trying' && this.state !== 'proceeding';
  }

  /** Shorthand: build a response to the request (RFC 3261 8.2.6) and send it. */
  reply(status: number, options: CreateResponseOptions = {}): SipResponse {
    const r = replyTo(this.request, status, options);
    this.respond(r);
    return r;
  }

  /** Sends a response through the state machine. Responses after the final one are ignored (and reported). */
  respond(response: SipResponse): boolean {
    const s = response.status;
    if (this.answered || this.state === 'terminated') return false;
    this.lastResponse = response;
    this.lastBytes = serializeMessage(response);
    this.transport.sendResponse(response, this.source, this.lastBytes); // serialised once, not again for the send
    if (s < 200) {
      this.state = 'proceeding';
      return true;
    }
    const { T1 } = this.ctx.values;
    if (!this.isInvite) {
      this.state = 'completed';
      if (this.reliable) this.terminate();
      else this.timeout = this.ctx.timers.set(64 * T1, () => this.terminate()); // timer J
      return true;
    }
    if (s < 300) {
      this.state = 'accepted';
      this.ackKey = ackKey(this.request.callId, this.request.cseq.seq, response.toTag);
      this.ctx.accepted(this);
      if (!this.reliable) this.retransmit = this.ctx.timers.set(T1, () => this.onRetransmitTimer());
      this.timeout = this.ctx.timers.set(64 * T1, () => {
        if (!this.ack) this.onAckTimeout?.();
        this.terminate(); // timer L
      });
      return true;
    }
    this.state = 'completed';
    if (!this.reliable) this.retransmit = this.ctx.timers.set(T1, () => this.onRetransmitTimer()); // timer G
    this.timeout = this.ctx.timers.set(64 * T1, () => {
      this.onAckTimeout?.();
      this.terminate(); // timer H
    });
    return true;
  }

  private send(): void {
    if (this.lastResponse) this.transport.sendResponse(this.lastResponse, this.source);
  }

  private onRetransmitTimer(): void {
    if (this.state !== 'completed' && this.state !== 'accepted') return;
    if (this.state === 'accepted' && this.ack) return;
    this.retransmissions++;
    this.send();
    this.interval = Math.min(this.interval * 2, this.ctx.values.T2);
    this.retransmit = this.ctx.timers.set(this.interval, () => this.onRetransmitTimer());
  }

  /** The same request again: resend the last response (17.2.1, 17.2.2). */
  receiveRetransmission(): void {
    this.retransmissions++;
    if ((this.state === 'proceeding' || this.state === 'completed' || this.state === 'accepted') && this.lastBytes) this.send();
  }

  /** ACK matching this INVITE transaction (non-2xx: same branch). */
  receiveAck(): void {
    if (this.state !== 'completed') return;
    this.state = 'confirmed';
    this.retransmit?.cancel();
    this.timeout?.cancel();
    if (this.reliable) this.terminate();
    else this.timeout = this.ctx.timers.set(this.ctx.values.T4, () => this.terminate()); // timer I
  }

  /** The end-to-end ACK of our 2xx: stop retransmitting it (13.3.1.4). */
  receive2xxAck(ack: SipRequest): void {
    this.ack = ack;
    this.retransmit?.cancel();
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.retransmit?.cancel();
    this.timeout?.cancel();
    this.ctx.remove(this.key);
  }
}

export function ackKey(callId: string, seq: number, toTag: string | undefined): string {
  return `${callId}|${seq}|${toTag ?? ''}`;
}
