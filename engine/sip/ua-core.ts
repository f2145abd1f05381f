// A small user-agent core on the transport and transaction layers, shared by the cluster (requests to phones and
// trunks, the B2BUA's legs) and the emulated phones (REGISTER, INVITE, keepalives): send a request and get its final
// response (answering digest challenges when given credentials), INVITE with the 2xx ACK and a dialog, CANCEL,
// in-dialog requests, and incoming requests through one handler with their dialog, if any.
import { logger } from '../../common/log.js';
import { answerChallenge, parseChallenge } from './auth/index.js';
import { Dialog, dialogIdOfRequest, dialogIdOfResponse } from './dialog/index.js';
import {
  type CreateResponseOptions,
  type SipRequest,
  type SipResponse,
  buildRequest,
  createResponse,
  generateBranch,
  generateCallId,
  generateTag,
  parseUri,
  splitList,
} from './message/index.js';
import { type ClientTransaction, type ServerTransaction, TransactionLayer, type TransactionLayerOptions } from './transaction/index.js';
import { type Flow, type MessageSource, type SipTarget, type TransportLayer, targetFromUri } from './transport/index.js';

const log = logger('sip.ua');

export interface Credentials {
  username: string;
  password: string;
  /** Only answer challenges of this realm (default: any). */
  realm?: string;
}

export interface OutgoingRequestInit {
  method: string;
  uri: string;
  /** From name-addr; a tag is added when it has none. */
  from: string;
  to: string;
  callId?: string;
  cseq?: number;
  /** Contact URI or name-addr (a '<' makes it taken as written). */
  contact?: string;
  headers?: [string, string][];
  body?: Buffer | string;
  contentType?: string;
}

export interface RequestOptions {
  onProvisional?: (r: SipResponse) => void;
  /** Answer 401/407 challenges with these (once per challenge; again on stale=true). */
  credentials?: Credentials;
  /** Called with each client transaction started (the first and the authenticated retry). */
  onTransaction?: (tx: ClientTransaction, request: SipRequest) => void;
}

export interface RequestResult {
  response: SipResponse;
  /** The request the final response answers (after digest retries). */
  request: SipRequest;
  flow: Flow;
  /** 'timeout' / 'transport-error' when the response was synthesized (408/503). */
  synthetic?: 'timeout' | 'transport-error';
}

export interface IncomingRequest {
  request: SipRequest;
  source: MessageSource;
  /** Undefined for the ACK of a 2xx (no transaction, RFC 3261 17). */
  transaction: ServerTransaction | undefined;
  /** The dialog an in-dialog request belongs to, when known to this core. */
  dialog: Dialog | undefined;
  /** Answers through the transaction; for a 2xx to INVITE, creates and returns the UAS dialog. */
  reply(status: number, options?: CreateResponseOptions & { contact?: string }): { response: SipResponse; dialog?: Dialog };
}

export type IncomingRequestHandler = (incoming: IncomingRequest) => void;

export interface UserAgentCoreOptions extends TransactionLayerOptions {
  transport: TransportLayer;
  /** An existing transaction layer (the server shares one); else one is created on the transport. */
  transactions?: TransactionLayer;
  /** User-Agent (requests) and Server (responses) value. */
  userAgent?: string;
}

export class UserAgentCore {
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  readonly dialogs = new Map<string, Dialog>();
  private handler: IncomingRequestHandler = (r) => {
    if (r.transaction) r.reply(r.request.method === 'OPTIONS' ? 200 : 501);
  };
  private readonly userAgent: string | undefined;

  constructor(opts: UserAgentCoreOptions) {
    this.transport = opts.transport;
    this.transactions = opts.transactions ?? new TransactionLayer(opts.transport, opts);
    this.userAgent = opts.userAgent;
    if (!opts.transactions) {
      this.transactions.onRequest((req, tx, source) => this.dispatch(req, tx, source));
      this.transactions.onStrayResponse((res) => this.onStray(res));
    }
  }

  onRequest(handler: IncomingRequestHandler): void {
    this.handler = handler;
  }

