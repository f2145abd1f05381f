// Dialog state (RFC 3261 12): Call-ID and tags, CSeq on both sides, route set and remote target, built from the
// INVITE and its response on either side; in-dialog requests (re-INVITE, BYE, INFO...) and the ACK of a 2xx are
// built here. Used by the B2BUA for both of its legs and by the phones' user agent.
import { type NameAddr, type SipRequest, type SipResponse, type SipUri, buildRequest, formatUri, parseNameAddr } from '../message/index.js';

export type DialogState = 'early' | 'confirmed' | 'terminated';

export interface DialogRequestOptions {
  /** Extra header fields (Contact for target refreshes, Content-Type is set from contentType). */
  headers?: [string, string][];
  body?: Buffer | string;
  contentType?: string;
  /** CSeq to use instead of the next one (ACK and CANCEL reuse the INVITE's). */
  cseq?: number;
}

/** callId|localTag|remoteTag. */
export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}|${localTag}|${remoteTag}`;
}

/** The id of the dialog an incoming request belongs to (our tag is in its To). */
export function dialogIdOfRequest(req: SipRequest): string | undefined {
  if (req.toTag === undefined || req.fromTag === undefined) return undefined;
  return dialogId(req.callId, req.toTag, req.fromTag);
}

/** The id of the dialog an incoming response belongs to (our tag is in its From). */
export function dialogIdOfResponse(res: SipResponse): string | undefined {
  if (res.toTag === undefined || res.fromTag === undefined) return undefined;
  return dialogId(res.callId, res.fromTag, res.toTag);
}

const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

export class Dialog {
  state: DialogState;
  localSeq: number;
  remoteSeq: number | undefined;
  remoteTarget: string;
  /** Route set as name-addr values, in the order Route headers are written. */
  routeSet: string[];
  private constructor(
    readonly role: 'uac' | 'uas',
    readonly callId: string,
    readonly localTag: string,
    public remoteTag: string,
    /** From (UAC) or To (UAS) value without tag: our party. */
    readonly localParty: string,
    readonly remoteParty: string,
    init: { localSeq: number; remoteSeq?: number; remoteTarget: string; routeSet: string[]; state: DialogState; secure: boolean },
  ) {
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.state = init.state;
    this.secure = init.secure;
  }

  /** Whether the dialog was set up over sips: (RFC 3261 12.1.1). */
  readonly secure: boolean;

  get id(): string {
    return dialogId(this.callId, this.localTag, this.remoteTag);
  }

  /** 12.1.2: the UAC's dialog from its request and a 1xx (with To tag) or 2xx response. */
  static uac(request: SipRequest, response: SipResponse): Dialog {
    if (response.toTag === undefined) throw new Error('a response without To tag creates no dialog');
    if (request.fromTag === undefined) throw new Error('the request has no From tag');
    const contact = response.contacts()[0];
    const routeSet = response
      .values('record-route')
      .slice()
      .reverse();
    return new Dialog('uac', request.callId, request.fromTag, response.toTag, withoutTag(request.get('from')!), withoutTag(response.get('to')!), {
      localSeq: request.cseq.seq,
      remoteTarget: contact ? formatUri(contact.uri) : request.uri,
      routeSet,
      state: response.status >= 200 ? 'confirmed' : 'early',
      secure: request.requestUri().scheme === 'sips',
    });
  }

  /** 12.1.1: the UAS's dialog from the request and the To tag of its response. */
  static uas(request: SipRequest, localTag: string, state: DialogState = 'confirmed'): Dialog {
    if (request.fromTag === undefined) throw new Error('the request has no From tag');
    const contact = request.contacts()[0];
    if (!contact) throw new Error(`${request.method} without Contact creates no dialog`);
    return new Dialog('uas', request.callId, localTag, request.fromTag, withoutTag(request.get('to')!), withoutTag(request.get('from')!), {
      localSeq: 0,
      remoteSeq: request.cseq.seq,
      remoteTarget: formatUri(contact.uri),
      routeSet: request.values('record-route'),
      state,
      secure: request.requestUri().scheme === 'sips',
    });
  }

  /** Where the next request goes: the first Route (loose routing) or the remote target. */
  nextHop(): SipUri {
    const first = this.routeSet[0];
    if (first) return parseNameAddr(first, 'route').uri;
    return parseNameAddr(`<${this.remoteTarget}>`, 'contact').uri;
  }

  /**
   * 12.2.1.1: an in-dialog request (ACK and CANCEL take `cseq`, others the next local CSeq). `via` is the top Via
   * for the flow it leaves on.
   */
  createRequest(method: string, via: string, opts: DialogRequestOptions = {}): SipRequest {
    if (this.state === 'terminated') throw new Error(`dialog ${this.id} is terminated`);
    let seq: number;
    if (opts.cseq !== undefined) seq = opts.cseq;
    else if (method === 'ACK' || method === 'CANCEL') throw new Error(`${method} reuses the INVITE's CSeq: pass opts.cseq`);
    else seq = ++this.localSeq;
    let uri = this.remoteTarget;
    let routes = this.routeSet;
    const first = routes[0];
    if (first) {
      const r = parseNameAddr(first, 'route');
      if (!r.uri.params.has('lr')) {
        // Strict routing (RFC 2543 peers): the first route becomes the Request-URI, the target goes last.
        uri = formatUri(r.uri);
        routes = [...routes.slice(1), `<${this.remoteTarget}>`];
      }
    }
    const headers: [string, string][] = [['Via', via], ['Max-Forwards', '70']];
    for (const r of routes) headers.push(['Route', r]);
    headers.push(['From', `${this.localParty};tag=${this.localTag}`], ['To', `${this.remoteParty};tag=${this.remoteTag}`], ['Call-ID', this.callId], ['CSeq', `${seq} ${method}`]);
    for (const h of opts.headers ?? []) headers.push(h);
    if (opts.body !== undefined && opts.body.length > 0) headers.push(['Content-Type', opts.contentType ?? 'application/sdp']);
    return buildRequest({ method, uri, headers, ...(opts.body !== undefined ? { body: opts.body } : {}) });
  }

  /** The ACK of a 2xx to the INVITE with this CSeq (13.2.2.4): end to end, its own branch. */
  createAck(inviteCseq: number, via: string, opts: Omit<DialogRequestOptions, 'cseq'> = {}): SipRequest {
    return this.createRequest('ACK', via, { ...opts, cseq: inviteCseq });
  }

  /**
   * 12.2.2: checks an incoming in-dialog request's CSeq and applies target refreshes. Returns the status to answer
   * when it must be refused (500 for a CSeq lower than the last one).
   */
  receiveRequest(req: SipRequest): { ok: true } | { ok: false; status: number; reason: string } {
    if (req.method !== 'ACK' && req.method !== 'CANCEL') {
      if (this.remoteSeq !== undefined && req.cseq.seq <= this.remoteSeq)
        return { ok: false, status: 500, reason: `CSeq ${req.cseq.seq} is not above ${this.remoteSeq}` };
      this.remoteSeq = req.cseq.seq;
    }
    if (TARGET_REFRESH.has(req.method)) {
      const c = safeContact(req);
      if (c) this.remoteTarget = formatUri(c.uri);
    }
    if (req.method === 'BYE') this.state = 'terminated';
    return { ok: true };
  }

  /** Applies a response to one of our in-dialog requests (or to the INVITE that is setting the dialog up). */
  receiveResponse(res: SipResponse): void {
    if (res.status >= 200 && res.status < 300) {
      if (this.state === 'early') this.state = 'confirmed';
      if (TARGET_REFRESH.has(res.cseq.method)) {
        const c = safeContact(res);
        if (c) this.remoteTarget = formatUri(c.uri);
      }
      if (res.cseq.method === 'BYE') this.state = 'terminated';
    } else if (res.status === 481 || res.status === 408) {
      this.state = 'terminated'; // 12.2.1.2
    }
  }

  terminate(): void {
    this.state = 'terminated';
  }
}

function withoutTag(v: string): string {
  return v.replace(/;\s*tag\s*=\s*[^;,\s]*/i, '');
}

function safeContact(m: SipRequest | SipResponse): NameAddr | undefined {
  try {
    return m.contacts()[0];
  } catch {
    return undefined;
  }
}
