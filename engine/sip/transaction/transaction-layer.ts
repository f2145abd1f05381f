// The transaction layer: matches requests to server transactions (RFC 3261 17.2.3: branch + sent-by + method,
// ACK to its INVITE, RFC 2543 fallback) and responses to client transactions (17.1.3: branch + CSeq method),
// answers CANCEL (9.2) and hands new requests, 2xx ACKs and stray responses to the transaction user.
import { logger } from '../../../common/log.js';
import { type SipMessage, type SipRequest, type SipResponse, generateBranch, isRfc3261Branch, serializeMessage } from '../message/index.js';
import type { Flow, MessageSource, TransportLayer } from '../transport/index.js';
import { ClientTransaction, type ClientTransactionHandlers, type TransactionContext, clientKey } from './client-transaction.js';
import { ServerTransaction, ackKey } from './server-transaction.js';
import { DEFAULT_TIMER_VALUES, type TimerService, type TimerValues, realTimers } from './timers.js';

const log = logger('sip.transaction');

/**
 * New requests: `tx` is the server transaction to answer through; it is undefined for an ACK of a 2xx (its own
 * transaction, RFC 3261 17), which comes with the INVITE transaction it acknowledges when that one is known.
 */
export type RequestHandler = (request: SipRequest, tx: ServerTransaction | undefined, source: MessageSource, acked?: ServerTransaction) => void;
export type StrayResponseHandler = (response: SipResponse, source: MessageSource) => void;

export interface TransactionLayerOptions {
  timers?: TimerService;
  values?: Partial<TimerValues>;
}

export class TransactionLayer {
  readonly timers: TimerService;
  readonly values: TimerValues;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly acceptedInvites = new Map<string, ServerTransaction>();
  private requestHandler: RequestHandler = (req, tx) => {
    if (tx && req.method !== 'ACK') tx.reply(501);
  };
  private strayHandler: StrayResponseHandler = (r) => log.debug(`stray response ${r.status} ${r.cseq.method} (${r.callId})`);
  private readonly clientCtx: TransactionContext;
  private readonly serverCtx: TransactionContext & { accepted(tx: ServerTransaction): void };

  constructor(
    readonly transport: TransportLayer,
    opts: TransactionLayerOptions = {},
  ) {
    this.timers = opts.timers ?? realTimers;
    this.values = { ...DEFAULT_TIMER_VALUES, ...opts.values };
    this.clientCtx = { timers: this.timers, values: this.values, remove: (k) => this.clients.delete(k) };
    this.serverCtx = {
      timers: this.timers,
      values: this.values,
      remove: (k) => {
        const tx = this.servers.get(k);
        this.servers.delete(k);
        if (tx?.ackKey && this.acceptedInvites.get(tx.ackKey) === tx) this.acceptedInvites.delete(tx.ackKey);
      },
      accepted: (tx) => {
        if (tx.ackKey) this.acceptedInvites.set(tx.ackKey, tx);
      },
    };
    transport.onMessage((m, s) => this.receive(m, s));
  }

  onRequest(handler: RequestHandler): void {
    this.requestHandler = handler;
  }

  onStrayResponse(handler: StrayResponseHandler): void {
    this.strayHandler = handler;
  }

  /** Live transactions, for tests and statistics. */
  get size(): { client: number; server: number } {
    return { client: this.clients.size, server: this.servers.size };
  }

  /** A top Via for a request leaving on this flow (RFC 3261 8.1.1.7, rport per RFC 3581). */
  viaFor(flow: Flow, branch: string = generateBranch()): string {
    const host = flow.localAddress.includes(':') ? `[${flow.localAddress}]` : flow.localAddress;
    return `SIP/2.0/${flow.transport} ${host}:${flow.localPort};branch=${branch};rport`;
  }

  /** Starts a client transaction (the request already carries its top Via with a fresh branch). */
  sendRequest(request: SipRequest, flow: Flow, handlers: ClientTransactionHandlers): ClientTransaction {
    if (request.method === 'ACK') throw new Error('an ACK is not sent through a client transaction (use sendStateless)');
    const tx = new ClientTransaction(request, flow, handlers, this.clientCtx);
    if (this.clients.has(tx.key)) throw new Error(`a client transaction with branch ${request.branch} ${request.method} exists`);
    this.clients.set(tx.key, tx);
    tx.start();
    return tx;
  }

  /** Sends outside any transaction (the ACK of a 2xx, RFC 3261 13.2.2.4). */
  sendStateless(message: SipMessage, flow: Flow): boolean {
    return flow.send(serializeMessage(message));
  }

  private receive(m: SipMessage, source: MessageSource): void {
    if (m.kind === 'response') {
      const tx = this.clients.get(clientKey(m.branch ?? '', m.cseq.method));
      if (tx) tx.receive(m);
      else this.strayHandler(m, source);
      return;
    }
    const req = m;
    if (req.method === 'ACK') {
      const invite = this.servers.get(serverKey(req, 'INVITE'));
      if (invite && invite.state !== 'accepted') {
        invite.receiveAck();
        return;
      }
      const accepted = this.acceptedInvites.get(ackKey(req.callId, req.cseq.seq, req.toTag));
      accepted?.receive2xxAck(req);
      this.requestHandler(req, undefined, source, accepted);
      return;
    }
    const k = serverKey(req, req.method);
    const existing = this.servers.get(k);
    if (existing) {
      existing.receiveRetransmission();
      return;
    }
    const tx = new ServerTransaction(k, req, source, this.transport, this.serverCtx);
    this.servers.set(k, tx);
    if (req.method === 'CANCEL') return this.onCancel(req, tx);
    if (tx.isInvite) tx.reply(100); // 17.2.1: we do not know the TU will answer within 200 ms
    try {
      this.requestHandler(req, tx, source);
    } catch (e) {
      log.error(`handler failed on ${req.method} ${req.callId}: ${(e as Error).stack ?? e}`);
      if (!tx.answered) tx.reply(500, { reason: 'Server Internal Error' });
    }
  }

  /** RFC 3261 9.2: 200 to the CANCEL, 487 is the TU's to send on the INVITE (onCancel); 481 when nothing matches. */
  private onCancel(cancel: SipRequest, tx: ServerTransaction): void {
    const invite = this.servers.get(serverKey(cancel, 'INVITE'));
    if (!invite) {
      tx.reply(481);
      return;
    }
    tx.reply(200);
    if (!invite.answered) {
      if (invite.onCancel) invite.onCancel(cancel);
      else invite.reply(487);
    }
  }

  /** Ends every transaction (their timers included). */
  close(): void {
    for (const tx of [...this.clients.values()]) tx.terminate();
    for (const tx of [...this.servers.values()]) tx.terminate();
    this.acceptedInvites.clear();
  }
}

/** 17.2.3: branch + sent-by + method when the branch has the magic cookie; else the RFC 2543 identifiers. */
export function serverKey(req: SipRequest, method: string): string {
  const via = req.topVia();
  if (isRfc3261Branch(req.branch)) return `${req.branch}|${via.host}:${via.port ?? ''}|${method}`;
  return `2543|${req.callId}|${req.cseq.seq}|${req.fromTag ?? ''}|${method === 'INVITE' ? '' : req.toTag ?? ''}|${via.host}:${via.port ?? ''}|${via.params.get('branch') ?? ''}|${method}`;
}

