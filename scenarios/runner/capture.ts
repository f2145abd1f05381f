// `--capture`: what a run lets an analyst decrypt afterwards. Every RTP/SRTP/SRTCP datagram the phones send goes into
// one pcap (synthetic Ethernet/IP/UDP headers, endpoints/media/pcap.ts); beside it the TLS key log of every SIP/TLS
// connection the phones made (NSS SSLKEYLOGFILE format, for Wireshark or a loopback capture taken with tcpdump) and
// the SRTP keys of every call (trustline's key log, whose inline: values libsrtp's rtp_decoder takes).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatKeyLog, PcapWriter, type CapturedPacket, type SrtpKeyExport } from '../../endpoints/media/index.js';
import type { PhoneUserAgent } from '../../endpoints/index.js';

export interface CaptureFiles {
  pcap: string;
  tlsKeyLog: string;
  srtpKeyLog: string;
}

export class RunCapture {
  readonly #pcap = new PcapWriter();
  readonly #tls = new Set<string>();
  readonly #srtp = new Map<string, SrtpKeyExport>();

  /** The media session hook: each datagram once, as its sender put it on the wire. */
  readonly packet = (p: CapturedPacket): void => {
    if (p.direction !== 'out') return;
    this.#pcap.add({ timeMs: p.timeMs, source: p.source, destination: p.destination, data: p.data });
  };

  /** Keeps a user agent's TLS key log lines and SRTP keys (call before it closes). */
  collect(ua: PhoneUserAgent | undefined): void {
    if (!ua) return;
    for (const line of ua.tlsKeyLog().split('\n')) if (line.trim()) this.#tls.add(line);
    for (const k of ua.srtpKeys()) this.#srtp.set(`${k.session ?? ''}|${k.direction}|${k.ssrc ?? '*'}|${k.inline}`, k);
  }

  /** Writes `<base>.pcap`, `<base>.tls-keys.log` and `<base>.srtp-keys.log` into `dir`. */
  write(dir: string, base: string): CaptureFiles {
    mkdirSync(dir, { recursive: true });
    const files = { pcap: join(dir, `${base}.pcap`), tlsKeyLog: join(dir, `${base}.tls-keys.log`), srtpKeyLog: join(dir, `${base}.srtp-keys.log`) };
    writeFileSync(files.pcap, this.#pcap.toBuffer());
    writeFileSync(files.tlsKeyLog, [...this.#tls].join('\n') + (this.#tls.size ? '\n' : ''));
    writeFileSync(files.srtpKeyLog, formatKeyLog([...this.#srtp.values()]));
    return files;
  }

  get packets(): number {
    return this.#pcap.count;
  }
}
