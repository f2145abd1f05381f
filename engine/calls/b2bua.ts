// Call routing as a back-to-back user agent, plugged into the SIP server after admission (setInviteHandler and
// onRequest for ACK, BYE, INFO, UPDATE). Each call has an A leg (the caller's dialog, where the cluster is the UAS)
// and a B leg (the callee's dialog, where it is the UAC): a registered line (location service) or a trunk (route
// plan). Provisional and final responses, ACK, BYE, CANCEL and re-INVITEs (hold/resume) are relayed between them;
// media is not anchored. SDP passes through with each offer's a=crypto lines filtered and reordered by the "SRTP
// Ciphers" policy and the far device's suites (sdp-policy.ts); keys stay the phones' own, end to end (001 L1628,
// L1658: SIP phones make their own keys; CUCM terminates media only with an MTP/transcoder, which we do not model).
import { EventEmitter } from 'node:events';
import { logger } from '../../common/log.js';
import { type LegContext, type NoSrtpAction, type SrtpCiphersInput, type SrtpCiphersPolicy, resolveSrtpCiphers } from '../media-policy/index.js';
import { Dialog } from '../sip/dialog/index.js';
import { type SipRequest, type SipResponse, generateTag } from '../sip/message/index.js';
import type { Binding, PhoneDevice } from '../sip/registrar/index.js';
import type { ServerRequest, ServerRequestHandler, SipServer } from '../sip/sip-server.js';
import type { ClientTransaction, ServerTransaction } from '../sip/transaction/index.js';
import { type Flow, type SipTarget, type TransportProtocol, defaultPort } from '../sip/transport/index.js';
import type { Credentials, RequestResult } from '../sip/ua-core.js';
import { type CallEnd, type CallLeg, CallRecord, type EndReason, type LegName, legTransport } from './call-record.js';
import { type RouteDecision, RoutePlan, type TrunkRoute } from './route-plan.js';
import { type RelayedSdpAnswer, type RelayedSdpOffer, relaySdpAnswer, relaySdpOffer } from './sdp-policy.js';

const log = logger('calls.b2bua');

/** Methods the B2BUA handles inside its calls (Allow on both legs). */
const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE';

/** What the cluster knows of a line's device for media: its SRTP suites (from its model) and SDES exceptions. */
export interface LineMediaProfile {
  /** SRTP suites the device supports; undefined: unknown, the policy's whole list is forwarded. */
  capabilities?: readonly string[];
  /** Exchange SDES keys with it even without encrypted TLS (soft clients, labs); flagged in the call's warnings. */
  allowSdesWithoutTls?: boolean;
  /** What it does when SRTP cannot be agreed (default 'rtp', CUCM's fallback, 001 L1634). */
  onNoSrtp?: NoSrtpAction;
}

export interface B2buaOptions {
  /** Route patterns and trunks (default: lines only). */
  routePlan?: RoutePlan;
  /** The "SRTP Ciphers" enterprise parameter (default All Supported); `setSrtpCiphers` changes it later. */
  srtpCiphers?: SrtpCiphersInput | (() => SrtpCiphersInput);
  /** A line's device media profile (the cluster derives it from the device's model record). */
  lineMedia?: (device: PhoneDevice | undefined, dn: string) => LineMediaProfile | undefined;
  /** Ringing (or silence) this long without an answer: CANCEL the callee, 480 (or 408 when it never answered at all). Default 180 s. */
  noAnswerTimeoutMs?: number;
  /** Active calls on a line before new ones get 486 Busy Here (CUCM's Busy Trigger); default: no limit. */
  busyTrigger?: number;
  /** Ended calls kept in `calls` (default 1000). */
  maxEndedCalls?: number;
  /** Host written in our Contact and From (default: the local address the caller reached us on). */
  host?: string;
}

export interface B2buaEvents {
  'call-started': [CallRecord];
  ringing: [CallRecord];
  answered: [CallRecord];
  held: [CallRecord, LegName];
  resumed: [CallRecord, LegName];
  ended: [CallRecord];
}

interface Leg {
  name: LegName;
  target: SipTarget;
  /** Our Contact URI on this leg. */
  contact: string;
  media: LegContext & { capabilities?: readonly string[] };
  onNoSrtp: NoSrtpAction;
  credentials?: Credentials;
  dialog?: Dialog;
  /** The last SDP sent to this leg (answered to an SDP-less re-INVITE). */
  lastSdpOut?: string;
}

interface Call {
  /** The SIP server the call started on. */
  srv: SipServer;
  record: CallRecord;
  a: Leg;
  b?: Leg;
  aIncoming: ServerRequest;
  aTx: ServerTransaction;
  aTag: string;
  bTx?: ClientTransaction;
  /** B has answered something (any response, 100 included): a CANCEL may be sent (RFC 3261 9.1). */
  bHeard: boolean;
  cancelWanted: boolean;
  cancelSent: boolean;
  /** The caller got its final answer or went away: B's late 2xx is ACKed and ended. */
  over: boolean;
  timer?: NodeJS.Timeout;
  /** The initial offer relayed to B (offer in the INVITE). */
  offer?: RelayedSdpOffer;
  /** Late offer: B's offer relayed to A in the 2xx; A's ACK carries the answer for B. */
  lateOffer?: { offer: RelayedSdpOffer; flow: Flow; cseq: number };
  reinvitePending: boolean;
}

const DEFAULT_NO_ANSWER_MS = 180_000;

export class B2bua extends EventEmitter<B2buaEvents> {
  readonly routePlan: RoutePlan;
  private readonly active = new Map<number, Call>();
  private readonly endedCalls: CallRecord[] = [];
  private readonly byDialog = new Map<string, { call: Call; leg: LegName }>();
  private attached = false;

