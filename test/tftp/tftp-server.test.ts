// The TFTP server with our own client: negotiation, new TID per transfer, retransmission and timeouts, block
// rollover, refusals with the right error codes, bounded transfers, and fuzzed datagrams that never stop it serving.
import { expect } from 'chai';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { decodeTftpPacket, encodeTftpPacket, fromNetascii, TftpServer, type TftpFileResult, type TftpServerOptions, type TransferRecord } from '../../engine/tftp/index.js';
import { tftpGet } from './client.js';
import { quietLogs } from './fixtures.js';

const files = new Map<string, Buffer>([
  ['small.bin', Buffer.from('hello, phone')],
  ['exact.bin', randomBytes(1024)],
  ['big.bin', randomBytes(200_000)],
  ['text.txt', Buffer.from('line one\nline two\r\nend')],
  // 65 537 blocks of 8 bytes plus a short last one: block numbers wrap past 65535.
  ['rollover.bin', randomBytes(8 * 65_537 + 3)],
]);

function resolver(name: string): TftpFileResult {
  if (name === 'secret') return { status: 'forbidden', reason: 'not for you' };
  if (name === 'boom') throw new Error('disk on fire');
  const f = files.get(name);
  return f ? { status: 'ok', body: f } : { status: 'not-found', reason: `no such file: ${name}` };
}

async function withServer(o: Partial<TftpServerOptions>, fn: (server: TftpServer, port: number) => Promise<void>): Promise<void> {
  const server = new TftpServer({ port: 0, address: '127.0.0.1', resolve: resolver, ...o });
  const { port } = await server.start();
  try {
    await fn(server, port);
  } finally {
    await server.stop();
  }
}

function nextTransfer(server: TftpServer): Promise<TransferRecord> {
  return new Promise((r) => server.once('transfer', r));
}

/** Sends raw datagrams from one socket and collects what comes back for a while. */
async function exchange(port: number, datagrams: Buffer[], waitMs = 150): Promise<{ from: number; bytes: Buffer }[]> {
  const s = dgram.createSocket('udp4');
  const got: { from: number; bytes: Buffer }[] = [];
  s.on('message', (m, r) => got.push({ from: r.port, bytes: m }));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  for (const d of datagrams) s.send(d, port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, waitMs));
  s.close();
  return got;
}

