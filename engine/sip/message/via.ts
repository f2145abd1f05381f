// Via header field values (RFC 3261 20.42; received/rport per RFC 3581).
import { valueError } from './errors.js';
import { Params, parseHeaderParams } from './params.js';
import { parseDigits, scanToken, skipWs } from './syntax.js';
import { checkHost } from './uri.js';

export interface Via {
  protocol: string;
  version: string;
  /** Transport as written (UDP, TCP, TLS, SCTP, WS, WSS or an extension); compare case-insensitively. */
  transport: string;
  host: string;
  port?: number;
  params: Params;
}

/** RFC 3261 8.1.1.7 magic cookie of branch parameters. */
export const BRANCH_COOKIE = 'z9hG4bK';

export function parseVia(v: string): Via {
  const H = 'via';
  const n = v.length;
  let i = skipWs(v, 0);
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      if (i >= n || v.charCodeAt(i) !== 47 /* / */) throw valueError(`sent-protocol must be name/version/transport in ${JSON.stringify(v)}`, H);
      i = skipWs(v, i + 1);
    }
    const e = scanToken(v, i);
    if (e === i) throw valueError(`sent-protocol must be name/version/transport in ${JSON.stringify(v)}`, H);
    parts.push(v.slice(i, e));
    i = skipWs(v, e);
  }
  const ws = i;
  if (ws >= n) throw valueError(`no sent-by host in ${JSON.stringify(v)}`, H);
  if (v.charCodeAt(ws - 1) !== 32 && v.charCodeAt(ws - 1) !== 9) throw valueError(`no space between transport and host in ${JSON.stringify(v)}`, H);
  let hostEnd: number;
  if (v.charCodeAt(i) === 91) {
    hostEnd = v.indexOf(']', i);
    if (hostEnd < 0) throw valueError(`IPv6 reference without "]" in ${JSON.stringify(v)}`, H);
    hostEnd++;
  } else {
    hostEnd = i;
    while (hostEnd < n) {
      const c = v.charCodeAt(hostEnd);
      if (c === 58 || c === 59 || c === 32 || c === 9) break;
      hostEnd++;
    }
  }
  const via: Via = {
    protocol: parts[0] as string,
    version: parts[1] as string,
    transport: parts[2] as string,
    host: checkHost(v.slice(i, hostEnd), v, H),
    params: new Params(),
  };
  i = skipWs(v, hostEnd);
  if (i < n && v.charCodeAt(i) === 58) {
    const ps = skipWs(v, i + 1);
    let pe = ps;
    while (pe < n && v.charCodeAt(pe) >= 48 && v.charCodeAt(pe) <= 57) pe++;
    const port = parseDigits(v.slice(ps, pe), 65535);
    if (port === undefined) throw valueError(`bad port in ${JSON.stringify(v)}`, H);
    via.port = port;
    i = pe;
  }
  via.params = parseHeaderParams(v, i, H);
  return via;
}

export function formatVia(via: Via): string {
  return `${via.protocol}/${via.version}/${via.transport} ${via.host}${via.port !== undefined ? ':' + via.port : ''}${via.params.toString()}`;
}

/** branch parameter, or undefined when absent or valueless. */
export function viaBranch(via: Via): string | undefined {
  return via.params.get('branch') ?? undefined;
}

/** rport (RFC 3581): a number, null when present without a value (request asks for it), undefined when absent. */
export function viaRport(via: Via): number | null | undefined {
  const r = via.params.get('rport');
  if (r === undefined || r === null) return r;
  return parseDigits(r, 65535);
}

/** True for an RFC 3261 branch: the magic cookie followed by at least one character (RFC 4475 3.2.1). */
export function isRfc3261Branch(branch: string | undefined): boolean {
  return branch !== undefined && branch.length > BRANCH_COOKIE.length && branch.startsWith(BRANCH_COOKIE);
}