  private readonly serverOf: () => SipServer | undefined;
  private policyInput: SrtpCiphersInput | (() => SrtpCiphersInput) | undefined;
  /** The request handler to register for HANDLED_METHODS (what `attach` does on a SipServer). */
  readonly handler: ServerRequestHandler = (r) => this.onRequest(r);
  /** Methods the B2BUA must receive after admission: new and in-dialog INVITEs, and what happens inside its calls. */
  static readonly HANDLED_METHODS: readonly string[] = ['INVITE', 'ACK', 'BYE', 'INFO', 'UPDATE'];

  /**
   * `server` is the SIP server, or a function returning the one running now (the embedded cluster replaces its
   * SipServer when Cisco CallManager restarts; each call keeps the server it started on).
   */
  constructor(
    server: SipServer | (() => SipServer | undefined),
    private readonly opts: B2buaOptions = {},
  ) {
    super();
    this.serverOf = typeof server === 'function' ? server : () => server;
    this.routePlan = opts.routePlan ?? new RoutePlan();
    this.policyInput = opts.srtpCiphers;
    resolveSrtpCiphers(typeof this.policyInput === 'function' ? this.policyInput() : this.policyInput); // fail early
  }

  /** The SIP server new calls start on. */
  get server(): SipServer {
    const s = this.serverOf();
    if (!s) throw new Error('the B2BUA has no running SIP server');
    return s;
  }

  /** Builds a B2BUA and plugs it into the server (INVITE, ACK, BYE, INFO, UPDATE after admission). */
  static attach(server: SipServer, opts: B2buaOptions = {}): B2bua {
    const b = new B2bua(server, opts);
    b.attach();
    return b;
  }

  attach(): void {
    if (this.attached) return;
    this.attached = true;
    for (const m of B2bua.HANDLED_METHODS) this.server.onRequest(m, this.handler);
  }

  /** The SRTP Ciphers policy in force for new offers (read at each offer when given as a function). */
  get srtpCiphers(): SrtpCiphersPolicy {
    return resolveSrtpCiphers(typeof this.policyInput === 'function' ? this.policyInput() : this.policyInput);
  }

  /** Changes the policy (a value, or a function read at each offer: the cluster's enterprise parameter). */
  setSrtpCiphers(input: SrtpCiphersInput | (() => SrtpCiphersInput)): void {
    if (typeof input !== 'function') resolveSrtpCiphers(input);
    this.policyInput = input;
  }

  /** Active calls, then the most recent ended ones, by id. */
  get calls(): CallRecord[] {
    return [...this.endedCalls, ...[...this.active.values()].map((c) => c.record)].sort((x, y) => x.id - y.id);
  }

  get activeCalls(): CallRecord[] {
    return [...this.active.values()].map((c) => c.record);
  }

  call(id: number): CallRecord | undefined {
    return this.active.get(id)?.record ?? this.endedCalls.find((r) => r.id === id);
  }

