// A small classic-pcap writer for what a media session sent and received: each datagram gets synthetic Ethernet,
// IPv4/IPv6 and UDP headers (UDP checksum 0, "not computed" for IPv4), so tshark, Wireshark and libsrtp's
// rtp_decoder (which expects the RTP header at byte 42 for IPv4) read it as a normal capture.

export interface PcapPacket {
  /** Capture time, Unix ms. */
  timeMs: number;
  source: { address: string; port: number };
  destination: { address: string; port: number };
  data: Uint8Array;
}

const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 65535;

export class PcapWriter {
  #chunks: Buffer[] = [];
  #count = 0;
  /** Packets beyond this many are dropped (and counted) so a long scenario cannot exhaust memory. */
  readonly maxPackets: number;
  dropped = 0;

  constructor(maxPackets = 200_000) {
    this.maxPackets = maxPackets;
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(SNAPLEN, 16);
    h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    this.#chunks.push(h);
  }

  get count(): number {
    return this.#count;
  }

  add(p: PcapPacket): void {
    if (this.#count >= this.maxPackets) {
      this.dropped++;
      return;
    }
    const v6 = p.source.address.includes(':');
    if (v6 !== p.destination.address.includes(':')) throw new RangeError(`pcap: ${p.source.address} and ${p.destination.address} are not the same IP version`);
    const ipLen = v6 ? 40 : 20;
    const frame = Buffer.alloc(14 + ipLen + 8 + p.data.length);
    frame.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12); // MACs left zero
    const udpLen = 8 + p.data.length;
    if (v6) {
      frame[14] = 0x60;
      frame.writeUInt16BE(udpLen, 18);
      frame[20] = 17;
      frame[21] = 64;
      ipv6Bytes(p.source.address).copy(frame, 22);
      ipv6Bytes(p.destination.address).copy(frame, 38);
    } else {
      frame[14] = 0x45;
      frame.writeUInt16BE(20 + udpLen, 16);
      frame[22] = 64;
      frame[23] = 17;
      ipv4Bytes(p.source.address).copy(frame, 26);
      ipv4Bytes(p.destination.address).copy(frame, 30);
      frame.writeUInt16BE(ipv4Checksum(frame.subarray(14, 34)), 24);
    }
    const u = 14 + ipLen;
    frame.writeUInt16BE(p.source.port, u);
    frame.writeUInt16BE(p.destination.port, u + 2);
    frame.writeUInt16BE(udpLen, u + 4);
    frame.set(p.data, u + 8);
    const rec = Buffer.alloc(16);
    const sec = Math.floor(p.timeMs / 1000);
    rec.writeUInt32LE(sec >>> 0, 0);
    rec.writeUInt32LE(Math.min(999_999, Math.round((p.timeMs - sec * 1000) * 1000)), 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    this.#chunks.push(rec, frame);
    this.#count++;
  }

  /** The whole capture file. */
  toBuffer(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

function ipv4Bytes(a: string): Buffer {
  const parts = a.split('.').map(Number);
  if (parts.length !== 4 || parts.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new RangeError(`pcap: ${JSON.stringify(a)} is not an IPv4 address`);
  return Buffer.from(parts);
}

function ipv6Bytes(a: string): Buffer {
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) throw new RangeError(`pcap: ${JSON.stringify(a)} is not an IPv6 address this writer understands`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), 2 * i));
  return out;
}

function ipv4Checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
