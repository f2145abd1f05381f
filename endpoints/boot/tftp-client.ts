// The phone's TFTP read client (RFC 1350) with option negotiation (RFC 2347: blksize RFC 2348, tsize RFC 2349), on
// engine/tftp's wire codec: lock-step DATA/ACK from the server's transfer port, retransmission of the last packet on
// silence, block rollover, a size bound, and an ERROR 5 to any other port that writes to us. Never hangs: every wait
// has a timeout and the whole transfer a deadline.
import dgram from 'node:dgram';
import { isIP, isIPv6 } from 'node:net';
import { decodeTftpPacket, encodeTftpPacket, TftpErrorCode, TftpPacketError, type TftpPacket } from '../../engine/tftp/tftp-packets.js';

export interface TftpGetOptions {
  host: string;
  /** Default 69. */
  port?: number;
  /** blksize to ask for (RFC 2348, 8..65464); 0 or undefined = no option (512-byte blocks). */
  blksize?: number;
  /** Ask for tsize (RFC 2349) so an oversized file is refused before it is sent. Default true with options. */
  tsize?: boolean;
  /** Wait for each packet before retransmitting; default 1000 ms. */
  retransmitMs?: number;
  /** Retransmissions of one packet before giving up; default 5. */
  retries?: number;
  /** Whole transfer deadline; default 30 s. */
  timeoutMs?: number;
  /** Largest file accepted; default 4 MiB. */
  maxBytes?: number;
}

export type TftpFailure = 'not-found' | 'access-violation' | 'server-error' | 'timeout' | 'too-large' | 'protocol-error' | 'network-error';

export class TftpClientError extends Error {
  constructor(
    readonly failure: TftpFailure,
    readonly filename: string,
    detail: string,
    /** The server's TFTP error code, when it sent ERROR. */
    readonly tftpCode?: number,
  ) {
    super(`TFTP ${filename}: ${detail}`);
    this.name = 'TftpClientError';
  }
}

export interface TftpGetResult {
  data: Buffer;
  /** Block size in use (512 unless the server acknowledged blksize). */
  blksize: number;
  /** Options the server acknowledged (OACK). */
  negotiated: Record<string, string>;
  blocks: number;
  retransmissions: number;
  /** True when the server refused our options (ERROR 8) and the request was repeated without them. */
  optionsRefused: boolean;
  serverPort: number;
}

const DEFAULT_MAX = 4 * 1024 * 1024;

function failureOfCode(code: number): TftpFailure {
  if (code === TftpErrorCode.FILE_NOT_FOUND) return 'not-found';
  if (code === TftpErrorCode.ACCESS_VIOLATION) return 'access-violation';
  return 'server-error';
}

/** Downloads one file. Rejects with TftpClientError (never an unhandled socket error). */
export async function tftpGet(filename: string, o: TftpGetOptions): Promise<TftpGetResult> {
  const wantOptions = !!o.blksize;
  try {
    return await attempt(filename, o, wantOptions);
  } catch (e) {
    // RFC 2347: a server that refuses the options answers ERROR 8; ask again without them.
    if (wantOptions && e instanceof TftpClientError && e.tftpCode === TftpErrorCode.OPTION_REFUSED) {
      const r = await attempt(filename, o, false);
      return { ...r, optionsRefused: true };
    }
    throw e;
  }
}

