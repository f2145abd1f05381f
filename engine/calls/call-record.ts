// What a call leaves behind for reports: its two legs (who, transport, TLS facts), the SRTP outcome, the security
// status (engine/media-policy callSecurityStatus: encrypted only if every leg is TLS + SRTP), a journal of every SIP
// message per leg for ladder diagrams, timings and why it ended. Plain data plus a few methods; no SIP sending here.
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import {
  type CallSecurityReport,
  type LegKind,
  type NegotiationWarning,
  type NoSrtpReason,
  type SignallingSecurity,
  callSecurityStatus,
} from '../media-policy/index.js';
import type { SdpDirection, SipRequest, SipResponse } from '../sip/message/index.js';
import type { MessageSource, TransportProtocol } from '../sip/transport/index.js';
import { summarizeSdp } from './sdp-policy.js';

export type LegName = 'A' | 'B';

export interface JournalEntry {
  /** Milliseconds since the epoch. */
  at: number;
  /** Milliseconds since the call started (fractional). */
  offsetMs: number;
  leg: LegName;
  /** 'in': from the leg's far end to the cluster; 'out': from the cluster to it. */
  direction: 'in' | 'out';
  /** Request method, or the method a response answers. */
  method: string;
  /** Set on responses. */
  status?: number;
  /** "INVITE sip:1002@…", "180 Ringing", plus the SDP summary when there is one. */
  summary: string;
  cseq: number;
}

export interface TlsSummary {
  protocol: string;
  /** IANA name. */
  suite: string;
  nullCipher: boolean;
  /** Who the peer certificate proved to be (device name or trunk), when verified. */
  peer?: string;
}

export interface CallLeg {
  name: LegName;
  role: 'caller' | 'callee';
  kind: LegKind;
  /** The number on this side: the caller's line (From user) or the dialled number. */
  dn: string;
  device?: string;
  trunk?: string;
  transport: TransportProtocol;
  /** address:port of the far end. */
  remote?: string;
  tls?: TlsSummary;
  /** TLS with an encrypting suite / TLS NULL-SHA / none. */
  signalling: SignallingSecurity;
  /** The trunk's SRTP Allowed, for trunk legs. */
  srtpAllowed?: boolean;
  callId?: string;
  journal: JournalEntry[];
}

export interface CallMedia {
  /** What the last completed offer/answer gave the call's main media (first audio stream). */
  kind: 'srtp' | 'rtp';
  suite?: SrtpSuiteName;
  /** Suites in the caller's (offerer's) a=crypto lines, in its order. */
  offeredSuites: string[];
  /** Suites forwarded to the answerer after the SRTP Ciphers policy and its capabilities. */
  forwardedSuites: string[];
  /** Why SRTP was not used. */
  reason?: NoSrtpReason;
  detail?: string;
  direction: SdpDirection;
}

export type CallState = 'routing' | 'proceeding' | 'ringing' | 'answered' | 'held' | 'ended';

export type EndReason =
  | 'caller-hangup'
  | 'callee-hangup'
  | 'cancelled'
  | 'no-route'
  | 'unregistered'
  | 'busy'
  | 'rejected'
  | 'no-answer'
  | 'timeout'
  | 'unreachable'
  | 'media-rejected'
  | 'bad-request'
  | 'route-rejected'
  | 'shutdown';

export interface CallEnd {
  reason: EndReason;
  /** Final status answered to the caller, when the call did not connect. */
  status?: number;
  /** Who ended it: a leg, or the cluster (timeouts, refusals). */
  by: LegName | 'cluster';
  detail?: string;
}

export interface CallTimings {
  startedAt: number;
  ringingAt?: number;
  answeredAt?: number;
  endedAt?: number;
  /** INVITE in to 200 out (ms). */
  setupMs?: number;
  /** Answer to end (ms). */
  talkMs?: number;
}

export interface HoldChange {
  at: number;
  by: LegName;
  held: boolean;
  direction: SdpDirection;
}

let nextId = 1;

export class CallRecord {
  readonly id: number;
  state: CallState = 'routing';
  readonly legs: { A: CallLeg; B?: CallLeg };
  /** Dialled number (Request-URI user). */
  readonly dialled: string;
  route?: { kind: 'line' | 'trunk'; pattern?: string; trunk?: string; contact?: string };
  media?: CallMedia;
  security?: CallSecurityReport;
  /** Negotiation and policy warnings (keys over non-TLS signalling, unusable lines…), deduplicated. */
  readonly warnings: NegotiationWarning[] = [];
  readonly holds: HoldChange[] = [];
  heldBy?: LegName;
  readonly timings: CallTimings;
  end?: CallEnd;
  private readonly t0: number;

  constructor(a: Omit<CallLeg, 'name' | 'role' | 'journal'>, dialled: string, now = Date.now()) {
    this.id = nextId++;
    this.legs = { A: { name: 'A', role: 'caller', journal: [], ...a } };
    this.dialled = dialled;
    this.timings = { startedAt: now };
    this.t0 = performance.now();
  }

  setCallee(b: Omit<CallLeg, 'name' | 'role' | 'journal'>): CallLeg {
    this.legs.B = { name: 'B', role: 'callee', journal: [], ...b };
    return this.legs.B;
  }

