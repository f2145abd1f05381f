// SDP for offer/answer with SDES: parse, serialize, helpers, errors.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  SipParseError,
  type SdpBandwidth,
  type SdpLine,
  type SdpSession,
  cryptoAttributes,
  fmtps,
  mediaConnection,
  mediaDirection,
  parseSdp,
  parseSipMessage,
  rtpMaps,
  serializeSdp,
  setMediaDirection,
} from '../../engine/sip/message/index.js';
import { INVITE, SDP } from '../../bench/sip/messages.js';
import * as T from './fixtures/rfc4475.js';

const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');
function sdpError(text: string): SipParseError {
  try {
    parseSdp(text);
  } catch (e) {
    expect(e).to.be.instanceOf(SipParseError);
    expect((e as SipParseError).code).to.equal('sdp');
    return e as SipParseError;
  }
  throw new Error('expected an SDP error');
}

describe('SDP', () => {
  it('parses the Cisco SDES offer: origin, bandwidth, media, crypto lines kept raw, rtpmaps, direction', () => {
    const s = parseSdp(parseSipMessage(INVITE).body);
    expect(s.origin).to.deep.equal({ username: 'Cisco-SIPUA', sessionId: '12345', sessionVersion: '0', netType: 'IN', addrType: 'IP4', address: '10.1.1.20' });
    expect(s.sessionName).to.equal('SIP Call');
    expect(s.bandwidths).to.deep.equal([{ type: 'AS', value: 4064 }]);
    expect(s.timing).to.deep.equal(['0 0']);
    const m = s.media[0]!;
    expect(m).to.deep.include({ type: 'audio', port: 26866, proto: 'RTP/SAVP', formats: ['0', '8', '18', '101'] });
    expect(mediaConnection(m, s)).to.deep.equal({ netType: 'IN', addrType: 'IP4', address: '10.1.1.20' });
    expect(m.bandwidths).to.deep.equal([{ type: 'TIAS', value: 64000 }]);
    expect(cryptoAttributes(m)).to.deep.equal([
      '1 AEAD_AES_256_GCM inline:YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY3ODkwQUJDREVGR0g=',
      '2 AEAD_AES_128_GCM inline:YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=',
      '3 AES_CM_128_HMAC_SHA1_80 inline:YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY3ODkw',
      '4 AES_CM_128_HMAC_SHA1_32 inline:YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY3ODkw',
    ]);
    expect([...rtpMaps(m).values()].map((r) => `${r.payloadType} ${r.encoding}/${r.clockRate}`)).to.deep.equal([
      '0 PCMU/8000', '8 PCMA/8000', '18 G729/8000', '101 telephone-event/8000',
    ]);
    expect(Object.fromEntries(fmtps(m))).to.deep.equal({ '18': 'annexb=no', '101': '0-15' });
    expect(mediaDirection(m, s)).to.equal('sendrecv');
  });

  it('serializes it back to the same text', () => {
    expect(serializeSdp(parseSdp(SDP))).to.equal(SDP);
  });

  it('keeps crypto session parameters and lifetimes/MKIs untouched', () => {
    const text = crlf(`v=0
o=- 1 2 IN IP6 2001:db8::1
s=-
c=IN IP6 2001:db8::1
t=0 0
m=audio 49170 RTP/SAVP 0
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4;inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIz|2^20|2:4 FEC_ORDER=FEC_SRTP
a=inactive
`);
    const s = parseSdp(text);
    expect(cryptoAttributes(s.media[0]!)[0]).to.equal(
      '1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4;inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIz|2^20|2:4 FEC_ORDER=FEC_SRTP',
    );
    expect(mediaDirection(s.media[0]!, s)).to.equal('inactive');
    expect(serializeSdp(s)).to.equal(text);
  });

  it('applies session-level direction unless the media overrides it; setMediaDirection replaces it in place', () => {
    const s = parseSdp(crlf(`v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
a=sendonly
m=audio 4000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
m=video 0 RTP/AVP 31
a=recvonly
a=rtpmap:31 H261/90000
`));
    expect(s.media.map((m) => mediaDirection(m, s))).to.deep.equal(['sendonly', 'recvonly']);
    expect(s.media[1]!.port).to.equal(0);
    setMediaDirection(s.media[1]!, 'inactive');
    expect(s.media[1]!.attributes.map((a) => a.name)).to.deep.equal(['inactive', 'rtpmap']);
    setMediaDirection(s.media[0]!, 'sendrecv');
    expect(serializeSdp(s)).to.contain('m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n');
  });

  it('accepts LF-only line ends, port counts, and keeps other lines (i=, u=, e=, k=, unknown)', () => {
    const s = parseSdp('v=0\no=- 1 1 IN IP4 192.0.2.1\ns=Talk\ni=info\nu=http://x.example\ne=a@b.example\nt=0 0\nm=audio 5000/2 RTP/AVP 0\ni=media info\nk=prompt\nq=unknown\n');
    expect(s.media[0]).to.deep.include({ port: 5000, portCount: 2 });
    expect(s.other).to.deep.equal([{ type: 'i', value: 'info' }, { type: 'u', value: 'http://x.example' }, { type: 'e', value: 'a@b.example' }]);
    expect(s.media[0]!.other.map((l) => l.type)).to.deep.equal(['i', 'k', 'q']);
    expect(serializeSdp(parseSdp(serializeSdp(s)))).to.equal(serializeSdp(s));
  });

  it('rejects malformed SDP naming the line', () => {
    expect(sdpError('o=- 1 1 IN IP4 h\r\n').message).to.match(/first line must be v=/);
    expect(sdpError('v=1\r\n').message).to.match(/unsupported version/);
    expect(sdpError('v=0\r\no=- 1 1 IN IP4 h\r\ns=a\rb\r\n')).to.include({ line: 3, message: 'SDP: bare CR inside a line (line 3)' });
    const e = sdpError(crlf('v=0\no=- 1 IN IP4 h\ns=-\n'));
    expect([e.line, e.message]).to.deep.equal([2, 'SDP: o= needs 6 fields: username sess-id sess-version nettype addrtype address (line 2)']);
    expect(sdpError(crlf('v=0\no=- 1 1 IN IP4 h\nt=0 0\n')).message).to.match(/no s= line/);
    expect(sdpError(crlf('v=0\no=- 1 1 IN IP4 h\ns=-\nm=audio 70000 RTP/AVP 0\n'))).to.include({ line: 4 });
    expect(sdpError(crlf('v=0\no=- 1 1 IN IP4 h\ns=-\nm=audio 5000 RTP/AVP\n')).message).to.match(/m=audio 5000 RTP\/AVP is not/);
    expect(sdpError(crlf('v=0\no=- 1 1 IN IP4 h\ns=-\nm=audio 5 RTP/AVP 0\nt=0 0\n')).message).to.match(/t= after a media description/);
    expect(sdpError(crlf('v=0\no=- 1 1 IN IP4 h\ns=-\nb=AS\n')).message).to.match(/b=AS is not <type>:<number>/);
    expect(sdpError(crlf('v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4\n')).message).to.match(/c=IN IP4 is not/);
    expect(sdpError(crlf('v=0\no=- 1 1 IN IP4 h\ns=-\nX=1\n')).message).to.match(/not <letter>=<value>/);
    expect(sdpError(crlf('v=0\no=- 1 1 IN IP4 h\ns=-\n\nt=0 0\n')).message).to.match(/empty line/);
    const wsinv = parseSdp(parseSipMessage(T.wsinv.bytes).body);
    expect(wsinv.media.map((m) => m.type)).to.deep.equal(['audio', 'video']);
    expect(() => rtpMaps(wsinv.media[1]!)).to.throw(SipParseError, /a=rtpmap:31 LPC is not/);
  });

  it('parseSdp(serializeSdp(s)) gives s back (property)', () => {
    const word = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.+/'), minLength: 1, maxLength: 10 });
    const attr = fc.record({ name: word.filter((w) => !w.includes(':')), value: fc.option(fc.string({ unit: fc.constantFrom(...'ab 19:/=|^;'), maxLength: 20 }), { nil: undefined }) }).map((a) =>
      a.value === undefined ? { name: a.name } : { name: a.name, value: a.value },
    );
    const conn = fc.record({ netType: fc.constant('IN'), addrType: fc.constantFrom('IP4', 'IP6'), address: word });
    const session: fc.Arbitrary<SdpSession> = fc.record({
      version: fc.constant(0),
      origin: fc.record({ username: word, sessionId: fc.nat().map(String), sessionVersion: fc.nat().map(String), netType: fc.constant('IN'), addrType: fc.constant('IP4'), address: word }),
      sessionName: fc.string({ unit: fc.constantFrom(...'ab -'), maxLength: 10 }),
      bandwidths: fc.array(fc.record({ type: fc.constantFrom('AS', 'TIAS', 'CT'), value: fc.nat() }), { maxLength: 2 }),
      timing: fc.array(fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `${a} ${b}`), { maxLength: 2 }),
      attributes: fc.array(attr, { maxLength: 3 }),
      other: fc.constant([] as SdpLine[]),
      media: fc.array(
        fc.record({
          type: fc.constantFrom('audio', 'video'),
          port: fc.nat(65535),
          proto: fc.constantFrom('RTP/AVP', 'RTP/SAVP'),
          formats: fc.array(fc.nat(127).map(String), { minLength: 1, maxLength: 4 }),
          connections: fc.array(conn, { maxLength: 1 }),
          bandwidths: fc.constant([] as SdpBandwidth[]),
          attributes: fc.array(attr, { maxLength: 4 }),
          other: fc.constant([] as SdpLine[]),
        }),
        { maxLength: 3 },
      ),
    }).chain((s) => fc.option(conn, { nil: undefined }).map((c) => (c ? { ...s, connection: c } : s)));
    fc.assert(
      fc.property(session, (s) => {
        expect(parseSdp(serializeSdp(s))).to.deep.equal(s);
      }),
      { numRuns: 300 },
    );
  });
});