function attempt(filename: string, o: TftpGetOptions, withOptions: boolean): Promise<TftpGetResult> {
  const port = o.port ?? 69;
  const maxBytes = o.maxBytes ?? DEFAULT_MAX;
  const retransmitMs = o.retransmitMs ?? 1000;
  const retries = o.retries ?? 5;
  const options: [string, string][] = [];
  if (withOptions) {
    const b = o.blksize!;
    if (!Number.isInteger(b) || b < 8 || b > 65464) throw new RangeError(`blksize ${b} is outside 8..65464 (RFC 2348)`);
    options.push(['blksize', String(b)]);
    if (o.tsize !== false) options.push(['tsize', '0']);
  }
  const socket = dgram.createSocket(isIPv6(o.host) ? 'udp6' : 'udp4');
  return new Promise<TftpGetResult>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let blksize = 512;
    let expected = 1; // absolute number of the next block
    let serverPort: number | undefined;
    const negotiated: Record<string, string> = {};
    let last: Buffer = encodeTftpPacket({ op: 'RRQ', filename, mode: 'octet', options });
    let tries = 0;
    let retransmissions = 0;
    let done = false;
    let waitTimer: NodeJS.Timeout | undefined;

    const finish = (err?: TftpClientError, result?: TftpGetResult) => {
      if (done) return;
      done = true;
      clearTimeout(waitTimer);
      clearTimeout(deadline);
      socket.close();
      if (err) reject(err);
      else resolve(result!);
    };
    const fail = (failure: TftpFailure, detail: string, code?: number) => finish(new TftpClientError(failure, filename, detail, code));
    const deadline = setTimeout(() => fail('timeout', `transfer not complete within ${o.timeoutMs ?? 30_000} ms`), o.timeoutMs ?? 30_000);

    const send = (b: Buffer, to = serverPort ?? port) => socket.send(b, to, o.host);
    const arm = () => {
      clearTimeout(waitTimer);
      waitTimer = setTimeout(() => {
        if (done) return;
        if (++tries > retries) return fail('timeout', `no answer after ${retries} retransmissions (${retransmitMs} ms each)${serverPort ? '' : ` from ${o.host}:${port}`}`);
        retransmissions++;
        send(last);
        arm();
      }, retransmitMs);
    };
    const sendAndWait = (b: Buffer) => {
      last = b;
      tries = 0;
      send(b);
      arm();
    };
    const abort = (code: number, message: string, failure: TftpFailure, detail: string) => {
      if (serverPort) send(encodeTftpPacket({ op: 'ERROR', code, message }));
      fail(failure, detail);
    };

    socket.on('error', (e) => fail('network-error', e.message));
    socket.on('message', (msg, rinfo) => {
      if (done) return;
      if (isIP(o.host) && rinfo.address !== o.host) return;
      if (serverPort === undefined) serverPort = rinfo.port;
      else if (rinfo.port !== serverPort) {
        // RFC 1350: a packet from another TID gets ERROR 5 and the transfer goes on.
        socket.send(encodeTftpPacket({ op: 'ERROR', code: TftpErrorCode.UNKNOWN_TID, message: 'unknown transfer ID' }), rinfo.port, rinfo.address);
        return;
      }
      let p: TftpPacket;
      try {
        p = decodeTftpPacket(msg);
      } catch (e) {
        const detail = e instanceof TftpPacketError ? e.message : String(e);
        return abort(TftpErrorCode.ILLEGAL_OPERATION, 'malformed packet', 'protocol-error', `malformed packet from the server: ${detail}`);
      }
      switch (p.op) {
        case 'ERROR':
          return fail(failureOfCode(p.code), `server error ${p.code}: ${p.message || '(no message)'}`, p.code);
        case 'OACK': {
          if (expected !== 1 || !withOptions) return abort(TftpErrorCode.ILLEGAL_OPERATION, 'unexpected OACK', 'protocol-error', 'OACK where none was expected');
          for (const [k, v] of p.options) negotiated[k] = v;
          if (negotiated.blksize !== undefined) {
            const b = Number(negotiated.blksize);
            if (!Number.isInteger(b) || b < 8 || b > o.blksize!) return abort(TftpErrorCode.OPTION_REFUSED, 'bad blksize', 'protocol-error', `the server acknowledged blksize ${negotiated.blksize}, we asked for at most ${o.blksize}`);
            blksize = b;
          }
          if (negotiated.tsize !== undefined && Number(negotiated.tsize) > maxBytes) {
            return abort(TftpErrorCode.DISK_FULL, 'file too large', 'too-large', `the file is ${negotiated.tsize} bytes, more than the ${maxBytes} accepted`);
          }
          return sendAndWait(encodeTftpPacket({ op: 'ACK', block: 0 }));
        }
        case 'DATA': {
          if (p.block === (expected & 0xffff)) {
            if (p.data.length > blksize) return abort(TftpErrorCode.ILLEGAL_OPERATION, 'block too large', 'protocol-error', `block ${expected} has ${p.data.length} bytes, the block size is ${blksize}`);
            received += p.data.length;
            if (received > maxBytes) return abort(TftpErrorCode.DISK_FULL, 'file too large', 'too-large', `more than the ${maxBytes} bytes accepted`);
            chunks.push(Buffer.from(p.data));
            const ack = encodeTftpPacket({ op: 'ACK', block: p.block });
            if (p.data.length < blksize) {
              const blocks = expected;
              // The final ACK leaves before the socket closes; a lost one makes the server retransmit to a closed port.
              socket.send(ack, serverPort, o.host, () => finish(undefined, { data: Buffer.concat(chunks), blksize, negotiated, blocks, retransmissions, optionsRefused: false, serverPort: serverPort! }));
              clearTimeout(waitTimer);
              return;
            }
            expected++;
            return sendAndWait(ack);
          }
          // The previous block again: our ACK was lost. Acknowledge it again, without restarting our own timer.
          if (p.block === ((expected - 1) & 0xffff)) send(encodeTftpPacket({ op: 'ACK', block: p.block }));
          return;
        }
        default:
          return abort(TftpErrorCode.ILLEGAL_OPERATION, `unexpected ${p.op}`, 'protocol-error', `unexpected ${p.op} from the server`);
      }
    });
    socket.bind(0, () => sendAndWait(last));
  });
}
