// The signed stub `SEP<MAC>.cnf.xml.sgn` served beside an encrypted config: a few top-level elements of the full
// config plus <fullConfig>false</fullConfig>, <certHash> (MD5 of the phone certificate) and <encrConfig>true</encrConfig>.
// A small scanner finds the top-level children of <device>; the kept ones are copied verbatim.
import { TrustInputError } from './tlv-codec.js';

export const STUB_KEEP = ['ipAddressMode', 'loadInformation', 'capfAuthMode', 'capfList'] as const;

interface Child {
  name: string;
  start: number;
  end: number;
}

function fail(offset: number, detail: string): never {
  throw new TrustInputError('config xml', `offset ${offset}: ${detail}`);
}

/** Index just past `needle` starting at `from`, or a clear error. */
function skipPast(xml: string, from: number, needle: string, what: string): number {
  const i = xml.indexOf(needle, from);
  if (i < 0) fail(from, `unterminated ${what}`);
  return i + needle.length;
}

/** End of a start/end tag beginning at `lt` (the '<'), honouring quoted attribute values. */
function tagEnd(xml: string, lt: number): number {
  let quote = '';
  for (let i = lt + 1; i < xml.length; i++) {
    const c = xml[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i + 1;
  }
  fail(lt, 'unterminated tag');
}

function tagName(xml: string, lt: number, closing: boolean): string {
  const m = /^[A-Za-z_:][\w:.-]*/.exec(xml.slice(lt + (closing ? 2 : 1), lt + 200));
  if (!m) fail(lt, 'malformed tag name');
  return m[0];
}

/** Root element (name, start tag, content range) and its direct children. */
export function topLevel(xml: string): { root: string; startTag: string; children: Child[] } {
  let i = 0;
  let root: { name: string; startTag: string } | undefined;
  const children: Child[] = [];
  const stack: string[] = [];
  let childStart = -1;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) i = skipPast(xml, lt, '-->', 'comment');
    else if (xml.startsWith('<![CDATA[', lt)) i = skipPast(xml, lt, ']]>', 'CDATA section');
    else if (xml.startsWith('<?', lt)) i = skipPast(xml, lt, '?>', 'processing instruction');
    else if (xml.startsWith('<!', lt)) i = tagEnd(xml, lt);
    else if (xml.startsWith('</', lt)) {
      const name = tagName(xml, lt, true);
      const open = stack.pop();
      if (open !== name) fail(lt, `</${name}> closes <${open ?? 'nothing'}>`);
      i = tagEnd(xml, lt);
      if (stack.length === 1 && childStart >= 0) {
        children.push({ name, start: childStart, end: i });
        childStart = -1;
      }
      if (stack.length === 0) break;
    } else {
      const name = tagName(xml, lt, false);
      const end = tagEnd(xml, lt);
      const selfClosing = xml[end - 2] === '/';
      if (!root) {
        root = { name, startTag: xml.slice(lt, end) };
        if (selfClosing) break;
        stack.push(name);
      } else {
        if (stack.length === 0) fail(lt, 'content after the root element');
        if (stack.length === 1) childStart = lt;
        if (selfClosing) {
          if (stack.length === 1) {
            children.push({ name, start: lt, end });
            childStart = -1;
          }
        } else stack.push(name);
      }
      i = end;
    }
  }
  if (!root) fail(0, 'no root element');
  if (stack.length > 0) fail(xml.length, `<${stack[stack.length - 1]}> is never closed`);
  return { root: root.name, startTag: root.startTag, children };
}

export interface StubOptions {
  /** MD5 hex of the phone certificate (DER); omitted for manual-key phones. */
  certHash?: string;
  keep?: readonly string[];
}

/** Builds the stub config XML from the full `<device>` config. */
export function buildStubConfig(xml: string, o: StubOptions = {}): string {
  const { root, startTag, children } = topLevel(xml);
  if (root !== 'device') throw new TrustInputError('config xml', `the root element is <${root}>, expected <device>`);
  const keep = new Set(o.keep ?? STUB_KEEP);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', startTag.endsWith('/>') ? startTag.slice(0, -2).trimEnd() + '>' : startTag, '  <fullConfig>false</fullConfig>'];
  for (const c of children) if (keep.has(c.name)) lines.push('  ' + xml.slice(c.start, c.end));
  if (o.certHash !== undefined) lines.push(`  <certHash>${o.certHash}</certHash>`);
  lines.push('  <encrConfig>true</encrConfig>', '</device>', '');
  return lines.join('\n');
}
