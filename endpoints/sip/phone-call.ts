// One call of an emulated phone, either way: INVITE with the phone's SDES offer (or the answer to the caller's), the
// ringing/answer/reject states, hold and resume by re-INVITE, CANCEL, BYE from either side, and the media session that
// starts on answer, follows each re-INVITE and stops on BYE with its final statistics. The result says how the call
// went, what was agreed (suite, a=crypto tag, authentication tag length), the phone's view of the call security, and
// whether media worked: packets that did not decrypt or check make it fail, they are not only logged.
import { EventEmitter } from 'node:events';
import { logger } from '../../common/log.js';
import { callSecurityStatus, type CallSecurityStatus, type SignallingSecurity } from '../../engine/media-policy/index.js';
import type { Dialog } from '../../engine/sip/dialog/index.js';
import { generateTag, type SipRequest, type SipResponse } from '../../engine/sip/message/index.js';
import type { SdpDirection } from '../../engine/sip/message/sdp.js';
import type { ClientTransaction } from '../../engine/sip/transaction/index.js';
import type { SipTarget } from '../../engine/sip/transport/index.js';
import type { Credentials, IncomingRequest, UserAgentCore } from '../../engine/sip/ua-core.js';
import type { SrtpKeyExport } from '../media/key-export.js';
import type { MediaSessionOptions, MediaSessionStats } from '../media/media-session.js';
import { CallMedia, MediaRefusal, type AgreedMedia, type CallMediaOptions } from './call-media.js';

const log = logger('phone.call');

export type CallState = 'calling' | 'ringing' | 'connected' | 'held' | 'ended';
export type CallOutcome = 'trying' | 'ringing' | 'connected' | 'rejected' | 'cancelled' | 'failed';
export type CallDirection = 'outgoing' | 'incoming';

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE';

/** A hold or resume, by this phone (local) or the far end (remote). */
export interface HoldChange {
  atMs: number;
  by: 'local' | 'remote';
  held: boolean;
  /** This phone's media direction after the change. */
  direction: SdpDirection;
}

/** How a call went, at any time (final once `state` is 'ended'). */
export interface CallResult {
  /** This phone's id for the call ("SEP…-3"). */
  id: string;
  callId: string;
  direction: CallDirection;
  device: string;
  line: string;
  /** Dialled number or the caller's number / URI. */
  remote: string;
  state: CallState;
  outcome: CallOutcome;
  /** Final SIP status of the INVITE (sent or received). */
  status?: number;
  reason?: string;
  endedBy?: 'local' | 'remote';
  /** Why it ended (BYE, CANCEL, the status, a media refusal…). */
  endReason?: string;
  media: AgreedMedia | null;
  /** The phone's own leg: encrypted (TLS with an encrypting suite + SRTP), authenticated, non-secure (001 L8278). */
  security?: CallSecurityStatus;
  securityReasons: string[];
  /** Media statistics: live while the call is up, final after it ended. */
  stats: MediaSessionStats | null;
  holds: HoldChange[];
  /** False when media failed (did not decrypt, wrong content, refused SRTCP) or an answer could not be used. */
  ok: boolean;
  problems: string[];
  warnings: string[];
  timings: { startedAt: string; ringingMs?: number; answeredMs?: number; endedMs?: number };
}

export interface CallEvents {
  state: [CallState, PhoneCall];
  ended: [CallResult];
}

/** What a call needs from its phone's user agent. */
export interface CallPort {
  core: UserAgentCore;
  deviceName: string;
  line: string;
  /** Where requests to the CallManager go now (the registration connection). */
  target(): SipTarget;
  /** The Contact of this phone (name-addr). */
  contact(): string;
  /** From/To host for new calls. */
  domain(): string;
  signalling(): SignallingSecurity;
  credentials?: Credentials;
  mediaOptions(call: string): CallMediaOptions;
  /** The call is over (the UA forgets its dialog). */
  ended(call: PhoneCall): void;
}

export interface PlaceCallOptions {
  /** Extra media session options for this call (impairments, capture…). */
  media?: Partial<MediaSessionOptions>;
  /** Test fault: this phone decrypts with a key that is not the far end's (every packet fails authentication). */
  srtpKeyMismatch?: boolean;
}

let callCounter = 0;

