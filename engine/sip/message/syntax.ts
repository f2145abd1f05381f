// Character classes and small scanners of the RFC 3261 grammar (section 25.1), shared by the value parsers.
import { valueError } from './errors.js';

function table(chars: string, alnum: boolean): Uint8Array {
  const t = new Uint8Array(128);
  if (alnum) {
    for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
    for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
    for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  }
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = table("-.!%*_+`'~", true);
/** Characters of a SIP/SIPS URI outside the host part that need no escaping, plus "%" (escapes are kept as sent). */
export const URI_CHARS = table("-_.!~*'()%&=+$,;?/:[]@", true);
/** host names, IPv4 and bracketed IPv6 references. */
export const HOST_CHARS = table('-._:[]', true);

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) return false;
  }
  return true;
}

/** Index of the first character at or after `i` that is not SP or HTAB. */
export function skipWs(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}

/** Index of the first character at or after `i` that is not a token character. */
export function scanToken(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) break;
    i++;
  }
  return i;
}

/** `s[i]` is a DQUOTE: returns the index just after the closing DQUOTE, or throws. */
export function scanQuoted(s: string, i: number, header?: string): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 92 /* \ */) {
      j++;
      if (j >= s.length) break;
    } else if (c === 34 /* " */) {
      return j + 1;
    }
  }
  throw valueError(`unterminated quoted string starting at column ${i + 1}`, header);
}

/** Content of a quoted-string with the quoted-pairs resolved: `"a \"b\""` gives `a "b"`. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 34 || s.charCodeAt(s.length - 1) !== 34) return s;
  const inner = s.slice(1, -1);
  return inner.indexOf('\\') < 0 ? inner : inner.replace(/\\([\s\S])/g, '$1');
}

/** A quoted-string for `text` (escaping `"` and `\`). */
export function quote(text: string): string {
  return '"' + text.replace(/(["\\])/g, '\\$1') + '"';
}

/**
 * Split a header value on commas that separate list elements: commas inside quoted strings, <...> and
 * (...) comments do not count. Elements are trimmed; empty elements are kept (callers decide).
 */
export function splitList(value: string, header?: string): string[] {
  let fast = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34 || c === 60 || c === 40) {
      fast = false;
      break;
    }
  }
  if (fast) {
    if (value.indexOf(',') < 0) return [value.trim()];
    return value.split(',').map((v) => v.trim());
  }
  const out: string[] = [];
  let start = 0;
  let angle = false;
  let paren = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34) {
      i = scanQuoted(value, i, header) - 1;
    } else if (angle) {
      if (c === 62 /* > */) angle = false;
    } else if (c === 60 /* < */) {
      angle = true;
    } else if (c === 40 /* ( */) {
      paren++;
    } else if (c === 41 /* ) */ && paren > 0) {
      paren--;
    } else if (c === 44 /* , */ && paren === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (angle) throw valueError('"<" without a closing ">"', header);
  out.push(value.slice(start).trim());
  return out;
}

/** Resolve %HH escapes once (RFC 3261 19.1.4: never recursively); runs of escapes are decoded as UTF-8. */
export function unescapePercent(s: string): string {
  if (s.indexOf('%') < 0) return s;
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

/** Parse 1*DIGIT with an upper bound; undefined if `s` is not all digits or is above `max`. */
export function parseDigits(s: string, max: number): number | undefined {
  if (s.length === 0 || s.length > 16) return undefined;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n <= max ? n : undefined;
}

/** Refuse what would break framing or let a value inject fields: a non-token name, CR or LF in a value. */
export function checkField(name: string, value: string): void {
  if (!isToken(name)) throw new TypeError(`header name ${JSON.stringify(name)} is not a token`);
  if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) throw new TypeError(`header ${name}: value contains CR or LF`);
}
