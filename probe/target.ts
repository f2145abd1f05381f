// "host:port", "[v6]:port" or "host" (port 5061, SIP over TLS) as a probe target.
import net from 'node:net';
import type { Target } from './raw-probe.js';

export const DEFAULT_SIP_TLS_PORT = 5061;

export function parseTarget(text: string, sni?: string): Target {
  const t = text.trim();
  let host: string;
  let port = DEFAULT_SIP_TLS_PORT;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (v6) {
    host = v6[1]!;
    if (v6[2]) port = Number(v6[2]);
  } else if ((t.match(/:/g) ?? []).length > 1) {
    if (!net.isIPv6(t)) throw new Error(`target ${JSON.stringify(text)}: expected host:port, [ipv6]:port or host`);
    host = t; // bare IPv6 address
  } else {
    const m = /^([^:\s]+)(?::(\d+))?$/.exec(t);
    if (!m) throw new Error(`target ${JSON.stringify(text)}: expected host:port, [ipv6]:port or host`);
    host = m[1]!;
    if (m[2]) port = Number(m[2]);
  }
  if (!host) throw new Error(`target ${JSON.stringify(text)}: no host`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`target ${JSON.stringify(text)}: port ${port} out of range`);
  const serverName = sni ?? (net.isIP(host) ? undefined : host);
  return { host, port, ...(serverName ? { serverName } : {}) };
}

export function formatTarget(t: Target): string {
  return net.isIPv6(t.host) ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}
