// fast-check generators of valid SIP pieces and messages, for round-trip, framing and fuzz tests.
import fc from 'fast-check';
import {
  type HeaderValue,
  type NameAddr,
  Params,
  type SipMessage,
  type SipUri,
  type Via,
  buildRequest,
  buildResponse,
} from '../../../engine/sip/message/index.js';

/** One printable ASCII character. */
const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~';
export const token = (max = 12): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: max });
const alnum = (max = 10): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 1, maxLength: max });

export const host: fc.Arbitrary<string> = fc.oneof(
  fc.array(alnum(8), { minLength: 1, maxLength: 4 }).map((l) => l.join('.') + '.example'),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.')),
  fc.tuple(fc.nat(0xffff), fc.nat(0xffff)).map(([a, b]) => `[2001:db8::${a.toString(16)}:${b.toString(16)}]`),
);

const uriParams: fc.Arbitrary<Params> = fc
  .uniqueArray(fc.tuple(alnum(8), fc.option(alnum(8), { nil: null })), { maxLength: 3, selector: ([k]) => k })
  .map((l) => new Params(l.map(([k, v]) => [k, v])));

export const sipUri: fc.Arbitrary<SipUri> = fc.record({
  scheme: fc.constantFrom('sip', 'sips'),
  user: fc.option(fc.string({ unit: fc.constantFrom(...'abcdefghijklmnop0123456789-_.!~*\'()&=+$,;?/'), minLength: 1, maxLength: 12 }), { nil: undefined }),
  host,
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  params: uriParams,
  headers: fc.constant(new Params()),
}).map((u) => {
  const out: SipUri = { scheme: u.scheme, host: u.host, params: u.params, headers: u.headers };
  if (u.user !== undefined) out.user = u.user;
  if (u.port !== undefined) out.port = u.port;
  return out;
});

/** Display names: any text without CR, LF or other C0 controls (quoted on output). */
const displayName = fc.string({ unit: fc.oneof(fc.constantFrom(...' "\\,;<>:@ab'), printable, fc.constantFrom('é', '中', '😀')), maxLength: 16 })
  .map((s) => s.replace(/[\x00-\x1f\x7f]/g, ''));

const headerParams = (extra: fc.Arbitrary<Array<[string, string | null]>>): fc.Arbitrary<Params> =>
  extra.map((l) => {
    const seen = new Set<string>();
    return new Params(l.filter(([k]) => !seen.has(k.toLowerCase()) && seen.add(k.toLowerCase())));
  });

export const nameAddr = (tag: fc.Arbitrary<string | undefined>): fc.Arbitrary<NameAddr> =>
  fc.record({
    displayName: fc.option(displayName, { nil: undefined }),
    uri: sipUri,
    tag,
    // extension parameters only: q, expires, tag... have their own grammars
    params: headerParams(fc.array(fc.tuple(alnum(6).map((k) => 'x' + k), fc.option(token(8), { nil: null })), { maxLength: 2 })),
  }).map(({ displayName: d, uri, tag: t, params }) => {
    const p = new Params(params.list.filter(([k]) => k !== 'tag'));
    if (t !== undefined) p.set('tag', t);
    const na: NameAddr = { uri, params: p };
    if (d !== undefined && d.length > 0) na.displayName = d;
    return na;
  });

export const via: fc.Arbitrary<Via> = fc.record({
  transport: fc.constantFrom('UDP', 'TCP', 'TLS', 'WSS'),
  host,
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  branch: token(20).map((b) => 'z9hG4bK' + b),
  rport: fc.boolean(),
}).map((v) => {
  const params = new Params([['branch', v.branch]]);
  if (v.rport) params.set('rport', null);
  const out: Via = { protocol: 'SIP', version: '2.0', transport: v.transport, host: v.host, params };
  if (v.port !== undefined) out.port = v.port;
  return out;
});

/** Header values for extension fields: printable (UTF-8 too), no CR/LF, no surrounding whitespace. */
const extValue = fc.string({ unit: fc.oneof(printable, fc.constantFrom('é', '中', ',', ';', '"', '<', '>')), maxLength: 40 })
  .map((s) => s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '').replace(/^[ \t]+|[ \t]+$/g, ''));

const METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'INFO', 'UPDATE', 'NOTIFY', 'SUBSCRIBE', 'REFER', 'MESSAGE'];

export const sipMessage: fc.Arbitrary<SipMessage> = fc
  .record({
    request: fc.boolean(),
    method: fc.oneof(fc.constantFrom(...METHODS), token(10).map((t) => t.toUpperCase())),
    ruri: sipUri,
    status: fc.integer({ min: 100, max: 699 }),
    reason: fc.string({ unit: fc.constantFrom(...'abc XYZ-é'), maxLength: 20 }).map((s) => s.trim()),
    vias: fc.array(via, { minLength: 1, maxLength: 3 }),
    from: nameAddr(token(16)),
    to: nameAddr(fc.option(token(16), { nil: undefined })),
    callId: fc.tuple(token(24), fc.option(host, { nil: undefined })).map(([a, h]) => (h ? `${a}@${h}` : a)),
    seq: fc.nat(0xffffffff),
    contacts: fc.array(nameAddr(fc.constant(undefined)), { maxLength: 2 }),
    extra: fc.array(fc.tuple(token(12).map((t) => 'X-' + t), extValue), { maxLength: 4 }),
    body: fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { nil: undefined }),
  })
  .map((r) => {
    const headers: Array<[string, HeaderValue]> = [];
    for (const v of r.vias) headers.push(['Via', v]);
    headers.push(['From', r.from], ['To', r.to], ['Call-ID', r.callId]);
    headers.push(['CSeq', { seq: r.seq, method: r.request ? r.method : 'INVITE' }], ['Max-Forwards', 70]);
    for (const c of r.contacts) headers.push(['Contact', c]);
    for (const [k, v] of r.extra) headers.push([k, v]);
    if (r.body) headers.push(['Content-Type', 'application/octet-stream']);
    const body = r.body ? Buffer.from(r.body) : undefined;
    return r.request
      ? buildRequest({ method: r.method, uri: r.ruri, headers, body })
      : buildResponse({ status: r.status, reason: r.reason, headers, body });
  });

/** A comparable picture of a message: start line, fields (name, key, value) in order, body. */
export function snapshot(m: SipMessage): { start: string; headers: string[][]; body: string } {
  return { start: m.startLine(), headers: m.headers.map((h) => [h.name, h.key, h.value]), body: m.body.toString('hex') };
}
