// One call's media as the phone negotiates it: the SDP it offers or answers (its model's SRTP suites through
// engine/media-policy's SDES rules, in its own preference order), the keys both ways, and the MediaSession that sends
// and checks the packets. A re-INVITE (hold, resume) keeps the agreed key when the suite stays the same (RFC 4568
// §7.1.4 allows it), so packets in flight while the new description travels still decrypt.
import { formatCryptoAttribute, newCryptoAttribute, sdesToPolicy, type SdesCryptoAttribute } from '../../ciphers/sdes/index.js';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import type { SrtpPolicy } from '../../ciphers/srtp/types.js';
import {
  acceptAnswer,
  answerOffer,
  buildOffer,
  type AcceptResult,
  type AnswerResult,
  type NegotiationWarning,
  type OfferResult,
  type SignallingSecurity,
} from '../../engine/media-policy/index.js';
import { parseSdp, serializeSdp, type SdpDirection, type SdpMedia, type SdpSession } from '../../engine/sip/message/sdp.js';
import { answerDirection, type RemoteAudio } from '../media/sdp-media.js';
import { MediaSession, type MediaKeys, type MediaSessionOptions, type MediaSessionStats } from '../media/media-session.js';
import type { SrtpKeyExport } from '../media/key-export.js';

/** What was agreed for a call's media (the phone's view of its own leg). */
export interface AgreedMedia {
  srtp: boolean;
  suite?: SrtpSuiteName;
  /** The a=crypto tag of the accepted line (RFC 4568 §5.1.1). */
  tag?: number;
  /** SRTP authentication tag length in bits (80 or 32 for the HMAC-SHA1 suites, 128 for GCM). */
  authTagBits?: number;
  /** Why the media is RTP, when it is. */
  reason?: string;
  warnings: string[];
}

export interface CallMediaOptions {
  /** Suites the phone can do, in its order of preference (its model's, or a scenario's override). */
  suites: readonly SrtpSuiteName[];
  /** The phone's signalling to the cluster: SDES keys only go over encrypted TLS (001 L1638). */
  signalling: SignallingSecurity;
  /** Exchange SDES keys over signalling that is not encrypted TLS anyway (interop labs); flagged in the warnings. */
  allowSdesWithoutTls?: boolean;
  /** Session user name in o= (the device name). */
  user: string;
  media: MediaSessionOptions;
  /** Test fault: decrypt with a key that is not the far end's, so every packet fails authentication. */
  keyMismatch?: boolean;
}

/** An answer to an offer the phone cannot take: 488 (RFC 3264 §6, 4568 §7.1.3). */
export class MediaRefusal extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'MediaRefusal';
  }
}

const TAG_BITS: Partial<Record<SrtpSuiteName, number>> = {
  AES_CM_128_HMAC_SHA1_80: 80,
  AES_CM_128_HMAC_SHA1_32: 32,
  AES_192_CM_HMAC_SHA1_80: 80,
  AES_192_CM_HMAC_SHA1_32: 32,
  AES_256_CM_HMAC_SHA1_80: 80,
  AES_256_CM_HMAC_SHA1_32: 32,
  NULL_HMAC_SHA1_80: 80,
  NULL_HMAC_SHA1_32: 32,
  AEAD_AES_128_GCM: 128,
  AEAD_AES_256_GCM: 128,
};

function samePolicy(a: SrtpPolicy | undefined, b: SrtpPolicy | undefined): boolean {
  if (!a || !b) return a === b;
  const ka = a.keys[0];
  const kb = b.keys[0];
  return a.suite === b.suite && !!ka && !!kb && Buffer.compare(ka.key, kb.key) === 0 && Buffer.compare(ka.salt, kb.salt) === 0;
}

function sameKeys(a: MediaKeys | null, b: MediaKeys | null): boolean {
  if (!a || !b) return a === b;
  return samePolicy(a.sendPolicy, b.sendPolicy) && samePolicy(a.receivePolicy, b.receivePolicy);
}

function describe(w: readonly NegotiationWarning[]): string[] {
  return w.map((x) => `${x.code}: ${x.message}`);
}

