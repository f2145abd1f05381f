// `--capture`: what a run lets an analyst decrypt afterwards, written as `<base>.pcap`, `<base>.tls-keys.log` and
// `<base>.srtp-keys.log`. The pcap is a live capture of the loopback interface (dumpcap, live-capture.ts) cut down to
// the run's own flows (capture-flows.ts): SIP over UDP/TCP/TLS, TFTP/HTTP/HTTPS downloads, TVS, CAPF and the media.
// When a live capture is not possible (no dumpcap or tshark, no permission) it falls back to the media the phones sent,
// with synthetic headers (endpoints/media/pcap.ts), and says so. The TLS key log holds every TLS connection of the
// process during the run, client and server side (tls-key-tap.ts), the SRTP key log every call's keys (trustline's
// key log, whose inline: values libsrtp's rtp_decoder takes).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterEndpoints } from '../../engine/cluster/index.js';
import { formatKeyLog, PcapWriter, type CapturedPacket, type SrtpKeyExport } from '../../endpoints/media/index.js';
import type { PhoneUserAgent } from '../../endpoints/index.js';
import { decodeAs, endpointKey, keepFlows, type FlowEndpoint } from './capture-flows.js';
import { LiveCapture } from './live-capture.js';
import { tapTlsKeyLog } from './tls-key-tap.js';

export interface CaptureOptions {
  /** dumpcap command or path (default "dumpcap"); false: do not try a live capture. */
  dumpcap?: string | false;
  /** tshark command or path, which keeps the run's packets of the live capture (default "tshark"). */
  tshark?: string;
  /** Interface to capture (default "lo"). */
  interface?: string;
}

export interface CaptureFiles {
  pcap: string;
  tlsKeyLog: string;
  srtpKeyLog: string;
  /** The pcap is a live loopback capture of the run (false: the synthesised media-only fallback). */
  live: boolean;
  /** One line: what the pcap holds, and why it is the fallback when it is. */
  note: string;
  /** tshark `-d` values dissecting the cluster's OS-chosen ports (live captures). */
  decodeAs: string[];
  /** RTP and RTCP datagrams the phones handed to their sockets (the synthesised pcap holds each). */
  mediaPackets: number;
  /** Of which RTP. */
  rtpPackets: number;
}

/** Key log lines kept at most (a load run makes a few per TLS connection). */
const MAX_TLS_LINES = 500_000;

export class RunCapture {
  readonly #o: CaptureOptions;
  readonly #pcap = new PcapWriter();
  readonly #tls = new Set<string>();
  readonly #srtp = new Map<string, SrtpKeyExport>();
  readonly #endpoints = new Map<string, FlowEndpoint>();
  #tlsDropped = 0;
  #rtp = 0;
  #untap: (() => void) | undefined;
  #live: LiveCapture | undefined;
  #rawDir: string | undefined;
  /** Why there is no live capture. */
  #fallback: string | undefined;
  /** Why the TLS key tap is not there. */
  #tapProblem: string | undefined;

  constructor(o: CaptureOptions = {}) {
    this.#o = o;
  }

