// Hostile input over TLS. To the TVS server: random bytes, mutated valid requests, a stalled message, too many
// connections, plain TCP on the TLS port; each gets a protocol error (journaled, connection closed) or an answer, the
// server keeps serving and the cluster's trust stores stay as they were. To the phones' client: hostile answers.
import { expect } from 'chai';
import fc from 'fast-check';
import net from 'node:net';
import tls from 'node:tls';
import type { ClusterPki } from '../../engine/pki/index.js';
import { decodeResponse, encodeRequest, encodeResponse, TvsClient, TvsFramer, TvsServer, tvsTlsProfile, TVS_HEADER_LENGTH } from '../../engine/tvs/index.js';
import { captureLogs, cluster, rawExchange } from './support.js';

const DEVICE = 'CP-7841-SEP001122334455';

/** A complete TVS message is in `data`. */
function hasMessage(data: Buffer): boolean {
  return data.length >= TVS_HEADER_LENGTH && data.length >= TVS_HEADER_LENGTH + data.readUInt16BE(8);
}

describe('TVS server under hostile input', function () {
  let pki: ClusterPki;
  let server: TvsServer;
  let snapshot: string;
  let valid: Buffer;

  const trustState = () => JSON.stringify({ generation: pki.generation, stores: pki.describe().trustStores });
  const stillServes = async () => {
    const v = await new TvsClient({ members: [{ host: '127.0.0.1', port: server.port }], deviceName: DEVICE }).verify(pki.certificate('CallManager').der);
    expect(v.status, JSON.stringify(v)).to.equal('valid');
  };
  /** What a reply may be: nothing (closed) or one decodable answer. */
  const acceptable = (o: { data: Buffer; closed: boolean }) => {
    if (o.data.length === 0) return expect(o.closed, 'no reply and not closed').to.equal(true);
    const [m] = new TvsFramer().push(o.data);
    expect(m, `partial reply ${o.data.toString('hex')}`).to.exist;
    expect(['valid', 'invalid']).to.include(decodeResponse(m!).status);
  };

  before(async () => {
    pki = await cluster('cucm-pub');
    server = TvsServer.forCluster(pki, { host: '127.0.0.1', port: 0, idleTimeoutMs: 150, maxMessageBytes: 4096, maxRequestsPerConnection: 4, maxConnections: 8 });
    await server.start();
    snapshot = trustState();
    valid = encodeRequest({ sessionId: 0x01020304, deviceName: DEVICE, certificate: pki.certificate('TVS').der });
  });
  after(async () => {
    await server?.stop();
  });
  afterEach(() => {
    expect(trustState(), 'trust stores changed').to.equal(snapshot);
  });

  it('closes on random bytes (or answers, if they happen to form a request), and keeps serving', async () => {
    await captureLogs(async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 400 }), async (bytes) => {
          acceptable(await rawExchange(server.port, [Buffer.from(bytes)], hasMessage, { end: true }));
        }),
        { numRuns: 40 },
      );
    });
    await stillServes();
    expect(server.stats.errors).to.be.greaterThan(0);
  });

  it('closes on mutated valid requests (bytes changed, cut, extended, split) or answers them', async () => {
    const mutation = fc.record({
      edits: fc.array(fc.tuple(fc.nat({ max: 60 }), fc.nat({ max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat({ max: valid.length }), { nil: undefined }),
      extra: fc.uint8Array({ maxLength: 20 }),
      split: fc.nat({ max: valid.length }),
    });
    const before = server.stats;
    await captureLogs(async () => {
      await fc.assert(
        fc.asyncProperty(mutation, async ({ edits, cut, extra, split }) => {
          const b = Buffer.concat([valid, extra]);
          for (const [i, v] of edits) b[i % b.length] = v;
          const bytes = cut === undefined ? b : b.subarray(0, cut);
          acceptable(await rawExchange(server.port, [bytes.subarray(0, split), bytes.subarray(split)].filter((c) => c.length), hasMessage, { end: true }));
        }),
        { numRuns: 100 },
      );
    });
    const after = server.stats;
    expect(after.valid + after.invalid + after.errors).to.be.greaterThan(before.valid + before.invalid + before.errors);
    await stillServes();
  });

  it('journals the reason of each refusal with its offset', async () => {
    server.clearJournal();
    const bad = Buffer.from(valid);
    bad[13] = 0x02; // DEVICE_NAME prefix byte
    const o = await captureLogs(() => rawExchange(server.port, [bad], hasMessage));
    expect(o.result).to.deep.equal({ data: Buffer.alloc(0), closed: true });
    const e = server.journal.at(-1)!;
    expect(e.outcome).to.equal('error');
    expect(e.error).to.deep.include({ code: 'DEVICE_NAME', offset: 13 });
    expect(e.sessionId).to.equal(0x01020304);
    expect(o.lines.join('\n')).to.match(/refused, connection closed: TVS DEVICE_NAME at offset 13: prefix byte 0x02/);
  });

  it('refuses an oversized message from its header, a changed session id, and too many requests', async () => {
    server.clearJournal();
    await captureLogs(async () => {
      const big = Buffer.from(valid.subarray(0, TVS_HEADER_LENGTH));
      big.writeUInt16BE(60000, 8);
      expect((await rawExchange(server.port, [big], hasMessage)).closed).to.equal(true);
      const other = Buffer.from(valid);
      other.writeUInt32BE(99, 4);
      const two = await rawExchange(server.port, [Buffer.concat([valid, other])], () => false);
      expect(new TvsFramer().push(two.data)).to.have.length(1); // the first answered, then closed
      const five = await rawExchange(server.port, [Buffer.concat([valid, valid, valid, valid, valid])], () => false);
      expect(new TvsFramer().push(five.data)).to.have.length(4);
    });
    expect(server.journal.filter((e) => e.outcome === 'error').map((e) => e.error!.code)).to.deep.equal(['LENGTH', 'SESSION', 'TOO_MANY_REQUESTS']);
  });

  it('closes a connection that stalls in the middle of a message (idle timeout) or ends there', async () => {
    server.clearJournal();
    const o = await captureLogs(() => rawExchange(server.port, [valid.subarray(0, 20)], hasMessage));
    expect(o.result.closed).to.equal(true);
    expect(server.journal.at(-1)!.error!.code).to.equal('TIMEOUT');
    const e = await captureLogs(() => rawExchange(server.port, [valid.subarray(0, 20)], hasMessage, { end: true }));
    expect(e.result.closed).to.equal(true);
    expect(server.journal.at(-1)!.error).to.deep.include({ code: 'TRUNCATED', message: 'TVS the phone ended the connection 20 byte(s) into a message' });
  });

  it('bounds simultaneous connections and survives plain TCP on the TLS port', async () => {
    const open: net.Socket[] = [];
    try {
      await captureLogs(async () => {
        for (let i = 0; i < 8; i++) {
          const s = net.connect(server.port, '127.0.0.1');
          s.on('error', () => undefined);
          await new Promise((r) => s.once('connect', r));
          open.push(s);
        }
        // The ninth is dropped by the server.
        const ninth = net.connect(server.port, '127.0.0.1');
        ninth.on('error', () => undefined);
        await new Promise((r) => ninth.once('close', r));
        expect(server.stats.dropped).to.be.greaterThan(0);
        // Plain bytes where a ClientHello belongs: a handshake failure, logged.
        open[0]!.write('REGISTER sip:cucm SIP/2.0\r\n\r\n');
        await new Promise((r) => open[0]!.once('close', r));
      });
    } finally {
      for (const s of open) s.destroy();
    }
    expect(server.stats.handshakeFailures).to.be.greaterThan(0);
    // Let the server see the closes before the next phone comes (bounded wait, not a timing assertion).
    for (let i = 0; i < 200 && server.stats.active > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.stats.active).to.equal(0);
    await stillServes();
  });

  it('survives a trust source that throws: that connection is closed, the service stays up', async () => {
    const broken = new TvsServer({ trust: { lookup: () => { throw new Error('database gone'); } }, credentials: pki.tlsCredentials('TVS'), host: '127.0.0.1', port: 0 });
    await broken.start();
    try {
      const { result } = await captureLogs(() => rawExchange(broken.port, [valid], hasMessage));
      expect(result.closed).to.equal(true);
      expect(broken.journal.at(-1)!.error).to.deep.include({ code: 'TRUST_SOURCE', message: 'database gone' });
      expect(broken.listening).to.equal(true);
    } finally {
      await broken.stop();
    }
  });
});

describe('TVS client under hostile answers', function () {
  let pki: ClusterPki;
  let fake: tls.Server;
  let port: number;
  /** What the fake TVS answers to the next request (its session id is patched in when `echo` is set). */
  let reply: { bytes: Buffer; echo: boolean } = { bytes: Buffer.alloc(0), echo: false };

  before(async () => {
    pki = await cluster('cucm-pub');
    const p = tvsTlsProfile();
    fake = tls.createServer({ ...pki.tlsCredentials('TVS'), ciphers: p.ciphers, minVersion: p.minVersion, maxVersion: p.maxVersion }, (s) => {
      const framer = new TvsFramer();
      s.on('error', () => undefined);
      s.on('data', (d: Buffer) => {
        const [m] = framer.push(d);
        if (!m) return;
        const out = Buffer.from(reply.bytes);
        if (reply.echo && out.length >= 8) out.writeUInt32BE(m.header.sessionId, 4);
        s.end(out);
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
    port = (fake.address() as net.AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((r) => fake.close(() => r()));
  });

  it('turns random and mutated answers into a protocol error, a closed attempt or a verdict, never an exception', async () => {
    const client = new TvsClient({ members: [{ host: '127.0.0.1', port }], deviceName: DEVICE, responseTimeoutMs: 2000 });
    const good = encodeResponse({ kind: 'verify', sessionId: 0, status: 'valid', roles: ['CCM+TFTP'], ttlSeconds: 60 });
    const answer = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => ({ bytes: Buffer.from(b), echo: false })),
      fc.tuple(fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.nat({ max: 255 })), { maxLength: 3 }), fc.nat({ max: good.length })).map(([edits, cut]) => {
        const b = Buffer.from(good);
        for (const [i, v] of edits) if (i < 4 || i > 7) b[i] = v;
        return { bytes: b.subarray(0, cut), echo: true };
      }),
    );
    await captureLogs(async () => {
      await fc.assert(
        fc.asyncProperty(answer, async (a) => {
          reply = a;
          const v = await client.verify(pki.certificate('CallManager').der);
          if (v.status === 'unreachable') expect(['protocol-error', 'closed']).to.include(v.attempts[0]!.outcome);
          else expect(v.attempts[0]!.outcome).to.equal('answered');
        }),
        { numRuns: 60 },
      );
    });
    reply = { bytes: good, echo: false };
    const { result } = await captureLogs(() => client.verify(pki.certificate('CallManager').der));
    expect(result.attempts[0]!.outcome).to.equal('protocol-error'); // session id 0 is not the request's
    expect(result.attempts[0]!.reason).to.match(/SESSION|session id 0/);
  });
});
