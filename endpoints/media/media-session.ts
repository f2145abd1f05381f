// A call leg's media: UDP sockets on a local address, the audio m= section to offer or answer, SRTP both ways with
// the keys engine/media-policy agreed, RTP at every tick of the shared MediaClock, SRTCP sender/receiver reports,
// hold (direction), remote address changes on re-INVITE, statistics, a verdict for the results, and key export.
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createSrtpSession } from '../../ciphers/srtp/session.js';
import { isSrtpFailure, SrtpStatus, type SrtpBackendName, type SrtpPolicy, type SrtpSession } from '../../ciphers/srtp/types.js';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import type { SdpDirection, SdpMedia, SdpSession } from '../../engine/sip/message/sdp.js';
import { logger } from '../../common/log.js';
import { G711_PAYLOAD_TYPES, type G711Law } from './g711.js';
import { keyExportFromPolicy, type SrtpKeyExport } from './key-export.js';
import type { MediaClock, TickTask } from './media-clock.js';
import { ReceiveStream, SendStream, type Impairments, type ReceiveStats, type SendStats } from './media-stream.js';
import {
  buildBye,
  buildReceiverReport,
  buildSdes,
  buildSenderReport,
  isRtcpByPayloadType,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcpCompound,
  RtpPacketError,
  SDES_CNAME,
  type RtcpReportBlock,
} from './rtp-packet.js';
import { buildAudioMedia, readRemoteAudio, type RemoteAudio } from './sdp-media.js';

const log = logger('media');

export class MediaSessionError extends Error {
  constructor(
    readonly session: string,
    message: string,
  ) {
    super(`media session ${session}: ${message}`);
    this.name = 'MediaSessionError';
  }
}

export interface PortRange {
  min: number;
  max: number;
}

export interface CapturedPacket {
  direction: 'out' | 'in';
  kind: 'rtp' | 'rtcp';
  /** The bytes on the wire (SRTP/SRTCP when protected), a copy. */
  data: Buffer;
  source: { address: string; port: number };
  destination: { address: string; port: number };
  /** Unix time in ms. */
  timeMs: number;
}

export interface MediaSessionOptions {
  clock: MediaClock;
  name?: string;
  /** Local address to bind (default 127.0.0.1). */
  address?: string;
  /** 0 (default): ports chosen by the OS; a range: an even RTP port and RTCP on the next one. */
  port?: number | PortRange;
  /** RTP and RTCP on one port (RFC 5761); default false, like Cisco phones. */
  rtcpMux?: boolean;
  /** Codecs offered, preferred first (default PCMU, PCMA). */
  codecs?: G711Law[];
  ssrc?: number;
  cname?: string;
  /** Mean RTCP report interval in media ms (default 5000; randomised ×0.5..1.5 as RFC 3550 §6.3.1). */
  rtcpIntervalMs?: number;
  /** Playout delay used to count late packets (default 60 ms). */
  jitterBufferMs?: number;
  /** Check every payload byte (default true). */
  contentCheck?: boolean;
  srtpBackend?: SrtpBackendName | 'auto';
  /** Test hooks: lose, corrupt or duplicate sent packets. */
  impair?: Impairments;
  /** Sees every datagram sent and received (before decryption), e.g. a PcapWriter. */
  capture?: (p: CapturedPacket) => void;
  /** First RTP sequence number and timestamp (default random, RFC 3550 §5.1). */
  initialSequence?: number;
  initialTimestamp?: number;
}

export interface RemoteEndpoint {
  address: string;
  rtpPort: number;
  /** Default rtpPort + 1 (rtpPort with rtcp-mux). */
  rtcpPort?: number;
}

/** Keys for both directions (the negotiation results of engine/media-policy have this shape); null = plain RTP. */
export interface MediaKeys {
  sendPolicy: SrtpPolicy;
  receivePolicy: SrtpPolicy;
}

export interface RtcpStats {
  sent: { compound: number; sr: number; rr: number; bye: number; protectFailures: number };
  received: { compound: number; sr: number; rr: number; sdes: number; bye: number; authFailures: number; replays: number; malformed: number };
  /** The peer's last sender report. */
  lastSenderReport: { ssrc: number; packetCount: number; octetCount: number; rtpTimestamp: number; ntpSeconds: number; ntpFraction: number; arrivalMs: number } | null;
  /** The peer's last report block about our stream, with the round trip it gives. */
  remoteReport: (RtcpReportBlock & { reporterSsrc: number; arrivalMs: number; rttMs: number | null }) | null;
  remoteCname: string | null;
  byeReceived: boolean;
}

