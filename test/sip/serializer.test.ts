// Serializer and builders: round trips, Content-Length, responses per RFC 3261 8.2.6.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  Params,
  type SipMessage,
  SipRequest,
  type SipResponse,
  buildRequest,
  createResponse,
  formatNameAddr,
  formatUri,
  formatVia,
  parseNameAddr,
  parseSipMessage,
  parseUri,
  parseVia,
  serializeMessage,
} from '../../engine/sip/message/index.js';
import { INVITE, REGISTER } from '../../bench/sip/messages.js';
import * as T from './fixtures/rfc4475.js';
import { nameAddr, sipMessage, sipUri, snapshot, via } from './support/arbitraries.js';

/** What a message means, independent of spelling: start line, fields by canonical key, parsed addresses, body. */
function semantics(m: SipMessage): unknown {
  return {
    start: m.startLine(),
    fields: m.headers.filter((h) => h.key !== 'content-length').map((h) => [h.key, h.value]),
    callId: m.callId,
    cseq: m.cseq,
    branch: m.branch,
    tags: [m.fromTag, m.toTag],
    vias: m.vias().map(formatVia),
    from: formatNameAddr(m.from()),
    to: formatNameAddr(m.to()),
    body: m.body.toString('hex'),
  };
}

describe('SIP serializer and builders', () => {
  it('parse(serialize(x)) gives x back (property)', () => {
    fc.assert(
      fc.property(sipMessage, (m) => {
        const again = parseSipMessage(serializeMessage(m), { transport: 'stream' });
        expect(snapshot(again)).to.deep.equal(snapshot(m));
        expect([again.callId, again.cseq, again.branch, again.fromTag, again.toTag]).to.deep.equal([m.callId, m.cseq, m.branch, m.fromTag, m.toTag]);
      }),
      { numRuns: 300 },
    );
  });

  it('serialize(parse(m)) keeps the meaning of every valid RFC 4475 message', () => {
    for (const t of [T.wsinv, T.intmeth, T.esc01, T.escnull, T.esc02, T.lwsdisp, T.longreq, T.semiuri, T.transports, T.mpart01, T.unreason, T.noreason, T.trws, T.badaspec, T.inv2543]) {
      const m = parseSipMessage(t.bytes);
      const again = parseSipMessage(serializeMessage(m), { transport: 'stream' });
      expect(semantics(again), t.name).to.deep.equal(semantics(m));
    }
  });

  it('serializes the benchmark messages back to the same bytes', () => {
    for (const s of [REGISTER, INVITE]) expect(serializeMessage(parseSipMessage(s)).toString()).to.equal(s);
  });

  it('writes a Content-Length that matches the body, in place of the old one', () => {
    const m = parseSipMessage(INVITE);
    m.body = Buffer.from('v=0\r\n');
    const out = serializeMessage(m).toString();
    expect(out).to.match(/\r\nContent-Length: 5\r\n\r\nv=0\r\n$/);
    expect(out.match(/Content-Length/g)).to.have.length(1);
    m.removeHeader('content-length');
    expect(serializeMessage(m).toString()).to.match(/\r\nContent-Length: 5\r\n\r\n/);
  });

  it('formats and re-parses URIs, addresses and Vias unchanged (property)', () => {
    fc.assert(
      fc.property(sipUri, nameAddr(fc.option(fc.constant('t1'), { nil: undefined })), via, (u, na, v) => {
        expect(parseUri(formatUri(u))).to.deep.equal(u);
        const na2 = parseNameAddr(formatNameAddr(na));
        expect(formatNameAddr(na2)).to.equal(formatNameAddr(na));
        expect(na2.displayName).to.equal(na.displayName);
        expect(parseVia(formatVia(v))).to.deep.equal(v);
      }),
      { numRuns: 300 },
    );
  });

  describe('buildRequest', () => {
    const headers = {
      Via: 'SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bKb1',
      From: { displayName: 'Alice, "A"', uri: parseUri('sip:alice@example.com'), params: new Params([['tag', 'ft']]) },
      To: '<sip:bob@example.com>',
      'Call-ID': 'cid-1',
      CSeq: { seq: 5, method: 'INVITE' },
      'Max-Forwards': 70,
      Contact: ['<sip:alice@192.0.2.1:5061;transport=tls>', '<sip:alice@198.51.100.1>'],
      'Content-Type': 'application/sdp',
    };

    it('keeps the given order, formats structured values, puts the computed Content-Length last', () => {
      const r = buildRequest({ method: 'INVITE', uri: 'sip:bob@example.com', headers, body: 'v=0\r\n' });
      const text = serializeMessage(r).toString();
      expect(text).to.equal(
        'INVITE sip:bob@example.com SIP/2.0\r\n' +
          'Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bKb1\r\n' +
          'From: "Alice, \\"A\\"" <sip:alice@example.com>;tag=ft\r\n' +
          'To: <sip:bob@example.com>\r\n' +
          'Call-ID: cid-1\r\n' +
          'CSeq: 5 INVITE\r\n' +
          'Max-Forwards: 70\r\n' +
          'Contact: <sip:alice@192.0.2.1:5061;transport=tls>\r\n' +
          'Contact: <sip:alice@198.51.100.1>\r\n' +
          'Content-Type: application/sdp\r\n' +
          'Content-Length: 5\r\n\r\nv=0\r\n',
      );
      expect(r.fromTag).to.equal('ft');
      expect(r.from().displayName).to.equal('Alice, "A"');
    });

    it('refuses input that would make a broken or ambiguous message', () => {
      expect(() => buildRequest({ method: 'INVITE', uri: 'sip:bob@example.com', headers: { ...headers, 'Content-Type': [] } as never, body: 'x' })).to.throw(TypeError, /needs a Content-Type/);
      expect(() => buildRequest({ method: 'INVITE', uri: 'sip:bob@example.com', headers: { ...headers, Subject: 'a\r\nVia: evil' } })).to.throw(TypeError, /CR or LF/);
      expect(() => buildRequest({ method: 'INVITE', uri: 'sip:bob@example.com', headers: { ...headers, 'Bad Name': 'x' } })).to.throw(TypeError, /not a token/);
      expect(() => buildRequest({ method: 'IN VITE', uri: 'sip:bob@example.com', headers })).to.throw(TypeError, /not a token/);
      expect(() => buildRequest({ method: 'INVITE', uri: 'sip:bob@example.com x', headers })).to.throw(TypeError, /Request-URI/);
      expect(() => buildRequest({ method: 'BYE', uri: 'sip:bob@example.com', headers })).to.throw(/CSeq method INVITE does not match request method BYE/);
    });
  });

  describe('createResponse (RFC 3261 8.2.6)', () => {
    const invite = (extra = ''): SipRequest =>
      parseSipMessage(
        INVITE.replace('Max-Forwards: 70\r\n', `Max-Forwards: 70\r\nVia: SIP/2.0/TLS 198.51.100.7:5061;branch=z9hG4bKsecond\r\nRecord-Route: <sip:p1.example.com;lr>\r\nTimestamp: 54\r\n${extra}`),
      ) as SipRequest;

    it('copies Via (all, in order), From, To, Call-ID and CSeq, adds a To tag and computes Content-Length', () => {
      const req = invite();
      const r = createResponse(req, 486);
      expect([r.status, r.reason]).to.deep.equal([486, 'Busy Here']);
      expect(r.getAll('via')).to.deep.equal(req.getAll('via'));
      expect(r.get('from')).to.equal(req.get('from'));
      expect([r.callId, r.cseq, r.fromTag]).to.deep.equal([req.callId, req.cseq, req.fromTag]);
      expect(r.toTag).to.match(/^[0-9a-f]{16}$/);
      expect(r.get('to')).to.equal(`${req.get('to')};tag=${r.toTag}`);
      expect(r.has('record-route')).to.equal(false); // a failure establishes no dialog
      expect(r.has('timestamp')).to.equal(false);
      expect(r.has('max-forwards')).to.equal(false);
      expect(r.get('content-length')).to.equal('0');
    });

    it('uses the given tag, keeps an existing one, adds none to 100 Trying, which copies Timestamp', () => {
      const req = invite();
      expect(createResponse(req, 180, { toTag: 'mytag' }).toTag).to.equal('mytag');
      const trying = createResponse(req, 100);
      expect(trying.toTag).to.equal(undefined);
      expect(trying.get('timestamp')).to.equal('54');
      const inDialog = parseSipMessage(serializeMessage(req).toString().replace('To: <sip:1002@cucm.example.com>', 'To: <sip:1002@cucm.example.com>;tag=xyz')) as SipRequest;
      expect(createResponse(inDialog, 200).toTag).to.equal('xyz');
    });

    it('copies Record-Route into responses that can establish a dialog, and adds given fields and body', () => {
      const req = invite();
      const r = createResponse(req, 200, {
        toTag: 'tt',
        headers: [['Contact', '<sip:1002@10.1.1.30:5061;transport=tls>'], ['Content-Type', 'application/sdp']],
        body: 'v=0\r\n',
      }) as SipResponse;
      expect(r.recordRoutes().map((x) => formatNameAddr(x))).to.deep.equal(['<sip:p1.example.com;lr>']);
      expect(r.headers.map((h) => h.key)).to.deep.equal(['via', 'from', 'to', 'call-id', 'via', 'record-route', 'cseq', 'contact', 'content-type', 'content-length']);
      expect(serializeMessage(r).toString()).to.match(/^SIP\/2\.0 200 OK\r\n[\s\S]*Content-Length: 5\r\n\r\nv=0\r\n$/);
      const reg = parseSipMessage(REGISTER.replace('Max-Forwards: 70\r\n', 'Max-Forwards: 70\r\nRecord-Route: <sip:p1.example.com;lr>\r\n')) as SipRequest;
      expect(createResponse(reg, 200).has('record-route')).to.equal(false);
    });
  });
});
