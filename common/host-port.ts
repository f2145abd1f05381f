// "host:port", "[v6]:port", a bare IPv6 address or "host" (with a default port): the one parser of the CLI options,
// probe targets and configuration destinations that name a peer.
import net from 'node:net';

/** Host and port of `text`; throws an Error saying what is wrong (callers prefix what they were reading). */
export function parseHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const t = text.trim();
  let host: string;
  let port = defaultPort;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (v6) {
    host = v6[1]!;
    if (v6[2]) port = Number(v6[2]);
  } else if ((t.match(/:/g) ?? []).length > 1) {
    if (!net.isIPv6(t)) throw new Error('expected host:port, [ipv6]:port or host');
    host = t; // bare IPv6 address
  } else {
    const m = /^([^:\s]+)(?::(\d+))?$/.exec(t);
    if (!m) throw new Error('expected host:port, [ipv6]:port or host');
    host = m[1]!;
    if (m[2]) port = Number(m[2]);
  }
  if (!host) throw new Error('no host');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port ${port} out of range`);
  return { host, port };
}
