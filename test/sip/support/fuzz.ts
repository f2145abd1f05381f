// Fuzzing helpers shared by the in-process properties and the hang-guard worker: run every entry point of the
// message layer on some bytes and fail on anything but a SipParseError.
import {
  type SipMessage,
  SipParseError,
  SipStreamFramer,
  parseSdp,
  parseSipMessage,
  serializeMessage,
} from '../../../engine/sip/message/index.js';
import { INVITE, REGISTER } from '../../../bench/sip/messages.js';
import * as T from '../fixtures/rfc4475.js';

/** Valid messages to mutate. */
export const CORPUS: Buffer[] = [
  Buffer.from(REGISTER),
  Buffer.from(INVITE),
  ...[T.wsinv, T.intmeth, T.esc01, T.escnull, T.esc02, T.lwsdisp, T.longreq, T.dblreq, T.semiuri, T.transports, T.mpart01, T.unreason, T.noreason, T.badbranch, T.inv2543, T.regescrt].map((t) => t.bytes),
];

function tolerate(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
  }
}

/** Every lazy accessor, and a serialize/re-parse that must give the same message. */
export function exerciseMessage(m: SipMessage): void {
  tolerate(() => m.from());
  tolerate(() => m.to());
  tolerate(() => m.vias());
  tolerate(() => m.contacts());
  tolerate(() => m.hasWildcardContact());
  tolerate(() => m.routes());
  tolerate(() => m.recordRoutes());
  tolerate(() => m.maxForwards());
  tolerate(() => m.expires());
  tolerate(() => m.contentType());
  if (m.kind === 'request') tolerate(() => m.requestUri());
  for (const h of m.headers) tolerate(() => m.values(h.name));
  if (m.contentType() === 'application/sdp') tolerate(() => parseSdp(m.body));
  const again = parseSipMessage(serializeMessage(m), { transport: 'stream' });
  const pic = (x: SipMessage): string =>
    JSON.stringify([x.startLine(), x.headers.filter((h) => h.key !== 'content-length').map((h) => [h.name, h.value]), x.body.toString('hex')]);
  if (pic(again) !== pic(m)) throw new Error(`re-serialized message differs:\n${pic(m)}\n${pic(again)}`);
}

/** Parse as a datagram; 'ok' or 'rejected'; anything else thrown is a bug. */
export function exerciseDatagram(data: Buffer): 'ok' | 'rejected' {
  let m: SipMessage;
  try {
    m = parseSipMessage(data);
  } catch (e) {
    if (e instanceof SipParseError) return 'rejected';
    throw e;
  }
  exerciseMessage(m);
  return 'ok';
}

export const FRAMER_LIMITS = { maxHeaderBytes: 4096, maxMessageBytes: 8192 };

/** Feed a stream in the given chunk sizes, starting a new framer after each framing error (a new connection). */
export function exerciseStream(data: Buffer, sizes: number[]): { messages: number; errors: number; maxBuffered: number } {
  let f = new SipStreamFramer(FRAMER_LIMITS);
  let pos = 0;
  let k = 0;
  const r = { messages: 0, errors: 0, maxBuffered: 0 };
  while (pos < data.length) {
    const n = Math.max(1, sizes.length ? (sizes[k++ % sizes.length] as number) : data.length);
    for (const e of f.push(data.subarray(pos, pos + n))) {
      if (e.type === 'message') {
        r.messages++;
        exerciseMessage(e.message);
      } else if (e.type === 'error' || e.type === 'invalid') {
        if (!(e.error instanceof SipParseError)) throw new Error(`framer reported a non-SipParseError: ${String(e.error)}`);
        if (e.type === 'error') r.errors++;
      }
    }
    r.maxBuffered = Math.max(r.maxBuffered, f.bufferedBytes);
    if (f.bufferedBytes > FRAMER_LIMITS.maxMessageBytes) throw new Error(`framer holds ${f.bufferedBytes} bytes`);
    if (f.error) f = new SipStreamFramer(FRAMER_LIMITS);
    pos += n;
  }
  return r;
}

export type Mutation = { kind: 'flip' | 'insert' | 'delete' | 'duplicate' | 'truncate' | 'special'; at: number; len: number; byte: number };
const SPECIAL = [0x00, 0x0d, 0x0a, 0x20, 0x09, 0x22, 0x5c, 0x3c, 0x3e, 0x3b, 0x2c, 0x3a, 0x3d, 0x40, 0x25, 0xff, 0xc3];

export function mutate(base: Buffer, muts: Mutation[]): Buffer {
  let b = base;
  for (const m of muts) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    const len = 1 + (m.len % 32);
    switch (m.kind) {
      case 'flip': {
        b = Buffer.from(b);
        b[at] = (b[at] as number) ^ (1 << (m.byte % 8));
        break;
      }
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.alloc(len, m.byte), b.subarray(at)]);
        break;
      case 'special':
        b = Buffer.concat([b.subarray(0, at), Buffer.from([SPECIAL[m.byte % SPECIAL.length] as number]), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

/** A small deterministic PRNG (mulberry32) for the worker batch. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS: Mutation['kind'][] = ['flip', 'insert', 'delete', 'duplicate', 'truncate', 'special'];

/** One batch of random and mutated inputs through the datagram parser and the framer; returns counts. */
export function fuzzBatch(seed: number, iterations: number): { ok: number; rejected: number; streamed: number } {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const r = { ok: 0, rejected: 0, streamed: 0 };
  for (let i = 0; i < iterations; i++) {
    let data: Buffer;
    if (i % 4 === 0) {
      data = Buffer.alloc(int(2048));
      for (let j = 0; j < data.length; j++) data[j] = int(256);
    } else {
      const muts: Mutation[] = Array.from({ length: 1 + int(8) }, () => ({ kind: KINDS[int(KINDS.length)] as Mutation['kind'], at: int(1 << 16), len: int(64), byte: int(256) }));
      data = mutate(CORPUS[int(CORPUS.length)] as Buffer, muts);
    }
    r[exerciseDatagram(data)]++;
    const stream = Buffer.concat([data, CORPUS[int(CORPUS.length)] as Buffer, data]);
    r.streamed += exerciseStream(stream, Array.from({ length: 1 + int(5) }, () => 1 + int(700))).messages;
  }
  return r;
}