export class PhoneCall extends EventEmitter<CallEvents> {
  readonly id: string;
  readonly direction: CallDirection;
  readonly remote: string;
  #callId: string;
  readonly #port: CallPort;
  readonly #opts: PlaceCallOptions;
  #state: CallState;
  #outcome: CallOutcome = 'trying';
  #status: number | undefined;
  #reason: string | undefined;
  #endedBy: 'local' | 'remote' | undefined;
  #endReason: string | undefined;
  #media: CallMedia | undefined;
  #finalStats: MediaSessionStats | null = null;
  #dialog: Dialog | undefined;
  #tx: ClientTransaction | undefined;
  #incoming: IncomingRequest | undefined;
  #toTag: string | undefined;
  #provisional = false;
  #cancelWanted = false;
  #lateOffer = false;
  #heldLocal = false;
  #heldRemote = false;
  #holds: HoldChange[] = [];
  #problems: string[] = [];
  #warnings: string[] = [];
  readonly #t0 = Date.now();
  readonly #startedAt = new Date().toISOString();
  #ringingMs: number | undefined;
  #answeredMs: number | undefined;
  #endedMs: number | undefined;
  #ending: Promise<CallResult> | undefined;
  #busy: Promise<unknown> = Promise.resolve();
  readonly #ended: Promise<CallResult>;
  #resolveEnded!: (r: CallResult) => void;

  private constructor(port: CallPort, direction: CallDirection, remote: string, callId: string, opts: PlaceCallOptions) {
    super();
    this.#port = port;
    this.direction = direction;
    this.remote = remote;
    this.#callId = callId;
    this.#opts = opts;
    this.#state = direction === 'outgoing' ? 'calling' : 'ringing';
    this.id = `${port.deviceName}-${++callCounter}`;
    this.#ended = new Promise((r) => (this.#resolveEnded = r));
  }

  get callId(): string {
    return this.#callId;
  }

  get state(): CallState {
    return this.#state;
  }

  get media(): CallMedia | undefined {
    return this.#media;
  }

  get dialog(): Dialog | undefined {
    return this.#dialog;
  }

  /** Resolves when the call has ended (with the final result). */
  whenEnded(): Promise<CallResult> {
    return this.#ended;
  }