describe('tftp: server', function () {
  quietLogs();

  it('serves a file in 512-byte blocks from a new transfer ID, with no options', async () => {
    await withServer({}, async (server, port) => {
      const done = nextTransfer(server);
      const r = await tftpGet('small.bin', { port });
      expect(r.error).to.equal(undefined);
      expect(r.data.equals(files.get('small.bin')!)).to.equal(true);
      expect(r.oack).to.equal(undefined);
      expect(r.serverPort).to.not.equal(port);
      const rec = await done;
      expect(rec.outcome).to.equal('completed');
      expect(rec.bytes).to.equal(12);
    });
  });

  it('ends a file that fills its last block with an empty DATA packet', async () => {
    await withServer({}, async (_s, port) => {
      const r = await tftpGet('exact.bin', { port });
      expect(r.data.equals(files.get('exact.bin')!)).to.equal(true);
      expect(r.blocks).to.equal(3);
      const last = r.packets.at(-1)!;
      expect(last.op === 'DATA' && last.data.length).to.equal(0);
    });
  });

  it('negotiates blksize, tsize and timeout in an OACK and ignores unknown options', async () => {
    await withServer({}, async (server, port) => {
      const done = nextTransfer(server);
      const r = await tftpGet('big.bin', { port, options: [['blksize', '1428'], ['tsize', '0'], ['timeout', '2'], ['windowsize', '8']] });
      expect([...r.oack!.entries()]).to.deep.equal([
        ['blksize', '1428'],
        ['timeout', '2'],
        ['tsize', '200000'],
      ]);
      expect(r.data.equals(files.get('big.bin')!)).to.equal(true);
      const rec = await done;
      expect(rec.negotiated).to.deep.equal({ blksize: 1428, timeout: 2, tsize: 200000 });
      expect(rec.blocks).to.equal(Math.floor(200000 / 1428) + 1);
    });
  });

  it('grants at most its own maximum block size', async () => {
    await withServer({ maxBlksize: 1024 }, async (_s, port) => {
      const r = await tftpGet('big.bin', { port, options: [['blksize', '65464']] });
      expect(r.oack!.get('blksize')).to.equal('1024');
      expect(r.data.equals(files.get('big.bin')!)).to.equal(true);
    });
  });

  it('rolls block numbers over past 65535 (blksize 8, 65 538 blocks)', async function () {
    this.timeout(60_000);
    await withServer({}, async (server, port) => {
      const done = nextTransfer(server);
      const r = await tftpGet('rollover.bin', { port, options: [['blksize', '8']], timeoutMs: 50_000 });
      expect(r.error).to.equal(undefined);
      expect(r.data.equals(files.get('rollover.bin')!)).to.equal(true);
      expect(r.blocks).to.equal(65_538);
      const rec = await done;
      expect(rec.outcome).to.equal('completed');
      expect(rec.blocks).to.equal(65_538);
    });
  });

  it('converts netascii transfers', async () => {
    await withServer({}, async (_s, port) => {
      const r = await tftpGet('text.txt', { port, mode: 'netascii' });
      expect(r.data.toString('latin1')).to.equal('line one\r\nline two\r\0\r\nend');
      expect(fromNetascii(r.data).equals(files.get('text.txt')!)).to.equal(true);
    });
  });

  it('retransmits a DATA packet whose ACK does not come, and not on duplicate ACKs', async () => {
    await withServer({ retransmitMs: 300 }, async (server, port) => {
      const done = nextTransfer(server);
      let data3 = 0;
      const r = await tftpGet('big.bin', {
        port,
        dropOnce: [2],
        onPacket: (p, socket, tid) => {
          if (p.op !== 'DATA' || p.block !== 3) return;
          // Acknowledge block 2 a second time: the server must not answer a duplicate ACK with block 3 again.
          if (++data3 === 1) socket.send(encodeTftpPacket({ op: 'ACK', block: 2 }), tid, '127.0.0.1');
        },
      });
      expect(r.data.equals(files.get('big.bin')!)).to.equal(true);
      expect(data3).to.equal(1);
      const rec = await done;
      expect(rec.retransmissions).to.equal(1);
    });
  });

  it('gives up after its retries when the client goes silent', async () => {
    await withServer({ retransmitMs: 30, maxRetries: 2 }, async (server, port) => {
      const done = nextTransfer(server);
      const r = await tftpGet('big.bin', { port, stopAfter: 1, timeoutMs: 400 });
      expect(r.timedOut).to.equal(true);
      const rec = await done;
      expect(rec.outcome).to.equal('timeout');
      expect(rec.retransmissions).to.equal(2);
      expect(server.activeTransfers).to.equal(0);
    });
  });

  it('answers refusals with the RFC 1350 error codes', async () => {
    await withServer({}, async (_s, port) => {
      const nf = await tftpGet('nothing.here', { port });
      expect(nf.error).to.deep.equal({ code: 1, message: 'File not found: no such file: nothing.here' });
      expect((await tftpGet('secret', { port })).error?.code).to.equal(2);
      expect((await tftpGet('boom', { port })).error).to.deep.include({ code: 0 });
      expect((await tftpGet('small.bin', { port, mode: 'mail' })).error?.code).to.equal(4);
      const bad = await tftpGet('small.bin', { port, options: [['blksize', '4']] });
      expect(bad.error?.code).to.equal(8);
      expect(bad.error?.message).to.match(/blksize/);
      const [wrq] = await exchange(port, [encodeTftpPacket({ op: 'WRQ', filename: 'ITLFile.tlv', mode: 'octet', options: [] })]);
      expect(decodeTftpPacket(wrq!.bytes)).to.deep.include({ op: 'ERROR', code: 2 });
    });
  });

  it('answers a packet from another TID with ERROR 5 and goes on with the transfer', async () => {
    await withServer({}, async (server, port) => {
      const done = nextTransfer(server);
      let intruder: Promise<{ from: number; bytes: Buffer }[]> | undefined;
      const r = await tftpGet('big.bin', {
        port,
        onPacket: (p, _socket, tid) => {
          if (p.op === 'DATA' && p.block === 5 && !intruder) intruder = exchange(tid, [encodeTftpPacket({ op: 'ACK', block: 5 })], 100);
        },
      });
      expect(r.data.equals(files.get('big.bin')!)).to.equal(true);
      expect((await done).outcome).to.equal('completed');
      const replies = await intruder!;
      expect(replies).to.have.length(1);
      expect(decodeTftpPacket(replies[0]!.bytes)).to.deep.include({ op: 'ERROR', code: 5 });
    });
  });

  it('ends a transfer on ERROR from the client, and on a malformed packet with ERROR 4', async () => {
    await withServer({}, async (server, port) => {
      let done = nextTransfer(server);
      await tftpGet('big.bin', { port, timeoutMs: 300, onPacket: (p) => (p.op === 'DATA' && p.block === 2 ? encodeTftpPacket({ op: 'ERROR', code: 0, message: 'user cancelled' }) : undefined) });
      let rec = await done;
      expect(rec.outcome).to.equal('aborted');
      expect(rec.reason).to.match(/user cancelled/);

      done = nextTransfer(server);
      const r = await tftpGet('big.bin', { port, timeoutMs: 300, onPacket: (p) => (p.op === 'DATA' && p.block === 2 ? Buffer.from([0, 4, 0]) : undefined) });
      rec = await done;
      expect(rec.outcome).to.equal('error');
      expect(rec.reason).to.match(/block number/);
      expect(r.error).to.deep.include({ code: 4 });
      expect(server.activeTransfers).to.equal(0);
    });
  });

  it('bounds concurrent transfers and ignores a retransmitted request', async () => {
    await withServer({ maxTransfers: 2, retransmitMs: 200, maxRetries: 1 }, async (server, port) => {
      const a = tftpGet('big.bin', { port, stopAfter: 0, timeoutMs: 300 });
      const b = tftpGet('big.bin', { port, stopAfter: 0, timeoutMs: 300 });
      await new Promise((r) => setTimeout(r, 50));
      expect(server.activeTransfers).to.equal(2);
      const c = await tftpGet('small.bin', { port });
      expect(c.error?.code).to.equal(0);
      expect(c.error?.message).to.match(/busy/);
      await Promise.all([a, b]);
      while (server.activeTransfers > 0) await new Promise((r) => setTimeout(r, 20));

      // The same request twice from one TID starts one transfer.
      const before = server.stats.requests;
      const rrq = encodeTftpPacket({ op: 'RRQ', filename: 'small.bin', mode: 'octet', options: [] });
      const got = await exchange(port, [rrq, rrq], 100);
      expect(got.filter((g) => decodeTftpPacket(g.bytes).op === 'DATA')).to.have.length.of.at.least(1);
      expect(server.stats.requests - before).to.equal(1);
    });
  });

  it('fuzz: random datagrams to the request port and to a transfer never stop it serving', async function () {
    this.timeout(60_000);
    await withServer({ retransmitMs: 50, maxRetries: 1, maxErrorRepliesPerSecond: 20 }, async (server, port) => {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      const opcodeFirst = fc.tuple(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 80 })).map(([op, rest]) => Buffer.concat([Buffer.from([0, op]), Buffer.from(rest)]));
      const wellFormedJunk = fc.oneof(
        fc.record({ filename: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme-ascii' }).filter((x) => !/[\0-\x1f\x7f]/.test(x)), blk: fc.integer({ min: 0, max: 70000 }) }).map(({ filename, blk }) =>
          encodeTftpPacket({ op: 'RRQ', filename, mode: 'octet', options: [['blksize', String(blk)]] }),
        ),
        fc.integer({ min: 0, max: 65535 }).map((block) => encodeTftpPacket({ op: 'ACK', block })),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof(fc.uint8Array({ maxLength: 120 }).map((u) => Buffer.from(u)), opcodeFirst, wellFormedJunk), { minLength: 1, maxLength: 20 }), async (datagrams) => {
          for (const d of datagrams) s.send(d, port, '127.0.0.1');
          await new Promise((r) => setImmediate(r));
        }),
        { numRuns: 150 },
      );
      s.close();
      expect(server.stats.malformed).to.be.greaterThan(0);
      // Garbage into a live transfer from its own peer: the transfer ends (or ignores it and goes on), nothing leaks.
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 60 }).map((u) => Buffer.from(u)), opcodeFirst), async (garbage) => {
          const done = nextTransfer(server);
          let sent = false;
          await tftpGet('big.bin', {
            port,
            timeoutMs: 300,
            onPacket: (p) => {
              if (p.op === 'DATA' && p.block === 2 && !sent) {
                sent = true;
                return garbage;
              }
              return undefined;
            },
          });
          const rec = await done;
          expect(['completed', 'error', 'aborted', 'timeout']).to.include(rec.outcome);
        }),
        { numRuns: 25 },
      );
      // Still serving, and no transfer leaked.
      const r = await tftpGet('big.bin', { port, options: [['blksize', '1024'], ['tsize', '0']] });
      expect(r.data.equals(files.get('big.bin')!)).to.equal(true);
      await new Promise((r2) => setTimeout(r2, 200));
      expect(server.activeTransfers).to.equal(0);
    });
  });
});
