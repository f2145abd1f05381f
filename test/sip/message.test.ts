// SIP message parser: start line, header fields (compact names, folding, lists), limits, errors, lazy values.
import { expect } from 'chai';
import {
  COMPACT_FORMS,
  Params,
  SipParseError,
  SipRequest,
  type SipResponse,
  bareHost,
  formatNameAddr,
  formatUri,
  formatVia,
  parseNameAddr,
  parseSipMessage,
  parseUri,
  parseVia,
  splitList,
  viaRport,
} from '../../engine/sip/message/index.js';
import { INVITE, REGISTER, SDP } from '../../bench/sip/messages.js';

const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');
const BASE = crlf(`OPTIONS sip:bob@example.com SIP/2.0
Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bKaaa
From: <sip:alice@example.com>;tag=f1
To: <sip:bob@example.com>
Call-ID: c1@192.0.2.1
CSeq: 1 OPTIONS
`);
/** BASE plus extra header lines, an empty line and a body. */
function withHeaders(extra: string, body = ''): string {
  return BASE + (extra ? crlf(extra) + '\r\n' : '') + `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` + body;
}
function parseError(data: string | Buffer, opts = {}): SipParseError {
  try {
    parseSipMessage(data, opts);
  } catch (e) {
    expect(e).to.be.instanceOf(SipParseError);
    return e as SipParseError;
  }
  throw new Error('expected a SipParseError');
}

