// "host:port", "[v6]:port" or "host" (port 5061, SIP over TLS) as a probe target.
import net from 'node:net';
import { parseHostPort } from '../common/host-port.js';
import type { Target } from './raw-probe.js';

export const DEFAULT_SIP_TLS_PORT = 5061;

export function parseTarget(text: string, sni?: string): Target {
  let parsed: { host: string; port: number };
  try {
    parsed = parseHostPort(text, DEFAULT_SIP_TLS_PORT);
  } catch (e) {
    throw new Error(`target ${JSON.stringify(text)}: ${(e as Error).message}`);
  }
  const { host, port } = parsed;
  const serverName = sni ?? (net.isIP(host) ? undefined : host);
  return { host, port, ...(serverName ? { serverName } : {}) };
}

export function formatTarget(t: Target): string {
  return net.isIPv6(t.host) ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}
