// Hostile input. The codec and the framer: random bytes, mutated documented messages and random chunking give a
// CapfProtocolError or a message, never another exception; any typed message survives encode → decode. The server:
// random bytes and mutated valid messages at every step get END_SESSION 7 or a closed connection within the step
// timeouts, the server keeps serving, and the cluster state (pki generation, device settings, LSCs, CSR lists) is
// unchanged.
import { expect } from 'chai';
import fc from 'fast-check';
import { connect, type TLSSocket } from 'node:tls';
import { createPublicKey } from 'node:crypto';
import {
  CapfCommand as C,
  CapfFramer,
  CapfProtocolError,
  decodeMessage,
  encodeMessage,
  type CapfFields,
} from '../../engine/capf/capf-codec.js';
import { CapfConnection } from '../../engine/capf/capf-connection.js';
import { bench, phone, pooledKeys, type Bench } from './support.js';

function onlyProtocolErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof CapfProtocolError)) throw err;
  }
}

const samples: Buffer[] = [
  encodeMessage(C.AUTH_REQUEST, 1, { version: 3, authType: 0 }),
  encodeMessage(C.AUTH_RESPONSE, 1, { reason: 1, version: 3, deviceName: 'SEP001122334455', password: '1234' }),
  encodeMessage(C.AUTH_RESPONSE, 9, { reason: 1, version: 3, deviceName: 'SEP1', password: '', certificate: { type: 2, der: Buffer.alloc(40, 0x30) }, signedData: Buffer.alloc(64, 1), sha2SignedData: { hash: 3, signature: Buffer.alloc(64, 2) }, sudiData: { certificate: Buffer.alloc(20, 3), signatures: [{ hash: 1, signature: Buffer.alloc(8, 4) }, { hash: 3, signature: Buffer.alloc(8, 5) }] } }),
  encodeMessage(C.KEY_GENERATE_REQUEST, 2, { keyType: 1, curve: 2 }),
  encodeMessage(C.KEY_GENERATE_RESPONSE, 2, { publicKey: Buffer.alloc(91, 0x30) }),
  encodeMessage(C.STORE_CERTIFICATE_REQUEST, 3, { certificateType: 1, certificate: { type: 1, der: Buffer.alloc(100, 0x30) } }),
  encodeMessage(C.END_SESSION, 3, { reason: 9 }),
  encodeMessage(C.RETRY_LATER, 3, { retryDelay: 60 }),
];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(b: Buffer, ms: Mutation[]): Buffer {
  let out = Buffer.from(b);
  for (const m of ms) {
    const at = out.length ? m.at % out.length : 0;
    if (m.kind === 'flip' && out.length) out[at] = out[at]! ^ (1 << m.bit);
    else if (m.kind === 'set' && out.length) out[at] = m.value;
    else if (m.kind === 'truncate') out = out.subarray(0, at);
    else if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]);
  }
  return out;
}

const fieldsArb: fc.Arbitrary<CapfFields> = fc.record(
  {
    reason: fc.integer({ min: 0, max: 255 }),
    reasonInfo: fc.string({ maxLength: 20 }).filter((s) => !s.includes('\0')),
    certificateType: fc.integer({ min: 0, max: 255 }),
    certificate: fc.record({ type: fc.constantFrom(1, 2), der: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((u) => Buffer.from(u)) }),
    signedData: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((u) => Buffer.from(u)),
    version: fc.integer({ min: 0, max: 255 }),
    authType: fc.integer({ min: 0, max: 4 }),
    publicKey: fc.uint8Array({ minLength: 1, maxLength: 600 }).map((u) => Buffer.from(u)),
    keySize: fc.integer({ min: 0, max: 0xffff }),
    password: fc.string({ maxLength: 12 }).filter((s) => !s.includes('\0')),
    retryDelay: fc.integer({ min: 0, max: 0xffffffff }),
    deviceName: fc.string({ minLength: 0, maxLength: 20 }).filter((s) => !s.includes('\0')),
    sudiData: fc.record({
      certificate: fc.uint8Array({ minLength: 1, maxLength: 100 }).map((u) => Buffer.from(u)),
      signatures: fc.uniqueArray(fc.record({ hash: fc.constantFrom(1, 2, 3), signature: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((u) => Buffer.from(u)) }), { selector: (s) => s.hash, maxLength: 3 }),
    }),
    keyType: fc.integer({ min: 0, max: 1 }),
    curve: fc.integer({ min: 0, max: 2 }),
    sha2SignedData: fc.record({ hash: fc.integer({ min: 0, max: 255 }), signature: fc.uint8Array({ minLength: 1, maxLength: 100 }).map((u) => Buffer.from(u)) }),
  },
  { requiredKeys: [] },
);

