// Client transactions (RFC 3261 17.1, with RFC 6026's Accepted state for INVITE): retransmissions over UDP only
// (timers A/E), timeouts on every transport (B/F), absorbing response retransmissions (D/K), and the ACK for a
// non-2xx final response sent inside the transaction (17.1.1.3).
import { type SipRequest, type SipResponse, buildRequest, createResponse, serializeMessage, splitList } from '../message/index.js';
import type { Flow } from '../transport/index.js';
import type { TimerHandle, TimerService, TimerValues } from './timers.js';

export type ClientTransactionState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export interface ClientTransactionHandlers {
  /** 1xx responses. */
  onProvisional?(response: SipResponse, tx: ClientTransaction): void;
  /**
   * The final response: the first 2xx-6xx, or a synthesized 408 (timer B/F) or 503 (transport error, RFC 3261
   * 8.1.3.1) with `synthetic` set.
   */
  onFinal(response: SipResponse, tx: ClientTransaction, synthetic?: 'timeout' | 'transport-error'): void;
  /** INVITE: a 2xx after the first (retransmission or another fork) while Accepted; the TU ACKs it again. */
  onAdditional2xx?(response: SipResponse, tx: ClientTransaction): void;
  onTerminated?(tx: ClientTransaction): void;
}

export interface TransactionContext {
  timers: TimerService;
  values: TimerValues;
  /** Called once when a transaction ends, so the layer forgets it. */
  remove(key: string): void;
}

export class ClientTransaction {
  readonly key: string;
  readonly isInvite: boolean;
  state: ClientTransactionState;
  private readonly bytes: Buffer;
  private readonly reliable: boolean;
  private retransmit: TimerHandle | undefined;
  private timeout: TimerHandle | undefined;
  private linger: TimerHandle | undefined;
  private interval: number;
  private ackBytes: Buffer | undefined;
  /** The final response delivered to the TU. */
  finalResponse: SipResponse | undefined;
  /** Retransmissions sent (UDP), for tests and statistics. */
  retransmissions = 0;

  constructor(
    readonly request: SipRequest,
    readonly flow: Flow,
    private readonly handlers: ClientTransactionHandlers,
    private readonly ctx: TransactionContext,
  ) {
    this.isInvite = request.method === 'INVITE';
    this.key = clientKey(request.branch ?? '', request.method === 'ACK' ? 'INVITE' : request.method);
    this.state = this.isInvite ? 'calling' : 'trying';
    this.reliable = flow.transport !== 'UDP';
    this.bytes = serializeMessage(request);
    this.interval = ctx.values.T1;
  }

  /** Sends the request and starts timers A/B or E/F. */
  start(): void {
    if (!this.flow.send(this.bytes)) return this.transportError();
    const { T1 } = this.ctx.values;
    if (!this.reliable) this.retransmit = this.ctx.timers.set(T1, () => this.onRetransmitTimer());
    this.timeout = this.ctx.timers.set(64 * T1, () => this.onTimeout());
  }

  private onRetransmitTimer(): void {
    if (this.state !== 'calling' && this.state !== 'trying' && this.state !== 'proceeding') return;
    if (this.isInvite && this.state === 'proceeding') return; // timer A stops on a provisional
    this.retransmissions++;
    this.flow.send(this.bytes);
    const { T2 } = this.ctx.values;
    // Timer A doubles without bound; timer E doubles up to T2, and runs at T2 once Proceeding (17.1.2.2).
    this.interval = this.isInvite ? this.interval * 2 : this.state === 'proceeding' ? T2 : Math.min(this.interval * 2, T2);
    this.retransmit = this.ctx.timers.set(this.interval, () => this.onRetransmitTimer());
  }

  private onTimeout(): void {
    if (this.state === 'calling' || this.state === 'trying' || this.state === 'proceeding') {
      this.terminate();
      this.handlers.onFinal(createResponse(this.request, 408, { reason: 'Request Timeout' }), this, 'timeout');
    } else if (this.state === 'accepted') {
      this.terminate(); // timer M
    }
  }

  private transportError(): void {
    if (this.state === 'terminated') return;
    this.terminate();
    this.handlers.onFinal(createResponse(this.request, 503, { reason: 'Service Unavailable' }), this, 'transport-error');
  }

  /** A response whose branch and CSeq method match this transaction. */
  receive(response: SipResponse): void {
    const s = response.status;
    switch (this.state) {
      case 'calling':
      case 'trying':
      case 'proceeding':
        if (s < 200) {
          this.state = 'proceeding';
          if (this.isInvite) {
            // 17.1.1.2: timers A and B run only in Calling; a ringing INVITE waits for the TU (CANCEL / timer C).
            this.retransmit?.cancel();
            this.timeout?.cancel();
          }
          this.handlers.onProvisional?.(response, this);
          return;
        }
        this.retransmit?.cancel();
        this.finalResponse = response;
        if (this.isInvite && s < 300) {
          // RFC 6026: stay to pass further 2xx up (timer M = 64*T1), the TU ACKs them end to end.
          this.state = 'accepted';
          this.timeout?.cancel();
          this.timeout = this.ctx.timers.set(64 * this.ctx.values.T1, () => this.onTimeout());
        } else {
          this.state = 'completed';
          this.timeout?.cancel();
          if (this.isInvite) this.sendAck(response);
          // Timer D (INVITE, at least 32 s over UDP) / K (non-INVITE, T4 over UDP); zero on reliable transports.
          const wait = this.reliable ? 0 : this.isInvite ? Math.max(32_000, 64 * this.ctx.values.T1) : this.ctx.values.T4;
          if (wait === 0) this.terminate();
          else this.linger = this.ctx.timers.set(wait, () => this.terminate());
        }
        this.handlers.onFinal(response, this);
        return;
      case 'completed':
        if (this.isInvite && s >= 300 && this.ackBytes) this.flow.send(this.ackBytes); // retransmitted final: ACK again
        return;
      case 'accepted':
        if (s >= 200 && s < 300) this.handlers.onAdditional2xx?.(response, this);
        return;
      case 'terminated':
        return;
    }
  }

  /** 17.1.1.3: ACK for a non-2xx final response, same branch, To from the response. */
  private sendAck(response: SipResponse): void {
    const r = this.request;
    const headers: [string, string][] = [['Via', splitList(r.get('via')!, 'via')[0]!], ['Max-Forwards', '70']];
    headers.push(['From', r.get('from')!], ['To', response.get('to')!], ['Call-ID', r.callId], ['CSeq', `${r.cseq.seq} ACK`]);
    for (const v of r.getAll('route')) headers.push(['Route', v]);
    const ack = buildRequest({ method: 'ACK', uri: r.uri, headers });
    this.ackBytes = serializeMessage(ack);
    this.flow.send(this.ackBytes);
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.retransmit?.cancel();
    this.timeout?.cancel();
    this.linger?.cancel();
    this.ctx.remove(this.key);
    this.handlers.onTerminated?.(this);
  }
}

export function clientKey(branch: string, method: string): string {
  return `${branch}|${method}`;
}