  /** Every journal entry of both legs, in time order. */
  get journal(): JournalEntry[] {
    return [...this.legs.A.journal, ...(this.legs.B?.journal ?? [])].sort((x, y) => x.offsetMs - y.offsetMs);
  }

  log(leg: LegName, direction: 'in' | 'out', msg: SipRequest | SipResponse): void {
    const l = leg === 'A' ? this.legs.A : this.legs.B;
    if (!l) return;
    const sdp = msg.body.length > 0 && /application\/sdp/i.test(msg.get('content-type') ?? '') ? ` [${summarizeSdp(msg.body.toString('utf8'))}]` : '';
    const head = msg.kind === 'request' ? `${msg.method} ${msg.uri}` : `${msg.status} ${msg.reason}`;
    l.journal.push({
      at: Date.now(),
      offsetMs: performance.now() - this.t0,
      leg,
      direction,
      method: msg.kind === 'request' ? msg.method : msg.cseq.method,
      ...(msg.kind === 'response' ? { status: msg.status } : {}),
      summary: head + sdp,
      cseq: msg.cseq.seq,
    });
  }

  /**
   * A message the engine sent or synthesized without handing it to us (the transaction layer's 100 Trying and CANCEL
   * answers, the ACK of a re-INVITE's 2xx, a 408 for a timeout): journaled from what is known of it.
   */
  logSynthetic(leg: LegName, direction: 'in' | 'out', method: string, summary: string, cseq: number, status?: number): void {
    const l = leg === 'A' ? this.legs.A : this.legs.B;
    l?.journal.push({ at: Date.now(), offsetMs: performance.now() - this.t0, leg, direction, method, ...(status !== undefined ? { status } : {}), summary, cseq });
  }

  addWarnings(ws: readonly NegotiationWarning[]): void {
    for (const w of ws) if (!this.warnings.some((x) => x.code === w.code && x.message === w.message)) this.warnings.push(w);
  }

  /** Recomputes the security status from the legs and the media (call once the media is known). */
  updateSecurity(): CallSecurityReport | undefined {
    const b = this.legs.B;
    if (!b || !this.media) return undefined;
    const media = this.media.kind;
    const leg = (l: CallLeg) => ({
      name: `${l.name} (${l.role} ${l.dn}${l.device ? ` ${l.device}` : ''}${l.trunk ? ` trunk ${l.trunk}` : ''}, ${l.transport})`,
      tls: l.signalling,
      media,
      leg: l.kind,
      ...(l.srtpAllowed !== undefined ? { srtpAllowed: l.srtpAllowed } : {}),
    });
    this.security = callSecurityStatus([leg(this.legs.A), leg(b)]);
    this.addWarnings(this.security.warnings);
    return this.security;
  }

  finish(end: CallEnd, now = Date.now()): void {
    if (this.end) return;
    this.end = end;
    this.state = 'ended';
    this.timings.endedAt = now;
    if (this.timings.answeredAt !== undefined) this.timings.talkMs = now - this.timings.answeredAt;
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** Plain data for JSON reports. */
  toJSON(): object {
    return {
      id: this.id,
      state: this.state,
      dialled: this.dialled,
      route: this.route,
      legs: this.legs,
      media: this.media,
      security: this.security,
      warnings: this.warnings,
      holds: this.holds,
      timings: this.timings,
      end: this.end,
    };
  }
}

/** TLS facts of the connection a message came on, for the leg record. */
export function legTransport(source: { transport: TransportProtocol; remoteAddress: string; remotePort: number; connection?: MessageSource['connection'] }): Pick<CallLeg, 'transport' | 'remote' | 'tls' | 'signalling'> {
  const tls = source.connection?.tls;
  const id = tls?.identity;
  return {
    transport: source.transport,
    remote: `${source.remoteAddress}:${source.remotePort}`,
    ...(tls
      ? {
          tls: {
            protocol: tls.protocol,
            suite: tls.suite.iana,
            nullCipher: tls.suite.nullCipher,
            ...(id ? { peer: id.kind === 'phone' ? `${id.deviceName} (${id.form})` : `trunk ${id.trunk}` } : {}),
          },
        }
      : {}),
    signalling: source.transport !== 'TLS' ? 'none' : tls?.suite.nullCipher ? 'authenticated' : 'encrypted',
  };
}

/** A text ladder: one line per message, time, direction arrow between caller, cluster and callee. */
export function formatLadder(rec: CallRecord): string {
  const out: string[] = [`call ${rec.id}: ${rec.legs.A.dn} -> ${rec.dialled}`];
  for (const e of rec.journal) {
    const arrow =
      e.leg === 'A' ? (e.direction === 'in' ? 'A  ----> CM        ' : 'A  <---- CM        ') : e.direction === 'in' ? '         CM <----  B' : '         CM ---->  B';
    out.push(`${e.offsetMs.toFixed(1).padStart(9)} ms  ${arrow}  ${e.summary}`);
  }
  if (rec.end) out.push(`ended: ${rec.end.reason}${rec.end.status ? ` (${rec.end.status})` : ''} by ${rec.end.by}${rec.end.detail ? `: ${rec.end.detail}` : ''}`);
  if (rec.security) out.push(`security: ${rec.security.status}${rec.media?.suite ? ` (${rec.media.suite})` : ''}`);
  return out.join('\n');
}
