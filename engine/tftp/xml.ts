// A small, strict XML reader and writer for Cisco's configuration files (cnf.xml): elements, attributes, text,
// CDATA, comments and processing instructions. No DTD and no entities beyond the five predefined ones and character
// references, so hostile input cannot expand; size, depth and element count are bounded. Errors name the offset and
// the element path.

export interface XmlElement {
  name: string;
  /** Attribute values by name (null prototype: names like "__proto__" are plain keys). */
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own character data (text and CDATA directly inside it), entities resolved, not trimmed. */
  text: string;
}

export interface XmlLimits {
  /** Characters of input; default 4 MiB. */
  maxLength?: number;
  /** Element nesting depth; default 32. */
  maxDepth?: number;
  /** Elements in the document; default 20 000. */
  maxElements?: number;
}

export class XmlError extends Error {
  constructor(
    readonly offset: number,
    readonly path: string,
    detail: string,
  ) {
    super(`XML at offset ${offset}${path ? ` (in ${path})` : ''}: ${detail}`);
    this.name = 'XmlError';
  }
}

const NAME = /[A-Za-z_][A-Za-z0-9_.:-]*/y;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function newElement(name: string, attributes: Record<string, string> = {}, children: XmlElement[] = [], text = ''): XmlElement {
  const attrs = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(attributes)) attrs[k] = v;
  return { name, attributes: attrs, children, text };
}

