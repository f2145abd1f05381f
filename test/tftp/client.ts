// A minimal TFTP read client for the tests, on our own codec: option negotiation, block rollover, and hooks to
// misbehave (drop a DATA packet, stop acknowledging, send garbage mid-transfer).
import dgram from 'node:dgram';
import { decodeTftpPacket, encodeTftpPacket, type TftpMode, type TftpPacket } from '../../engine/tftp/index.js';

export interface GetOptions {
  port: number;
  host?: string;
  mode?: TftpMode;
  options?: [string, string][];
  /** Do not acknowledge these absolute block numbers the first time they arrive (forces a retransmission). */
  dropOnce?: number[];
  /** Stop answering after this many DATA packets (the server must time out). */
  stopAfter?: number;
  /** Give up after this long; default 10 s. */
  timeoutMs?: number;
  /** Called for each packet received (absolute block number for DATA); may return a datagram to send instead of the ACK. */
  onPacket?: (p: TftpPacket, socket: dgram.Socket, serverPort: number) => Buffer | undefined | void;
}

export interface GetResult {
  data: Buffer;
  oack?: Map<string, string>;
  error?: { code: number; message: string };
  blocks: number;
  /** Port the transfer came from (the server's TID). */
  serverPort?: number;
  packets: TftpPacket[];
  timedOut?: boolean;
}

export function tftpGet(filename: string, o: GetOptions): Promise<GetResult> {
  const host = o.host ?? '127.0.0.1';
  const socket = dgram.createSocket('udp4');
  const chunks: Buffer[] = [];
  const packets: TftpPacket[] = [];
  const dropped = new Set<number>();
  let blksize = 512;
  let expected = 1; // absolute number of the next block we want
  let serverPort: number | undefined;
  let oack: Map<string, string> | undefined;
  let dataCount = 0;
  return new Promise((resolve) => {
    const finish = (extra: Partial<GetResult> = {}) => {
      clearTimeout(timer);
      socket.close();
      resolve({ data: Buffer.concat(chunks), blocks: expected - 1, packets, ...(oack ? { oack } : {}), ...(serverPort ? { serverPort } : {}), ...extra });
    };
    const timer = setTimeout(() => finish({ timedOut: true }), o.timeoutMs ?? 10_000);
    const send = (b: Buffer, then?: () => void) => socket.send(b, serverPort ?? o.port, host, () => then?.());
    socket.on('message', (msg, rinfo) => {
      serverPort ??= rinfo.port;
      if (rinfo.port !== serverPort) return;
      let p: TftpPacket;
      try {
        p = decodeTftpPacket(msg);
      } catch (e) {
        return finish({ error: { code: -1, message: (e as Error).message } });
      }
      if (packets.length < 64) packets.push(p);
      const custom = o.onPacket?.(p, socket, serverPort);
      if (custom) {
        send(custom);
        return;
      }
      if (p.op === 'ERROR') return finish({ error: { code: p.code, message: p.message } });
      if (p.op === 'OACK') {
        oack = new Map(p.options.map(([n, v]) => [n, v] as [string, string]));
        blksize = Number(oack.get('blksize') ?? 512);
        send(encodeTftpPacket({ op: 'ACK', block: 0 }));
        return;
      }
      if (p.op !== 'DATA') return finish({ error: { code: -2, message: `unexpected ${p.op}` } });
      dataCount++;
      if (o.stopAfter !== undefined && dataCount > o.stopAfter) return;
      if (p.block === (expected & 0xffff)) {
        if (o.dropOnce?.includes(expected) && !dropped.has(expected)) {
          dropped.add(expected);
          return;
        }
        chunks.push(Buffer.from(p.data));
        expected++;
        // The last ACK must leave before the socket closes.
        send(encodeTftpPacket({ op: 'ACK', block: p.block }), p.data.length < blksize ? () => finish() : undefined);
      } else if (p.block === ((expected - 1) & 0xffff)) {
        send(encodeTftpPacket({ op: 'ACK', block: p.block })); // our ACK was lost: acknowledge again
      }
    });
    socket.bind(0, '127.0.0.1', () => send(encodeTftpPacket({ op: 'RRQ', filename, mode: o.mode ?? 'octet', options: o.options ?? [] })));
  });
}
