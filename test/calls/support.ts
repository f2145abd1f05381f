// Test phones for the B2BUA tests: engine/sip's UserAgentCore over TLS (an LSC issued by the test cluster's pki) or
// TCP, registering like a Cisco phone, offering and answering SDES with engine/media-policy's functions, and a
// trunk peer (a UA listening on 127.0.0.2). Everything is on loopback with OS-chosen ports and bounded waits.
import { formatCryptoAttribute, newCryptoAttribute } from '../../ciphers/sdes/index.js';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import { type AnswerResult, answerOffer, type SrtpCiphersInput } from '../../engine/media-policy/index.js';
import type { ClusterPki } from '../../engine/pki/index.js';
import { type Dialog, type SdpDirection, type SipRequest, type SipResponse, cryptoAttributes, mediaDirection, parseSdp } from '../../engine/sip/index.js';
import type { SipServer } from '../../engine/sip/sip-server.js';
import type { ClientTransaction } from '../../engine/sip/transaction/index.js';
import { type SipTarget, TransportLayer } from '../../engine/sip/transport/index.js';
import { type IncomingRequest, type RequestResult, UserAgentCore } from '../../engine/sip/ua-core.js';
import { type TestClient, client, phoneKey, until } from '../sip-engine/support.js';

export { until, tick, tempDir, testCluster } from '../sip-engine/support.js';

export const GCM256: SrtpSuiteName = 'AEAD_AES_256_GCM';
export const GCM128: SrtpSuiteName = 'AEAD_AES_128_GCM';
export const CM80: SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80';
export const CM32: SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_32';

let sdpVersion = 1;

/** An audio-only SDP body (PCMU) with the given crypto lines and direction. */
export function audioSdp(o: { port: number; cryptos?: readonly string[]; proto?: string; direction?: SdpDirection; address?: string }): string {
  const proto = o.proto ?? (o.cryptos && o.cryptos.length > 0 ? 'RTP/SAVP' : 'RTP/AVP');
  const addr = o.address ?? '127.0.0.1';
  return [
    'v=0',
    `o=phone 4711 ${sdpVersion++} IN IP4 ${addr}`,
    's=-',
    `c=IN IP4 ${addr}`,
    't=0 0',
    `m=audio ${o.port} ${proto} 0`,
    'a=rtpmap:0 PCMU/8000',
    ...(o.cryptos ?? []).map((c) => `a=crypto:${c}`),
    `a=${o.direction ?? 'sendrecv'}`,
    '',
  ].join('\r\n');
}

/** Facts of an SDP body the tests look at. */
export function sdpFacts(body: Buffer | string): { proto: string; suites: string[]; tags: number[]; cryptos: string[]; direction: SdpDirection; port: number } {
  const s = parseSdp(body);
  const m = s.media[0]!;
  const cryptos = cryptoAttributes(m);
  return {
    proto: m.proto,
    cryptos,
    suites: cryptos.map((c) => c.trim().split(/\s+/)[1]!),
    tags: cryptos.map((c) => Number(c.trim().split(/\s+/)[0])),
    direction: mediaDirection(m, s),
    port: m.port,
  };
}

export type Behaviour = 'answer' | 'ring' | 'silent' | { status: number; reason?: string };

export interface PhoneOptions {
  device: string;
  line: string;
  transport: 'TLS' | 'TCP';
  /** Suites it can use. */
  capabilities: readonly string[];
  /** Its offer, in its own order (default: `capabilities`). */
  offerSuites?: readonly string[];
  /** Its answering preference (default All Supported: GCM first, _80 before _32). */
  policy?: SrtpCiphersInput;
  /** Offers and accepts SDES keys even over TCP (a soft client). */
  sdesOverTcp?: boolean;
  behaviour?: Behaviour;
  /** Answers calls with this SDP instead of media-policy's answer (a misbehaving phone). */
  answerWith?: (offer: Buffer) => string;
}

export interface CallOutcome {
  result: RequestResult & { dialog?: Dialog };
  provisional: number[];
  offerCryptos: string[];
  /** What arrived in the final response (when it had SDP). */
  answer?: ReturnType<typeof sdpFacts>;
}

/** A phone: registers, calls, answers (or rings, or refuses) as told, and records what it received. */
export class Phone {
  readonly c: TestClient;
  readonly received: IncomingRequest[] = [];
  /** INVITEs that arrived out of dialog (calls to this phone). */
  readonly calls: IncomingRequest[] = [];
  /** The last answer this phone made (media-policy's view). */
  lastAnswer?: AnswerResult;
  behaviour: Behaviour;
  private readonly ringing: IncomingRequest[] = [];
  readonly dialogs: Dialog[] = [];

  constructor(
    readonly server: SipServer,
    readonly o: PhoneOptions,
    tlsClient?: { key: string; cert: string },
  ) {
    this.c = client(tlsClient ? { tlsClient } : {});
    this.behaviour = o.behaviour ?? 'answer';
    this.c.ua.onRequest((r) => this.onRequest(r));
  }