export class CallMedia {
  readonly session: MediaSession;
  readonly #o: CallMediaOptions;
  #version = 0;
  readonly #sessionId = String(Math.floor(Math.random() * 1e9));
  /** Our current SDES line (offer or answer) that carries our send key, once agreed. */
  #ours: SdesCryptoAttribute | undefined;
  /** What we offered last (to check the answer against). */
  #pendingOffer: OfferResult | undefined;
  #keys: MediaKeys | null = null;
  #agreed: AgreedMedia | undefined;
  #wanted: SdpDirection = 'sendrecv';
  #remote: RemoteAudio | undefined;

  private constructor(o: CallMediaOptions, session: MediaSession) {
    this.#o = o;
    this.session = session;
  }

  static async open(o: CallMediaOptions): Promise<CallMedia> {
    // A 15-bit first sequence number: SDES carries no rollover counter, so a receiver that misses the first packets
    // (they arrive before it has the answer's keys) must not see the 16-bit wrap before its first packet, or it guesses
    // ROC 0 against the sender's 1 and nothing decrypts (seen in bench:phones; WebRTC senders do the same).
    const initialSequence = o.media.initialSequence ?? Math.floor(Math.random() * 0x8000);
    return new CallMedia(o, await MediaSession.open({ ...o.media, initialSequence }));
  }

  get agreed(): AgreedMedia | undefined {
    return this.#agreed;
  }

  /** The direction this phone wants (sendonly/inactive on hold). */
  get wanted(): SdpDirection {
    return this.#wanted;
  }

  #sdp(m: SdpMedia): string {
    this.#version++;
    const s: SdpSession = {
      version: 0,
      origin: { username: this.#o.user, sessionId: this.#sessionId, sessionVersion: String(this.#version), netType: 'IN', addrType: this.session.address.includes(':') ? 'IP6' : 'IP4', address: this.session.address },
      sessionName: 'SIP Call',
      connection: { netType: 'IN', addrType: this.session.address.includes(':') ? 'IP6' : 'IP4', address: this.session.address },
      bandwidths: [],
      timing: ['0 0'],
      attributes: [],
      other: [],
      media: [{ ...m, connections: [] }],
    };
    return serializeSdp(s);
  }

  #legContext() {
    return { tls: this.#o.signalling, leg: 'line' as const, ...(this.#o.allowSdesWithoutTls ? { allowSdesWithoutTls: true } : {}) };
  }

