// Which packets of a loopback capture belong to the run, and tshark to keep only those. The loopback interface carries
// everyone's traffic (other tests, other runs), so the run's packets are those with one end at an endpoint the run
// owned: a cluster service port, a phone's media socket, or a client that spoke to a cluster UDP port (TFTP moves each
// transfer to a new server port, but the phone's port stays). Also the `-d` decode-as arguments that let tshark or
// Wireshark dissect the cluster's OS-chosen ports as what they are.
import { execFile } from 'node:child_process';
import { isIPv6 } from 'node:net';

export type FlowProtocol = 'tcp' | 'udp';

export interface FlowEndpoint {
  protocol: FlowProtocol;
  address: string;
  port: number;
  /** What runs there, for decode-as: "sip", "tls+sip", "tftp", "http", "tls+http", "tls", "rtp". */
  application?: string;
}

export const endpointKey = (e: FlowEndpoint): string => `${e.protocol}|${e.address}|${e.port}`;

/** A display filter matching packets from or to (or only to) any of `endpoints`, grouped per address and protocol. */
export function flowFilter(endpoints: readonly FlowEndpoint[], direction: 'either' | 'to' = 'either'): string {
  const groups = new Map<string, { ip: string; address: string; protocol: FlowProtocol; ports: Set<number> }>();
  for (const e of endpoints) {
    if (!Number.isInteger(e.port) || e.port <= 0 || e.port > 65535) throw new RangeError(`capture: ${e.protocol} port ${e.port} of ${e.address} is not a port`);
    const ip = isIPv6(e.address) ? 'ipv6' : 'ip';
    const k = `${ip}|${e.address}|${e.protocol}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { ip, address: e.address, protocol: e.protocol, ports: new Set() }));
    g.ports.add(e.port);
  }
  const terms: string[] = [];
  for (const g of groups.values()) {
    const ports = `{${[...g.ports].sort((a, b) => a - b).join(', ')}}`;
    if (direction === 'either') terms.push(`(${g.ip}.src == ${g.address} && ${g.protocol}.srcport in ${ports})`);
    terms.push(`(${g.ip}.dst == ${g.address} && ${g.protocol}.dstport in ${ports})`);
  }
  return terms.length ? terms.join(' || ') : 'frame.number == 0';
}

/** tshark `-d` values for the endpoints that say what they carry (TLS ports also tell TLS what is inside). */
export function decodeAs(endpoints: readonly FlowEndpoint[]): string[] {
  const out = new Set<string>();
  for (const e of endpoints) {
    if (!e.application) continue;
    const [outer, inner] = e.application.split('+') as [string, string | undefined];
    out.add(`${e.protocol}.port==${e.port},${outer}`);
    if (outer === 'tls' && inner) out.add(`tls.port==${e.port},${inner}`);
  }
  return [...out];
}

function tshark(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} -r ${args[args.indexOf('-r') + 1]}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'command not found' : stderr.trim().split('\n').filter((l) => !/^Running as user/.test(l)).slice(-3).join(' / ') || err.message}`));
      else resolve(stdout);
    }),
  );
}

export interface KeepFlowsOptions {
  /** tshark command or path (default "tshark"). */
  tshark?: string;
  /** Bound on each tshark pass (default 60 s). */
  timeoutMs?: number;
}

/**
 * Writes to `out` (classic pcap) the packets of `raw` with one end at a run endpoint. Clients of the run's UDP
 * endpoints count as run endpoints too (found in a first pass). Returns the endpoints used, clients included.
 */
export async function keepFlows(raw: string, out: string, endpoints: readonly FlowEndpoint[], o: KeepFlowsOptions = {}): Promise<FlowEndpoint[]> {
  const cmd = o.tshark ?? 'tshark';
  const timeoutMs = o.timeoutMs ?? 60_000;
  const all = new Map(endpoints.map((e) => [endpointKey(e), e]));
  const udp = endpoints.filter((e) => e.protocol === 'udp');
  if (udp.length) {
    const fields = await tshark(cmd, ['-n', '-r', raw, '-Y', flowFilter(udp, 'to'), '-T', 'fields', '-E', 'separator=,', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'udp.srcport'], timeoutMs);
    for (const line of fields.split('\n')) {
      const [v4, v6, port] = line.trim().split(',');
      const address = v4 || v6;
      if (!address || !port) continue;
      const e: FlowEndpoint = { protocol: 'udp', address, port: Number(port) };
      if (!all.has(endpointKey(e))) all.set(endpointKey(e), e);
    }
  }
  await tshark(cmd, ['-n', '-r', raw, '-Y', flowFilter([...all.values()]), '-w', out, '-F', 'pcap'], timeoutMs);
  return [...all.values()];
}
