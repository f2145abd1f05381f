// name-addr / addr-spec values of From, To, Contact, Route, Record-Route, Refer-To... (RFC 3261 20.10, 25.1).
import { valueError } from './errors.js';
import { Params, parseHeaderParams } from './params.js';
import { TOKEN, quote, scanQuoted, skipWs, unquote } from './syntax.js';
import { type SipUri, formatUri, parseUri } from './uri.js';

export interface NameAddr {
  /** Display name: quoted-pairs resolved, or the unquoted token sequence as written. */
  displayName?: string;
  uri: SipUri;
  /** Header parameters (tag, expires, q, +sip.instance...): values as written, quoted strings keep quotes. */
  params: Params;
}

/** The pieces of a name-addr found without parsing the URI (the hot path only needs the parameters). */
export interface NameAddrParts {
  /** Display name as written (with its quotes, if quoted). */
  display?: string;
  uriText: string;
  /** Index in the value where the header parameters start. */
  paramsAt: number;
  bracketed: boolean;
}

export function splitNameAddr(v: string, header?: string): NameAddrParts {
  const n = v.length;
  let i = skipWs(v, 0);
  if (i >= n) throw valueError('empty address', header);
  let display: string | undefined;
  let lt = -1;
  if (v.charCodeAt(i) === 34) {
    const end = scanQuoted(v, i, header);
    display = v.slice(i, end);
    lt = skipWs(v, end);
    if (lt >= n || v.charCodeAt(lt) !== 60) throw valueError('quoted display name not followed by <URI>', header);
  } else {
    for (let j = i; j < n; j++) {
      const c = v.charCodeAt(j);
      if (c === 60) {
        lt = j;
        break;
      }
      if (c === 59 || c === 34) break; // ';' starts addr-spec parameters; a late '"' is checked below
    }
    if (lt >= 0) {
      const d = v.slice(i, lt).trim();
      if (d.length > 0) {
        for (let k = 0; k < d.length; k++) {
          const c = d.charCodeAt(k);
          if (c !== 32 && c !== 9 && (c >= 128 || TOKEN[c] === 0)) {
            throw valueError(
              `display name ${JSON.stringify(d)} has ${JSON.stringify(d[k])}, which is not a token character: it must be quoted`,
              header,
            );
          }
        }
        display = d;
      }
    }
  }
  if (lt >= 0) {
    const gt = v.indexOf('>', lt + 1);
    if (gt < 0) throw valueError('"<" without a closing ">"', header);
    // Spaces inside <> are not allowed; we accept and drop them at the edges (RFC 4475 3.1.2.14 lets us).
    const uriText = v.slice(lt + 1, gt).trim();
    if (uriText.length === 0) throw valueError('empty <>', header);
    return { display, uriText, paramsAt: gt + 1, bracketed: true };
  }
  // addr-spec form: the URI runs to the first ';' or whitespace and can carry no parameters or headers itself.
  let end = i;
  while (end < n) {
    const c = v.charCodeAt(end);
    if (c === 59 || c === 32 || c === 9) break;
    end++;
  }
  const uriText = v.slice(i, end);
  if (uriText.indexOf('?') >= 0 || uriText.indexOf('"') >= 0 || uriText.indexOf('>') >= 0) {
    throw valueError(`a URI with "?", "," or ";" must be enclosed in <>: ${JSON.stringify(uriText)}`, header);
  }
  return { display: undefined, uriText, paramsAt: end, bracketed: false };
}

export function parseNameAddr(v: string, header?: string): NameAddr {
  const parts = splitNameAddr(v, header);
  const na: NameAddr = {
    uri: parseUri(parts.uriText, header),
    params: parseHeaderParams(v, parts.paramsAt, header),
  };
  if (parts.display !== undefined) na.displayName = unquote(parts.display);
  return na;
}

/** Only the header parameters of a name-addr (what the hot path needs: tag). */
export function nameAddrParams(v: string, header?: string): Params {
  return parseHeaderParams(v, splitNameAddr(v, header).paramsAt, header);
}

export function formatNameAddr(na: NameAddr): string {
  const d = na.displayName !== undefined && na.displayName.length > 0 ? quote(na.displayName) + ' ' : '';
  return `${d}<${formatUri(na.uri)}>${na.params.toString()}`;
}
