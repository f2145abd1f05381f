// Ordered, case-insensitive parameter lists (";name=value" in header fields and URIs).
import { valueError } from './errors.js';
import { scanQuoted, scanToken, skipWs } from './syntax.js';

/** A parameter value: a string as written (quoted strings keep their quotes), or null for a bare `;name`. */
export type ParamValue = string | null;

export class Params implements Iterable<[string, ParamValue]> {
  /** [name as written, value] in order. */
  readonly list: Array<[string, ParamValue]>;

  /** Takes ownership of `list`. */
  constructor(list: Array<[string, ParamValue]> = []) {
    this.list = list;
  }

  static from(obj: Record<string, ParamValue | number | boolean | undefined>): Params {
    const p = new Params();
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined || v === false) continue;
      p.set(k, v === true ? null : typeof v === 'number' ? String(v) : v);
    }
    return p;
  }

  private index(name: string): number {
    const l = this.list;
    for (let i = 0; i < l.length; i++) {
      const k = (l[i] as [string, ParamValue])[0];
      if (k.length === name.length && (k === name || k.toLowerCase() === name.toLowerCase())) return i;
    }
    return -1;
  }

  /** The value; null when present without a value; undefined when absent. */
  get(name: string): ParamValue | undefined {
    const i = this.index(name);
    return i < 0 ? undefined : (this.list[i] as [string, ParamValue])[1];
  }

  has(name: string): boolean {
    return this.index(name) >= 0;
  }

  /** Replace the value in place, or append. */
  set(name: string, value: ParamValue): this {
    const i = this.index(name);
    if (i < 0) this.list.push([name, value]);
    else (this.list[i] as [string, ParamValue])[1] = value;
    return this;
  }

  delete(name: string): boolean {
    const i = this.index(name);
    if (i >= 0) this.list.splice(i, 1);
    return i >= 0;
  }

  get size(): number {
    return this.list.length;
  }

  clone(): Params {
    return new Params(this.list.map(([k, v]) => [k, v]));
  }

  [Symbol.iterator](): Iterator<[string, ParamValue]> {
    return this.list[Symbol.iterator]();
  }

  /** `;a=b;c` */
  toString(): string {
    let s = '';
    for (const [k, v] of this.list) s += v === null ? `;${k}` : `;${k}=${v}`;
    return s;
  }

  toJSON(): Record<string, ParamValue> {
    return Object.fromEntries(this.list);
  }
}

/**
 * Header parameters: `*( SEMI generic-param )` from `s[i]` to the end, LWS allowed around ";" and "=".
 * generic-param = token [ EQUAL ( token / host / quoted-string ) ]. Throws on anything else.
 */
export function parseHeaderParams(s: string, i: number, header?: string): Params {
  const params = new Params();
  const n = s.length;
  i = skipWs(s, i);
  while (i < n) {
    if (s.charCodeAt(i) !== 59 /* ; */) {
      throw valueError(`expected ";" before parameters, found ${JSON.stringify(s.slice(i, i + 12))}`, header);
    }
    i = skipWs(s, i + 1);
    const nameEnd = scanToken(s, i);
    if (nameEnd === i) {
      throw valueError(`empty or invalid parameter name at column ${i + 1} of ${JSON.stringify(s)}`, header);
    }
    const name = s.slice(i, nameEnd);
    i = skipWs(s, nameEnd);
    let value: ParamValue = null;
    if (i < n && s.charCodeAt(i) === 61 /* = */) {
      i = skipWs(s, i + 1);
      const vStart = i;
      if (i < n && s.charCodeAt(i) === 34) {
        i = scanQuoted(s, i, header);
      } else {
        // token / host (IPv6 references and bare IPv6 addresses in received= included)
        while (i < n) {
          const c = s.charCodeAt(i);
          if (c === 59 || c === 32 || c === 9 || c === 44 || c === 34 || c === 60 || c === 62) break;
          i++;
        }
      }
      if (i === vStart) throw valueError(`parameter "${name}" has "=" but no value`, header);
      value = s.slice(vStart, i);
      i = skipWs(s, i);
    }
    params.list.push([name, value]);
  }
  return params;
}

/** URI parameters: `;name[=value]` with no LWS, from `s[i]` up to `end`. */
export function parseUriParams(s: string, i: number, end: number): Params {
  const params = new Params();
  while (i < end) {
    // s[i] is ";"
    let j = s.indexOf(';', i + 1);
    if (j < 0 || j > end) j = end;
    const part = s.slice(i + 1, j);
    if (part.length === 0) throw valueError(`empty URI parameter in ${JSON.stringify(s)}`);
    const eq = part.indexOf('=');
    if (eq === 0) throw valueError(`URI parameter without a name in ${JSON.stringify(s)}`);
    params.list.push(eq < 0 ? [part, null] : [part.slice(0, eq), part.slice(eq + 1)]);
    i = j;
  }
  return params;
}