export interface MediaVerdict {
  /** False when media failed: packets that did not decrypt or check, refused SRTCP, protect failures. */
  ok: boolean;
  problems: string[];
  /** Worth reporting, not failures by themselves: loss, late packets, replays, no media while expecting some. */
  warnings: string[];
}

export interface MediaSessionStats {
  name: string;
  state: 'open' | 'started' | 'stopped' | 'closed';
  direction: SdpDirection;
  suite: SrtpSuiteName | null;
  srtpBackend: SrtpBackendName | null;
  codec: G711Law;
  local: { address: string; rtpPort: number; rtcpPort: number };
  remote: { address: string; rtpPort: number; rtcpPort: number } | null;
  send: SendStats | null;
  receive: ReceiveStats | null;
  rtcp: RtcpStats;
  /** Datagrams that arrived before start(), dropped. */
  earlyDatagrams: number;
  /** Media ms the session has been started. */
  activeMs: number;
  verdict: MediaVerdict;
}

let sessionCounter = 0;

/** One call leg's media. Create with `MediaSession.open()`. */
export class MediaSession implements TickTask {
  readonly name: string;
  readonly clock: MediaClock;
  readonly address: string;
  readonly rtcpMux: boolean;
  readonly ssrc: number;
  readonly cname: string;
  readonly codecs: readonly G711Law[];
  #o: MediaSessionOptions;
  #rtp: dgram.Socket;
  #rtcp: dgram.Socket;
  #rtpPort: number;
  #rtcpPort: number;
  #remote: { address: string; rtpPort: number; rtcpPort: number } | null = null;
  #direction: SdpDirection = 'sendrecv';
  #codec: G711Law;
  #payloadType: number | null = null;
  #receiveLaws = new Map<number, G711Law>();
  #keys: MediaKeys | null = null;
  #sendSrtp: SrtpSession | null = null;
  #recvSrtp: SrtpSession | null = null;
  #send: SendStream | null = null;
  #recv: ReceiveStream | null = null;
  #state: MediaSessionStats['state'] = 'open';
  #early = 0;
  /** RTCP compounds handed to dgram and not yet sent. */
  readonly #rtcpInFlight = new Set<Promise<void>>();
  #startedAtMs: number | null = null;
  #stoppedAtMs: number | null = null;
  #nextRtcpMs = 0;
  #wallEpochMs: number;
  #rtcpStats: RtcpStats = {
    sent: { compound: 0, sr: 0, rr: 0, bye: 0, protectFailures: 0 },
    received: { compound: 0, sr: 0, rr: 0, sdes: 0, bye: 0, authFailures: 0, replays: 0, malformed: 0 },
    lastSenderReport: null,
    remoteReport: null,
    remoteCname: null,
    byeReceived: false,
  };
  /** Last NTP middle-32 we sent in an SR and when (for the RTT of the peer's report about us). */
  #sentSr = new Map<number, number>();

  private constructor(o: MediaSessionOptions, rtp: dgram.Socket, rtcp: dgram.Socket, rtpPort: number, rtcpPort: number) {
    this.#o = o;
    this.clock = o.clock;
    this.name = o.name ?? `media-${++sessionCounter}`;
    this.address = o.address ?? '127.0.0.1';
    this.rtcpMux = o.rtcpMux ?? false;
    this.ssrc = (o.ssrc ?? Math.floor(Math.random() * 0x100000000)) >>> 0;
    this.cname = o.cname ?? `${this.name}@trustline`;
    this.codecs = o.codecs ?? ['PCMU', 'PCMA'];
    if (this.codecs.length === 0) throw new MediaSessionError(this.name, 'codecs must name at least one G.711 law');
    this.#codec = this.codecs[0]!;
    for (const c of this.codecs) this.#receiveLaws.set(G711_PAYLOAD_TYPES[c], c);
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    this.#rtpPort = rtpPort;
    this.#rtcpPort = rtcpPort;
    this.#wallEpochMs = Date.now() - this.clock.now();
    rtp.on('message', this.#onRtpSocket);
    rtp.on('error', this.#onSocketError);
    if (rtcp !== rtp) {
      rtcp.on('message', this.#onRtcpSocket);
      rtcp.on('error', this.#onSocketError);
    }
  }

  /** Binds the socket(s). */
  static async open(o: MediaSessionOptions): Promise<MediaSession> {
    const address = o.address ?? '127.0.0.1';
    const type = address.includes(':') ? 'udp6' : 'udp4';
    const mux = o.rtcpMux ?? false;
    const name = o.name ?? `media-${sessionCounter + 1}`;
    const port = o.port ?? 0;
    if (typeof port === 'number') {
      const rtp = await bind(type, address, port);
      const rtcp = mux ? rtp : await bind(type, address, port === 0 ? 0 : port + 1).catch((err: unknown) => {
        rtp.close();
        throw err;
      });
      return new MediaSession(o, rtp, rtcp, rtp.address().port, rtcp.address().port);
    }
    const { min, max } = port;
    if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1024 && max <= 65535 && max > min)) {
      throw new MediaSessionError(name, `port range ${min}..${max} must be integers within 1024..65535, min < max`);
    }
    const evenMin = min + (min % 2);
    const slots = Math.floor((max - evenMin - (mux ? 0 : 1)) / 2) + 1;
    if (slots < 1) throw new MediaSessionError(name, `port range ${min}..${max} has no room for an even RTP port${mux ? '' : ' and RTCP on the next one'}`);
    const first = Math.floor(Math.random() * slots);
    const tries = Math.min(slots, 200);
    for (let i = 0; i < tries; i++) {
      const p = evenMin + 2 * ((first + i) % slots);
      let rtp: dgram.Socket | null = null;
      try {
        rtp = await bind(type, address, p);
        const rtcp = mux ? rtp : await bind(type, address, p + 1);
        return new MediaSession(o, rtp, rtcp, p, mux ? p : p + 1);
      } catch (err) {
        rtp?.close();
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
    throw new MediaSessionError(name, `no free even port pair in ${min}..${max} after ${tries} tries`);
  }

  get rtpPort(): number {
    return this.#rtpPort;
  }
  get rtcpPort(): number {
    return this.#rtcpPort;
  }
  get direction(): SdpDirection {
    return this.#direction;
  }
  get state(): MediaSessionStats['state'] {
    return this.#state;
  }

  /** The audio m= section for an offer or answer, with the a=crypto values negotiation produced. */
  localMedia(o: { crypto?: readonly string[]; proto?: string; direction?: SdpDirection; codecs?: readonly G711Law[] } = {}): SdpMedia {
    const m: Parameters<typeof buildAudioMedia>[0] = {
      address: this.address,
      rtpPort: this.#rtpPort,
      rtcpPort: this.#rtcpPort,
      rtcpMux: this.rtcpMux,
      codecs: o.codecs ?? this.codecs,
      direction: o.direction ?? this.#direction,
    };
    if (o.crypto) m.crypto = o.crypto;
    if (o.proto) m.proto = o.proto;
    return buildAudioMedia(m);
  }

  /** Where to send (first call or re-INVITE): takes effect on the next packet. */
  setRemote(r: RemoteEndpoint): void {
    if (!(Number.isInteger(r.rtpPort) && r.rtpPort >= 1 && r.rtpPort <= 65535)) throw new MediaSessionError(this.name, `remote RTP port ${r.rtpPort} is not 1..65535`);
    const rtcpPort = r.rtcpPort ?? (this.rtcpMux ? r.rtpPort : r.rtpPort + 1);
    if (!(Number.isInteger(rtcpPort) && rtcpPort >= 1 && rtcpPort <= 65535)) throw new MediaSessionError(this.name, `remote RTCP port ${rtcpPort} is not 1..65535`);
    this.#remote = { address: r.address, rtpPort: r.rtpPort, rtcpPort };
  }

  /** Applies a remote audio description: address and ports, the codec to send, the direction we may use. */
  applyRemoteDescription(sdp: SdpSession | RemoteAudio, index?: number): RemoteAudio {
    const ra = 'media' in sdp ? readRemoteAudio(sdp, index) : sdp;
    if (ra.disabled) {
      this.setDirection('inactive');
      return ra;
    }
    this.setRemote({ address: ra.address, rtpPort: ra.rtpPort, rtcpPort: ra.rtcpPort });
    const common = ra.codecs.find((c) => this.codecs.includes(c.law));
    if (!common) throw new MediaSessionError(this.name, `the remote offers no G.711 law we take (remote ${ra.codecs.map((c) => c.law).join(', ') || 'none'}, ours ${this.codecs.join(', ')})`);
    this.setCodec(common.law, common.payloadType);
    for (const c of ra.codecs) if (this.codecs.includes(c.law)) this.#receiveLaws.set(c.payloadType, c.law);
    this.#recv?.setPayloadTypes(this.#receiveLaws);
    return ra;
  }

  /** The law and payload type we send. */
  setCodec(law: G711Law, payloadType = G711_PAYLOAD_TYPES[law]): void {
    this.#codec = law;
    this.#receiveLaws.set(payloadType, law);
    this.#send?.setCodec(law, payloadType);
    this.#recv?.setPayloadTypes(this.#receiveLaws);
    this.#payloadType = payloadType;
  }

  /** SRTP keys for both directions (or null for RTP). Replacing keys on a started session re-keys both streams. */
  setKeys(keys: MediaKeys | null): void {
    const backend = this.#o.srtpBackend ?? 'auto';
    const send = keys ? createSrtpSession(keys.sendPolicy, { backend }) : null;
    let recv: SrtpSession | null = null;
    try {
      recv = keys ? createSrtpSession(keys.receivePolicy, { backend }) : null;
    } catch (err) {
      send?.close();
      throw err;
    }
    const oldSend = this.#sendSrtp;
    const oldRecv = this.#recvSrtp;
    this.#keys = keys;
    this.#sendSrtp = send;
    this.#recvSrtp = recv;
    this.#send?.setSrtp(send);
    this.#recv?.setSrtp(recv);
    oldSend?.close();
    oldRecv?.close();
  }

  /** Starts receiving into statistics and sending on the clock's ticks (when the direction sends). */
  start(): void {
    if (this.#state === 'closed') throw new MediaSessionError(this.name, 'is closed');
    if (this.#state === 'started') return;
    const spp = Math.round((this.clock.periodMs * 8000) / 1000);
    const pt = this.#payloadType ?? G711_PAYLOAD_TYPES[this.#codec];
    const sendOpts: ConstructorParameters<typeof SendStream>[0] = { ssrc: this.ssrc, payloadType: pt, law: this.#codec, samplesPerPacket: spp, srtp: this.#sendSrtp };
    if (this.#o.impair) sendOpts.impair = this.#o.impair;
    if (this.#o.initialSequence !== undefined) sendOpts.initialSeq = this.#o.initialSequence;
    if (this.#o.initialTimestamp !== undefined) sendOpts.initialTimestamp = this.#o.initialTimestamp;
    this.#send ??= new SendStream(sendOpts);
    this.#recv ??= new ReceiveStream({
      srtp: this.#recvSrtp,
      payloadTypes: this.#receiveLaws,
      samplesPerPacket: spp,
      jitterBufferMs: this.#o.jitterBufferMs ?? 60,
      contentCheck: this.#o.contentCheck ?? true,
    });
    this.#state = 'started';
    const now = this.clock.now();
    this.#startedAtMs = now;
    this.#stoppedAtMs = null;
    this.#nextRtcpMs = now + this.#rtcpInterval() / 2;
    this.clock.add(this);
  }

  /** Hold and resume: 'sendonly'/'sendrecv' send, 'recvonly'/'inactive' do not. Timestamps keep running. */
  setDirection(d: SdpDirection): void {
    if (d !== 'sendrecv' && d !== 'sendonly' && d !== 'recvonly' && d !== 'inactive') throw new MediaSessionError(this.name, `direction ${JSON.stringify(d)} is not sendrecv, sendonly, recvonly or inactive`);
    this.#direction = d;
  }

  get sending(): boolean {
    return this.#state === 'started' && this.#remote !== null && (this.#direction === 'sendrecv' || this.#direction === 'sendonly');
  }

  /** Clock tick: one RTP packet when sending, an RTCP report when one is due. */
  onTick(tick: number, mediaMs: number): void {
    const send = this.#send;
    const remote = this.#remote;
    if (send && remote && (this.#direction === 'sendrecv' || this.#direction === 'sendonly')) {
      if (send.produce(tick)) {
        this.#transmit(this.#rtp, send.packet, remote.address, remote.rtpPort, 'rtp');
        if (send.duplicateLast) this.#transmit(this.#rtp, send.packet, remote.address, remote.rtpPort, 'rtp');
      }
    } else if (send) {
      send.timestampAt(tick); // pins the timestamp origin even when the call starts on hold
    }
    if (mediaMs >= this.#nextRtcpMs) {
      this.#nextRtcpMs = mediaMs + this.#rtcpInterval() * (0.5 + Math.random());
      this.sendRtcp();
    }
  }

  #transmit(sock: dgram.Socket, packet: Buffer, address: string, port: number, kind: 'rtp' | 'rtcp'): void {
    try {
      // The whole buffer, so dgram does not slice a view of it per packet. RTCP (rare) is tracked until it is on the
      // wire, so that close() does not drop the last report and its BYE; RTP is not (a callback per packet costs).
      if (kind === 'rtcp') {
        let done!: () => void;
        const sent = new Promise<void>((r) => (done = r));
        this.#rtcpInFlight.add(sent);
        sock.send(packet, port, address, () => {
          this.#rtcpInFlight.delete(sent);
          done();
        });
      } else sock.send(packet, port, address);
    } catch (err) {
      this.#send?.noteSendError();
      log.debug(`${this.name}: send to ${address}:${port} failed: ${(err as Error).message}`);
      return;
    }
    const cap = this.#o.capture;
    if (cap) {
      cap({
        direction: 'out',
        kind,
        data: Buffer.from(packet),
        source: { address: this.address, port: kind === 'rtp' ? this.#rtpPort : this.#rtcpPort },
        destination: { address, port },
        timeMs: performance.timeOrigin + performance.now(),
      });
    }
  }

  #rtcpInterval(): number {
    return this.#o.rtcpIntervalMs ?? 5000;
  }

  /** Sends a compound report now: SR when we send media (else RR), SDES CNAME, and BYE when leaving. */
  sendRtcp(bye = false): void {
    const remote = this.#remote;
    if (!remote || this.#state === 'closed') return;
    const now = this.clock.now();
    const blocks = this.#recv ? this.#recv.reportBlocks(now) : [];
    const st = this.#rtcpStats.sent;
    const parts: Buffer[] = [];
    const send = this.#send;
    const sentMedia = send !== null && send.stats().packets > 0;
    if (sentMedia && send) {
      const s = send.stats();
      const ntp = ntpFromUnixMs(this.#wallEpochMs + now);
      this.#sentSr.set(ntpMiddle32(ntp.seconds, ntp.fraction), now);
      if (this.#sentSr.size > 16) this.#sentSr.delete(this.#sentSr.keys().next().value as number);
      parts.push(
        buildSenderReport({
          ssrc: this.ssrc,
          ntpSeconds: ntp.seconds,
          ntpFraction: ntp.fraction,
          rtpTimestamp: send.timestampAtMedia(now, this.clock.periodMs),
          packetCount: s.packets >>> 0,
          octetCount: s.octets >>> 0,
          reports: blocks,
        }),
      );
      st.sr++;
    } else {
      parts.push(buildReceiverReport({ ssrc: this.ssrc, reports: blocks }));
      st.rr++;
    }
    parts.push(buildSdes([{ ssrc: this.ssrc, items: [{ type: SDES_CNAME, value: this.cname }] }]));
    if (bye) {
      parts.push(buildBye([this.ssrc]));
      st.bye++;
    }
    let wire: Buffer = Buffer.concat(parts);
    if (this.#sendSrtp) {
      const p = this.#sendSrtp.protectRtcp(wire);
      if (isSrtpFailure(p)) {
        st.protectFailures++;
        log.warn(`${this.name}: SRTCP protect failed: ${p.toString()}`);
        return;
      }
      wire = p;
    }
    st.compound++;
    this.#transmit(this.#rtcp, wire, remote.address, remote.rtcpPort, 'rtcp');
  }

  readonly #onRtpSocket = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    if (this.rtcpMux && msg.length >= 2 && isRtcpByPayloadType(msg[1]!)) {
      this.#onRtcp(msg, rinfo);
      return;
    }
    if (this.#o.capture) this.#captureIn(msg, rinfo, 'rtp', this.#rtpPort);
    const recv = this.#recv;
    if (!recv) {
      this.#early++;
      return;
    }
    recv.receive(msg, this.clock.now());
  };

  readonly #onRtcpSocket = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    this.#onRtcp(msg, rinfo);
  };

  #captureIn(msg: Buffer, rinfo: dgram.RemoteInfo, kind: 'rtp' | 'rtcp', port: number): void {
    this.#o.capture!({ direction: 'in', kind, data: Buffer.from(msg), source: { address: rinfo.address, port: rinfo.port }, destination: { address: this.address, port }, timeMs: performance.timeOrigin + performance.now() });
  }

  #onRtcp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#o.capture) this.#captureIn(msg, rinfo, 'rtcp', this.#rtcpPort);
    const r = this.#rtcpStats.received;
    if (this.#state === 'open' && !this.#recv) {
      this.#early++;
      return;
    }
    let plain = msg;
    if (this.#recvSrtp) {
      const u = this.#recvSrtp.unprotectRtcp(msg);
      if (isSrtpFailure(u)) {
        if (u.status === SrtpStatus.AuthFail) r.authFailures++;
        else if (u.status === SrtpStatus.ReplayDuplicate || u.status === SrtpStatus.ReplayOld) r.replays++;
        else r.malformed++;
        return;
      }
      plain = u;
    }
    let packets;
    try {
      packets = parseRtcpCompound(plain);
    } catch (err) {
      if (!(err instanceof RtpPacketError)) throw err;
      r.malformed++;
      log.debug(`${this.name}: bad RTCP from ${rinfo.address}:${rinfo.port}: ${err.message}`);
      return;
    }
    r.compound++;
    const now = this.clock.now();
    for (const p of packets) {
      if (p.type === 'SR' || p.type === 'RR') {
        if (p.type === 'SR') {
          r.sr++;
          this.#rtcpStats.lastSenderReport = { ssrc: p.ssrc, packetCount: p.packetCount, octetCount: p.octetCount, rtpTimestamp: p.rtpTimestamp, ntpSeconds: p.ntpSeconds, ntpFraction: p.ntpFraction, arrivalMs: now };
          this.#recv?.noteSenderReport(p.ssrc, ntpMiddle32(p.ntpSeconds, p.ntpFraction), now);
        } else {
          r.rr++;
        }
        for (const b of p.reports) {
          if (b.ssrc !== this.ssrc) continue;
          const sentAt = b.lastSr === 0 ? undefined : this.#sentSr.get(b.lastSr);
          const rttMs = sentAt === undefined ? null : Math.max(0, now - sentAt - (b.delaySinceLastSr / 65536) * 1000);
          this.#rtcpStats.remoteReport = { ...b, reporterSsrc: p.ssrc, arrivalMs: now, rttMs };
        }
      } else if (p.type === 'SDES') {
        r.sdes++;
        const cname = p.chunks[0]?.items.find((i) => i.type === SDES_CNAME);
        if (cname) this.#rtcpStats.remoteCname = cname.value;
      } else if (p.type === 'BYE') {
        r.bye++;
        this.#rtcpStats.byeReceived = true;
      }
    }
  }

  readonly #onSocketError = (err: Error): void => {
    this.#send?.noteSendError();
    log.debug(`${this.name}: socket error: ${err.message}`);
  };

  /** Stops sending and leaves the clock; sends a last report with BYE. Sockets keep receiving until close(). */
  stop(): void {
    if (this.#state !== 'started') return;
    this.clock.remove(this);
    this.#state = 'stopped';
    this.#stoppedAtMs = this.clock.now();
    this.sendRtcp(true);
  }

  /** Closes the sockets and releases the SRTP sessions. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'started') this.stop();
    this.#state = 'closed';
    this.clock.remove(this);
    // The last RTCP report (with BYE) leaves before the sockets close; bounded, a send never hangs close().
    if (this.#rtcpInFlight.size) await Promise.race([Promise.all(this.#rtcpInFlight), new Promise((r) => setTimeout(r, 200).unref())]);
    const socks = this.#rtcp === this.#rtp ? [this.#rtp] : [this.#rtp, this.#rtcp];
    await Promise.all(socks.map((s) => new Promise<void>((res) => s.close(() => res()))));
    this.#sendSrtp?.close();
    this.#recvSrtp?.close();
    this.#sendSrtp = null;
    this.#recvSrtp = null;
  }

  /** Keys of both directions for a capture (key-export.ts), with the flows they protect. */
  exportKeys(): SrtpKeyExport[] {
    const k = this.#keys;
    if (!k) return [];
    const local = { address: this.address, port: this.#rtpPort };
    const remote = this.#remote ? { address: this.#remote.address, port: this.#remote.rtpPort } : { address: '0.0.0.0', port: 0 };
    const out = [keyExportFromPolicy(k.sendPolicy, { direction: 'send', ssrc: this.ssrc, source: local, destination: remote, session: this.name })];
    const seen = this.#recv?.stats().sources.map((s) => s.ssrc) ?? [];
    if (seen.length === 0) out.push(keyExportFromPolicy(k.receivePolicy, { direction: 'receive', ssrc: null, source: remote, destination: local, session: this.name }));
    for (const ssrc of seen) out.push(keyExportFromPolicy(k.receivePolicy, { direction: 'receive', ssrc, source: remote, destination: local, session: this.name }));
    return out;
  }

  stats(): MediaSessionStats {
    const send = this.#send?.stats() ?? null;
    const receive = this.#recv?.stats() ?? null;
    const rtcp = structuredClone(this.#rtcpStats);
    const end = this.#stoppedAtMs ?? this.clock.now();
    const activeMs = this.#startedAtMs === null ? 0 : end - this.#startedAtMs;
    return {
      name: this.name,
      state: this.#state,
      direction: this.#direction,
      suite: this.#keys?.sendPolicy.suite ?? null,
      srtpBackend: this.#sendSrtp?.backend ?? null,
      codec: this.#codec,
      local: { address: this.address, rtpPort: this.#rtpPort, rtcpPort: this.#rtcpPort },
      remote: this.#remote ? { ...this.#remote } : null,
      send,
      receive,
      rtcp,
      earlyDatagrams: this.#early,
      activeMs,
      verdict: verdict(this.#direction, send, receive, rtcp, activeMs, this.clock.periodMs),
    };
  }
}

/** What the results report: failures (media that did not decrypt or check) and warnings. */
export function verdict(direction: SdpDirection, send: SendStats | null, recv: ReceiveStats | null, rtcp: RtcpStats, activeMs: number, periodMs = 20): MediaVerdict {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (recv) {
    if (recv.authFailures > 0) problems.push(`${recv.authFailures} of ${recv.datagrams} RTP packets failed SRTP authentication`);
    if (recv.contentErrors > 0) problems.push(`${recv.contentErrors} packets decrypted to the wrong payload`);
    if (recv.malformed > 0) problems.push(`${recv.malformed} datagrams were not valid (S)RTP`);
    if (recv.otherFailures > 0) problems.push(`${recv.otherFailures} packets refused by SRTP (${Object.keys(recv.srtpFailures).join(', ')})`);
    if (recv.payloadTypeErrors > 0) problems.push(`${recv.payloadTypeErrors} packets carried a payload type that was not negotiated`);
    if (recv.replays > 0) warnings.push(`${recv.replays} replayed packets refused`);
    if (recv.lost > 0) warnings.push(`${recv.lost} packets lost`);
    if (recv.packets > 0 && recv.late / recv.packets > 0.01) warnings.push(`${recv.late} of ${recv.packets} packets late (${((100 * recv.late) / recv.packets).toFixed(1)} %)`);
    const expecting = direction === 'sendrecv' || direction === 'recvonly';
    if (expecting && recv.packets === 0 && activeMs >= 10 * periodMs) warnings.push('no media received');
  }
  if (send) {
    if (send.protectFailures > 0) problems.push(`${send.protectFailures} packets could not be protected`);
    if (send.sendErrors > 0) warnings.push(`${send.sendErrors} send errors`);
  }
  if (rtcp.received.authFailures > 0) problems.push(`${rtcp.received.authFailures} RTCP packets failed SRTCP authentication`);
  if (rtcp.sent.protectFailures > 0) problems.push(`${rtcp.sent.protectFailures} RTCP packets could not be protected`);
  if (rtcp.received.malformed > 0) warnings.push(`${rtcp.received.malformed} malformed RTCP packets`);
  return { ok: problems.length === 0, problems, warnings };
}

/**
 * dgram resolves the destination of every datagram, and for an IP literal dns.lookup answers on the next tick: one
 * deferred send per packet. The remote of a media session is an address from the SDP, so literals are answered at
 * once; names still go to dns.lookup.
 */
const literalLookup = (hostname: string, options: dns.LookupOneOptions | number, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void => {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dns.lookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
};

function bind(type: 'udp4' | 'udp6', address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type, reuseAddr: false, lookup: literalLookup as unknown as dgram.SocketOptions['lookup'] });
    const onError = (err: Error) => {
      s.close();
      reject(err);
    };
    s.once('error', onError);
    s.bind(port, address, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}
