// Server transport, RFC 3261 18.2.1 and RFC 3581: note on the top Via where a request really came from
// ("received" when sent-by differs from the source address, "rport" filled in when the client asked for it).
import { type SipRequest, formatVia, splitList } from '../message/index.js';

/**
 * Returns true when the top Via was changed. Cheap when nothing is needed (the usual case on a LAN).
 * `reindex: false` is for a request nothing has been read from yet but its indexed values (the transport stamps
 * right after parsing): the parsed top Via is updated in place and the header text rewritten, without parsing the
 * whole header section again.
 */
export function stampVia(req: SipRequest, address: string, port: number, reindex = true): boolean {
  const via = req.topVia();
  const rport = via.params.has('rport');
  const host = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
  if (!rport && host === address) return false;
  if (host !== address || rport) via.params.set('received', address);
  if (rport) via.params.set('rport', String(port));
  const hs = req.headers;
  let i = 0;
  while (hs[i]!.key !== 'via') i++;
  const h = hs[i]!;
  const elements = splitList(h.value, 'via');
  elements[0] = formatVia(via);
  h.value = elements.length === 1 ? elements[0] : elements.join(', ');
  if (reindex) req.reindex();
  return true;
}
