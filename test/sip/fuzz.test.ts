// Fuzzing the SIP message layer: random bytes and mutated valid messages never make it throw anything but
// SipParseError, never make it hang, and never make the framer hold more than its limits.
// Runs are bounded; raise them with SIP_FUZZ_RUNS=n.
import { expect } from 'chai';
import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { SipStreamFramer, serializeMessage } from '../../engine/sip/message/index.js';
import { sipMessage } from './support/arbitraries.js';
import { CORPUS, FRAMER_LIMITS, type Mutation, exerciseDatagram, exerciseStream, fuzzBatch, mutate } from './support/fuzz.js';

const RUNS = Number(process.env.SIP_FUZZ_RUNS ?? 300);

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'insert', 'delete', 'duplicate', 'truncate', 'special'),
  at: fc.nat(1 << 16),
  len: fc.nat(64),
  byte: fc.nat(255),
});

/** Bytes that look like SIP: header names, separators, quotes, brackets, folding, digits. */
const sipish: fc.Arbitrary<Buffer> = fc
  .array(
    fc.constantFrom(
      'INVITE ', 'SIP/2.0', ' ', '\r\n', '\r\n ', '\r\n\r\n', ':', ';', ',', '"', '\\', '<', '>', '=', '@', 'sip:', 'sips:', 'tel:',
      '[2001:db8::1]', 'Via: ', 'v: ', 'From: ', 'To: ', 'Call-ID: ', 'CSeq: ', 'Contact: ', 'l: ', 'Content-Length: ', '0', '1', '70',
      '4294967296', 'tag=', 'branch=z9hG4bK', 'SIP/2.0/TLS ', 'host.example', '*', '%', '%00', '?', '&', 'é', '\x00', '\t',
    ),
    { maxLength: 80 },
  )
  .map((parts) => Buffer.from(parts.join(''), 'utf8'));

describe('SIP message layer fuzzing', () => {
  it('random bytes: parsed or refused with SipParseError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (b) => void exerciseDatagram(Buffer.from(b))), { numRuns: RUNS });
  });

  it('SIP-looking token soup: parsed or refused with SipParseError; what parses re-serializes stably', () => {
    fc.assert(fc.property(sipish, (b) => void exerciseDatagram(b)), { numRuns: RUNS * 3 });
  });

  it('mutated valid messages (flips, inserts, deletes, duplicates, truncation, separators)', () => {
    let ok = 0;
    fc.assert(
      fc.property(fc.nat(CORPUS.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 }), (i, muts) => {
        if (exerciseDatagram(mutate(CORPUS[i]!, muts)) === 'ok') ok++;
      }),
      { numRuns: RUNS * 3 },
    );
    expect(ok, 'some mutants should still parse').to.be.above(0);
  });

  it('mutated streams in random chunks: the framer only reports SipParseErrors and stays within its limits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(sipMessage, fc.array(mutation, { maxLength: 3 })), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 8 }),
        (items, sizes) => {
          const stream = Buffer.concat(items.map(([m, muts]) => mutate(serializeMessage(m), muts)));
          const r = exerciseStream(stream, sizes);
          expect(r.maxBuffered).to.be.at.most(FRAMER_LIMITS.maxMessageBytes);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a 60 KB message dribbled one byte at a time is framed (growth is amortised, not quadratic)', () => {
    const body = Buffer.alloc(60000, 0x61);
    const head = Buffer.from(`MESSAGE sip:a@h.example SIP/2.0\r\nVia: SIP/2.0/TCP h.example;branch=z9hG4bK1\r\nFrom: <sip:b@h.example>;tag=1\r\nTo: <sip:a@h.example>\r\nCall-ID: dribble\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`);
    const data = Buffer.concat([head, body]);
    const f = new SipStreamFramer();
    let got = 0;
    for (let i = 0; i < data.length; i++) for (const e of f.push(data.subarray(i, i + 1))) if (e.type === 'message' && e.message.body.equals(body)) got++;
    expect(got).to.equal(1);
  });

  it('garbage streamed for a while keeps the framer bounded (several MB through fresh framers)', () => {
    const r = exerciseStream(
      Buffer.concat(Array.from({ length: 48 }, (_, i) => mutate(Buffer.concat(CORPUS), [{ kind: 'flip', at: i * 7919, len: 0, byte: i }, { kind: 'insert', at: i * 104729, len: 31, byte: i }]))),
      [1, 17, 256, 1400, 9000],
    );
    expect(r.maxBuffered).to.be.at.most(FRAMER_LIMITS.maxMessageBytes);
    expect(r.messages).to.be.above(0);
  });

  it('never hangs: a deterministic fuzz batch in a worker finishes (hang guard)', async function () {
    this.timeout(120000);
    const entry = new URL('./support/fuzz-worker.ts', import.meta.url).href;
    const worker = new Worker(`import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`, {
      eval: true,
      workerData: { seed: 0x5eed, iterations: Math.max(200, RUNS) },
    });
    // Generous: the batch takes well under a second; only an endless loop gets near this.
    const deadline = 90000;
    const result = await new Promise<{ done: boolean; error?: string; result?: { ok: number; rejected: number } }>((resolve, reject) => {
      const timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error(`fuzz batch still running after ${deadline / 1000} s: a parser loop does not terminate`));
      }, deadline);
      worker.once('message', (m) => {
        clearTimeout(timer);
        void worker.terminate();
        resolve(m as { done: boolean });
      });
      worker.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    expect(result.error).to.equal(undefined);
    expect(result.done).to.equal(true);
    expect(result.result!.ok + result.result!.rejected).to.equal(Math.max(200, RUNS));
  });

  it('fuzzBatch is deterministic for a seed', () => {
    expect(fuzzBatch(7, 30)).to.deep.equal(fuzzBatch(7, 30));
  });
});