  static async create(server: SipServer, pki: ClusterPki | undefined, o: PhoneOptions): Promise<Phone> {
    let tlsClient: { key: string; cert: string } | undefined;
    if (o.transport === 'TLS') {
      const k = phoneKey();
      const lsc = await pki!.issueLsc({ deviceName: o.device, publicKey: k.publicKeyPem });
      tlsClient = { key: k.privateKeyPem, cert: lsc.pem + lsc.chainPems.join('') };
    }
    const p = new Phone(server, o, tlsClient);
    const r = await p.register();
    if (r.response.status !== 200) throw new Error(`${o.device} registration: ${r.response.status} ${r.response.reason} ${r.response.get('warning') ?? ''}`);
    return p;
  }

  get target(): SipTarget {
    const port = this.o.transport === 'TLS' ? this.server.ports.tls! : this.server.ports.tcp!;
    return { transport: this.o.transport, host: '127.0.0.1', port };
  }

  private get t(): string {
    return this.o.transport.toLowerCase();
  }

  register(expires = 600): Promise<RequestResult> {
    return this.c.ua.request(
      {
        method: 'REGISTER',
        uri: `sip:127.0.0.1:${this.target.port};transport=${this.t}`,
        from: `<sip:${this.o.line}@127.0.0.1>`,
        to: `<sip:${this.o.line}@127.0.0.1>`,
        contact: `<sip:${this.o.line}@127.0.0.1:5060;transport=${this.t}>;+u.sip!devicename.ccm.cisco.com="${this.o.device}"`,
        headers: [['Expires', String(expires)]],
      },
      this.target,
    );
  }

  private get keysAllowed(): boolean {
    return this.o.transport === 'TLS' || this.o.sdesOverTcp === true;
  }

  /** Its offer's a=crypto values (fresh keys, tags from 1), none when it may not send keys. */
  offerCryptos(suites: readonly string[] = this.o.offerSuites ?? this.o.capabilities): string[] {
    if (!this.keysAllowed) return [];
    return suites.map((s, i) => formatCryptoAttribute(newCryptoAttribute(i + 1, s as SrtpSuiteName)));
  }

  /** Calls a number; resolves on the final response (a 2xx is ACKed by the UA core). */
  async call(dn: string, o: { cryptos?: string[]; body?: string | null; onTransaction?: (tx: ClientTransaction) => void; onProvisional?: (r: SipResponse) => void; port?: number } = {}): Promise<CallOutcome> {
    const offerCryptos = o.cryptos ?? this.offerCryptos();
    const body = o.body === null ? undefined : (o.body ?? audioSdp({ port: o.port ?? 40000, cryptos: offerCryptos }));
    const provisional: number[] = [];
    const result = await this.c.ua.invite(
      {
        uri: `sip:${dn}@127.0.0.1:${this.target.port};transport=${this.t}`,
        from: `<sip:${this.o.line}@127.0.0.1>`,
        to: `<sip:${dn}@127.0.0.1>`,
        contact: `<sip:${this.o.line}@127.0.0.1:5060;transport=${this.t}>`,
        ...(body !== undefined ? { body, contentType: 'application/sdp' } : {}),
      },
      this.target,
      {
        onProvisional: (r) => {
          provisional.push(r.status);
          o.onProvisional?.(r);
        },
        onTransaction: (tx) => o.onTransaction?.(tx),
      },
    );
    if (result.dialog) this.dialogs.push(result.dialog);
    const answer = result.response.body.length > 0 ? sdpFacts(result.response.body) : undefined;
    return { result, provisional, offerCryptos, ...(answer ? { answer } : {}) };
  }

  /** An in-dialog request toward the server (BYE, re-INVITE). */
  inDialog(d: Dialog, method: string, body?: string): Promise<RequestResult> {
    return this.c.ua.requestInDialog(d, method, {
      target: this.target,
      ...(method === 'INVITE' ? { headers: [['Contact', `<sip:${this.o.line}@127.0.0.1:5060;transport=${this.t}>`]] as [string, string][] } : {}),
      ...(body !== undefined ? { body, contentType: 'application/sdp' } : {}),
    });
  }

  /** A hold (sendonly) or resume (sendrecv) re-INVITE with fresh keys. */
  reinvite(d: Dialog, direction: SdpDirection): Promise<RequestResult> {
    return this.inDialog(d, 'INVITE', audioSdp({ port: 40002, cryptos: this.offerCryptos(), direction }));
  }

