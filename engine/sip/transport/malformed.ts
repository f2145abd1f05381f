// A request that frames but does not parse still deserves an answer (RFC 3261 16.3/8.2: 400 naming the fault)
// when the fields a response needs can be picked out of its raw header lines. Otherwise it is only logged.

const NEEDED: Record<string, string> = { via: 'Via', v: 'Via', from: 'From', f: 'From', to: 'To', t: 'To', 'call-id': 'Call-ID', i: 'Call-ID', cseq: 'CSeq' };

/** The wire form of an error response to raw request bytes, or undefined (a response, or no Via/From/To/Call-ID/CSeq). */
export function errorResponseForRaw(bytes: Buffer, status: number, reason: string, detail: string): Buffer | undefined {
  const text = bytes.subarray(0, 16384).toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const lines = (end >= 0 ? text.slice(0, end) : text).split(/\r?\n/);
  if (!lines[0] || lines[0].startsWith('SIP/')) return undefined;
  const out: string[] = [];
  const seen = new Set<string>();
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line)) continue; // folded continuation: skip rather than guess
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = NEEDED[line.slice(0, colon).trim().toLowerCase()];
    if (!name) continue;
    const value = line.slice(colon + 1).trim();
    if (/[\r\n]/.test(value) || value.length === 0) continue;
    if (name !== 'Via' && seen.has(name)) continue;
    seen.add(name);
    out.push(`${name}: ${value}`);
  }
  for (const n of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) if (!seen.has(n)) return undefined;
  const warn = detail.replace(/["\\\r\n]/g, "'").slice(0, 200);
  return Buffer.from(`SIP/2.0 ${status} ${reason}\r\n${out.join('\r\n')}\r\nWarning: 399 trustline "${warn}"\r\nContent-Length: 0\r\n\r\n`, 'latin1');
}