  /** Ends every active call (BYE when answered, 503 + CANCEL when not). */
  async close(): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const call of [...this.active.values()]) {
      if (call.record.state === 'answered' || call.record.state === 'held') {
        pending.push(this.bye(call, 'A'), this.bye(call, 'B'));
      } else {
        this.replyA(call, 503, { reason: 'Service Unavailable' });
        this.cancelB(call);
      }
      this.finish(call, { reason: 'shutdown', by: 'cluster' });
    }
    await Promise.allSettled(pending);
  }

  // ---- dispatch -------------------------------------------------------------------------------------------------

  private onRequest(r: ServerRequest): void {
    const req = r.request;
    if (req.method === 'INVITE' && req.toTag === undefined) {
      try {
        this.onNewInvite(r);
      } catch (e) {
        // A bug, not the caller's fault: answer 500 and end whatever was started.
        log.error(`INVITE ${req.callId}: ${(e as Error).stack ?? e}`);
        const call = [...this.active.values()].find((c) => c.aIncoming === r);
        if (call) this.refuse(call, 500, 'Server Internal Error', 'bad-request', (e as Error).message);
        else if (r.transaction && !r.transaction.answered) r.reply(500);
      }
      return;
    }
    const ref = r.dialog ? this.byDialog.get(r.dialog.id) : undefined;
    if (!ref) {
      if (r.transaction) r.reply(req.toTag !== undefined ? 481 : 501);
      return;
    }
    const { call, leg } = ref;
    call.record.log(leg, 'in', req);
    switch (req.method) {
      case 'ACK':
        this.onAck(call, leg, req);
        return;
      case 'BYE':
        this.onBye(r, call, leg);
        return;
      default:
        this.relayInDialog(r, call, leg).catch((e) => {
          log.error(`${req.method} in call ${call.record.id}: ${(e as Error).stack ?? e}`);
          if (r.transaction && !r.transaction.answered) this.answer(call, leg, r, 500);
        });
    }
  }

  // ---- new calls ------------------------------------------------------------------------------------------------

  private host(r: ServerRequest): string {
    const h = this.opts.host ?? r.source.localAddress;
    return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
  }

  private ourContact(srv: SipServer, user: string, host: string, transport: TransportProtocol): string {
    const port = srv.ports[transport.toLowerCase() as 'udp' | 'tcp' | 'tls'] ?? defaultPort(transport);
    return `sip:${user}@${host}:${port};transport=${transport.toLowerCase()}`;
  }

  private onNewInvite(r: ServerRequest): void {
    const srv = this.server;
    const req = r.request;
    const tx = r.transaction!;
    const dialled = safe(() => req.requestUri().user) ?? '';
    const from = safe(() => req.from());
    const callerDn = from?.uri.user ?? 'anonymous';
    const host = this.host(r);
    const trunkIn = r.trunk ? this.routePlan.trunk(r.trunk.trunk.name) : undefined;
    const device = r.phone?.device;
    const lineProfile = r.trunk ? undefined : this.opts.lineMedia?.(device, callerDn);
    const aFacts = legTransport(r.source);
    const record = new CallRecord(
      {
        kind: r.trunk ? 'trunk' : 'line',
        dn: callerDn,
        ...(device ? { device: device.name.toUpperCase() } : {}),
        ...(r.trunk ? { trunk: r.trunk.trunk.name, srtpAllowed: trunkIn?.srtpAllowed ?? false } : {}),
        ...aFacts,
        callId: req.callId,
      },
      dialled,
    );
    const a: Leg = {
      name: 'A',
      target: { transport: r.source.transport, host: r.source.remoteAddress, port: r.source.remotePort, ...(r.source.connection ? { connection: r.source.connection } : {}) },
      contact: this.ourContact(srv, dialled || 'trustline', host, r.source.transport),
      media: r.trunk
        ? { tls: aFacts.signalling, leg: 'trunk', srtpAllowed: trunkIn?.srtpAllowed ?? false, ...(trunkIn?.capabilities ? { capabilities: trunkIn.capabilities } : {}) }
        : { tls: aFacts.signalling, leg: 'line', ...(lineProfile?.allowSdesWithoutTls ? { allowSdesWithoutTls: true } : {}), ...(lineProfile?.capabilities ? { capabilities: lineProfile.capabilities } : {}) },
      onNoSrtp: (r.trunk ? trunkIn?.onNoSrtp : lineProfile?.onNoSrtp) ?? 'rtp',
    };
    const call: Call = { srv, record, a, aIncoming: r, aTx: tx, aTag: generateTag(), bHeard: false, cancelWanted: false, cancelSent: false, over: false, reinvitePending: false };
    this.active.set(record.id, call);
    record.log('A', 'in', req);
    record.logSynthetic('A', 'out', 'INVITE', '100 Trying', req.cseq.seq, 100); // sent by the transaction layer
    this.emit('call-started', record);
    tx.onCancel = (cancel) => this.onCancel(call, cancel);

    const unsupported = req.values('require').filter((x) => x.trim() !== '');
    if (unsupported.length > 0) return this.refuse(call, 420, 'Bad Extension', 'bad-request', `Require: ${unsupported.join(', ')} is not supported`, [['Unsupported', unsupported.join(', ')]]);
    if (req.fromTag === undefined) return this.refuse(call, 400, 'Bad Request', 'bad-request', 'the INVITE has no From tag');
    if (!safe(() => req.contacts()[0])) return this.refuse(call, 400, 'Bad Request', 'bad-request', 'the INVITE has no usable Contact');
    if (!dialled) return this.refuse(call, 404, 'Not Found', 'no-route', 'the Request-URI has no user part (number)');

    const decision = this.routePlan.resolve(dialled, (dn) => srv.directory.deviceByLine(dn) !== undefined || srv.location.lookup(dn).length > 0);
    const b = this.callee(call, decision, callerDn, host);
    if (!b) return;
    call.b = b;

    // Offer in the INVITE: the policy decides what the callee sees.
    const body = req.body.length > 0 ? req.body.toString('utf8') : undefined;
    if (body !== undefined && !/application\/sdp/i.test(req.get('content-type') ?? 'application/sdp')) {
      return this.refuse(call, 415, 'Unsupported Media Type', 'bad-request', `Content-Type ${req.get('content-type')} is not application/sdp`, [['Accept', 'application/sdp']]);
    }
    let outBody: string | undefined;
    if (body !== undefined) {
      const offer = relaySdpOffer(body, this.offerContext(a, b));
      record.addWarnings(offer.warnings);
      if (offer.kind === 'reject') return this.refuse(call, offer.status, offer.reason, offer.status === 400 ? 'bad-request' : 'media-rejected', offer.detail);
      call.offer = offer;
      outBody = offer.body;
    }
    this.sendInvite(call, callerDn, from?.displayName, host, dialled, outBody);
  }

  /** Builds the B leg for a routing decision, or answers the caller when there is nowhere to go. */
  private callee(call: Call, d: RouteDecision, callerDn: string, host: string): (Leg & { uri: string }) | undefined {
    const rec = call.record;
    if (d.kind === 'none') {
      this.refuse(call, 404, 'Not Found', 'no-route', `no line or route pattern matches ${d.dn}`);
      return undefined;
    }
    if (d.kind === 'reject') {
      this.refuse(call, d.status, d.reason, 'route-rejected', `route pattern ${d.pattern} refuses ${d.dn}`);
      return undefined;
    }
    if (this.opts.busyTrigger !== undefined && this.callsOn(d.dn) >= this.opts.busyTrigger) {
      this.refuse(call, 486, 'Busy Here', 'busy', `${d.dn} has ${this.callsOn(d.dn)} active calls (Busy Trigger ${this.opts.busyTrigger})`);
      return undefined;
    }
    if (d.kind === 'line') {
      const bindings = call.srv.location.lookup(d.dn);
      if (bindings.length === 0) {
        this.refuse(call, 480, 'Temporarily Unavailable', 'unregistered', `line ${d.dn} is not registered`);
        return undefined;
      }
      // One binding rings: the most recent registration (no parallel forking to shared lines).
      const bind: Binding = bindings.reduce((x, y) => (y.registeredAt > x.registeredAt ? y : x));
      const dev = bind.device ? call.srv.directory.device(bind.device) : undefined;
      const profile = this.opts.lineMedia?.(dev, d.dn);
      const facts = legTransport({ transport: bind.source.transport, remoteAddress: bind.source.address, remotePort: bind.source.port, ...(bind.source.connection ? { connection: bind.source.connection } : {}) });
      rec.route = { kind: 'line', contact: bind.contact };
      rec.setCallee({ kind: 'line', dn: d.dn, ...(bind.device ? { device: bind.device } : {}), ...facts });
      return {
        name: 'B',
        uri: bind.contact,
        target: { transport: bind.source.transport, host: bind.source.address, port: bind.source.port, ...(bind.source.connection ? { connection: bind.source.connection } : {}) },
        contact: this.ourContact(call.srv, callerDn, host, bind.source.transport),
        media: { tls: facts.signalling, leg: 'line', ...(profile?.allowSdesWithoutTls ? { allowSdesWithoutTls: true } : {}), ...(profile?.capabilities ? { capabilities: profile.capabilities } : {}) },
        onNoSrtp: profile?.onNoSrtp ?? 'rtp',
      };
    }
    const t: TrunkRoute = d.trunk;
    const tg = t.target!;
    const port = tg.port ?? defaultPort(tg.transport);
    // Before connecting, a TLS trunk counts as encrypted; the leg record gets the negotiated facts after the INVITE.
    const signalling = tg.transport === 'TLS' ? 'encrypted' : 'none';
    rec.route = { kind: 'trunk', trunk: t.name, pattern: d.pattern };
    rec.setCallee({ kind: 'trunk', dn: d.dn, trunk: t.name, srtpAllowed: t.srtpAllowed ?? false, transport: tg.transport, remote: `${tg.host}:${port}`, signalling });
    return {
      name: 'B',
      uri: `sip:${d.dn}@${t.requestUriHost ?? tg.host}:${port};transport=${tg.transport.toLowerCase()}`,
      target: { transport: tg.transport, host: tg.host, port, ...(tg.servername ? { servername: tg.servername } : {}), ...(tg.tlsMode ? { tlsMode: tg.tlsMode } : {}) },
      contact: this.ourContact(call.srv, callerDn, host, tg.transport),
      media: { tls: signalling, leg: 'trunk', srtpAllowed: t.srtpAllowed ?? false, ...(t.capabilities ? { capabilities: t.capabilities } : {}) },
      onNoSrtp: t.onNoSrtp ?? 'rtp',
      ...(t.credentials ? { credentials: t.credentials } : {}),
    };
  }

  private callsOn(dn: string): number {
    let n = 0;
    for (const c of this.active.values()) if (c.record.legs.B?.dn === dn || c.record.legs.A.dn === dn) n++;
    return n;
  }

  /** Offer from one leg to the other: refuse when either side refuses RTP (a CUBE without srtp fallback). */
  private offerContext(from: Leg, to: Leg) {
    return { policy: this.srtpCiphers, from: from.media, to: to.media, onNoSrtp: from.onNoSrtp === 'reject' || to.onNoSrtp === 'reject' ? ('reject' as const) : ('rtp' as const) };
  }

  private sendInvite(call: Call, callerDn: string, display: string | undefined, host: string, dialled: string, body: string | undefined): void {
    const b = call.b!;
    const rec = call.record;
    const from = `${display ? `"${display.replace(/["\\]/g, '')}" ` : ''}<sip:${callerDn}@${host}>`;
    call.timer = setTimeout(() => this.onNoAnswer(call), this.opts.noAnswerTimeoutMs ?? DEFAULT_NO_ANSWER_MS);
    call.timer.unref?.();
    rec.state = 'proceeding';
    if (body !== undefined) b.lastSdpOut = body;
    call.srv.ua
      .request(
        {
          method: 'INVITE',
          uri: (b as Leg & { uri: string }).uri,
          from,
          to: `<sip:${dialled}@${b.target.host.includes(':') ? `[${b.target.host}]` : b.target.host}>`,
          contact: `<${b.contact}>`,
          headers: [['Allow', ALLOW]],
          ...(body !== undefined ? { body, contentType: 'application/sdp' } : {}),
        },
        b.target,
        {
          onTransaction: (tx, req) => {
            call.bTx = tx;
            rec.legs.B!.callId = req.callId;
            rec.log('B', 'out', req);
          },
          onProvisional: (res) => {
            try {
              this.onProvisional(call, res);
            } catch (e) {
              log.error(`call ${rec.id}: provisional ${res.status}: ${(e as Error).stack ?? e}`);
            }
          },
          ...(b.credentials ? { credentials: b.credentials } : {}),
        },
      )
      .then((r) => this.onFinal(call, r))
      .catch((e) => {
        log.error(`call ${rec.id}: B leg INVITE failed: ${(e as Error).stack ?? e}`);
        if (!call.over) this.refuse(call, 500, 'Server Internal Error', 'unreachable', (e as Error).message);
      });
  }

  private onProvisional(call: Call, res: SipResponse): void {
    call.bHeard = true;
    call.record.log('B', 'in', res);
    if (call.cancelWanted) return this.cancelB(call);
    if (call.over || res.status === 100) return;
    let body: string | undefined;
    if (res.body.length > 0 && call.offer) {
      // Early media: the answer is checked as the final one will be; a refused one is not passed on.
      const ans = relaySdpAnswer(res.body.toString('utf8'), call.offer, call.b!.onNoSrtp);
      if (ans.kind === 'forward') body = ans.body;
    }
    if (res.status === 180 || res.status === 183) {
      if (call.record.state !== 'ringing') {
        call.record.state = 'ringing';
        call.record.timings.ringingAt = Date.now();
        this.emit('ringing', call.record);
      }
    }
    this.replyA(call, res.status, { reason: res.reason, ...(body !== undefined ? { body } : {}) });
  }

  private async onFinal(call: Call, r: RequestResult): Promise<void> {
    const res = r.response;
    const rec = call.record;
    if (r.synthetic) rec.logSynthetic('B', 'in', 'INVITE', `${res.status} ${res.reason} (${r.synthetic === 'timeout' ? 'no response: transaction timeout' : 'transport failure'})`, r.request.cseq.seq, res.status);
    else {
      call.bHeard = true;
      rec.log('B', 'in', res);
    }
    const bLeg = rec.legs.B!;
    if (r.flow.connection?.tls && bLeg.kind === 'trunk') Object.assign(bLeg, legTransport({ transport: r.flow.transport, remoteAddress: r.flow.remoteAddress, remotePort: r.flow.remotePort, connection: r.flow.connection }));
    if (res.status >= 200 && res.status < 300) return this.onAnswered(call, r);
    // engine/sip's INVITE transaction also times out in Proceeding: stop a phone that is still ringing.
    if (r.synthetic === 'timeout' && call.bHeard) this.cancelB(call, true);
    if (call.over) return;
    clearTimeout(call.timer);
    const mapped = this.mapFailure(call, r);
    this.refuse(call, mapped.status, mapped.reason, mapped.end, mapped.detail, mapped.headers, 'B');
  }

  /** The caller's view of the callee's failure (4xx/5xx/6xx through, with a few exceptions). */
  private mapFailure(call: Call, r: RequestResult): { status: number; reason?: string; end: EndReason; detail?: string; headers: [string, string][] } {
    const res = r.response;
    const s = res.status;
    const headers: [string, string][] = [];
    for (const h of ['warning', 'retry-after', 'reason']) for (const v of res.getAll(h)) headers.push([h === 'warning' ? 'Warning' : h === 'retry-after' ? 'Retry-After' : 'Reason', v]);
    if (r.synthetic === 'timeout') return { status: 408, reason: 'Request Timeout', end: 'timeout', detail: 'the callee never answered the INVITE', headers: [] };
    if (r.synthetic === 'transport-error') {
      const line = call.record.legs.B?.kind === 'line';
      return { status: line ? 480 : 503, reason: line ? 'Temporarily Unavailable' : 'Service Unavailable', end: 'unreachable', detail: `cannot reach ${call.b!.target.host}:${call.b!.target.port} over ${call.b!.target.transport}`, headers: [] };
    }
    if (s === 401 || s === 407) return { status: 403, reason: 'Forbidden', end: 'rejected', detail: `the callee challenged the cluster (${s}) and no credentials answered it`, headers };
    if (s < 400) return { status: 480, reason: 'Temporarily Unavailable', end: 'rejected', detail: `the callee redirected (${s} ${res.reason}); redirects are not followed`, headers };
    const end: EndReason = s === 486 || s === 600 ? 'busy' : s === 408 ? 'timeout' : s === 487 ? 'cancelled' : s === 488 || s === 606 ? 'media-rejected' : 'rejected';
    return { status: s, reason: res.reason, end, detail: `the callee answered ${s} ${res.reason}`, headers };
  }

  private async onAnswered(call: Call, r: RequestResult): Promise<void> {
    const rec = call.record;
    const b = call.b!;
    const res = r.response;
    let dialog: Dialog;
    try {
      dialog = Dialog.uac(r.request, res);
    } catch (e) {
      log.warn(`call ${rec.id}: 2xx without a usable dialog: ${(e as Error).message}`);
      if (!call.over) this.refuse(call, 502, 'Bad Gateway', 'rejected', `the callee's 2xx creates no dialog: ${(e as Error).message}`);
      return;
    }
    call.srv.ua.dialogs.set(dialog.id, dialog);
    b.dialog = dialog;
    this.byDialog.set(dialog.id, { call, leg: 'B' });
    if (call.over) {
      // The caller cancelled or timed out meanwhile (RFC 3261 9.1 race): take the call and end it.
      this.ackB(call, r);
      await this.byeLeg(call, b);
      return;
    }
    clearTimeout(call.timer);
    const body = res.body.length > 0 ? res.body.toString('utf8') : undefined;
    if (!call.offer) {
      // Late offer: the callee offers in its 2xx; A answers in its ACK, which we pass on to B.
      if (body === undefined) {
        this.ackB(call, r);
        await this.byeLeg(call, b);
        return this.refuse(call, 488, 'Not Acceptable Here', 'media-rejected', 'neither the INVITE nor the 2xx carried SDP');
      }
      const offer = relaySdpOffer(body, this.offerContext(b, call.a));
      rec.addWarnings(offer.warnings);
      if (offer.kind === 'reject') {
        this.ackB(call, r);
        await this.byeLeg(call, b);
        return this.refuse(call, 488, 'Not Acceptable Here', 'media-rejected', offer.detail);
      }
      call.lateOffer = { offer, flow: r.flow, cseq: r.request.cseq.seq };
      this.answerA(call, offer.body);
      rec.media = { kind: 'rtp', offeredSuites: offer.media.find((m) => m.index === offer.main)?.offeredSuites ?? [], forwardedSuites: forwarded(offer), direction: offer.direction };
      return;
    }
    if (body === undefined) {
      this.ackB(call, r);
      await this.byeLeg(call, b);
      return this.refuse(call, 488, 'Not Acceptable Here', 'media-rejected', 'the callee answered 2xx without SDP to an offer');
    }
    const ans = relaySdpAnswer(body, call.offer, call.a.onNoSrtp === 'reject' || b.onNoSrtp === 'reject' ? 'reject' : 'rtp');
    rec.addWarnings(ans.warnings);
    this.ackB(call, r);
    if (ans.kind === 'reject') {
      await this.byeLeg(call, b);
      return this.refuse(call, 488, 'Not Acceptable Here', 'media-rejected', ans.detail);
    }
    this.setMedia(call, call.offer, ans);
    this.answerA(call, ans.body);
  }

  /** 200 to the caller: the call is up. */
  private answerA(call: Call, body: string): void {
    const rec = call.record;
    const dialog = this.replyA(call, 200, { body });
    call.a.lastSdpOut = body;
    if (dialog) {
      call.a.dialog = dialog;
      this.byDialog.set(dialog.id, { call, leg: 'A' });
    }
    call.over = true;
    rec.state = 'answered';
    rec.timings.answeredAt = Date.now();
    rec.timings.setupMs = rec.timings.answeredAt - rec.timings.startedAt;
    if (rec.media) rec.updateSecurity();
    this.emit('answered', rec);
  }

  private setMedia(call: Call, offer: RelayedSdpOffer, ans: RelayedSdpAnswer): void {
    const main = offer.media.find((m) => m.index === offer.main);
    const answered = ans.media.find((m) => m.index === ans.main)?.result;
    const relay = main?.result;
    const noSrtp = relay && relay.kind !== 'srtp' ? relay : answered && answered.kind !== 'srtp' ? answered : undefined;
    call.record.media = {
      kind: ans.srtp ? 'srtp' : 'rtp',
      ...(ans.suite ? { suite: ans.suite } : {}),
      offeredSuites: main?.offeredSuites ?? [],
      forwardedSuites: forwarded(offer),
      ...(noSrtp && noSrtp.kind === 'rtp' ? { reason: noSrtp.reason, detail: noSrtp.detail } : {}),
      direction: offer.direction,
    };
    if (call.record.state !== 'routing' && call.record.state !== 'proceeding' && call.record.state !== 'ringing') call.record.updateSecurity();
  }

  /** ACK for B's 2xx (with the answer on a late offer), on the INVITE's flow. */
  private ackB(call: Call, r: RequestResult, body?: string): void {
    const d = call.b?.dialog;
    if (!d) return;
    const ack = d.createAck(r.request.cseq.seq, call.srv.transactions.viaFor(r.flow), body !== undefined ? { body, contentType: 'application/sdp' } : {});
    call.srv.transactions.sendStateless(ack, r.flow);
    call.record.log('B', 'out', ack);
  }

  // ---- CANCEL, timeouts, refusals ---------------------------------------------------------------------------------

  private onCancel(call: Call, cancel: SipRequest): void {
    const rec = call.record;
    rec.log('A', 'in', cancel);
    rec.logSynthetic('A', 'out', 'CANCEL', '200 OK', cancel.cseq.seq, 200); // the transaction layer answered it
    if (call.over) return;
    this.refuse(call, 487, 'Request Terminated', 'cancelled', 'the caller cancelled before the answer', [], 'A');
    this.cancelB(call);
  }

  /** CANCEL to B; `afterTimeout`: its transaction gave up (a synthesized 408) while B may still be ringing. */
  private cancelB(call: Call, afterTimeout = false): void {
    if (!call.bTx) {
      call.cancelWanted = true; // the INVITE is not out yet (connecting): cancel on its first response
      return;
    }
    if (call.cancelSent || (!afterTimeout && call.bTx.state === 'terminated') || call.bTx.state === 'completed' || call.bTx.state === 'accepted') return;
    if (!call.bHeard) {
      call.cancelWanted = true; // RFC 3261 9.1: not before a provisional response
      return;
    }
    call.cancelSent = true;
    const tx = call.bTx;
    call.record.logSynthetic('B', 'out', 'CANCEL', `CANCEL ${tx.request.uri}`, tx.request.cseq.seq);
    call.srv.ua
      .cancel(tx)
      .then((r) => call.record.log('B', 'in', r.response))
      .catch((e) => log.debug(`CANCEL: ${(e as Error).message}`));
  }

  private onNoAnswer(call: Call): void {
    if (call.over) return;
    if (!call.bHeard) {
      this.refuse(call, 408, 'Request Timeout', 'timeout', `no response from the callee in ${this.opts.noAnswerTimeoutMs ?? DEFAULT_NO_ANSWER_MS} ms`);
      call.cancelWanted = true;
      return;
    }
    this.refuse(call, 480, 'Temporarily Unavailable', 'no-answer', `not answered in ${this.opts.noAnswerTimeoutMs ?? DEFAULT_NO_ANSWER_MS} ms`);
    this.cancelB(call);
  }

  /** Final non-2xx to the caller and the end of the call. */
  private refuse(call: Call, status: number, reason: string | undefined, end: EndReason, detail?: string, headers: [string, string][] = [], by: LegName | 'cluster' = 'cluster'): void {
    if (call.over) return;
    const extra = [...headers];
    if (detail && by === 'cluster' && !extra.some(([k]) => k === 'Warning')) extra.push(['Warning', warning(detail)]);
    this.replyA(call, status, { ...(reason ? { reason } : {}), headers: extra });
    call.over = true;
    this.finish(call, { reason: end, status, by, ...(detail ? { detail } : {}) });
  }

  private replyA(call: Call, status: number, o: { reason?: string; body?: string; headers?: [string, string][] } = {}): Dialog | undefined {
    if (call.aTx.answered) return undefined;
    const headers: [string, string][] = [...(o.headers ?? [])];
    if (status < 300) headers.push(['Allow', ALLOW]);
    if (o.body !== undefined) headers.push(['Content-Type', 'application/sdp']);
    const { response, dialog } = call.aIncoming.reply(status, {
      ...(o.reason ? { reason: o.reason } : {}),
      toTag: call.aTag,
      headers,
      ...(o.body !== undefined ? { body: o.body } : {}),
      ...(status > 100 && status < 300 ? { contact: `<${call.a.contact}>` } : {}),
    });
    call.record.log('A', 'out', response);
    return dialog;
  }

  // ---- in-dialog ----------------------------------------------------------------------------------------------

  private other(call: Call, leg: LegName): Leg | undefined {
    return leg === 'A' ? call.b : call.a;
  }

  private onAck(call: Call, leg: LegName, ack: SipRequest): void {
    if (leg !== 'A' || !call.lateOffer) return;
    const late = call.lateOffer;
    call.lateOffer = undefined;
    const b = call.b!;
    const body = ack.body.length > 0 ? ack.body.toString('utf8') : undefined;
    const ans = body !== undefined ? relaySdpAnswer(body, late.offer, 'rtp') : undefined;
    const d = b.dialog;
    if (d) {
      const out = d.createAck(late.cseq, call.srv.transactions.viaFor(late.flow), ans && ans.kind === 'forward' ? { body: ans.body, contentType: 'application/sdp' } : {});
      call.srv.transactions.sendStateless(out, late.flow);
      call.record.log('B', 'out', out);
    }
    if (!ans || ans.kind === 'reject') {
      this.finish(call, { reason: 'media-rejected', by: 'cluster', detail: ans ? ans.detail : "the caller's ACK carried no answer to the callee's offer" });
      void this.bye(call, 'A');
      void this.bye(call, 'B');
      return;
    }
    call.record.addWarnings(ans.warnings);
    b.lastSdpOut = ans.body;
    this.setMedia(call, late.offer, ans);
    call.record.updateSecurity();
  }

  private onBye(r: ServerRequest, call: Call, leg: LegName): void {
    this.answer(call, leg, r, 200);
    if (r.dialog) this.byDialog.delete(r.dialog.id);
    if (call.record.ended) return;
    this.finish(call, { reason: leg === 'A' ? 'caller-hangup' : 'callee-hangup', by: leg });
    void this.bye(call, leg === 'A' ? 'B' : 'A');
  }

  private answer(call: Call, leg: LegName, r: ServerRequest, status: number, o: { reason?: string; body?: string; headers?: [string, string][] } = {}): void {
    if (!r.transaction || r.transaction.answered) return;
    const headers: [string, string][] = [...(o.headers ?? [])];
    if (o.body !== undefined) headers.push(['Content-Type', 'application/sdp']);
    const l = leg === 'A' ? call.a : call.b;
    const { response } = r.reply(status, {
      ...(o.reason ? { reason: o.reason } : {}),
      headers,
      ...(o.body !== undefined ? { body: o.body } : {}),
      ...(r.request.method === 'INVITE' && status < 300 && l ? { contact: `<${l.contact}>` } : {}),
    });
    call.record.log(leg, 'out', response);
  }

  private bye(call: Call, leg: LegName): Promise<unknown> {
    const l = leg === 'A' ? call.a : call.b;
    return l ? this.byeLeg(call, l) : Promise.resolve();
  }

  /** BYE on a leg; never throws (a leg that cannot be reached is logged and forgotten). */
  private async byeLeg(call: Call, l: Leg): Promise<void> {
    const d = l.dialog;
    if (!d || d.state === 'terminated') return;
    try {
      const r = await call.srv.ua.requestInDialog(d, 'BYE', {
        target: l.target,
        onTransaction: (_tx, req) => call.record.log(l.name, 'out', req),
        ...(l.credentials ? { credentials: l.credentials } : {}),
      });
      if (r.synthetic) call.record.logSynthetic(l.name, 'in', 'BYE', `${r.response.status} ${r.response.reason} (${r.synthetic})`, r.request.cseq.seq, r.response.status);
      else call.record.log(l.name, 'in', r.response);
    } catch (e) {
      log.debug(`call ${call.record.id}: BYE to leg ${l.name}: ${(e as Error).message}`);
    } finally {
      d.terminate();
      call.srv.ua.dialogs.delete(d.id);
      this.byDialog.delete(d.id);
    }
  }

  /** re-INVITE (hold/resume, re-keying), UPDATE, INFO: passed to the other leg, its answer back. */
  private async relayInDialog(r: ServerRequest, call: Call, leg: LegName): Promise<void> {
    const req = r.request;
    const to = this.other(call, leg);
    const from = leg === 'A' ? call.a : call.b!;
    const rec = call.record;
    if (!to?.dialog || to.dialog.state === 'terminated' || rec.ended) return this.answer(call, leg, r, 481);
    const isOffer = req.method === 'INVITE' || req.method === 'UPDATE';
    if (req.method === 'INVITE' && (call.reinvitePending || (rec.state !== 'answered' && rec.state !== 'held'))) return this.answer(call, leg, r, 491, { headers: [['Retry-After', '1']] });
    const body = req.body.length > 0 ? req.body.toString('utf8') : undefined;
    if (req.method === 'INVITE' && body === undefined) {
      // Session refresh / late offer re-INVITE: answer with the session as it stands (the caller's ACK ends it).
      return this.answer(call, leg, r, 200, from.lastSdpOut !== undefined ? { body: from.lastSdpOut } : {});
    }
    let offer: RelayedSdpOffer | undefined;
    let outBody = body;
    if (isOffer && body !== undefined) {
      const o = relaySdpOffer(body, this.offerContext(from, to));
      rec.addWarnings(o.warnings);
      if (o.kind === 'reject') return this.answer(call, leg, r, o.status, { reason: o.reason, headers: [['Warning', warning(o.detail)]] });
      offer = o;
      outBody = o.body;
    }
    const headers: [string, string][] = [];
    if (req.method === 'INVITE' || req.method === 'UPDATE') headers.push(['Contact', `<${to.contact}>`]);
    for (const [k, name] of [['info-package', 'Info-Package'], ['content-disposition', 'Content-Disposition']] as const) {
      const v = req.get(k);
      if (v) headers.push([name, v]);
    }
    if (req.method === 'INVITE') call.reinvitePending = true;
    let res: RequestResult;
    try {
      res = await call.srv.ua.requestInDialog(to.dialog, req.method, {
        target: to.target,
        headers,
        ...(outBody !== undefined ? { body: outBody, contentType: req.get('content-type') ?? 'application/sdp' } : {}),
        onTransaction: (_tx, q) => rec.log(to.name, 'out', q),
        ...(to.credentials ? { credentials: to.credentials } : {}),
      });
    } finally {
      if (req.method === 'INVITE') call.reinvitePending = false;
    }
    const s = res.response.status;
    if (res.synthetic) rec.logSynthetic(to.name, 'in', req.method, `${s} ${res.response.reason} (${res.synthetic})`, res.request.cseq.seq, s);
    else rec.log(to.name, 'in', res.response);
    if (req.method === 'INVITE' && s >= 200 && s < 300) rec.logSynthetic(to.name, 'out', 'ACK', `ACK (re-INVITE ${res.request.cseq.seq})`, res.request.cseq.seq);
    if (s >= 200 && s < 300 && offer) {
      const ansBody = res.response.body.length > 0 ? res.response.body.toString('utf8') : undefined;
      const ans = ansBody !== undefined ? relaySdpAnswer(ansBody, offer, this.offerContext(from, to).onNoSrtp) : undefined;
      if (!ans || ans.kind === 'reject') {
        // The callee took the new session but its answer cannot go on: the call ends.
        this.answer(call, leg, r, 488, { reason: 'Not Acceptable Here' });
        this.finish(call, { reason: 'media-rejected', by: 'cluster', detail: ans ? ans.detail : `the ${req.method} 2xx carried no answer` });
        void this.bye(call, 'A');
        void this.bye(call, 'B');
        return;
      }
      rec.addWarnings(ans.warnings);
      this.answer(call, leg, r, s, { reason: res.response.reason, body: ans.body });
      from.lastSdpOut = ans.body;
      to.lastSdpOut = offer.body;
      this.setMedia(call, offer, ans);
      this.holdChange(call, leg, offer);
      return;
    }
    const copy: [string, string][] = [];
    for (const h of ['retry-after', 'warning']) for (const v of res.response.getAll(h)) copy.push([h === 'warning' ? 'Warning' : 'Retry-After', v]);
    const respBody = res.response.body.length > 0 && !offer ? res.response.body.toString('utf8') : undefined;
    this.answer(call, leg, r, s, { reason: res.response.reason, headers: [...copy, ...(respBody !== undefined && res.response.get('content-type') ? ([['Content-Type', res.response.get('content-type')!]] as [string, string][]) : [])], ...(respBody !== undefined ? { body: respBody } : {}) });
    if (s === 481 || s === 408) {
      // 12.2.1.2: the other dialog is gone; so is the call.
      this.finish(call, { reason: leg === 'A' ? 'callee-hangup' : 'caller-hangup', by: leg === 'A' ? 'B' : 'A', detail: `${req.method} answered ${s}` });
      void this.bye(call, leg);
    }
  }

  private holdChange(call: Call, by: LegName, offer: RelayedSdpOffer): void {
    const rec = call.record;
    if (offer.hold && rec.heldBy === undefined) {
      rec.heldBy = by;
      rec.state = 'held';
      rec.holds.push({ at: Date.now(), by, held: true, direction: offer.direction });
      this.emit('held', rec, by);
    } else if (!offer.hold && rec.heldBy === by) {
      rec.heldBy = undefined;
      rec.state = 'answered';
      rec.holds.push({ at: Date.now(), by, held: false, direction: offer.direction });
      this.emit('resumed', rec, by);
    }
  }

  // ---- end ------------------------------------------------------------------------------------------------------

  private finish(call: Call, end: CallEnd): void {
    const rec = call.record;
    if (rec.ended) return;
    clearTimeout(call.timer);
    call.over = true;
    rec.finish(end);
    this.active.delete(rec.id);
    this.endedCalls.push(rec);
    const max = this.opts.maxEndedCalls ?? 1000;
    if (this.endedCalls.length > max) {
      const dropped = new Set(this.endedCalls.splice(0, this.endedCalls.length - max));
      for (const [id, ref] of this.byDialog) if (dropped.has(ref.call.record)) this.byDialog.delete(id);
    }
    log.info(`call ${rec.id} ${rec.legs.A.dn} -> ${rec.dialled} ended: ${end.reason}${end.status ? ` ${end.status}` : ''}${rec.security ? `, ${rec.security.status}` : ''}`);
    this.emit('ended', rec);
  }
}

function forwarded(offer: RelayedSdpOffer): string[] {
  const m = offer.media.find((x) => x.index === offer.main)?.result;
  return m?.kind === 'srtp' ? m.cryptos.map((c) => c.suite) : [];
}

/** A Warning header value (RFC 3261 20.43) for a reason that may quote hostile input: no quotes, no control characters. */
function warning(detail: string): string {
  return `399 trustline "${detail.replace(/["\\]/g, "'").replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, 200)}"`;
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

export type { CallLeg };
