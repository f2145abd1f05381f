// SIP, SIPS and tel URIs (RFC 3261 19.1, RFC 3966); other schemes are kept opaque (RFC 4475 3.3.2-3.3.4).
import { valueError } from './errors.js';
import { Params, parseUriParams } from './params.js';
import { HOST_CHARS, URI_CHARS, parseDigits } from './syntax.js';

export interface SipUri {
  /** Lower-case scheme: 'sip', 'sips', 'tel' or any other (then only `opaque` is set). */
  scheme: string;
  /** User part as written, %HH escapes kept (see unescapePercent); for tel: the number. */
  user?: string;
  password?: string;
  /** Host as written; IPv6 references keep their brackets; '' for tel and opaque URIs. */
  host: string;
  port?: number;
  params: Params;
  /** URI headers (`?name=value&...`), values as written (escaped). */
  headers: Params;
  /** Everything after "scheme:" for schemes this parser does not know. */
  opaque?: string;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

export function parseUri(text: string, header?: string): SipUri {
  const colon = text.indexOf(':');
  if (colon <= 0 || !SCHEME.test(text.slice(0, colon))) {
    throw valueError(`${JSON.stringify(truncate(text))} is not a URI (no scheme)`, header);
  }
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(text, scheme, colon + 1, header);
  if (scheme === 'tel') return parseTelUri(text, colon + 1, header);
  for (let i = colon + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c === 34 || c === 60 || c === 62 || c === 127) {
      throw valueError(`character ${JSON.stringify(text[i])} not allowed in URI ${JSON.stringify(truncate(text))}`, header);
    }
  }
  if (colon + 1 === text.length) throw valueError(`empty ${scheme}: URI`, header);
  return { scheme, host: '', params: new Params(), headers: new Params(), opaque: text.slice(colon + 1) };
}

function parseSipUri(text: string, scheme: string, start: number, header?: string): SipUri {
  const n = text.length;
  for (let i = start; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || URI_CHARS[c] === 0) {
      throw valueError(
        `character ${JSON.stringify(text[i])} not allowed in ${scheme}: URI ${JSON.stringify(truncate(text))}`,
        header,
      );
    }
  }
  const uri: SipUri = { scheme, host: '', params: new Params(), headers: new Params() };
  let i = start;
  const at = text.indexOf('@', start);
  if (at >= 0) {
    const pc = text.indexOf(':', start);
    if (pc >= 0 && pc < at) {
      uri.user = text.slice(start, pc);
      uri.password = text.slice(pc + 1, at);
    } else {
      uri.user = text.slice(start, at);
    }
    if (uri.user.length === 0) throw valueError(`empty user part in ${JSON.stringify(truncate(text))}`, header);
    i = at + 1;
  }
  let hostEnd: number;
  if (text.charCodeAt(i) === 91 /* [ */) {
    const close = text.indexOf(']', i);
    if (close < 0) throw valueError(`IPv6 reference without "]" in ${JSON.stringify(truncate(text))}`, header);
    hostEnd = close + 1;
  } else {
    hostEnd = i;
    while (hostEnd < n) {
      const c = text.charCodeAt(hostEnd);
      if (c === 58 || c === 59 || c === 63) break; // : ; ?
      hostEnd++;
    }
  }
  uri.host = checkHost(text.slice(i, hostEnd), text, header);
  i = hostEnd;
  if (i < n && text.charCodeAt(i) === 58) {
    let pe = i + 1;
    while (pe < n && text.charCodeAt(pe) !== 59 && text.charCodeAt(pe) !== 63) pe++;
    const port = parseDigits(text.slice(i + 1, pe), 65535);
    if (port === undefined) throw valueError(`bad port in ${JSON.stringify(truncate(text))}`, header);
    uri.port = port;
    i = pe;
  }
  let q = text.indexOf('?', i);
  if (q < 0) q = n;
  if (i < q) {
    if (text.charCodeAt(i) !== 59) throw valueError(`unexpected text after host in ${JSON.stringify(truncate(text))}`, header);
    uri.params = parseUriParams(text, i, q);
  }
  if (q < n) {
    for (const h of text.slice(q + 1).split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0) throw valueError(`URI header ${JSON.stringify(h)} is not name=value`, header);
      uri.headers.list.push([h.slice(0, eq), h.slice(eq + 1)]);
    }
  }
  return uri;
}

/** Validate a host (name, IPv4, or bracketed IPv6 reference); `text` is the context for the error. */
export function checkHost(host: string, text: string, header?: string): string {
  if (host.length === 0) throw valueError(`no host in ${JSON.stringify(truncate(text))}`, header);
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c >= 128 || HOST_CHARS[c] === 0) {
      throw valueError(`character ${JSON.stringify(host[i])} not allowed in host ${JSON.stringify(host)}`, header);
    }
  }
  const bracket = host.charCodeAt(0) === 91;
  if (bracket !== (host.charCodeAt(host.length - 1) === 93) || (!bracket && host.indexOf(':') >= 0)) {
    throw valueError(`malformed host ${JSON.stringify(host)}`, header);
  }
  return host;
}

function parseTelUri(text: string, start: number, header?: string): SipUri {
  const semi = text.indexOf(';', start);
  const number = text.slice(start, semi < 0 ? text.length : semi);
  if (!/^[+0-9A-Fa-f*#().\-]+$/.test(number) || !/[0-9A-Fa-f*#]/.test(number)) {
    throw valueError(`bad telephone number in ${JSON.stringify(truncate(text))}`, header);
  }
  const uri: SipUri = { scheme: 'tel', user: number, host: '', params: new Params(), headers: new Params() };
  if (semi >= 0) uri.params = parseUriParams(text, semi, text.length);
  return uri;
}

export function formatUri(uri: SipUri): string {
  if (uri.opaque !== undefined) return `${uri.scheme}:${uri.opaque}`;
  let s = uri.scheme + ':';
  if (uri.scheme === 'tel') return s + (uri.user ?? '') + uri.params.toString();
  if (uri.user !== undefined) s += uri.password !== undefined ? `${uri.user}:${uri.password}@` : `${uri.user}@`;
  s += uri.host;
  if (uri.port !== undefined) s += ':' + uri.port;
  s += uri.params.toString();
  if (uri.headers.size > 0) s += '?' + uri.headers.list.map(([k, v]) => `${k}=${v ?? ''}`).join('&');
  return s;
}

/** Host without IPv6 brackets, for sockets. */
export function bareHost(host: string): string {
  return host.charCodeAt(0) === 91 ? host.slice(1, -1) : host;
}

function truncate(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}