  /**
   * Starts the live capture (or records why not) and the TLS key tap; call when the run starts. Never throws. dumpcap
   * ends by itself after `maxMs` and a margin, should this process die without stopping it.
   */
  async start(maxMs = 3_600_000): Promise<void> {
    try {
      this.#untap ??= tapTlsKeyLog((line) => this.#addTls(line));
    } catch (e) {
      this.#tapProblem = `${(e as Error).message}: the TLS key log holds the phones' SIP connections only`;
    }
    if (this.#o.dumpcap === false) {
      this.#fallback = 'live capture turned off';
      return;
    }
    try {
      this.#rawDir = mkdtempSync(join(tmpdir(), 'trustline-capture-'));
      this.#live = await LiveCapture.start({
        file: join(this.#rawDir, 'loopback.pcapng'),
        maxDurationS: maxMs / 1000 + 120,
        ...(this.#o.dumpcap ? { dumpcap: this.#o.dumpcap } : {}),
        ...(this.#o.interface ? { interface: this.#o.interface } : {}),
      });
    } catch (e) {
      this.#fallback = (e as Error).message;
      this.#removeRaw();
    }
  }

  /** The media session hook: each datagram once, as its sender put it on the wire; both ends are run endpoints. */
  readonly packet = (p: CapturedPacket): void => {
    if (p.direction !== 'out') return;
    this.#pcap.add({ timeMs: p.timeMs, source: p.source, destination: p.destination, data: p.data });
    if (p.kind === 'rtp') this.#rtp++;
    for (const e of [p.source, p.destination]) this.#note({ protocol: 'udp', address: e.address, port: e.port, application: p.kind });
  };

  /** The cluster's service ports are run endpoints (call while it runs: a stopped cluster lists none). */
  noteCluster(ep: ClusterEndpoints): void {
    const add = (protocol: 'tcp' | 'udp', a: { host: string; port: number } | undefined, application: string) => {
      if (a) this.#note({ protocol, address: isWildcard(ep.bind) ? a.host : ep.bind, port: a.port, application });
    };
    add('udp', ep.sip.udp, 'sip');
    add('tcp', ep.sip.tcp, 'sip');
    add('tcp', ep.sip.tls, 'tls+sip');
    add('udp', ep.tftp, 'tftp');
    add('tcp', ep.http, 'http');
    add('tcp', ep.https6971, 'tls+http');
    add('tcp', ep.https6972, 'tls+http');
    add('tcp', ep.tvs, 'tls');
    add('tcp', ep.capf, 'tls');
  }

  /** Keeps a user agent's TLS key log lines and SRTP keys (call before it closes). */
  collect(ua: PhoneUserAgent | undefined): void {
    if (!ua) return;
    for (const line of ua.tlsKeyLog().split('\n')) if (line.trim()) this.#addTls(line);
    for (const k of ua.srtpKeys()) this.#srtp.set(`${k.session ?? ''}|${k.direction}|${k.ssrc ?? '*'}|${k.inline}`, k);
  }

  /**
   * Stops the capture and writes `<base>.pcap`, `<base>.tls-keys.log` and `<base>.srtp-keys.log` into `dir`. Call after
   * the clusters and phones closed (their last packets are in). A live capture that fails here falls back too.
   */
  async finish(dir: string, base: string): Promise<CaptureFiles> {
    this.#untap?.();
    this.#untap = undefined;
    mkdirSync(dir, { recursive: true });
    const files = { pcap: join(dir, `${base}.pcap`), tlsKeyLog: join(dir, `${base}.tls-keys.log`), srtpKeyLog: join(dir, `${base}.srtp-keys.log`) };
    const live = await this.#writeLive(files.pcap);
    if (!live) writeFileSync(files.pcap, this.#pcap.toBuffer());
    writeFileSync(files.tlsKeyLog, [...this.#tls].join('\n') + (this.#tls.size ? '\n' : ''));
    writeFileSync(files.srtpKeyLog, formatKeyLog([...this.#srtp.values()]));
    const extra = (this.#tlsDropped ? `; ${this.#tlsDropped} TLS key log lines beyond ${MAX_TLS_LINES} dropped` : '') + (this.#tapProblem ? `; ${this.#tapProblem}` : '');
    const media = `${this.#pcap.count} media packets${this.#pcap.dropped ? ` (${this.#pcap.dropped} more dropped)` : ''}`;
    const note = live
      ? `live loopback capture of the run's flows (SIP, TLS, TFTP/HTTP, TVS, CAPF, media: ${media} sent by the phones)${live.note ? `; ${live.note}` : ''}${extra}`
      : `no live capture (${this.#fallback}): the pcap holds only the ${media} the phones sent, with synthesised headers${extra}`;
    return { ...files, live: !!live, note, decodeAs: live ? decodeAs([...this.#endpoints.values()]) : [], mediaPackets: this.#pcap.count, rtpPackets: this.#rtp };
  }

  /** Ends the live capture and the key tap without writing anything (a run torn down early). */
  async abort(): Promise<void> {
    this.#untap?.();
    this.#untap = undefined;
    await this.#live?.abort();
    this.#live = undefined;
    this.#removeRaw();
  }

  get packets(): number {
    return this.#pcap.count;
  }

  /** The live capture cut down to the run's flows into `pcap`, or undefined (with the reason kept) when that failed. */
  async #writeLive(pcap: string): Promise<{ note?: string } | undefined> {
    const live = this.#live;
    if (!live) return undefined;
    this.#live = undefined;
    try {
      const r = await live.stop();
      await keepFlows(r.file, pcap, [...this.#endpoints.values()], this.#o.tshark ? { tshark: this.#o.tshark } : {});
      return r.note ? { note: r.note } : {};
    } catch (e) {
      await live.abort();
      this.#fallback = `the live capture failed: ${(e as Error).message}`;
      rmSync(pcap, { force: true });
      return undefined;
    } finally {
      this.#removeRaw();
    }
  }

  #note(e: FlowEndpoint): void {
    const k = endpointKey(e);
    if (!this.#endpoints.has(k)) this.#endpoints.set(k, e);
  }

  #addTls(line: string): void {
    if (this.#tls.has(line)) return;
    if (this.#tls.size >= MAX_TLS_LINES) this.#tlsDropped++;
    else this.#tls.add(line);
  }

  #removeRaw(): void {
    if (this.#rawDir) rmSync(this.#rawDir, { recursive: true, force: true });
    this.#rawDir = undefined;
  }
}

const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::' || host === '';