  /** Answers the SDP of an incoming offer as this phone would (its own policy and suites). */
  answerSdp(offer: Buffer, port = 40004): string {
    const f = sdpFacts(offer);
    const a = answerOffer({ offerCryptos: f.cryptos, offerProto: f.proto, policy: this.o.policy ?? 'all-supported', capabilities: this.o.capabilities, tls: this.keysAllowed });
    this.lastAnswer = a;
    const reply: SdpDirection = f.direction === 'sendonly' ? 'recvonly' : f.direction === 'recvonly' ? 'sendonly' : f.direction;
    if (a.kind === 'srtp') return audioSdp({ port, cryptos: [a.attributeValue], proto: f.proto, direction: reply });
    return audioSdp({ port, proto: 'RTP/AVP', direction: reply });
  }

  private onRequest(r: IncomingRequest): void {
    this.received.push(r);
    const req = r.request;
    if (req.method === 'ACK') return;
    if (req.method === 'INVITE' && !r.dialog) {
      this.calls.push(r);
      const b = this.behaviour;
      if (b === 'silent') return;
      if (typeof b === 'object') {
        r.reply(b.status, b.reason ? { reason: b.reason } : {});
        return;
      }
      r.reply(180, { toTag: this.tagFor(req) });
      if (b === 'ring') {
        this.ringing.push(r);
        return;
      }
      this.answer(r);
      return;
    }
    if (req.method === 'INVITE' || req.method === 'UPDATE') {
      const body = req.body.length > 0 ? this.answerSdp(req.body, 40006) : undefined;
      r.reply(200, { contact: `<sip:${this.o.line}@127.0.0.1:5060;transport=${this.t}>`, ...(body ? { body, headers: [['Content-Type', 'application/sdp']] } : {}) });
      return;
    }
    r.reply(200);
  }

  private tags = new WeakMap<SipRequest, string>();
  private tagFor(req: SipRequest): string {
    let t = this.tags.get(req);
    if (!t) this.tags.set(req, (t = `t${Math.random().toString(36).slice(2, 10)}`));
    return t;
  }

  /** Answers a call that is ringing (behaviour 'ring'): 200 with its SDP answer, or another final status. */
  answer(r: IncomingRequest = this.ringing.shift()!, status = 200): void {
    const req = r.request;
    if (status !== 200) {
      r.reply(status, { toTag: this.tagFor(req) });
      return;
    }
    const body = this.o.answerWith ? this.o.answerWith(req.body) : req.body.length > 0 ? this.answerSdp(req.body) : audioSdp({ port: 40004, cryptos: this.offerCryptos() });
    const { dialog } = r.reply(200, {
      toTag: this.tagFor(req),
      contact: `<sip:${this.o.line}@127.0.0.1:5060;transport=${this.t}>`,
      body,
      headers: [['Content-Type', 'application/sdp']],
    });
    if (dialog) this.dialogs.push(dialog);
  }

  /** Requests received with this method (in dialog or not). */
  got(method: string): SipRequest[] {
    return this.received.filter((r) => r.request.method === method).map((r) => r.request);
  }

  async waitFor(method: string, count = 1, ms = 3000): Promise<SipRequest> {
    await until(() => this.got(method).length >= count, ms, `${this.o.device}: ${method} #${count}`);
    return this.got(method)[count - 1]!;
  }

  close(): Promise<void> {
    return this.c.close();
  }
}

/** A trunk peer on 127.0.0.2 (so the server tells it from phones on 127.0.0.1): a UA listening on TCP. */
export class TrunkPeer {
  readonly transport = new TransportLayer({ localAddress: '127.0.0.2', connectTimeoutMs: 3000 });
  readonly ua = new UserAgentCore({ transport: this.transport });
  readonly invites: IncomingRequest[] = [];
  port = 0;
  lastAnswer?: AnswerResult;
  dialog?: Dialog;

  constructor(readonly o: { capabilities: readonly string[]; behaviour?: Behaviour }) {
    this.ua.onRequest((r) => {
      if (r.request.method === 'ACK') return;
      if (r.request.method === 'INVITE' && !r.dialog) {
        this.invites.push(r);
        const b = this.o.behaviour ?? 'answer';
        if (typeof b === 'object') return void r.reply(b.status);
        const f = sdpFacts(r.request.body);
        const a = answerOffer({ offerCryptos: f.cryptos, offerProto: f.proto, capabilities: this.o.capabilities, tls: true, srtpAllowed: true });
        this.lastAnswer = a;
        const body = a.kind === 'srtp' ? audioSdp({ port: 41000, cryptos: [a.attributeValue] }) : audioSdp({ port: 41000 });
        const { dialog } = r.reply(200, { contact: `<sip:peer@127.0.0.2:${this.port};transport=tcp>`, body, headers: [['Content-Type', 'application/sdp']] });
        this.dialog = dialog;
        return;
      }
      r.reply(200);
    });
  }

  async listen(): Promise<this> {
    this.port = (await this.transport.listenTcp(0, '127.0.0.2')).port;
    return this;
  }

  async close(): Promise<void> {
    this.ua.close();
    await this.transport.close();
  }
}