  /** Routes a request from the transaction layer (the server calls this for requests it passes on). */
  dispatch(request: SipRequest, transaction: ServerTransaction | undefined, source: MessageSource, extra?: object): void {
    const id = dialogIdOfRequest(request);
    const dialog = id ? this.dialogs.get(id) : undefined;
    if (dialog && transaction) {
      const r = dialog.receiveRequest(request);
      if (!r.ok) {
        transaction.reply(r.status, { reason: r.reason });
        return;
      }
      if (dialog.state === 'terminated') this.dialogs.delete(dialog.id);
    }
    const incoming: IncomingRequest = {
      request,
      source,
      transaction,
      dialog,
      reply: (status, options = {}) => {
        if (!transaction) throw new Error('an ACK is not answered');
        const { contact, ...rest } = options;
        const headers: [string, string][] = [];
        if (contact) headers.push(['Contact', contact.includes('<') ? contact : `<${contact}>`]);
        if (this.userAgent) headers.push(['Server', this.userAgent]);
        const extra = rest.headers ? (Array.isArray(rest.headers) ? (rest.headers as [string, string][]) : Object.entries(rest.headers).map(([k, v]) => [k, String(v)] as [string, string])) : [];
        const toTag = request.toTag ?? rest.toTag ?? (status > 100 ? generateTag() : undefined);
        const response = createResponse(request, status, { ...rest, ...(toTag ? { toTag } : {}), headers: [...extra, ...headers] });
        transaction.respond(response);
        let d: Dialog | undefined;
        if (request.method === 'INVITE' && !dialog && status >= 101 && status < 300 && toTag) {
          d = Dialog.uas(request, toTag, status >= 200 ? 'confirmed' : 'early');
          if (status >= 200) this.dialogs.set(d.id, d);
        }
        return { response, ...(d ? { dialog: d } : {}) };
      },
    };
    this.handler(extra ? Object.assign(incoming, extra) : incoming);
  }

  private onStray(res: SipResponse): void {
    // A 2xx retransmission after the INVITE transaction ended: ACK it again through its dialog (13.2.2.4).
    if (res.cseq.method !== 'INVITE' || res.status < 200 || res.status >= 300) return;
    const id = dialogIdOfResponse(res);
    const d = id ? this.dialogs.get(id) : undefined;
    if (d) void this.ackDialog(d, res.cseq.seq).catch((e) => log.debug(`re-ACK failed: ${(e as Error).message}`));
  }