describe('capf fuzz: codec and framer', function () {
  this.timeout(60_000);

  it('random bytes: a CapfProtocolError or a message, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (u, header) => {
        const bytes = header ? Buffer.concat([Buffer.from([0x55, u[0] ?? 1, 0, 0, 0, 1, 0, Math.max(0, u.length - 1) & 0xff]), Buffer.from(u.subarray(1))]) : Buffer.from(u);
        onlyProtocolErrors(() => decodeMessage(bytes));
      }),
      { numRuns: 2000, seed: 3804 },
    );
  });

  it('mutated documented messages: a CapfProtocolError or a message', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 4 }), (b, ms) => {
        const m = mutate(b, ms);
        onlyProtocolErrors(() => decodeMessage(m));
        onlyProtocolErrors(() => {
          const f = new CapfFramer();
          for (const raw of f.push(m)) onlyProtocolErrors(() => decodeMessage(raw));
          f.end();
        });
      }),
      { numRuns: 3000, seed: 2445 },
    );
  });

  it('random chunking of a stream: same messages, bounded buffer, only protocol errors on garbage', () => {
    const stream = Buffer.concat(samples);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 80 }), fc.option(fc.nat(), { nil: undefined }), (cuts, corruptAt) => {
        const data = Buffer.from(stream);
        if (corruptAt !== undefined) data[corruptAt % data.length] = 0x00;
        const f = new CapfFramer({ maxBodyLength: 4096 });
        const got: Buffer[] = [];
        let i = 0;
        let k = 0;
        try {
          while (i < data.length) {
            const n = cuts[k++ % cuts.length]!;
            got.push(...f.push(data.subarray(i, i + n)));
            expect(f.buffered).to.be.at.most(8 + 4096);
            i += n;
          }
        } catch (err) {
          expect(err).to.be.instanceOf(CapfProtocolError);
          return;
        }
        if (corruptAt === undefined) expect(Buffer.concat(got).equals(stream)).to.equal(true);
      }),
      { numRuns: 1000, seed: 5061 },
    );
  });

  it('any typed message survives encode → decode', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 23 }), fc.integer({ min: 0, max: 0xffffffff }), fieldsArb, (command, sid, fields) => {
        const wire = encodeMessage(command, sid, fields);
        const m = decodeMessage(wire);
        expect(m.command).to.equal(command);
        expect(m.sessionId).to.equal(sid);
        expect(m.fields).to.deep.equal(fields);
      }),
      { numRuns: 500, seed: 1 },
    );
  });
});

/** A raw TLS peer that reads CAPF messages and writes whatever bytes it is given. */
async function rawPeer(b: Bench): Promise<{ socket: TLSSocket; conn: CapfConnection; closed: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port: b.server.port, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  const conn = new CapfConnection(socket, { role: 'client' });
  return { socket, conn, closed };
}

function withinMs<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms))]);
}