describe('SIP message parser', () => {
  describe('benchmark messages (Cisco 88xx REGISTER, INVITE with SDES SDP)', () => {
    it('parses the REGISTER: hot-path values up front, Contact and its Cisco parameters on demand', () => {
      const m = parseSipMessage(Buffer.from(REGISTER)) as SipRequest;
      expect(m.method).to.equal('REGISTER');
      expect(m.callId).to.equal('00562b3c-7a1f0002-2f3e4d5c-6b7a8c9d@10.1.1.20');
      expect(m.cseq).to.deep.equal({ seq: 101, method: 'REGISTER' });
      expect(m.branch).to.equal('z9hG4bK4a1b2c3d');
      expect(m.fromTag).to.equal('00562b3c7a1f00024e1a3b5c-4d5e6f70');
      expect(m.toTag).to.equal(undefined);
      expect(m.topVia()).to.include({ transport: 'TLS', host: '10.1.1.20', port: 51234 });
      const c = m.contacts()[0]!;
      expect(c.uri.params.get('transport')).to.equal('tls');
      expect(c.params.get('+sip.instance')).to.equal('"<urn:uuid:00000000-0000-0000-0000-00562b3c7a1f>"');
      expect(c.params.get('+u.sip!devicename.ccm.cisco.com')).to.equal('"SEP00562B3C7A1F"');
      expect(c.params.get('video')).to.equal(null);
      expect(m.values('supported')).to.have.length(15);
      expect(m.expires()).to.equal(3600);
      expect(m.get('reason')).to.match(/cisco-alarm:25/);
      expect(m.body.length).to.equal(0);
    });

    it('parses the INVITE: display name, Request-URI parameters, lists, body', () => {
      const m = parseSipMessage(Buffer.from(INVITE)) as SipRequest;
      expect(m.requestUri().params.get('user')).to.equal('phone');
      expect(m.from().displayName).to.equal('Alice 1001');
      expect(m.values('allow')).to.deep.equal(['ACK', 'BYE', 'CANCEL', 'INVITE', 'NOTIFY', 'OPTIONS', 'REFER', 'REGISTER', 'UPDATE', 'SUBSCRIBE', 'INFO']);
      expect(m.values('recv-info')).to.deep.equal(['conference', 'x-cisco-conference']); // two lines
      expect(m.getAll('Recv-Info')).to.have.length(2);
      expect(m.contentType()).to.equal('application/sdp');
      expect(m.body.toString()).to.equal(SDP);
    });
  });

  describe('header fields', () => {
    it('expands every compact form to its long name, in any case', () => {
      const expected: Record<string, string> = {
        a: 'accept-contact', b: 'referred-by', c: 'content-type', d: 'request-disposition', e: 'content-encoding', f: 'from',
        i: 'call-id', j: 'reject-contact', k: 'supported', l: 'content-length', m: 'contact', n: 'identity-info', o: 'event',
        r: 'refer-to', s: 'subject', t: 'to', u: 'allow-events', v: 'via', x: 'session-expires', y: 'identity',
      };
      expect(COMPACT_FORMS).to.deep.equal(expected);
      const msg = crlf(`NOTIFY sip:bob@example.com SIP/2.0
v: SIP/2.0/TCP h.example;branch=z9hG4bK1
F: <sip:a@example.com>;tag=1
t: <sip:b@example.com>;tag=2
I: n1@h
CSeq: 3 NOTIFY
m: <sip:a@h.example>
O: dialog
U: kpml, dialog
K: replaces
R: <sip:c@example.com>
B: <sip:a@example.com>
X: 1800;refresher=uac
S: hello
E: gzip
A: *;audio
J: *;video
D: proxy
Y: abc
N: <https://example.com/cert>
c: text/plain
l: 2

hi`);
      const m = parseSipMessage(msg);
      for (const [short, long] of Object.entries(expected)) {
        expect(m.headers.find((h) => h.name.toLowerCase() === short)!.key, short).to.equal(long);
      }
      expect(m.get('Allow-Events')).to.equal('kpml, dialog');
      expect(m.values('u')).to.deep.equal(['kpml', 'dialog']);
      expect(m.get('session-expires')).to.equal('1800;refresher=uac');
      expect(m.callId).to.equal('n1@h');
      expect(m.body.toString()).to.equal('hi');
    });

    it('splits list fields on separating commas only: not inside quotes, <> or comments', () => {
      const m = parseSipMessage(
        withHeaders(`Contact: "Smith, John" <sip:j@h.example;x=a,b>;q=0.5, <sip:k@h.example>;+sip.instance="<urn:a,b>", sip:l@h.example
Contact: *
Supported: a,b ,  c
Warning: 399 h.example "one, two", 399 h.example "three"
Date: Sat, 13 Nov 2010 23:29:00 GMT
Authorization: Digest username="a,b", realm="r", nonce="n"`),
      );
      expect(m.values('contact')).to.deep.equal([
        '"Smith, John" <sip:j@h.example;x=a,b>;q=0.5',
        '<sip:k@h.example>;+sip.instance="<urn:a,b>"',
        'sip:l@h.example',
        '*',
      ]);
      expect(m.values('supported')).to.deep.equal(['a', 'b', 'c']);
      expect(m.values('warning')).to.have.length(2);
      expect(m.values('date')).to.deep.equal(['Sat, 13 Nov 2010 23:29:00 GMT']); // not a list
      expect(m.values('authorization')).to.have.length(1); // never split
      expect(() => m.contacts()).to.throw(SipParseError, /"\*" mixed with other Contact values/);
      expect(splitList('a (x, y), b')).to.deep.equal(['a (x, y)', 'b']);
    });

    it('treats "Contact: *" as the wildcard', () => {
      const m = parseSipMessage(withHeaders('Contact: *\nExpires: 0'));
      expect(m.hasWildcardContact()).to.equal(true);
      expect(m.contacts()).to.deep.equal([]);
    });

    it('unfolds continuation lines (SP or HTAB) into single spaces', () => {
      const m = parseSipMessage(withHeaders('Subject: first\n\t second  \n   third\nX-Empty:\n folded-into-empty'));
      expect(m.get('subject')).to.equal('first second third');
      expect(m.get('x-empty')).to.equal('folded-into-empty');
      expect(m.headers.find((h) => h.key === 'subject')!.line).to.equal(7);
      expect(m.headers.find((h) => h.key === 'x-empty')!.line).to.equal(10);
    });

    it('accepts whitespace before the colon and keeps names as written', () => {
      const m = parseSipMessage(withHeaders('X-Thing \t: value'));
      expect(m.headers.find((h) => h.key === 'x-thing')).to.include({ name: 'X-Thing', value: 'value' });
    });

    it('names the line and offset of a malformed field', () => {
      const e = parseError(withHeaders('X-Ok: 1\nthis line has no colon'));
      expect(e.code).to.equal('header');
      expect(e.line).to.equal(8);
      expect(e.offset).to.equal(Buffer.byteLength(BASE) + 'X-Ok: 1\r\n'.length);
      expect(e.message).to.match(/header line "this line has no colon" has no ":"/);
      expect(parseError(withHeaders(': no name')).message).to.match(/does not start with a field name/);
      expect(parseError(withHeaders('Bad Name: x')).message).to.match(/no ":" after the field name/);
      expect(parseError(withHeaders('X-A: 1\rX-B: 2')).message).to.match(/bare CR inside a header line/);
      expect(parseError(BASE.replace('Call-ID: c1@192.0.2.1\r\n', 'Call-ID: c1@192.0.2.1\n') + 'Content-Length: 0\r\n\r\n').message).to.match(/bare LF/);
      expect(parseError(BASE.replace('\r\n', '\r\n continued\r\n') + 'Content-Length: 0\r\n\r\n').message).to.match(/continuation line .* right after the start line/);
    });

    it('requires Via, From, To, Call-ID and CSeq, once each (Via may repeat)', () => {
      const noVia = withHeaders('').replace(/^Via: .*\r\n/m, '');
      expect(parseError(noVia)).to.include({ code: 'missing-header' });
      expect(parseError(noVia).message).to.match(/missing mandatory header field: Via/);
      const twoTo = withHeaders('To: <sip:carol@example.com>');
      expect(parseError(twoTo)).to.include({ code: 'duplicate-header', header: 'to', line: 7 });
      const m = parseSipMessage(withHeaders('Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKbbb'));
      expect(m.vias()).to.have.length(2);
      expect(m.branch).to.equal('z9hG4bKaaa');
    });

    it('checks CSeq and Call-ID on the hot path', () => {
      expect(parseError(withHeaders('').replace('CSeq: 1 OPTIONS', 'CSeq: OPTIONS')).message).to.match(/does not start with a sequence number/);
      expect(parseError(withHeaders('').replace('CSeq: 1 OPTIONS', 'CSeq: 1')).message).to.match(/must be "number METHOD"/);
      expect(parseError(withHeaders('').replace('CSeq: 1 OPTIONS', 'CSeq: 4294967296 OPTIONS')).message).to.match(/exceeds 2\*\*32-1/);
      expect(parseSipMessage(withHeaders('').replace('CSeq: 1 OPTIONS', 'CSeq: 4294967295 OPTIONS')).cseq.seq).to.equal(4294967295);
      expect(parseError(withHeaders('').replace('Call-ID: c1@192.0.2.1', 'Call-ID: two words')).message).to.match(/Call-ID "two words" must be one word/);
    });
  });

  describe('start line', () => {
    it('parses status lines, with UTF-8 and empty reason phrases', () => {
      const r = parseSipMessage(BASE.replace(/^.*\r\n/, 'SIP/2.0 486 Busy Here\r\n') + 'Content-Length: 0\r\n\r\n') as SipResponse;
      expect([r.kind, r.status, r.reason]).to.deep.equal(['response', 486, 'Busy Here']);
      const e = parseError(BASE.replace(/^.*\r\n/, 'SIP/2.0 99 Low\r\n') + 'Content-Length: 0\r\n\r\n');
      expect([e.code, e.line]).to.deep.equal(['status-code', 1]);
    });

    it('rejects what is not a request or status line, naming it', () => {
      const bad = (line: string): string => parseError(BASE.replace(/^.*\r\n/, line + '\r\n') + 'Content-Length: 0\r\n\r\n').message;
      expect(bad('HELLO')).to.match(/neither a request line nor a status line/);
      expect(bad('INVITE sip:bob@example.com HTTP/1.1')).to.match(/does not end with a SIP version/);
      expect(bad('INV<ITE sip:bob@example.com SIP/2.0')).to.match(/method "INV<ITE" is not a token/);
      expect(bad('OPTIONS bob@example.com SIP/2.0')).to.match(/has no scheme/);
      expect(bad('OPTIONS sip:bob@example.com SIP/2.x')).to.match(/malformed SIP version/);
      expect(bad('SIP/3.0 200 OK')).to.match(/unsupported SIP version SIP\/3\.0/);
    });

    it('skips CRLFs before the start line (RFC 3261 7.5)', () => {
      expect(parseSipMessage('\r\n\r\n' + withHeaders('')).kind).to.equal('request');
      expect(parseError('\r\n\r\n').code).to.equal('empty');
    });
  });

  describe('bodies and limits', () => {
    it('frames a datagram by Content-Length and by the datagram end when absent', () => {
      const m = parseSipMessage(withHeaders('Content-Type: text/plain', 'hello') + 'trailing junk');
      expect(m.body.toString()).to.equal('hello');
      const noCl = BASE + 'Content-Type: text/plain\r\n\r\nwhole rest';
      expect(parseSipMessage(noCl).body.toString()).to.equal('whole rest');
      expect(parseError(noCl, { transport: 'stream' }).message).to.match(/Content-Length is mandatory on a stream/);
      expect(parseError(withHeaders('Content-Type: text/plain', 'hello') + 'x', { transport: 'stream' })).to.include({ code: 'framing' });
    });

    it('refuses messages, header sections and header counts over the limits', () => {
      const big = withHeaders('Content-Type: text/plain', 'x'.repeat(2000));
      expect(parseError(big, { maxMessageBytes: 1000 })).to.include({ code: 'too-large', status: 513 });
      expect(parseError(withHeaders(`X-Long: ${'y'.repeat(500)}`), { maxHeaderBytes: 400 })).to.include({ code: 'too-large', status: 513 });
      const many = withHeaders(Array.from({ length: 30 }, (_, i) => `X-${i}: ${i}`).join('\n'));
      const e = parseError(many, { maxHeaders: 20 });
      expect(e.code).to.equal('header-count');
      expect(e.message).to.match(/more than 20 header fields/);
      expect(parseSipMessage(many, { maxHeaders: 40 }).headers).to.have.length(36);
      expect(parseError(BASE).code).to.equal('incomplete');
    });

    it('accepts Uint8Array and string input alike', () => {
      const s = withHeaders('');
      expect(parseSipMessage(new Uint8Array(Buffer.from(s))).callId).to.equal(parseSipMessage(s).callId);
    });
  });

  describe('structured values', () => {
    it('parses SIP, SIPS and tel URIs, with IPv6, ports, parameters and headers', () => {
      const u = parseUri('sips:alice:secret@[2001:db8::1]:5061;transport=tls;lr?Subject=hi&Priority=urgent');
      expect(u).to.deep.include({ scheme: 'sips', user: 'alice', password: 'secret', host: '[2001:db8::1]', port: 5061 });
      expect(u.params.toJSON()).to.deep.equal({ transport: 'tls', lr: null });
      expect(u.headers.toJSON()).to.deep.equal({ Subject: 'hi', Priority: 'urgent' });
      expect(bareHost(u.host)).to.equal('2001:db8::1');
      expect(formatUri(u)).to.equal('sips:alice:secret@[2001:db8::1]:5061;transport=tls;lr?Subject=hi&Priority=urgent');
      expect(parseUri('SIP:Host.Example')).to.deep.include({ scheme: 'sip', host: 'Host.Example' });
      const t = parseUri('tel:+1-201-555-0123;phone-context=example.com');
      expect(t).to.deep.include({ scheme: 'tel', user: '+1-201-555-0123' });
      expect(t.params.get('phone-context')).to.equal('example.com');
      expect(formatUri(t)).to.equal('tel:+1-201-555-0123;phone-context=example.com');
    });

    it('rejects malformed URIs with the reason', () => {
      const bad = (s: string): string => {
        try {
          parseUri(s);
        } catch (e) {
          expect(e).to.be.instanceOf(SipParseError);
          return (e as Error).message;
        }
        throw new Error(`accepted ${s}`);
      };
      expect(bad('example.com')).to.match(/not a URI/);
      expect(bad('sip:@example.com')).to.match(/empty user part/);
      expect(bad('sip:alice@')).to.match(/no host/);
      expect(bad('sip:alice@example.com:99999')).to.match(/bad port/);
      expect(bad('sip:alice@[2001:db8::1')).to.match(/IPv6 reference without "\]"/);
      expect(bad('sip:alice@exa mple.com')).to.match(/character " " not allowed/);
      expect(bad('sip:alice@example.com;;lr')).to.match(/empty URI parameter/);
      expect(bad('sip:a@h.example?x')).to.match(/URI header "x" is not name=value/);
      expect(bad('tel:xyz;x')).to.match(/bad telephone number/);
      expect(bad('sip:alice@ex!ample.com')).to.match(/not allowed in host/);
    });

    it('parses Via values: LWS, IPv6 sent-by, received, rport, and formats them back', () => {
      const v = parseVia('SIP / 2.0 / TLS [2001:db8::9] : 5061 ;branch=z9hG4bKx ; received=2001:db8::10;rport=40000');
      expect(v).to.deep.include({ protocol: 'SIP', version: '2.0', transport: 'TLS', host: '[2001:db8::9]', port: 5061 });
      expect(v.params.get('received')).to.equal('2001:db8::10');
      expect(viaRport(v)).to.equal(40000);
      expect(formatVia(v)).to.equal('SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bKx;received=2001:db8::10;rport=40000');
      expect(() => parseVia('SIP/2.0 192.0.2.1')).to.throw(SipParseError, /sent-protocol must be name\/version\/transport/);
      expect(() => parseVia('SIP/2.0/UDP')).to.throw(SipParseError, /no sent-by host/);
      expect(() => parseVia('SIP/2.0/UDP 192.0.2.1;branch=')).to.throw(SipParseError, /has "=" but no value/);
    });

    it('parses name-addr and addr-spec forms and formats them with quotes and brackets', () => {
      const a = parseNameAddr('"A \\"q\\" B" <sip:a@h.example;transport=tcp>;tag=1;expires=60');
      expect(a.displayName).to.equal('A "q" B');
      expect(a.uri.params.get('transport')).to.equal('tcp');
      expect(a.params.toJSON()).to.deep.equal({ tag: '1', expires: '60' });
      expect(formatNameAddr(a)).to.equal('"A \\"q\\" B" <sip:a@h.example;transport=tcp>;tag=1;expires=60');
      const b = parseNameAddr('sip:b@h.example;tag=2');
      expect(b.uri.params.size).to.equal(0);
      expect(b.params.get('tag')).to.equal('2');
      expect(formatNameAddr(b)).to.equal('<sip:b@h.example>;tag=2');
      expect(() => parseNameAddr('"x" sip:a@h.example')).to.throw(SipParseError, /quoted display name not followed by <URI>/);
      expect(() => parseNameAddr('<sip:a@h.example')).to.throw(SipParseError, /without a closing ">"/);
      expect(() => parseNameAddr('<sip:a@h.example> tag=1')).to.throw(SipParseError, /expected ";"/);
    });

    it('keeps parameters ordered and case-insensitive', () => {
      const p = new Params([['Tag', 'x'], ['lr', null]]);
      expect(p.get('tag')).to.equal('x');
      expect(p.has('LR')).to.equal(true);
      p.set('TAG', 'y').set('q', '1');
      expect(p.toString()).to.equal(';Tag=y;lr;q=1');
      expect(p.delete('lr')).to.equal(true);
      expect(Params.from({ a: 1, b: true, c: false, d: undefined, e: 'v' }).toString()).to.equal(';a=1;b;e=v');
    });
  });

  describe('editing', () => {
    it('keeps the hot-path values in step when fields are changed', () => {
      const m = parseSipMessage(withHeaders('')) as SipRequest;
      m.prependHeader('v', 'SIP/2.0/TLS proxy.example;branch=z9hG4bKproxy');
      expect(m.branch).to.equal('z9hG4bKproxy');
      expect(m.headers[0]!.name).to.equal('Via');
      expect(m.vias().map((v) => v.host)).to.deep.equal(['proxy.example', '192.0.2.1']);
      m.setHeader('To', '<sip:bob@example.com>;tag=t9');
      expect(m.toTag).to.equal('t9');
      m.appendHeader('Max-Forwards', '69');
      expect(m.maxForwards()).to.equal(69);
      m.removeHeader('max-forwards');
      expect(m.maxForwards()).to.equal(undefined);
      expect(() => m.removeHeader('call-id')).to.throw(SipParseError, /missing mandatory header field: Call-ID/);
    });

    it('refuses edits that would inject fields or break framing', () => {
      const m = parseSipMessage(withHeaders(''));
      expect(() => m.setHeader('Subject', 'x\r\nVia: SIP/2.0/UDP evil.example')).to.throw(TypeError, /CR or LF/);
      expect(() => m.appendHeader('Bad Name', 'x')).to.throw(TypeError, /not a token/);
      expect(() => m.prependHeader('Via', 'a\nb')).to.throw(TypeError, /CR or LF/);
      expect(m.fields('v').map((h) => h.name)).to.deep.equal(['Via']);
    });

    it('is a SipRequest with a startLine', () => {
      const m = parseSipMessage(withHeaders(''));
      expect(m).to.be.instanceOf(SipRequest);
      expect(m.startLine()).to.equal('OPTIONS sip:bob@example.com SIP/2.0');
    });
  });
});
