// Stream framing (RFC 3261 18.3) and CRLF keepalives (RFC 5626 3.5.1).
import { expect } from 'chai';
import fc from 'fast-check';
import {
  type FramerEvent,
  PING,
  PONG,
  type SipRequest,
  SipStreamFramer,
  parseSipMessage,
  serializeMessage,
} from '../../engine/sip/message/index.js';
import { INVITE, REGISTER } from '../../bench/sip/messages.js';
import { sipMessage, snapshot } from './support/arbitraries.js';

function feed(framer: SipStreamFramer, data: Buffer, cuts: number[]): FramerEvent[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: FramerEvent[] = [];
  let prev = 0;
  for (const p of [...points, data.length]) {
    out.push(...framer.push(data.subarray(prev, p)));
    prev = p;
  }
  return out;
}
const kinds = (ev: FramerEvent[]): string[] => ev.map((e) => (e.type === 'message' ? `message:${e.message.callId}` : e.type));

describe('SIP stream framer', () => {
  it('yields the same messages for any split of a concatenation of messages and pings (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(sipMessage, fc.boolean()), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (items, cuts) => {
          const parts: Buffer[] = [];
          const expected: Array<string | ReturnType<typeof snapshot>> = [];
          for (const [m, ping] of items) {
            if (ping) {
              parts.push(PING);
              expected.push('ping');
            }
            parts.push(serializeMessage(m));
            expected.push(snapshot(m));
          }
          const stream = Buffer.concat(parts);
          const framer = new SipStreamFramer();
          const events = feed(framer, stream, cuts);
          const got = events.map((e) => (e.type === 'message' ? snapshot(e.message) : e.type));
          expect(got).to.deep.equal(expected);
          // each message's bytes are exactly its serialization
          const bytes = events.flatMap((e) => (e.type === 'message' ? [e.bytes.toString('hex')] : []));
          expect(bytes).to.deep.equal(items.map(([m]) => serializeMessage(m).toString('hex')));
          expect(framer.bufferedBytes).to.equal(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('frames the benchmark messages byte by byte', () => {
    const stream = Buffer.from(REGISTER + INVITE + REGISTER);
    const framer = new SipStreamFramer();
    const ev: FramerEvent[] = [];
    for (let i = 0; i < stream.length; i++) ev.push(...framer.push(stream.subarray(i, i + 1)));
    expect(ev.map((e) => (e.type === 'message' ? (e.message as SipRequest).method : e.type))).to.deep.equal(['REGISTER', 'INVITE', 'REGISTER']);
    expect(ev[1]!.type === 'message' && ev[1]!.message.body.toString()).to.equal(parseSipMessage(INVITE).body.toString());
  });

  describe('keepalives', () => {
    it('server role: CRLF CRLF is a ping, even split in two; a lone CRLF before a message is ignored', () => {
      const f = new SipStreamFramer();
      expect(f.push(PING)).to.deep.equal([{ type: 'ping' }]);
      expect(f.push(PONG)).to.deep.equal([]);
      expect(f.push(PONG)).to.deep.equal([{ type: 'ping' }]);
      expect(kinds(f.push(Buffer.concat([PONG, Buffer.from(REGISTER)])))).to.deep.equal([`message:${parseSipMessage(REGISTER).callId}`]);
      expect(kinds(f.push(Buffer.concat([PING, PING, Buffer.from(REGISTER), PING])))).to.deep.equal([
        'ping', 'ping', `message:${parseSipMessage(REGISTER).callId}`, 'ping',
      ]);
      expect(f.bufferedBytes).to.equal(0);
    });

    it('client role: each CRLF between messages is a pong, reported at once', () => {
      const f = new SipStreamFramer({ role: 'client' });
      expect(f.push(PONG)).to.deep.equal([{ type: 'pong' }]);
      expect(f.push(Buffer.from('\r'))).to.deep.equal([]);
      expect(f.push(Buffer.from('\n'))).to.deep.equal([{ type: 'pong' }]);
      expect(kinds(f.push(Buffer.concat([Buffer.from(REGISTER), PONG])))).to.deep.equal([`message:${parseSipMessage(REGISTER).callId}`, 'pong']);
    });
  });

  describe('errors and limits', () => {
    it('refuses a message without Content-Length, then keeps reporting the error', () => {
      const noCl = REGISTER.replace('Content-Length: 0\r\n', '');
      const f = new SipStreamFramer();
      const ev = f.push(Buffer.from(noCl));
      expect(ev).to.have.length(1);
      expect(ev[0]!.type).to.equal('error');
      expect(f.error!.message).to.match(/Content-Length is mandatory on a stream transport/);
      expect(f.push(Buffer.from(REGISTER))).to.deep.equal([{ type: 'error', error: f.error }]);
      expect(f.bufferedBytes).to.equal(0);
    });

    it('refuses a message over maxMessageBytes as soon as its header says so, before buffering the body', () => {
      const f = new SipStreamFramer({ maxMessageBytes: 4096 });
      const head = REGISTER.replace('Content-Length: 0', 'Content-Length: 1000000').replace('Expires: 3600\r\n', 'Content-Type: text/plain\r\n');
      const ev = f.push(Buffer.from(head));
      expect(ev[0]!.type === 'error' && ev[0]!.error).to.include({ code: 'framing', status: 513 });
      expect(f.error!.message).to.match(/exceeds the 4096-byte limit/);
      expect(f.bufferedBytes).to.equal(0);
    });

    it('refuses a header section that does not end within maxHeaderBytes', () => {
      const f = new SipStreamFramer({ maxHeaderBytes: 1024 });
      expect(f.push(Buffer.from('INVITE sip:a@b SIP/2.0\r\nX: ' + 'y'.repeat(900)))).to.deep.equal([]);
      expect(f.bufferedBytes).to.be.below(1024);
      const ev = f.push(Buffer.from('z'.repeat(200)));
      expect(ev[0]!.type === 'error' && ev[0]!.error.message).to.match(/no end of header section within 1024 bytes/);
    });

    it('skips a message whose content is bad but whose length is clear, and goes on', () => {
      const bad = REGISTER.replace('CSeq: 101 REGISTER', 'CSeq: 101 INVITE');
      const f = new SipStreamFramer();
      const ev = f.push(Buffer.from(bad + INVITE));
      expect(ev.map((e) => e.type)).to.deep.equal(['invalid', 'message']);
      const inv = ev[0] as Extract<FramerEvent, { type: 'invalid' }>;
      expect(inv.error).to.include({ code: 'method-mismatch', status: 400 });
      expect(inv.bytes.toString()).to.equal(bad);
      expect(f.error).to.equal(undefined);
    });

    it('gives stream offsets in framing errors', () => {
      const f = new SipStreamFramer();
      f.push(Buffer.from(REGISTER));
      const ev = f.push(Buffer.from('\rX'));
      expect(ev[0]!.type === 'error' && ev[0]!.error).to.include({ offset: Buffer.byteLength(REGISTER) });
    });

    it('garbage never makes it hold more than its limits (memory bounded), and every failure is a framing error', () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 60 }), fc.boolean(), (chunks, withCrlf) => {
          let f = new SipStreamFramer({ maxHeaderBytes: 2048, maxMessageBytes: 4096 });
          for (const c of chunks) {
            const data = withCrlf ? Buffer.concat([Buffer.from(c), Buffer.from('\r\n\r\n')]) : Buffer.from(c);
            const ev = f.push(data);
            for (const e of ev) if (e.type === 'error') expect(e.error.name).to.equal('SipParseError');
            expect(f.bufferedBytes).to.be.below(4096);
            if (f.error) f = new SipStreamFramer({ maxHeaderBytes: 2048, maxMessageBytes: 4096 });
          }
        }),
        { numRuns: 100 },
      );
    });
  });
});