  /** Resolves when the call reaches one of `states` (or has ended), or rejects after `timeoutMs`. */
  waitFor(states: CallState | readonly CallState[], timeoutMs = 10_000): Promise<CallResult> {
    const want = typeof states === 'string' ? [states] : states;
    if (want.includes(this.#state) || this.#state === 'ended') return Promise.resolve(this.result());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('state', on);
        reject(new Error(`call ${this.id}: still ${this.#state} after ${timeoutMs} ms (waiting for ${want.join('/')})`));
      }, timeoutMs);
      const on = (s: CallState) => {
        if (!want.includes(s) && s !== 'ended') return;
        clearTimeout(timer);
        this.off('state', on);
        resolve(this.result());
      };
      this.on('state', on);
    });
  }

  #setState(s: CallState): void {
    if (this.#state === s) return;
    this.#state = s;
    this.emit('state', s, this);
  }

  /** One SIP action at a time per call (a hold while a resume is pending waits for it). */
  #serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(f, f);
    this.#busy = run.catch(() => undefined);
    return run;
  }

  async #openMedia(): Promise<CallMedia> {
    if (this.#media) return this.#media;
    const base = this.#port.mediaOptions(this.id);
    const o: CallMediaOptions = { ...base, media: { ...base.media, ...this.#opts.media, name: this.id } };
    if (this.#opts.srtpKeyMismatch) o.keyMismatch = true;
    this.#media = await CallMedia.open(o);
    return this.#media;
  }

  // ---- outgoing ----------------------------------------------------------------------------------------------------

  /** Places a call: INVITE with the offer; resolves once the INVITE has its final answer. */
  static place(port: CallPort, dial: string, opts: PlaceCallOptions = {}): PhoneCall {
    const callId = `${Math.random().toString(36).slice(2, 12)}-${Date.now().toString(36)}@${port.domain()}`;
    const call = new PhoneCall(port, 'outgoing', dial, callId, opts);
    void call.#invite(dial);
    return call;
  }

  async #invite(dial: string): Promise<void> {
    const p = this.#port;
    let offer: string;
    try {
      const media = await this.#openMedia();
      offer = media.offer('sendrecv');
    } catch (e) {
      this.#problems.push(`no offer could be made: ${(e as Error).message}`);
      await this.#end('failed', 'local', `no offer: ${(e as Error).message}`);
      return;
    }
    if (this.#cancelWanted) {
      await this.#end('cancelled', 'local', 'hung up before the INVITE left');
      return;
    }
    const uri = /^sips?:/i.test(dial) ? dial : `sip:${dial}@${p.domain()}`;
    const target = p.target();
    let r: Awaited<ReturnType<UserAgentCore['invite']>>;
    try {
      r = await p.core.invite(
        {
          uri: uri + (target.transport !== 'UDP' && !/transport=/i.test(uri) && !/^sips?:/i.test(dial) ? `;transport=${target.transport.toLowerCase()}` : ''),
          from: `<sip:${p.line}@${p.domain()}>`,
          to: `<${uri}>`,
          callId: this.#callId,
          contact: p.contact(),
          headers: [['Allow', ALLOW]],
          body: offer,
          contentType: 'application/sdp',
        },
        target,
        {
          onTransaction: (tx) => (this.#tx = tx),
          onProvisional: (res) => this.#onProvisional(res),
          ...(p.credentials ? { credentials: p.credentials } : {}),
        },
      );
    } catch (e) {
      await this.#end('failed', 'local', `INVITE could not be sent: ${(e as Error).message}`);
      return;
    }
    const res = r.response;
    this.#status = res.status;
    this.#reason = res.reason;
    if (res.status >= 200 && res.status < 300 && r.dialog) {
      this.#dialog = r.dialog;
      if (this.#cancelWanted || this.#ending) {
        // Answered while we were hanging up (RFC 3261 9.1 race): the call exists, so end it with BYE.
        await this.#bye();
        await this.#end('cancelled', 'local', 'answered after the caller hung up');
        return;
      }
      try {
        this.#media!.acceptAnswer(res.body.toString('utf8'));
      } catch (e) {
        const why = e instanceof MediaRefusal ? e.detail : (e as Error).message;
        this.#problems.push(`the answer cannot be used: ${why}`);
        await this.#bye();
        await this.#end('failed', 'local', `answer refused: ${why}`);
        return;
      }
      this.#connected();
      return;
    }
    const warning = res.get('warning');
    const why = `${res.status} ${res.reason}${warning ? ` (${warning})` : ''}${r.synthetic ? ` [${r.synthetic}]` : ''}`;
    const outcome: CallOutcome = this.#cancelWanted || res.status === 487 ? 'cancelled' : r.synthetic || (res.status >= 500 && res.status < 600) || res.status === 408 ? 'failed' : 'rejected';
    await this.#end(outcome, this.#cancelWanted ? 'local' : 'remote', why);
  }

  #onProvisional(res: SipResponse): void {
    this.#provisional = true;
    if (this.#cancelWanted) this.#sendCancel();
    if ((res.status === 180 || res.status === 183) && this.#state === 'calling') {
      this.#ringingMs = Date.now() - this.#t0;
      this.#outcome = 'ringing';
      this.#setState('ringing');
    }
  }

  #sendCancel(): void {
    const tx = this.#tx;
    if (!tx) return;
    void this.#port.core.cancel(tx).catch((e) => log.debug(`${this.id}: CANCEL: ${(e as Error).message}`));
  }

  // ---- incoming ----------------------------------------------------------------------------------------------------

  /** An INVITE for this phone: 180 Ringing, then answer() or reject(). */
  static incoming(port: CallPort, inc: IncomingRequest, opts: PlaceCallOptions = {}): PhoneCall {
    const req = inc.request;
    let remote = 'anonymous';
    try {
      const f = req.from();
      remote = f.uri.user ?? f.uri.host;
    } catch {
      /* the B2BUA checked it; keep anonymous */
    }
    const call = new PhoneCall(port, 'incoming', remote, req.callId, opts);
    call.#incoming = inc;
    call.#toTag = generateTag();
    call.#lateOffer = req.body.length === 0;
    if (inc.transaction) {
      inc.transaction.onCancel = () => {
        if (call.#state === 'ended') return;
        call.#reply(487);
        void call.#end('cancelled', 'remote', 'the caller cancelled (CANCEL)');
      };
    }
    call.#ringingMs = 0;
    call.#outcome = 'ringing';
    call.#reply(180);
    return call;
  }

  #reply(status: number, body?: string): { response: SipResponse; dialog?: Dialog } | undefined {
    const inc = this.#incoming;
    if (!inc?.transaction || inc.transaction.answered) return undefined;
    const headers: [string, string][] = [];
    if (status < 300) headers.push(['Allow', ALLOW]);
    if (body !== undefined) headers.push(['Content-Type', 'application/sdp']);
    return inc.reply(status, { toTag: this.#toTag!, headers, ...(body !== undefined ? { body } : {}), ...(status > 100 && status < 300 ? { contact: this.#port.contact() } : {}) });
  }

  /** Answers a ringing incoming call (200 with the SDES answer, media starts). */
  answer(): Promise<CallResult> {
    return this.#serial(async () => {
      if (this.direction !== 'incoming') throw new Error(`call ${this.id} is outgoing: nothing to answer`);
      if (this.#state !== 'ringing') return this.result();
      const body = this.#incoming!.request.body.toString('utf8');
      let sdp: string;
      try {
        const media = await this.#openMedia();
        if (this.#lateOffer) sdp = media.offer('sendrecv');
        else sdp = media.answer(body, 'sendrecv').sdp;
      } catch (e) {
        const refusal = e instanceof MediaRefusal ? e : undefined;
        const why = refusal ? refusal.detail : (e as Error).message;
        this.#reply(refusal?.status ?? 500);
        this.#problems.push(`the offer cannot be used: ${why}`);
        await this.#end('failed', 'local', `offer refused (${refusal?.status ?? 500}): ${why}`);
        return this.result();
      }
      if (this.#state !== 'ringing') return this.result(); // cancelled while the media opened
      const r = this.#reply(200, sdp);
      this.#status = 200;
      this.#reason = 'OK';
      this.#dialog = r?.dialog;
      if (!this.#lateOffer) this.#connected();
      else {
        this.#answeredMs = Date.now() - this.#t0;
        this.#outcome = 'connected';
      }
      return this.result();
    });
  }

  /** Refuses a ringing incoming call: 486 Busy Here (default) or 603 Decline. */
  reject(status = 486): Promise<CallResult> {
    return this.#serial(async () => {
      if (this.direction !== 'incoming') throw new Error(`call ${this.id} is outgoing: use hangup()`);
      if (this.#state !== 'ringing') return this.result();
      if (!(status >= 400 && status < 700)) throw new RangeError(`a rejection is a 4xx-6xx status, not ${status}`);
      this.#reply(status);
      this.#status = status;
      await this.#end('rejected', 'local', `rejected with ${status}`);
      return this.result();
    });
  }

  // ---- both ----------------------------------------------------------------------------------------------------------

  #connected(): void {
    this.#answeredMs = Date.now() - this.#t0;
    this.#outcome = 'connected';
    this.#media!.start();
    for (const w of this.#media!.agreed?.warnings ?? []) this.#warnings.push(w);
    this.#setState('connected');
  }

  /** In-dialog requests for this call (ACK, BYE, re-INVITE, INFO, UPDATE). */
  onRequest(inc: IncomingRequest): void {
    const req = inc.request;
    switch (req.method) {
      case 'ACK':
        this.#onAck(req);
        return;
      case 'BYE':
        inc.reply(200);
        void this.#end(this.#outcome === 'ringing' ? 'cancelled' : this.#outcome, 'remote', 'BYE from the far end');
        return;
      case 'INVITE':
        void this.#serial(() => this.#onReinvite(inc));
        return;
      case 'INFO':
      case 'UPDATE':
        if (inc.transaction) inc.reply(req.method === 'INFO' ? 200 : 501);
        return;
      default:
        if (inc.transaction) inc.reply(501);
    }
  }

  #onAck(req: SipRequest): void {
    if (!this.#lateOffer || this.#state !== 'ringing') return;
    this.#lateOffer = false;
    try {
      this.#media!.acceptAnswer(req.body.toString('utf8'));
    } catch (e) {
      const why = e instanceof MediaRefusal ? e.detail : (e as Error).message;
      this.#problems.push(`the answer in the ACK cannot be used: ${why}`);
      void this.#bye().then(() => this.#end('failed', 'local', `answer refused: ${why}`));
      return;
    }
    this.#connected();
  }

  async #onReinvite(inc: IncomingRequest): Promise<void> {
    const media = this.#media;
    if (!media || (this.#state !== 'connected' && this.#state !== 'held')) {
      if (inc.transaction) inc.reply(491, { headers: [['Retry-After', '1']] });
      return;
    }
    const body = inc.request.body.toString('utf8');
    const wanted: SdpDirection = this.#heldLocal ? media.wanted : 'sendrecv';
    let sdp: string;
    try {
      sdp = body.length > 0 ? media.answer(body, wanted).sdp : media.offer(wanted);
    } catch (e) {
      const refusal = e instanceof MediaRefusal ? e : undefined;
      if (inc.transaction) inc.reply(refusal?.status ?? 500);
      this.#warnings.push(`re-INVITE refused: ${refusal?.detail ?? (e as Error).message}`);
      return;
    }
    inc.reply(200, { headers: [['Allow', ALLOW], ['Content-Type', 'application/sdp']], body: sdp, contact: this.#port.contact() });
    if (body.length === 0) return; // the answer comes in the ACK (not expected from the cluster)
    const remoteDir = media.remoteDirection ?? 'sendrecv';
    const held = remoteDir === 'sendonly' || remoteDir === 'inactive';
    if (held !== this.#heldRemote) {
      this.#heldRemote = held;
      this.#holds.push({ atMs: Date.now() - this.#t0, by: 'remote', held, direction: media.session.direction });
    }
    this.#setState(this.#heldLocal || this.#heldRemote ? 'held' : 'connected');
  }

  async #reinvite(direction: SdpDirection): Promise<void> {
    const media = this.#media!;
    const d = this.#dialog!;
    const p = this.#port;
    for (let attempt = 0; attempt < 3; attempt++) {
      const offer = media.offer(direction);
      const r = await p.core.requestInDialog(d, 'INVITE', {
        target: p.target(),
        headers: [['Contact', p.contact()], ['Allow', ALLOW]],
        body: offer,
        contentType: 'application/sdp',
        ...(p.credentials ? { credentials: p.credentials } : {}),
      });
      const s = r.response.status;
      if (s >= 200 && s < 300) {
        media.acceptAnswer(r.response.body.toString('utf8'));
        return;
      }
      if (s !== 491) throw new Error(`re-INVITE answered ${s} ${r.response.reason}`);
      // RFC 3261 14.1: glare; try again after a random 2.1-4 s (scaled down: the far end is usually ours).
      await new Promise((res) => setTimeout(res, 200 + Math.random() * 300));
    }
    throw new Error('re-INVITE kept meeting 491 Request Pending');
  }

  /** Puts the call on hold (re-INVITE a=sendonly, or a=inactive). */
  hold(direction: 'sendonly' | 'inactive' = 'sendonly'): Promise<CallResult> {
    return this.#serial(async () => {
      if (this.#state !== 'connected' && this.#state !== 'held') throw new Error(`call ${this.id} is ${this.#state}: nothing to hold`);
      if (this.#heldLocal) return this.result();
      await this.#reinvite(direction);
      this.#heldLocal = true;
      this.#holds.push({ atMs: Date.now() - this.#t0, by: 'local', held: true, direction: this.#media!.session.direction });
      this.#setState('held');
      return this.result();
    });
  }

  /** Takes the call off hold (re-INVITE a=sendrecv). */
  resume(): Promise<CallResult> {
    return this.#serial(async () => {
      if (this.#state !== 'held' && this.#state !== 'connected') throw new Error(`call ${this.id} is ${this.#state}: nothing to resume`);
      if (!this.#heldLocal) return this.result();
      await this.#reinvite('sendrecv');
      this.#heldLocal = false;
      this.#holds.push({ atMs: Date.now() - this.#t0, by: 'local', held: false, direction: this.#media!.session.direction });
      this.#setState(this.#heldRemote ? 'held' : 'connected');
      return this.result();
    });
  }

  /** Hangs up: BYE when answered, CANCEL while calling, 603 Decline for a ringing incoming call. */
  hangup(): Promise<CallResult> {
    if (this.#state === 'ended') return this.#ending ?? Promise.resolve(this.result());
    if (this.direction === 'incoming' && this.#state === 'ringing' && !this.#dialog) return this.reject(603);
    if (!this.#dialog) {
      this.#cancelWanted = true;
      if (this.#provisional) this.#sendCancel();
      return this.#ended;
    }
    return this.#serial(async () => {
      if (this.#state === 'ended') return this.result();
      // A phone stops its media when the user hangs up, then sends BYE: what the far end sends after it is not ours.
      await this.#stopMedia();
      await this.#bye();
      return this.#end(this.#outcome, 'local', 'hung up (BYE)');
    });
  }

  async #bye(): Promise<void> {
    const d = this.#dialog;
    if (!d || d.state === 'terminated') return;
    const p = this.#port;
    try {
      const r = await p.core.requestInDialog(d, 'BYE', { target: p.target(), ...(p.credentials ? { credentials: p.credentials } : {}) });
      if (r.response.status >= 300) this.#warnings.push(`BYE answered ${r.response.status} ${r.response.reason}`);
    } catch (e) {
      this.#warnings.push(`BYE could not be sent: ${(e as Error).message}`);
    } finally {
      d.terminate();
    }
  }

  /** Ends the call: media stopped and closed with its final statistics, the result settled. */
  #end(outcome: CallOutcome, by: 'local' | 'remote', why: string): Promise<CallResult> {
    if (this.#ending) return this.#ending;
    this.#ending = (async () => {
      this.#outcome = outcome;
      this.#endedBy = by;
      this.#endReason = why;
      this.#dialog?.terminate();
      await this.#stopMedia();
      this.#endedMs = Date.now() - this.#t0;
      this.#setState('ended');
      const r = this.result();
      this.#port.ended(this);
      log.info(`${this.id} ${this.direction} ${this.remote}: ${outcome} (${why})${r.media?.suite ? `, ${r.media.suite}` : ''}${r.ok ? '' : `; FAILED: ${r.problems.join('; ')}`}`);
      this.emit('ended', r);
      this.#resolveEnded(r);
      return r;
    })();
    return this.#ending;
  }

  /** Stops sending (final SRTCP report with BYE), closes the sockets and keeps the final statistics. */
  async #stopMedia(): Promise<void> {
    const m = this.#media;
    if (!m || this.#finalStats) return;
    try {
      this.#finalStats = await m.stop();
    } catch (e) {
      this.#warnings.push(`media did not close cleanly: ${(e as Error).message}`);
    }
  }

  /** Ends the call without signalling (the phone is closing or lost its connection). */
  abandon(why: string): Promise<CallResult> {
    return this.#end(this.#outcome === 'connected' ? 'connected' : 'failed', 'local', why);
  }

  exportKeys(): SrtpKeyExport[] {
    return this.#media?.exportKeys() ?? [];
  }

  result(): CallResult {
    const stats = this.#finalStats ?? (this.#media && this.#media.session.state !== 'closed' ? this.#media.stats() : null);
    const agreed = this.#media?.agreed ?? null;
    const problems = [...this.#problems, ...(stats?.verdict.problems ?? [])];
    const warnings = [...this.#warnings, ...(stats?.verdict.warnings ?? [])];
    let security: CallSecurityStatus | undefined;
    let securityReasons: string[] = [];
    if (agreed) {
      const rep = callSecurityStatus([{ name: this.#port.deviceName, tls: this.#port.signalling(), media: agreed.srtp ? 'srtp' : 'rtp', leg: 'line' }]);
      security = rep.status;
      securityReasons = rep.reasons;
    }
    return {
      id: this.id,
      callId: this.#callId,
      direction: this.direction,
      device: this.#port.deviceName,
      line: this.#port.line,
      remote: this.remote,
      state: this.#state,
      outcome: this.#outcome,
      ...(this.#status !== undefined ? { status: this.#status } : {}),
      ...(this.#reason !== undefined ? { reason: this.#reason } : {}),
      ...(this.#endedBy ? { endedBy: this.#endedBy } : {}),
      ...(this.#endReason ? { endReason: this.#endReason } : {}),
      media: agreed,
      ...(security ? { security } : {}),
      securityReasons,
      stats,
      holds: [...this.#holds],
      ok: problems.length === 0,
      problems,
      warnings,
      timings: {
        startedAt: this.#startedAt,
        ...(this.#ringingMs !== undefined ? { ringingMs: this.#ringingMs } : {}),
        ...(this.#answeredMs !== undefined ? { answeredMs: this.#answeredMs } : {}),
        ...(this.#endedMs !== undefined ? { endedMs: this.#endedMs } : {}),
      },
    };
  }
}
