// The phone's TFTP client against engine/tftp's server (and against a hand-made server for the odd cases): option
// negotiation, plain RFC 1350 transfers, errors, size bounds, a refused option, a stray TID, a silent server.
import { expect } from 'chai';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { TftpServer, decodeTftpPacket, encodeTftpPacket } from '../../engine/tftp/index.js';
import { tftpGet, TftpClientError } from '../../endpoints/index.js';
import { quietLogs } from './support.js';

describe('endpoints: TFTP client', function () {
  this.timeout(20_000);
  quietLogs();
  const files = new Map<string, Buffer>([
    ['big.bin', randomBytes(100_000)],
    ['exact.bin', randomBytes(1024)],
  ]);
  let server: TftpServer;
  before(async () => {
    server = new TftpServer({
      port: 0,
      address: '127.0.0.1',
      resolve: (name) => {
        const f = files.get(name);
        return f ? { status: 'ok', body: f } : name === 'secret' ? { status: 'forbidden', reason: 'no' } : { status: 'not-found', reason: `no such file: ${name}` };
      },
    });
    await server.start();
  });
  after(async () => {
    await server.stop();
  });

  it('negotiates blksize and tsize and gets the whole file', async () => {
    const r = await tftpGet('big.bin', { host: '127.0.0.1', port: server.port, blksize: 1428 });
    expect(r.data.equals(files.get('big.bin')!)).to.equal(true);
    expect(r.blksize).to.equal(1428);
    expect(r.negotiated).to.deep.equal({ blksize: '1428', tsize: '100000' });
    expect(r.blocks).to.equal(Math.floor(100_000 / 1428) + 1);
  });

  it('without options: 512-byte blocks, and a file that is an exact multiple ends with an empty block', async () => {
    const r = await tftpGet('exact.bin', { host: '127.0.0.1', port: server.port });
    expect(r.data.equals(files.get('exact.bin')!)).to.equal(true);
    expect(r).to.include({ blksize: 512, blocks: 3 });
    expect(r.negotiated).to.deep.equal({});
  });

  it('maps server errors: not found, access violation', async () => {
    const notFound = await tftpGet('nope.bin', { host: '127.0.0.1', port: server.port, blksize: 1428 }).catch((e: unknown) => e);
    expect(notFound).to.be.instanceOf(TftpClientError);
    expect(notFound).to.include({ failure: 'not-found', tftpCode: 1 });
    expect((notFound as Error).message).to.match(/^TFTP nope\.bin: server error 1: /);
    expect(await tftpGet('secret', { host: '127.0.0.1', port: server.port }).catch((e: TftpClientError) => e.failure)).to.equal('access-violation');
  });

  it('refuses a file larger than allowed from its tsize, before any data', async () => {
    const e = (await tftpGet('big.bin', { host: '127.0.0.1', port: server.port, blksize: 1428, maxBytes: 50_000 }).catch((x: unknown) => x)) as TftpClientError;
    expect(e.failure).to.equal('too-large');
    expect(e.message).to.match(/100000 bytes, more than the 50000 accepted/);
    const e2 = (await tftpGet('big.bin', { host: '127.0.0.1', port: server.port, maxBytes: 50_000 }).catch((x: unknown) => x)) as TftpClientError;
    expect(e2.failure, 'no tsize without options: counted while receiving').to.equal('too-large');
  });

  it('times out on a silent server after its retransmissions', async () => {
    const silent = dgram.createSocket('udp4');
    let requests = 0;
    silent.on('message', () => requests++);
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const e = (await tftpGet('x', { host: '127.0.0.1', port: (silent.address() as AddressInfo).port, retransmitMs: 50, retries: 2 }).catch((x: unknown) => x)) as TftpClientError;
    silent.close();
    expect(e.failure).to.equal('timeout');
    expect(requests).to.equal(3);
  });

  it('asks again without options after ERROR 8, and answers a stray TID with ERROR 5', async () => {
    // A minimal RFC 1350-only server: refuses options; after its first block, another socket sends a block too.
    const srv = dgram.createSocket('udp4');
    const stray = dgram.createSocket('udp4');
    const strayGot: number[] = [];
    stray.on('message', (m) => {
      const p = decodeTftpPacket(m);
      if (p.op === 'ERROR') strayGot.push(p.code);
    });
    const seen: string[] = [];
    let finalAck: () => void = () => undefined;
    const gotFinalAck = new Promise<void>((r) => (finalAck = r));
    const first = Buffer.alloc(512, 0x61);
    srv.on('message', (m, rinfo) => {
      const p = decodeTftpPacket(m);
      seen.push(p.op === 'RRQ' ? `RRQ${p.options.length ? '+options' : ''}` : `${p.op}${'block' in p ? p.block : ''}`);
      const to = (b: Buffer) => srv.send(b, rinfo.port, rinfo.address);
      if (p.op === 'RRQ' && p.options.length) to(encodeTftpPacket({ op: 'ERROR', code: 8, message: 'no options' }));
      else if (p.op === 'RRQ') to(encodeTftpPacket({ op: 'DATA', block: 1, data: first }));
      else if (p.op === 'ACK' && p.block === 1) {
        stray.send(encodeTftpPacket({ op: 'DATA', block: 2, data: Buffer.from('evil') }), rinfo.port, rinfo.address);
        setTimeout(() => to(encodeTftpPacket({ op: 'DATA', block: 2, data: Buffer.from('end') })), 30);
      } else if (p.op === 'ACK' && p.block === 2) finalAck();
    });
    await new Promise<void>((r) => srv.bind(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => stray.bind(0, '127.0.0.1', () => r()));
    try {
      const r = await tftpGet('f', { host: '127.0.0.1', port: (srv.address() as AddressInfo).port, blksize: 1024 });
      expect(r.optionsRefused).to.equal(true);
      expect(r.data.equals(Buffer.concat([first, Buffer.from('end')]))).to.equal(true);
      await gotFinalAck;
      expect(seen).to.deep.equal(['RRQ+options', 'RRQ', 'ACK1', 'ACK2']);
      expect(strayGot).to.deep.equal([5]);
    } finally {
      srv.close();
      stray.close();
    }
  });
});