  /** Builds an out-of-dialog request for a flow (Via, Max-Forwards, CSeq, Call-ID, tag, Contact). */
  buildRequest(init: OutgoingRequestInit, via: string): SipRequest {
    const from = /;\s*tag=/i.test(init.from) ? init.from : `${init.from};tag=${generateTag()}`;
    const headers: [string, string][] = [
      ['Via', via],
      ['Max-Forwards', '70'],
      ['From', from],
      ['To', init.to],
      ['Call-ID', init.callId ?? generateCallId()],
      ['CSeq', `${init.cseq ?? 1} ${init.method}`],
    ];
    if (init.contact) headers.push(['Contact', init.contact.includes('<') || init.contact === '*' ? init.contact : `<${init.contact}>`]);
    if (this.userAgent) headers.push(['User-Agent', this.userAgent]);
    for (const h of init.headers ?? []) headers.push(h);
    if (init.body !== undefined && init.body.length > 0) headers.push(['Content-Type', init.contentType ?? 'application/sdp']);
    return buildRequest({ method: init.method, uri: init.uri, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  }

  /** Sends an out-of-dialog request and resolves with its final response (digest retried with credentials). */
  async request(init: OutgoingRequestInit, target?: SipTarget, opts: RequestOptions = {}): Promise<RequestResult> {
    const dest = target ?? targetFromUri(parseUri(init.uri));
    let flow: Flow;
    try {
      flow = await this.transport.flow(dest);
    } catch (e) {
      // RFC 3261 8.1.3.1: a transport failure is reported as 503.
      log.debug(`${init.method} to ${dest.host}:${dest.port}: ${(e as Error).message}`);
      const request = this.buildRequest(init, `SIP/2.0/${dest.transport} 0.0.0.0:0;branch=${generateBranch()}`);
      const response = createResponse(request, 503, { reason: 'Service Unavailable', headers: [['Warning', `399 trustline "${(e as Error).message.replace(/["\\]/g, "'").slice(0, 200)}"`]] });
      const none: Flow = { transport: dest.transport, localAddress: '0.0.0.0', localPort: 0, remoteAddress: dest.host, remotePort: dest.port, send: () => false };
      return { response, request, flow: none, synthetic: 'transport-error' };
    }
    const first = this.buildRequest(init, this.transactions.viaFor(flow));
    return this.sendWithAuth(first, flow, opts);
  }

  /** Sends a built request (top Via must be for `flow`) through a client transaction, retrying on challenges. */
  async sendWithAuth(request: SipRequest, flow: Flow, opts: RequestOptions = {}): Promise<RequestResult> {
    let req = request;
    let tries = 0;
    for (;;) {
      const result = await this.once(req, flow, opts);
      const s = result.response.status;
      if ((s !== 401 && s !== 407) || !opts.credentials || result.synthetic) return result;
      const retry = this.authenticated(req, result.response, opts.credentials, tries);
      if (!retry) return result;
      tries++;
      req = retry;
    }
  }

  private once(req: SipRequest, flow: Flow, opts: RequestOptions): Promise<RequestResult> {
    return new Promise((resolve) => {
      const tx = this.transactions.sendRequest(req, flow, {
        ...(opts.onProvisional ? { onProvisional: (r: SipResponse) => opts.onProvisional!(r) } : {}),
        onFinal: (response, _tx, synthetic) => resolve({ response, request: req, flow, ...(synthetic ? { synthetic } : {}) }),
        onAdditional2xx: (r) => this.onStray(r),
      });
      opts.onTransaction?.(tx, req);
    });
  }

  /** The request again with an answer to the challenge (new branch, CSeq + 1), or undefined to give up. */
  private authenticated(req: SipRequest, res: SipResponse, creds: Credentials, tries: number): SipRequest | undefined {
    const header = res.status === 407 ? 'proxy-authenticate' : 'www-authenticate';
    for (const v of res.getAll(header)) {
      let ch;
      try {
        ch = parseChallenge(v);
      } catch {
        continue;
      }
      if (creds.realm !== undefined && ch.realm !== creds.realm) continue;
      // Once per challenge; a second challenge only when it says our answer was right but the nonce stale.
      if (tries > 0 && !ch.stale) return undefined;
      if (tries > 3) return undefined;
      const auth = answerChallenge(ch, req.method, req.uri, creds.username, creds.password);
      const next = buildRequest({
        method: req.method,
        uri: req.uri,
        headers: req.headers
          .filter((h) => h.key !== 'authorization' && h.key !== 'proxy-authorization' && h.key !== 'content-length')
          .map((h): [string, string] => {
            if (h.key === 'cseq') return [h.name, `${req.cseq.seq + 1} ${req.method}`];
            if (h.key === 'via' && h === req.headers.find((x) => x.key === 'via')) return [h.name, replaceBranch(h.value)];
            return [h.name, h.value];
          })
          .concat([[res.status === 407 ? 'Proxy-Authorization' : 'Authorization', auth]]),
        body: req.body,
      });
      return next;
    }
    return undefined;
  }

  /**
   * INVITE: resolves on the final response; a 2xx is ACKed (end to end, same flow) and its dialog returned and
   * kept in `dialogs`.
   */
  async invite(init: Omit<OutgoingRequestInit, 'method'>, target?: SipTarget, opts: RequestOptions = {}): Promise<RequestResult & { dialog?: Dialog; transaction?: ClientTransaction }> {
    let tx: ClientTransaction | undefined;
    const r = await this.request({ ...init, method: 'INVITE' }, target, { ...opts, onTransaction: (t, q) => ((tx = t), opts.onTransaction?.(t, q)) });
    if (r.response.status >= 200 && r.response.status < 300) {
      const d = Dialog.uac(r.request, r.response);
      this.dialogs.set(d.id, d);
      await this.ackDialog(d, r.request.cseq.seq, r.flow);
      return { ...r, dialog: d, ...(tx ? { transaction: tx } : {}) };
    }
    return { ...r, ...(tx ? { transaction: tx } : {}) };
  }

  /** CANCEL of a pending INVITE (RFC 3261 9.1): same Request-URI, Call-ID, From, To, CSeq number, top Via, Route. */
  async cancel(invite: ClientTransaction): Promise<RequestResult> {
    const r = invite.request;
    const headers: [string, string][] = [['Via', splitList(r.get('via')!, 'via')[0]!], ['Max-Forwards', '70']];
    for (const v of r.getAll('route')) headers.push(['Route', v]);
    headers.push(['From', r.get('from')!], ['To', r.get('to')!], ['Call-ID', r.callId], ['CSeq', `${r.cseq.seq} CANCEL`]);
    const cancel = buildRequest({ method: 'CANCEL', uri: r.uri, headers });
    return this.once(cancel, invite.flow, {});
  }

  /** Sends the ACK of a 2xx through the dialog (on `flow`, or the flow to its next hop). */
  async ackDialog(d: Dialog, inviteCseq: number, flow?: Flow): Promise<void> {
    const f = flow ?? (await this.transport.flow(targetFromUri(d.nextHop(), 'UDP')));
    this.transactions.sendStateless(d.createAck(inviteCseq, this.transactions.viaFor(f)), f);
  }

  /** An in-dialog request (BYE, re-INVITE, INFO...) and its final response; a 2xx to a re-INVITE is ACKed. */
  async requestInDialog(d: Dialog, method: string, opts: { headers?: [string, string][]; body?: Buffer | string; contentType?: string; target?: SipTarget } & RequestOptions = {}): Promise<RequestResult> {
    const flow = await this.transport.flow(opts.target ?? targetFromUri(d.nextHop(), 'UDP'));
    const req = d.createRequest(method, this.transactions.viaFor(flow), opts);
    const r = await this.sendWithAuth(req, flow, opts);
    d.receiveResponse(r.response);
    if (method === 'INVITE' && r.response.status >= 200 && r.response.status < 300) await this.ackDialog(d, r.request.cseq.seq, flow);
    if (d.state === 'terminated') this.dialogs.delete(d.id);
    return r;
  }

  /** Stops every transaction. */
  close(): void {
    this.transactions.close();
  }
}

function replaceBranch(via: string): string {
  const parts = splitList(via, 'via');
  parts[0] = parts[0]!.replace(/;\s*branch=[^;,\s]*/i, `;branch=${generateBranch()}`);
  return parts.join(', ');
}
