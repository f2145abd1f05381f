// RFC 4475 torture messages: what the RFC says a parser should do with each, asserted.
import { expect } from 'chai';
import {
  type SipMessage,
  SipParseError,
  type SipParseErrorCode,
  SipRequest,
  SipResponse,
  SipStreamFramer,
  isRfc3261Branch,
  parseSipMessage,
  unescapePercent,
  unquote,
  viaRport,
} from '../../engine/sip/message/index.js';
import * as T from './fixtures/rfc4475.js';

function parse(t: T.TortureMessage): SipMessage {
  return parseSipMessage(t.bytes);
}
function req(t: T.TortureMessage): SipRequest {
  const m = parse(t);
  expect(m).to.be.instanceOf(SipRequest);
  return m as SipRequest;
}
function rejected(f: () => unknown, expected: { code: SipParseErrorCode; status?: number; header?: string; line?: number; match: RegExp }): SipParseError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, 'should have been rejected').to.be.instanceOf(SipParseError);
  const e = err as SipParseError;
  expect(e.code).to.equal(expected.code);
  expect(e.status).to.equal(expected.status ?? 400);
  if (expected.header !== undefined) expect(e.header).to.equal(expected.header);
  if (expected.line !== undefined) expect(e.line).to.equal(expected.line);
  expect(e.message).to.match(expected.match);
  return e;
}