/** Parses a whole document and returns its root element. */
export function parseXml(input: string, limits: XmlLimits = {}): XmlElement {
  const maxLength = limits.maxLength ?? 4 * 1024 * 1024;
  const maxDepth = limits.maxDepth ?? 32;
  const maxElements = limits.maxElements ?? 20000;
  if (input.length > maxLength) throw new XmlError(0, '', `document is ${input.length} characters, more than the limit of ${maxLength}`);
  const stack: XmlElement[] = [];
  const path = () => stack.map((e) => e.name).join('/');
  const fail = (at: number, detail: string): never => {
    throw new XmlError(at, path(), detail);
  };
  let root: XmlElement | undefined;
  let count = 0;
  let i = input.charCodeAt(0) === 0xfeff ? 1 : 0;

  const readName = (at: number, what: string): string => {
    NAME.lastIndex = at;
    const m = NAME.exec(input);
    if (!m) fail(at, `expected ${what}`);
    return m![0];
  };
  const skipSpace = (at: number): number => {
    while (at < input.length && /[ \t\r\n]/.test(input[at]!)) at++;
    return at;
  };
  const decodeText = (raw: string, at: number): string =>
    raw.replace(/&([^;&<]{0,12});?/g, (whole, ref: string, off: number) => {
      if (!whole.endsWith(';')) fail(at + off, `unterminated reference "${whole}"`);
      if (ref in PREDEFINED) return PREDEFINED[ref]!;
      const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
      if (!m) fail(at + off, `unknown entity "&${ref};" (only the five predefined entities and character references are allowed)`);
      const cp = m![1] !== undefined ? parseInt(m![1], 16) : parseInt(m![2]!, 10);
      const ok = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
      if (!ok) fail(at + off, `character reference "&${ref};" is not an XML character`);
      return String.fromCodePoint(cp);
    });
  const checkChars = (s: string, at: number) => {
    const bad = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/.exec(s);
    if (bad) fail(at + bad.index, `character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} is not allowed in XML`);
  };
  const addText = (s: string, at: number) => {
    const top = stack[stack.length - 1];
    if (!top) {
      if (s.trim()) fail(at, root ? 'text after the root element' : 'text before the root element');
      return;
    }
    top.text += s;
  };

  while (i < input.length) {
    const lt = input.indexOf('<', i);
    const textEnd = lt < 0 ? input.length : lt;
    if (textEnd > i) {
      const raw = input.slice(i, textEnd);
      checkChars(raw, i);
      if (raw.includes('>') && raw.includes(']]>')) fail(i + raw.indexOf(']]>'), '"]]>" in text');
      addText(decodeText(raw, i), i);
    }
    if (lt < 0) break;
    if (input.startsWith('<!--', lt)) {
      const end = input.indexOf('-->', lt + 4);
      if (end < 0) fail(lt, 'unterminated comment');
      i = end + 3;
    } else if (input.startsWith('<![CDATA[', lt)) {
      const end = input.indexOf(']]>', lt + 9);
      if (end < 0) fail(lt, 'unterminated CDATA section');
      if (!stack.length) fail(lt, 'CDATA outside the root element');
      const raw = input.slice(lt + 9, end);
      checkChars(raw, lt + 9);
      addText(raw, lt);
      i = end + 3;
    } else if (input.startsWith('<?', lt)) {
      const end = input.indexOf('?>', lt + 2);
      if (end < 0) fail(lt, 'unterminated processing instruction');
      i = end + 2;
    } else if (input.startsWith('<!', lt)) {
      fail(lt, 'DTDs and declarations are not accepted');
    } else if (input.startsWith('</', lt)) {
      const name = readName(lt + 2, 'an element name after "</"');
      const at = skipSpace(lt + 2 + name.length);
      if (input[at] !== '>') fail(at, `expected ">" to end </${name}>`);
      const open = stack.pop();
      if (!open) fail(lt, `</${name}> closes nothing`);
      if (open!.name !== name) {
        stack.push(open!);
        fail(lt, `</${name}> closes <${open!.name}>`);
      }
      i = at + 1;
    } else {
      const name = readName(lt + 1, 'an element name after "<"');
      if (root && !stack.length) fail(lt, `a second root element <${name}>`);
      if (++count > maxElements) fail(lt, `more than ${maxElements} elements`);
      const el = newElement(name);
      let at = lt + 1 + name.length;
      let selfClosing = false;
      for (;;) {
        const before = at;
        at = skipSpace(at);
        if (at >= input.length) fail(lt, `unterminated start tag <${name}>`);
        if (input[at] === '>') {
          at++;
          break;
        }
        if (input.startsWith('/>', at)) {
          selfClosing = true;
          at += 2;
          break;
        }
        if (at === before) fail(at, `expected whitespace, ">" or "/>" in <${name}>`);
        const attr = readName(at, `an attribute name in <${name}>`);
        at = skipSpace(at + attr.length);
        if (input[at] !== '=') fail(at, `expected "=" after attribute ${attr}`);
        at = skipSpace(at + 1);
        const quote = input[at];
        if (quote !== '"' && quote !== "'") fail(at, `attribute ${attr} value is not quoted`);
        const end = input.indexOf(quote!, at + 1);
        if (end < 0) fail(at, `unterminated value of attribute ${attr}`);
        const raw = input.slice(at + 1, end);
        if (raw.includes('<')) fail(at + 1 + raw.indexOf('<'), `"<" in the value of attribute ${attr}`);
        checkChars(raw, at + 1);
        if (Object.prototype.hasOwnProperty.call(el.attributes, attr)) fail(at, `attribute ${attr} appears twice in <${name}>`);
        el.attributes[attr] = decodeText(raw, at + 1);
        at = end + 1;
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else root = el;
      if (!selfClosing) {
        if (stack.length >= maxDepth) fail(lt, `elements nested deeper than ${maxDepth}`);
        stack.push(el);
      }
      i = at;
    }
  }
  if (stack.length) fail(input.length, `<${stack[stack.length - 1]!.name}> is never closed`);
  if (!root) fail(0, 'no root element');
  return root!;
}

export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttribute(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;');
}

/** Writes an element tree, two-space indented; elements with children get no text of their own. */
export function serializeXml(root: XmlElement, o: { declaration?: boolean } = {}): string {
  const lines: string[] = [];
  if (o.declaration !== false) lines.push('<?xml version="1.0" encoding="UTF-8"?>');
  const write = (el: XmlElement, depth: number) => {
    const pad = '  '.repeat(depth);
    const attrs = Object.entries(el.attributes)
      .map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`)
      .join('');
    if (el.children.length) {
      lines.push(`${pad}<${el.name}${attrs}>`);
      for (const c of el.children) write(c, depth + 1);
      lines.push(`${pad}</${el.name}>`);
    } else if (el.text === '') lines.push(`${pad}<${el.name}${attrs}></${el.name}>`);
    else lines.push(`${pad}<${el.name}${attrs}>${escapeText(el.text)}</${el.name}>`);
  };
  write(root, 0);
  return lines.join('\n') + '\n';
}

/** The first child named `name`, if any. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** Trimmed text of the first child named `name`. */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  const c = child(el, name);
  return c === undefined ? undefined : c.text.trim();
}
