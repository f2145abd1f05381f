// Per-stream SRTP key export, so a capture of a scenario can be decrypted and studied. Two forms of the same data:
// JSON objects (SrtpKeyExport) and a line-oriented key log (format below, documented in docs/architecture.md).
//
//   # trustline SRTP key log v1
//   <send|receive> <ssrc as 0x%08x, or *> <suite> <src addr:port> <dst addr:port> inline:<base64 key||salt>[|<mki>:<len>] [KDR=<n>]
//
// The inline field is RFC 4568's key-params, so it goes straight into an a=crypto line, libsrtp's rtp_decoder
// (`-s <suite> -b <base64>`) or any SDES-aware tool. Addresses are the RTP flow's (IPv6 in brackets).
import { formatCryptoAttribute, parseCryptoAttribute, sdesToPolicy, type SdesCryptoAttribute } from '../../ciphers/sdes/index.js';
import { isSrtpSuiteName, type SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import type { SrtpPolicy } from '../../ciphers/srtp/types.js';

export interface FlowAddress {
  address: string;
  port: number;
}

export interface SrtpKeyExport {
  /** 'send': the key this session protects with; 'receive': the peer's key it unprotects with. */
  direction: 'send' | 'receive';
  /** The stream's SSRC; null when the key covers any SSRC (a receive key before the first packet). */
  ssrc: number | null;
  suite: SrtpSuiteName;
  /** base64(master key || master salt), as in SDES `inline:`. */
  inline: string;
  keyHex: string;
  saltHex: string;
  mki?: { hex: string; length: number };
  /** Key derivation rate (0 or absent: derive once). */
  kdr?: number;
  source: FlowAddress;
  destination: FlowAddress;
  /** Media session name, when the session has one. */
  session?: string;
}

export class KeyLogError extends Error {
  constructor(
    readonly line: number,
    readonly field: string,
    problem: string,
  ) {
    super(`key log line ${line}, ${field}: ${problem}`);
    this.name = 'KeyLogError';
  }
}

export const KEY_LOG_HEADER = '# trustline SRTP key log v1';

/** The export entry for one policy (its first key, the one a sender uses) and flow. */
export function keyExportFromPolicy(policy: SrtpPolicy, e: { direction: 'send' | 'receive'; ssrc: number | null; source: FlowAddress; destination: FlowAddress; session?: string }): SrtpKeyExport {
  const k = policy.keys[0]!;
  const out: SrtpKeyExport = {
    direction: e.direction,
    ssrc: e.ssrc,
    suite: policy.suite,
    inline: Buffer.concat([k.key, k.salt]).toString('base64'),
    keyHex: Buffer.from(k.key).toString('hex'),
    saltHex: Buffer.from(k.salt).toString('hex'),
    source: { ...e.source },
    destination: { ...e.destination },
  };
  if (k.mki) out.mki = { hex: Buffer.from(k.mki).toString('hex'), length: k.mki.length };
  if (policy.kdr) out.kdr = policy.kdr;
  if (e.session !== undefined) out.session = e.session;
  return out;
}

/** The SDES attribute an export entry stands for (tag 1). */
export function keyExportToCryptoAttribute(e: SrtpKeyExport): SdesCryptoAttribute {
  return parseCryptoAttribute(`1 ${e.suite} ${keyParams(e)}${e.kdr ? ` KDR=${Math.log2(e.kdr)}` : ''}`);
}

/** The SrtpPolicy that decrypts (or re-encrypts) the stream. */
export function keyExportToPolicy(e: SrtpKeyExport): SrtpPolicy {
  return sdesToPolicy(keyExportToCryptoAttribute(e));
}

/** `a=crypto:1 <suite> inline:…`: the line a SIP trace would have carried. */
export function keyExportToCryptoLine(e: SrtpKeyExport): string {
  return `a=crypto:${formatCryptoAttribute(keyExportToCryptoAttribute(e))}`;
}

function keyParams(e: SrtpKeyExport): string {
  let s = `inline:${e.inline}`;
  if (e.mki) s += `|${BigInt('0x' + (e.mki.hex || '0')).toString()}:${e.mki.length}`;
  return s;
}

function flow(a: FlowAddress): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function parseFlow(text: string, line: number, field: string): FlowAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) throw new KeyLogError(line, field, `${JSON.stringify(text)} is not <address>:<port> ([v6]:port for IPv6)`);
  const port = Number(m[3]);
  if (port > 65535) throw new KeyLogError(line, field, `port ${port} is above 65535`);
  return { address: (m[1] ?? m[2])!, port };
}