describe('RFC 4475 torture messages', () => {
  describe('3.1.1 valid messages: parsed, with the values the RFC describes', () => {
    it(`3.1.1.1 ${T.wsinv.title} (wsinv): folding, LWS everywhere, escapes in quotes, compact names`, () => {
      const m = req(T.wsinv);
      expect(m.method).to.equal('INVITE');
      const ruri = m.requestUri();
      expect([ruri.scheme, ruri.user, ruri.host]).to.deep.equal(['sip', 'vivekg', 'chair-dnrc.example.com']);
      expect(ruri.params.get('unknownparam')).to.equal(null); // URI parameter without a value
      expect(m.toTag).to.equal('1918181833n');
      expect(m.to().uri.user).to.equal('vivekg');
      expect(m.fromTag).to.equal('98asjd8');
      expect(m.from().displayName).to.equal('J Rosenberg \\"'); // quoted-pairs \\ and \" resolved
      expect(m.from().uri.host).to.equal('example.com');
      expect(m.maxForwards()).to.equal(68); // leading zeros
      expect(m.cseq).to.deep.equal({ seq: 9, method: 'INVITE' }); // folded, leading zeros
      expect(m.callId).to.equal('wsinv.ndaksdj@192.0.2.1');
      expect(m.contentLength).to.equal(150);
      expect(m.body.length).to.equal(150);
      // three Vias: long and compact names, folded, comma-separated and on separate lines
      const vias = m.vias();
      expect(vias.map((v) => [v.protocol, v.version, v.transport, v.host])).to.deep.equal([
        ['SIP', '2.0', 'UDP', '192.0.2.2'],
        ['SIP', '2.0', 'TCP', 'spindle.example.com'],
        ['SIP', '2.0', 'UDP', '192.168.255.111'],
      ]);
      expect(vias.map((v) => v.params.get('branch'))).to.deep.equal(['390skdjuw', 'z9hG4bK9ikj8', 'z9hG4bK30239']);
      expect(m.branch).to.equal('390skdjuw');
      expect(isRfc3261Branch(m.branch)).to.equal(false);
      expect(m.get('subject')).to.equal(''); // "s :" empty subject
      expect(m.get('NewFangledHeader')).to.equal('newfangled value continued newfangled value');
      // unknown field whose value would be invalid as generic-param: kept as is, never split
      expect(m.get('unknownheaderwithunusualvalue')).to.equal(';;,,;;,;');
      expect(m.values('UnknownHeaderWithUnusualValue')).to.deep.equal([';;,,;;,;']);
      expect(m.contentType()).to.equal('application/sdp');
      const route = m.routes()[0]!;
      expect(route.uri.host).to.equal('services.example.com');
      expect(route.uri.params.toJSON()).to.deep.equal({ lr: null, unknownwith: 'value', 'unknown-no-value': null });
      const [contact] = m.contacts();
      expect(contact!.displayName).to.equal('Quoted string ""');
      expect(contact!.params.toJSON()).to.deep.equal({ newparam: 'newvalue', secondparam: null, q: '0.33' });
      // names kept as written, in order
      expect(m.headers.map((h) => h.name)).to.deep.equal([
        'TO', 'from', 'MaX-fOrWaRdS', 'Call-ID', 'Content-Length', 'cseq', 'Via', 's', 'NewFangledHeader',
        'UnknownHeaderWithUnusualValue', 'Content-Type', 'Route', 'v', 'm',
      ]);
      expect(m.headers.find((h) => h.name === 'm')!.key).to.equal('contact');
    });

    it(`3.1.1.2 ${T.intmeth.title} (intmeth): unusual tokens, quoted NUL/BEL/DEL, UTF-8`, () => {
      const m = req(T.intmeth);
      const method = "!interesting-Method0123456789_*+`.%indeed'~";
      expect(m.method).to.equal(method); // % is not an escape in a method
      expect(m.cseq).to.deep.equal({ seq: 139122385, method });
      const ruri = m.requestUri();
      expect(ruri.user).to.equal("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
      expect(ruri.password).to.equal("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
      expect(ruri.host).to.equal('example.com');
      expect(m.branch).to.equal("z9hG4bK-.!%66*_+`'~");
      expect(m.to().displayName).to.equal('BEL:\x07 NUL:\x00 DEL:\x7F');
      expect(m.to().uri.user).to.equal("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
      expect(m.from().displayName).to.equal("token1~` token2'+_ token3*%!.-");
      const fp = m.from().params.get("fromParam''~+*_!.-%");
      expect(fp).to.equal('"работающий"');
      expect(unquote(fp!)).to.equal('работающий');
      expect(m.fromTag).to.equal("_token~1'+`*%!-.");
      expect(m.callId).to.equal('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{'); // no grouping, no escapes
      expect(m.maxForwards()).to.equal(255);
      expect(m.get("extensionHeader-!.%*+_`'~")).to.equal('\uFEFF大停電');
    });

    it(`3.1.1.3 ${T.esc01.title} (esc01): %HH kept as sent, equivalent once unescaped, never recursively`, () => {
      const m = req(T.esc01);
      const ruri = m.requestUri();
      expect(ruri.user).to.equal('sips%3Auser%40example.com');
      expect(unescapePercent(ruri.user!)).to.equal('sips:user@example.com');
      expect(ruri.host).to.equal('example.net');
      expect(unescapePercent(m.to().uri.user!)).to.equal('user');
      expect(unescapePercent(m.from().uri.user!)).to.equal('I have spaces');
      expect(m.callId).to.equal('esc01.239409asdfakjkn23onasd0-3234'); // compact i
      expect(m.contentType()).to.equal('application/sdp'); // compact C
      const c = m.contacts()[0]!.uri;
      expect(unescapePercent(c.user!)).to.equal('caller');
      expect(c.params.get('%6C%72')).to.equal(null);
      expect(unescapePercent('%6C%72')).to.equal('lr');
      expect(c.params.get('n%61me')).to.equal('v%61lue%25%34%31');
      expect(unescapePercent(c.params.get('n%61me')!)).to.equal('value%41'); // not "valueA"
    });

    it(`3.1.1.4 ${T.escnull.title} (escnull): escaped NULs do not shorten the user part`, () => {
      const m = req(T.escnull);
      const to = unescapePercent(m.to().uri.user!);
      expect(to).to.equal('null-\x00-null');
      expect(to.length).to.equal(11);
      const users = m.contacts().map((c) => unescapePercent(c.uri.user!));
      expect(users).to.deep.equal(['\x00', '\x00\x00']); // two distinct contacts
      expect(m.contentLength).to.equal(0); // "L:0"
    });

    it(`3.1.1.5 ${T.esc02.title} (esc02): % in method, display name and field name is not an escape`, () => {
      const m = req(T.esc02);
      expect(m.method).to.equal('RE%47IST%45R'); // an unknown method, not REGISTER
      expect(m.to().displayName).to.equal('%Z%45');
      expect(m.from().displayName).to.equal('%Z%45');
      expect(m.branch).to.equal('z9hG4bK209%fzsnel234');
      expect(m.contacts().map((c) => c.uri.user)).to.deep.equal(['alias1', 'alias3']); // two Contacts, not three
      expect(m.get('C%6Fntact')).to.equal('<sip:alias2@host2.example.com>');
    });

    it(`3.1.1.6 ${T.lwsdisp.title} (lwsdisp): accepted`, () => {
      const m = req(T.lwsdisp);
      expect(m.from().displayName).to.equal('caller');
      expect(m.from().uri.user).to.equal('caller');
      expect(m.fromTag).to.equal('323');
    });

    it(`3.1.1.7 ${T.longreq.title} (longreq): long names, values and 34 Vias`, () => {
      const m = req(T.longreq);
      const to = m.to();
      expect(to.displayName).to.equal(`I have a user name of ${'extreme'.repeat(10)} proportion`);
      expect(to.uri.port).to.equal(6000);
      expect(to.uri.params.size).to.equal(3);
      expect(to.uri.params.get(`very${'long'.repeat(25)}ParameterNameWithNoValue`)).to.equal(null);
      expect(m.fromTag).to.equal(`12${'982'.repeat(50)}424`);
      expect(m.from().params.size).to.equal(3);
      expect(m.callId).to.equal(`longreq.one${'really'.repeat(20)}longcallid`);
      const vias = m.vias();
      expect(vias).to.have.length(34);
      expect(vias.slice(0, 33).map((v) => v.host)).to.deep.equal(Array.from({ length: 33 }, (_, k) => `sip${33 - k}.example.com`));
      expect(vias[33]!.params.get('received')).to.equal('192.0.2.5');
      expect(m.branch).to.equal(undefined); // the top Via has none
      expect(m.get(`Unknown-${'Long'.repeat(20)}-Name`)).to.match(/-parameter-value$/);
      expect(m.contentLength).to.equal(150);
    });

    it(`3.1.1.8 ${T.dblreq.title} (dblreq): a datagram's extra octets are ignored; on a stream they are the next message`, () => {
      const m = req(T.dblreq);
      expect(m.method).to.equal('REGISTER');
      expect(m.callId).to.equal('dblreq.0ha0isndaksdj99sdfafnl3lk233412'); // compact I
      expect(m.body.length).to.equal(0);
      const events = new SipStreamFramer().push(T.dblreq.bytes);
      expect(events.map((e) => (e.type === 'message' ? (e.message as SipRequest).method : e.type))).to.deep.equal(['REGISTER', 'INVITE']);
    });

    it(`3.1.1.9 ${T.semiuri.title} (semiuri): the user part is "user;par=u@example.net"`, () => {
      const m = req(T.semiuri);
      const ruri = m.requestUri();
      expect(unescapePercent(ruri.user!)).to.equal('user;par=u@example.net');
      expect(ruri.host).to.equal('example.com');
      expect(ruri.params.size).to.equal(0);
      expect(m.values('accept')).to.deep.equal([
        'application/sdp', 'application/pkcs7-mime', 'multipart/mixed', 'multipart/signed', 'message/sip', 'message/sipfrag',
      ]);
    });

    it(`3.1.1.10 ${T.transports.title} (transports): all transports, known and unknown`, () => {
      const m = req(T.transports);
      expect(m.vias().map((v) => v.transport)).to.deep.equal(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
      expect(m.callId).to.equal('transports.kijh4akdnaqjkwendsasfdj');
    });

    it(`3.1.1.11 ${T.mpart01.title} (mpart01): binary body with NULs framed by Content-Length`, () => {
      const m = req(T.mpart01);
      expect(m.method).to.equal('MESSAGE');
      expect(m.contentType()).to.equal('multipart/mixed');
      expect(m.body.includes(T.MPART01_BINARY_PART)).to.equal(true);
      expect(m.body.length).to.equal(m.contentLength);
      expect(m.topVia().port).to.equal(5070);
      expect(viaRport(m.topVia())).to.equal(null); // rport present without a value
      expect(m.routes()[0]!.uri).to.include({ host: '127.0.0.1', port: 5080 });
      const framed = new SipStreamFramer().push(T.mpart01.bytes);
      expect(framed).to.have.length(1);
      expect(framed[0]!.type === 'message' && framed[0]!.message.body.equals(m.body)).to.equal(true);
    });

    it(`3.1.1.12 ${T.unreason.title} (unreason): UTF-8 reason phrase`, () => {
      const m = parse(T.unreason) as SipResponse;
      expect(m.status).to.equal(200);
      expect(m.reason).to.equal('= 2**3 * 5**2 но сто девяносто девять - простое');
    });

    it(`3.1.1.13 ${T.noreason.title} (noreason): empty reason phrase`, () => {
      const m = parse(T.noreason) as SipResponse;
      expect(m.status).to.equal(100);
      expect(m.reason).to.equal('');
      expect(m.toTag).to.equal('902jndnke3');
    });
  });

  describe('3.1.2 invalid messages: rejected with an error naming the problem, or accepted where the RFC allows', () => {
    it(`3.1.2.1 ${T.badinv01.title} (badinv01): rejected (400), empty Via parameters named`, () => {
      rejected(() => parse(T.badinv01), { code: 'value', header: 'via', line: 7, match: /^Via: empty or invalid parameter name/ });
    });

    it(`3.1.2.2 ${T.clerr.title} (clerr): a datagram is rejected (400); a stream waits for the rest`, () => {
      rejected(() => parse(T.clerr), { code: 'content-length', match: /Content-Length 9999 exceeds the 154 body bytes/ });
      const framer = new SipStreamFramer();
      expect(framer.push(T.clerr.bytes)).to.deep.equal([]);
      expect(framer.bufferedBytes).to.equal(T.clerr.bytes.length);
    });

    it(`3.1.2.3 ${T.ncl.title} (ncl): rejected; on a stream the framing is lost`, () => {
      rejected(() => parse(T.ncl), { code: 'content-length', header: 'content-length', line: 10, match: /Content-Length "-999" is not a non-negative integer/ });
      const ev = new SipStreamFramer().push(T.ncl.bytes);
      expect(ev.map((e) => e.type)).to.deep.equal(['error']);
      const five = Buffer.from(T.ncl.bytes.toString('latin1').replace('Content-Length: -999', 'Content-Length: five'), 'latin1');
      rejected(() => parseSipMessage(five), { code: 'content-length', match: /"five"/ });
    });

    it(`3.1.2.4 ${T.scalar02.title} (scalar02): rejected for the CSeq; Max-Forwards and Expires fail only when used`, () => {
      rejected(() => parse(T.scalar02), { code: 'cseq', line: 5, match: /CSeq number 36893488147419103232 exceeds 2\*\*32-1/ });
      const fixed = Buffer.from(T.scalar02.bytes.toString('latin1').replace('CSeq: 36893488147419103232', 'CSeq: 1'), 'latin1');
      const m = parseSipMessage(fixed);
      rejected(() => m.maxForwards(), { code: 'value', header: 'max-forwards', match: /"300" is not an integer in 0\.\.255/ });
      rejected(() => m.expires(), { code: 'value', header: 'expires', match: /not an integer/ });
      expect(m.contacts()[0]!.params.get('expires')).to.equal('280297596632815'); // the registrar applies its default
    });

    it(`3.1.2.5 ${T.scalarlg.title} (scalarlg): rejected (dropped)`, () => {
      rejected(() => parse(T.scalarlg), { code: 'cseq', match: /exceeds 2\*\*32-1/ });
    });

    it(`3.1.2.6 ${T.quotbal.title} (quotbal): rejected (400)`, () => {
      rejected(() => parse(T.quotbal), { code: 'value', header: 'to', line: 2, match: /^To: unterminated quoted string/ });
    });

    it(`3.1.2.7 ${T.ltgtruri.title} (ltgtruri): rejected (400)`, () => {
      rejected(() => parse(T.ltgtruri), { code: 'request-uri', line: 1, match: /Request-URI must not be enclosed in <>/ });
    });

    it(`3.1.2.8 ${T.lwsruri.title} (lwsruri): rejected (400)`, () => {
      rejected(() => parse(T.lwsruri), { code: 'request-uri', line: 1, match: /whitespace inside the Request-URI/ });
    });

    it(`3.1.2.9 ${T.lwsstart.title} (lwsstart): rejected (our choice; the RFC allows either)`, () => {
      rejected(() => parse(T.lwsstart), { code: 'start-line', line: 1, match: /more than one SP/ });
    });

    it(`3.1.2.10 ${T.trws.title} (trws): accepted (our choice), and not reproduced when sent on`, () => {
      const m = req(T.trws);
      expect(m.uri).to.equal('sip:remote-target@example.com');
      expect(m.startLine()).to.equal('OPTIONS sip:remote-target@example.com SIP/2.0');
    });

    it(`3.1.2.11 ${T.escruri.title} (escruri): rejected (400)`, () => {
      rejected(() => parse(T.escruri), { code: 'request-uri', match: /must not contain URI headers/ });
    });

    it(`3.1.2.12 ${T.baddate.title} (baddate): accepted, the Date value is not interpreted by the message layer`, () => {
      expect(req(T.baddate).get('date')).to.equal('Fri, 01 Jan 2010 16:00:00 EST');
    });

    it(`3.1.2.13 ${T.regbadct.title} (regbadct): the Contact is rejected when used`, () => {
      const m = req(T.regbadct);
      rejected(() => m.contacts(), { code: 'value', header: 'contact', line: 8, match: /must be enclosed in <>/ });
    });

    it(`3.1.2.14 ${T.badaspec.title} (badaspec): accepted liberally, spaces inside <> ignored; parser does not break`, () => {
      const m = req(T.badaspec);
      expect(m.to().uri).to.include({ user: 't.watson', host: 'example.org' });
      expect(m.to().displayName).to.equal('Watson, Thomas');
      expect(m.from().displayName).to.equal('Bell, Alexander');
    });

    it(`3.1.2.15 ${T.baddn.title} (baddn): rejected (400)`, () => {
      rejected(() => parse(T.baddn), { code: 'value', header: 'from', line: 4, match: /display name "Bell, Alexander" .* must be quoted/ });
    });

    it(`3.1.2.16 ${T.badvers.title} (badvers): rejected with 505`, () => {
      rejected(() => parse(T.badvers), { code: 'version', status: 505, line: 1, match: /unsupported SIP version SIP\/7\.0/ });
    });

    it(`3.1.2.17 ${T.mismatch01.title} (mismatch01): rejected (400)`, () => {
      rejected(() => parse(T.mismatch01), { code: 'method-mismatch', status: 400, line: 6, match: /CSeq method INVITE does not match request method OPTIONS/ });
    });

    it(`3.1.2.18 ${T.mismatch02.title} (mismatch02): rejected with 501 (unknown method)`, () => {
      rejected(() => parse(T.mismatch02), { code: 'method-mismatch', status: 501, match: /NEWMETHOD/ });
    });

    it(`3.1.2.19 ${T.bigcode.title} (bigcode): rejected (dropped)`, () => {
      rejected(() => parse(T.bigcode), { code: 'status-code', match: /"4294967301" is not a number in 100\.\.699/ });
    });
  });

  describe('3.2-3.4 transaction and application layer messages: what the message layer gives the layers above', () => {
    it(`3.2.1 ${T.badbranch.title} (badbranch): parsed; the branch is the bare cookie, not an RFC 3261 identifier`, () => {
      const m = req(T.badbranch);
      expect(m.branch).to.equal('z9hG4bK');
      expect(isRfc3261Branch(m.branch)).to.equal(false);
    });

    it(`3.3.1 ${T.insuf.title} (insuf): rejected (400) naming the missing fields`, () => {
      rejected(() => parse(T.insuf), { code: 'missing-header', match: /missing mandatory header fields: From, To, Call-ID/ });
    });

    it(`3.3.2 ${T.unkscm.title} (unkscm): parsed, the URI kept opaque (the UAS answers 416)`, () => {
      const u = req(T.unkscm).requestUri();
      expect(u.scheme).to.equal('nobodyknowsthisscheme');
      expect(u.opaque).to.equal('totallyopaquecontent');
    });

    it(`3.3.3 ${T.novelsc.title} (novelsc): parsed`, () => {
      expect(req(T.novelsc).requestUri()).to.include({ scheme: 'soap.beep', opaque: '//192.0.2.103:3002' });
    });

    it(`3.3.4 ${T.unksm2.title} (unksm2): parsed, schemes available for a 416`, () => {
      const m = req(T.unksm2);
      expect(m.to().uri).to.include({ scheme: 'isbn', opaque: '2983792873' });
      expect(m.from().uri.scheme).to.equal('http');
      expect(m.contacts()[0]!.uri.scheme).to.equal('name');
    });

    it(`3.3.8 ${T.multi01.title} (multi01): rejected (400)`, () => {
      rejected(() => parse(T.multi01), { code: 'duplicate-header', header: 'cseq', line: 7, match: /CSeq appears more than once \(first on line 5\)/ });
    });

    it(`3.3.9 ${T.mcl01.title} (mcl01): rejected; on a stream the framing is lost`, () => {
      rejected(() => parse(T.mcl01), { code: 'duplicate-header', header: 'content-length', match: /Content-Length appears more than once/ });
      expect(new SipStreamFramer().push(T.mcl01.bytes).map((e) => e.type)).to.deep.equal(['error']);
    });

    it(`3.3.10 ${T.bcast.title} (bcast): parsed (dropping it is the transport's business)`, () => {
      expect((parse(T.bcast) as SipResponse).vias()[1]!.host).to.equal('255.255.255.255');
    });

    it(`3.3.11 ${T.zeromf.title} (zeromf): parsed, Max-Forwards 0`, () => {
      expect(req(T.zeromf).maxForwards()).to.equal(0);
    });

    it(`3.3.12 ${T.cparam01.title} (cparam01): without <> the parameter belongs to the Contact`, () => {
      const c = req(T.cparam01).contacts()[0]!;
      expect(c.params.get('unknownparam')).to.equal(null);
      expect(c.uri.params.size).to.equal(0);
    });

    it(`3.3.13 ${T.cparam02.title} (cparam02): inside <> it belongs to the URI`, () => {
      const c = req(T.cparam02).contacts()[0]!;
      expect(c.uri.params.get('unknownparam')).to.equal(null);
      expect(c.params.size).to.equal(0);
    });

    it(`3.3.14 ${T.regescrt.title} (regescrt): the escaped Route header of the Contact URI`, () => {
      const c = req(T.regescrt).contacts()[0]!;
      expect(unescapePercent(c.uri.headers.get('Route')!)).to.equal('<sip:sip.example.com>');
    });

    it(`3.4.1 ${T.inv2543.title} (inv2543): accepted: no branch, no From tag, no Content-Length, no Max-Forwards`, () => {
      const m = req(T.inv2543);
      expect(m.branch).to.equal(undefined);
      expect(m.fromTag).to.equal(undefined);
      expect(m.contentLength).to.equal(undefined);
      expect(m.maxForwards()).to.equal(undefined);
      expect(m.body.toString()).to.match(/^v=0\r\n[\s\S]*m=audio 49217 RTP\/AVP 0\r\n$/);
      expect(m.to().params.get('user')).to.equal('phone'); // addr-spec form: a header parameter
      expect(m.recordRoutes()[0]!.uri.params.get('maddr')).to.equal('ss1.example.com');
      // a stream cannot frame it
      const ev = new SipStreamFramer().push(T.inv2543.bytes);
      expect(ev).to.have.length(1);
      expect(ev[0]!.type === 'error' && ev[0]!.error.message).to.match(/Content-Length is mandatory on a stream/);
    });
  });
});
