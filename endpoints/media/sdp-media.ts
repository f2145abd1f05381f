// The audio m= section a media session offers or answers (port, G.711 payload types, RTCP port, direction, the
// a=crypto lines engine/media-policy chose), and what a remote description says about where to send.
import {
  mediaConnection,
  mediaDirection,
  rtpMaps,
  cryptoAttributes,
  type SdpDirection,
  type SdpMedia,
  type SdpSession,
} from '../../engine/sip/message/sdp.js';
import { G711_PAYLOAD_TYPES, type G711Law } from './g711.js';

export class MediaDescriptionError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'MediaDescriptionError';
  }
}

export interface LocalAudioInput {
  address: string;
  rtpPort: number;
  rtcpPort: number;
  rtcpMux: boolean;
  codecs: readonly G711Law[];
  direction?: SdpDirection;
  /** a=crypto values from engine/media-policy (none: plain RTP). */
  crypto?: readonly string[];
  /** m= transport; default RTP/SAVP with crypto lines, RTP/AVP without. */
  proto?: string;
  ptimeMs?: number;
}

/** An m=audio section: c= line, rtpmap per codec, ptime, a=rtcp when RTCP is not on port+1, rtcp-mux, direction, crypto. */
export function buildAudioMedia(i: LocalAudioInput): SdpMedia {
  if (i.codecs.length === 0) throw new MediaDescriptionError('codecs', 'at least one G.711 law is needed');
  const crypto = i.crypto ?? [];
  const attributes: SdpMedia['attributes'] = [];
  for (const c of i.codecs) attributes.push({ name: 'rtpmap', value: `${G711_PAYLOAD_TYPES[c]} ${c}/8000` });
  attributes.push({ name: 'ptime', value: String(i.ptimeMs ?? 20) });
  if (i.rtcpMux) attributes.push({ name: 'rtcp-mux' });
  else if (i.rtcpPort !== i.rtpPort + 1) attributes.push({ name: 'rtcp', value: `${i.rtcpPort} IN ${addrType(i.address)} ${i.address}` });
  attributes.push({ name: i.direction ?? 'sendrecv' });
  for (const c of crypto) attributes.push({ name: 'crypto', value: c });
  return {
    type: 'audio',
    port: i.rtpPort,
    proto: i.proto ?? (crypto.length > 0 ? 'RTP/SAVP' : 'RTP/AVP'),
    formats: i.codecs.map((c) => String(G711_PAYLOAD_TYPES[c])),
    connections: [{ netType: 'IN', addrType: addrType(i.address), address: i.address }],
    bandwidths: [],
    attributes,
    other: [],
  };
}

function addrType(address: string): 'IP4' | 'IP6' {
  return address.includes(':') ? 'IP6' : 'IP4';
}

export interface RemoteAudio {
  address: string;
  rtpPort: number;
  rtcpPort: number;
  rtcpMux: boolean;
  proto: string;
  /** Payload types of the m= line that are G.711, in the remote's order. */
  codecs: { payloadType: number; law: G711Law }[];
  /** The remote's direction attribute (its own point of view). */
  direction: SdpDirection;
  /** a=crypto values, untouched (for engine/media-policy). */
  crypto: string[];
  /** Port 0: the stream was refused or removed. */
  disabled: boolean;
}

/** Where the remote wants audio: c= address (media or session level), port, RTCP port (a=rtcp, rtcp-mux or +1). */
export function readRemoteAudio(s: SdpSession, index?: number): RemoteAudio {
  const at = index ?? s.media.findIndex((m) => m.type === 'audio');
  const m = s.media[at];
  if (!m || m.type !== 'audio') throw new MediaDescriptionError('m=audio', index === undefined ? 'the description has no audio stream' : `media ${index} is not audio`);
  const c = mediaConnection(m, s);
  if (!c) throw new MediaDescriptionError('c=', `audio stream ${at} has no connection line at media or session level`);
  const address = c.address.split('/')[0]!;
  const maps = rtpMaps(m);
  const codecs: RemoteAudio['codecs'] = [];
  for (const f of m.formats) {
    const pt = Number(f);
    if (!Number.isInteger(pt)) continue;
    const map = maps.get(pt);
    const name = map ? map.encoding.toUpperCase() : pt === 0 ? 'PCMU' : pt === 8 ? 'PCMA' : '';
    if ((name === 'PCMU' || name === 'PCMA') && (!map || map.clockRate === 8000)) codecs.push({ payloadType: pt, law: name });
  }
  const mux = m.attributes.some((a) => a.name === 'rtcp-mux');
  let rtcpPort = m.port + 1;
  const rtcpAttr = m.attributes.find((a) => a.name === 'rtcp')?.value;
  if (rtcpAttr !== undefined) {
    const p = Number(rtcpAttr.trim().split(/\s+/)[0]);
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new MediaDescriptionError('a=rtcp', `${JSON.stringify(rtcpAttr)} does not start with a port`);
    rtcpPort = p;
  }
  return {
    address,
    rtpPort: m.port,
    rtcpPort: mux ? m.port : rtcpPort,
    rtcpMux: mux,
    proto: m.proto,
    codecs,
    direction: mediaDirection(m, s),
    crypto: cryptoAttributes(m),
    disabled: m.port === 0,
  };
}

/** Our direction in the answer to a remote direction (RFC 3264 §6.1), given what we would like. */
export function answerDirection(remote: SdpDirection, wanted: SdpDirection = 'sendrecv'): SdpDirection {
  const weSend = (wanted === 'sendrecv' || wanted === 'sendonly') && (remote === 'sendrecv' || remote === 'recvonly');
  const weRecv = (wanted === 'sendrecv' || wanted === 'recvonly') && (remote === 'sendrecv' || remote === 'sendonly');
  return weSend && weRecv ? 'sendrecv' : weSend ? 'sendonly' : weRecv ? 'recvonly' : 'inactive';
}