export function formatKeyLog(entries: readonly SrtpKeyExport[]): string {
  const lines = [KEY_LOG_HEADER];
  for (const e of entries) {
    const ssrc = e.ssrc === null ? '*' : `0x${e.ssrc.toString(16).padStart(8, '0')}`;
    const parts = [e.direction, ssrc, e.suite, flow(e.source), flow(e.destination), keyParams(e)];
    if (e.kdr) parts.push(`KDR=${Math.log2(e.kdr)}`);
    lines.push(parts.join(' '));
  }
  return lines.join('\n') + '\n';
}

/** Reads a key log (comments and blank lines skipped); errors name the line and the field. */
export function parseKeyLog(text: string): SrtpKeyExport[] {
  const out: SrtpKeyExport[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const f = line.split(/\s+/);
    if (f.length < 6 || f.length > 7) throw new KeyLogError(n, 'line', `${f.length} fields, expected 6 or 7 (direction ssrc suite src dst inline:… [KDR=n])`);
    const [dir, ssrcText, suite, src, dst, inline, kdrText] = f as [string, string, string, string, string, string, string | undefined];
    if (dir !== 'send' && dir !== 'receive') throw new KeyLogError(n, 'direction', `${JSON.stringify(dir)} is not send or receive`);
    let ssrc: number | null = null;
    if (ssrcText !== '*') {
      if (!/^0x[0-9a-fA-F]{1,8}$/.test(ssrcText)) throw new KeyLogError(n, 'ssrc', `${JSON.stringify(ssrcText)} is not 0x<hex> or *`);
      ssrc = Number.parseInt(ssrcText.slice(2), 16) >>> 0;
    }
    if (!isSrtpSuiteName(suite)) throw new KeyLogError(n, 'suite', `${JSON.stringify(suite)} is not an SRTP suite`);
    let kdrPart = '';
    if (kdrText !== undefined) {
      if (!/^KDR=\d{1,2}$/.test(kdrText)) throw new KeyLogError(n, 'KDR', `${JSON.stringify(kdrText)} is not KDR=<n>`);
      kdrPart = ` ${kdrText}`;
    }
    let attr: SdesCryptoAttribute;
    try {
      attr = parseCryptoAttribute(`1 ${suite} ${inline}${kdrPart}`);
    } catch (err) {
      throw new KeyLogError(n, 'inline', (err as Error).message);
    }
    if (attr.keys.length !== 1) throw new KeyLogError(n, 'inline', 'one master key per line');
    const policy = sdesToPolicy(attr);
    out.push(keyExportFromPolicy(policy, { direction: dir, ssrc, source: parseFlow(src, n, 'source'), destination: parseFlow(dst, n, 'destination') }));
  });
  return out;
}

/**
 * A shell command that decrypts this stream from a pcap with libsrtp's rtp_decoder (libsrtp 2.4+ test tool) and
 * turns its output back into a pcap with Wireshark's text2pcap. Wireshark itself does not decrypt SRTP.
 */
export function rtpDecoderCommand(e: SrtpKeyExport, pcapPath: string, outPath = 'decrypted.pcap'): string {
  const s = e.source;
  const d = e.destination;
  const host = (a: string) => (a.includes(':') ? `ip6 host ${a}` : `host ${a}`);
  const filter = `udp and src ${host(s.address)} and src port ${s.port} and dst ${host(d.address)} and dst port ${d.port}`;
  return `rtp_decoder -s ${e.suite} -b ${e.inline} -f '${filter}' < '${pcapPath}' | text2pcap -t '%M:%S.' -u ${s.port},${d.port} - '${outPath}'`;
}