describe('capf fuzz: the server', function () {
  this.timeout(60_000);
  const STRING_DEV = 'SEPF0F0F0F0F0F0';
  const NULL_DEVS = Array.from({ length: 8 }, (_, i) => `SEPAAAA0000000${i}`);

  it('random bytes and mutated messages at each step: END_SESSION 7 or a closed connection; still serving; state unchanged', async () => {
    const b = await bench({ server: { timeouts: { authResponseMs: 300, responseMs: 300, keyGenerationMs: 500, handshakeMs: 2000 }, maxMessageBodyLength: 8192 } });
    try {
      await b.store.configureDevice(STRING_DEV, { operation: 'install-upgrade', authMode: 'auth-string', authString: '55555' });
      for (const d of NULL_DEVS) await b.store.configureDevice(d, { operation: 'install-upgrade', authMode: 'null-string', rsaKeySize: 1024 });
      const snapshot = () =>
        JSON.stringify({
          gen: b.pki.generation,
          lscs: b.pki.lscs().map((l) => l.deviceName),
          devices: b.store.devices().map((d) => ({ n: d.deviceName, s: d.settings, i: d.installed, f: d.inFlight })),
          csrs: b.store.pendingCsrs(),
          stale: b.store.staleLscs(),
        });
      const before = snapshot();
      const spki = createPublicKey(pooledKeys({ keyType: 'RSA', keySize: 1024 })[0]!).export({ type: 'spki', format: 'der' });

      type Case = { stage: 'auth' | 'keygen'; payload: Buffer };
      const cases = fc.sample(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 300 }).map((u): Case => ({ stage: 'auth', payload: Buffer.from(u) })),
          fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms): Case => ({ stage: 'auth', payload: mutate(encodeMessage(C.AUTH_RESPONSE, 0, { reason: 1, version: 3, deviceName: STRING_DEV, password: '12345' }), ms) })),
          fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms): Case => ({ stage: 'keygen', payload: mutate(encodeMessage(C.KEY_GENERATE_RESPONSE, 0, { publicKey: Buffer.alloc(spki.length, 0x41) }), ms) })),
          fc.uint8Array({ minLength: 1, maxLength: 200 }).map((u): Case => ({ stage: 'keygen', payload: Buffer.from(u) })),
          fc.constant<Case>({ stage: 'auth', payload: Buffer.from('550200000000ffff', 'hex') }),
          fc.constant<Case>({ stage: 'auth', payload: Buffer.concat(Array.from({ length: 40 }, () => Buffer.from('551100000000 0000'.replace(/ /g, ''), 'hex'))) }),
        ),
        { numRuns: 48, seed: 42 },
      );

      const runCase = async (c: Case, device: string): Promise<void> => {
        const { socket, conn, closed } = await rawPeer(b);
        const first = await conn.receive(2000);
        expect(first.command).to.equal(C.AUTH_REQUEST);
        const sid = Buffer.alloc(4);
        sid.writeUInt32BE(first.sessionId);
        // Our mutations were built with session id 0: put the real one in where a header survived.
        const fix = (p: Buffer) => (p.length >= 6 && p[0] === 0x55 ? Buffer.concat([p.subarray(0, 2), sid, p.subarray(6)]) : p);
        if (c.stage === 'keygen') {
          conn.send(C.AUTH_RESPONSE, { reason: 1, version: 3, deviceName: device, password: '' });
          const req = await conn.receive(2000);
          expect(req.command).to.equal(C.KEY_GENERATE_REQUEST);
        }
        socket.write(fix(c.payload));
        socket.on('data', () => undefined);
        await withinMs(closed, 3000, 'the server closing the connection');
      };

      for (let i = 0; i < cases.length; i += NULL_DEVS.length) {
        await Promise.all(cases.slice(i, i + NULL_DEVS.length).map((c, j) => runCase(c, NULL_DEVS[j]!)));
      }
      await new Promise((r) => setTimeout(r, 50));
      const records = b.server.sessions();
      expect(records.length).to.be.at.least(cases.length);
      expect(records.every((r) => ['failed', 'refused', 'retry-later'].includes(r.outcome)), JSON.stringify(records.filter((r) => !['failed', 'refused', 'retry-later'].includes(r.outcome)))).to.equal(true);
      expect(records.filter((r) => r.endReason !== undefined).every((r) => r.endReason === 7 || r.endReason === 9 || r.endReason === 0)).to.equal(true);
      expect(snapshot()).to.equal(before);

      // Still serving.
      const ok = await phone(b, { deviceName: NULL_DEVS[0]!, authMode: 'null-string' });
      expect(ok.outcome.status, ok.outcome.detail).to.equal('installed');
    } finally {
      await b.close();
    }
  });

  it('garbage instead of TLS, and a TLS peer that never speaks, are dropped without a session', async () => {
    const b = await bench({ server: { timeouts: { handshakeMs: 300, authResponseMs: 200 } } });
    try {
      const { connect: tcp } = await import('node:net');
      const s = tcp(b.server.port, '127.0.0.1');
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      s.write('REGISTER sip:cucm SIP/2.0\r\n\r\n');
      await withinMs(new Promise<void>((r) => s.on('close', () => r())), 3000, 'close after garbage');
      const idle = tcp(b.server.port, '127.0.0.1');
      idle.on('error', () => undefined);
      idle.on('data', () => undefined);
      await withinMs(new Promise<void>((r) => idle.on('close', () => r())), 3000, 'close of an idle TCP peer');
      expect(b.store.journal().some((j) => j.step === 'tls' && j.outcome === 'failed')).to.equal(true);
    } finally {
      await b.close();
    }
  });
});