  /**
   * An offer: the first one with fresh keys for every suite the phone may use; later ones (hold, resume) keep the
   * agreed suite and our key.
   */
  offer(direction: SdpDirection = this.#wanted): string {
    this.#wanted = direction;
    let offer: OfferResult;
    if (this.#agreed?.srtp && this.#ours) {
      const line: SdesCryptoAttribute = { ...this.#ours, tag: 1 };
      offer = { kind: 'srtp', proto: 'RTP/SAVP', suites: [line.suite], cryptos: [line], attributeValues: [formatCryptoAttribute(line)], lines: [`a=crypto:${formatCryptoAttribute(line)}`], warnings: [] };
    } else if (this.#agreed && !this.#agreed.srtp) {
      offer = { kind: 'rtp', proto: 'RTP/AVP', reason: 'offer-without-crypto', detail: 'the call was agreed as RTP', warnings: [] };
    } else {
      offer = buildOffer({ ...this.#legContext(), policy: [...this.#o.suites], capabilities: this.#o.suites });
      if (offer.kind === 'reject') throw new MediaRefusal(488, offer.detail);
    }
    this.#pendingOffer = offer;
    const crypto = offer.kind === 'srtp' ? offer.attributeValues : [];
    return this.#sdp(this.session.localMedia({ crypto, direction, ...(offer.kind === 'srtp' ? { proto: offer.proto } : {}) }));
  }

  /** The answer to our pending offer: keys both ways, where to send, the direction. Throws MediaRefusal when unusable. */
  acceptAnswer(body: string): AgreedMedia {
    const offer = this.#pendingOffer;
    if (!offer) throw new MediaRefusal(488, 'an answer came without an offer of ours');
    this.#pendingOffer = undefined;
    let remote: RemoteAudio;
    try {
      remote = this.session.applyRemoteDescription(parseSdp(body));
    } catch (e) {
      throw new MediaRefusal(488, `the answer's audio description cannot be used: ${(e as Error).message}`);
    }
    this.#remote = remote;
    const r: AcceptResult = acceptAnswer({ offer, answerCryptos: remote.crypto, answerProto: remote.proto });
    if (r.kind === 'reject') throw new MediaRefusal(r.status, r.detail);
    if (r.kind === 'srtp') {
      this.#ours = offer.kind === 'srtp' ? offer.cryptos.find((c) => c.tag === r.tag) : undefined;
      this.#setKeys({ sendPolicy: r.sendPolicy, receivePolicy: r.receivePolicy });
      this.#agreed = { srtp: true, suite: r.suite, tag: r.tag, ...(TAG_BITS[r.suite] ? { authTagBits: TAG_BITS[r.suite]! } : {}), warnings: describe(r.warnings) };
    } else {
      this.#setKeys(null);
      this.#agreed = { srtp: false, reason: `${r.reason}: ${r.detail}`, warnings: describe(r.warnings) };
    }
    this.session.setDirection(answerDirection(remote.direction, this.#wanted));
    return this.#agreed;
  }

  /** Our answer to an offer (first or re-INVITE). Throws MediaRefusal when the phone must refuse it (488). */
  answer(body: string, wanted: SdpDirection = this.#wanted): { sdp: string; agreed: AgreedMedia } {
    this.#wanted = wanted;
    let remote: RemoteAudio;
    try {
      remote = this.session.applyRemoteDescription(parseSdp(body));
    } catch (e) {
      throw new MediaRefusal(488, `the offer's audio description cannot be used: ${(e as Error).message}`);
    }
    this.#remote = remote;
    const ours = this.#ours;
    const r: AnswerResult = answerOffer({
      ...this.#legContext(),
      offerCryptos: remote.crypto,
      offerProto: remote.proto,
      policy: [...this.#o.suites],
      capabilities: this.#o.suites,
      // Keep our key on a re-offer of the same suite (hold/resume), so nothing in flight fails to decrypt.
      ...(ours ? { newKey: (tag: number, suite: SrtpSuiteName) => (suite === ours.suite ? { ...ours, tag } : newCryptoAttribute(tag, suite)) } : {}),
    });
    if (r.kind === 'reject') throw new MediaRefusal(r.status, r.detail);
    const direction = answerDirection(remote.direction, wanted);
    let crypto: string[] = [];
    if (r.kind === 'srtp') {
      this.#ours = r.answer;
      crypto = [r.attributeValue];
      this.#setKeys({ sendPolicy: r.sendPolicy, receivePolicy: r.receivePolicy });
      this.#agreed = { srtp: true, suite: r.suite, tag: r.tag, ...(TAG_BITS[r.suite] ? { authTagBits: TAG_BITS[r.suite]! } : {}), warnings: describe(r.warnings) };
    } else {
      this.#setKeys(null);
      this.#agreed = { srtp: false, reason: `${r.reason}: ${r.detail}`, warnings: describe(r.warnings) };
    }
    this.session.setDirection(direction);
    const sdp = this.#sdp(this.session.localMedia({ crypto, direction, ...(r.kind === 'srtp' ? { proto: r.proto } : {}) }));
    return { sdp, agreed: this.#agreed };
  }

  /** What the far end said of its own direction in its last description. */
  get remoteDirection(): SdpDirection | undefined {
    return this.#remote?.direction;
  }

  #setKeys(keys: MediaKeys | null): void {
    if (sameKeys(this.#keys, keys)) return;
    this.#keys = keys;
    if (keys && this.#o.keyMismatch) {
      const wrong = sdesToPolicy(newCryptoAttribute(1, keys.receivePolicy.suite));
      this.session.setKeys({ sendPolicy: keys.sendPolicy, receivePolicy: wrong });
      return;
    }
    this.session.setKeys(keys);
  }

  start(): void {
    this.session.start();
  }

  stats(): MediaSessionStats {
    return this.session.stats();
  }

  exportKeys(): SrtpKeyExport[] {
    return this.session.exportKeys();
  }

  /** Stops sending (final SR and BYE), lets late packets arrive for `lingerMs` (default none), closes the sockets; the last stats. */
  async stop(lingerMs = 0): Promise<MediaSessionStats> {
    this.session.stop();
    if (lingerMs > 0) await new Promise((r) => setTimeout(r, lingerMs));
    const s = this.session.stats();
    await this.session.close();
    return s;
  }
}
