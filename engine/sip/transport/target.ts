// Where a URI points (RFC 3263 without DNS: numeric hosts or names the OS resolves): transport from the scheme
// and the transport parameter, port from the URI or the transport's default.
import type { SipUri } from '../message/index.js';
import { type SipTarget, type TransportProtocol, defaultPort } from './types.js';

export function targetFromUri(uri: SipUri, fallback: TransportProtocol = 'UDP'): SipTarget {
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips') throw new Error(`cannot send to a ${uri.scheme}: URI`);
  const param = uri.params.get('transport')?.toUpperCase();
  let transport: TransportProtocol = uri.scheme === 'sips' ? 'TLS' : param === 'TCP' ? 'TCP' : param === 'TLS' ? 'TLS' : param === 'UDP' ? 'UDP' : fallback;
  if (uri.scheme === 'sips' && param === 'UDP') transport = 'TLS';
  const host = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  const maddr = uri.params.get('maddr');
  return { transport, host: maddr ?? host, port: uri.port ?? defaultPort(transport) };
}
