// Server transport, RFC 3261 18.2.1 and RFC 3581: note on the top Via where a request really came from
// ("received" when sent-by differs from the source address, "rport" filled in when the client asked for it).
import { type SipRequest, formatVia, splitList } from '../message/index.js';

/** Returns true when the top Via was changed. Cheap when nothing is needed (the usual case on a LAN). */
export function stampVia(req: SipRequest, address: string, port: number): boolean {
  const via = req.topVia();
  const rport = via.params.has('rport');
  const host = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
  if (!rport && host === address) return false;
  if (host !== address || rport) via.params.set('received', address);
  if (rport) via.params.set('rport', String(port));
  const i = req.headers.findIndex((h) => h.key === 'via');
  const h = req.headers[i]!;
  const elements = splitList(h.value, 'via');
  elements[0] = formatVia(via);
  h.value = elements.join(', ');
  req.reindex();
  return true;
}
