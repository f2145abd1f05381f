// A SIP ladder diagram as inline SVG: one lane per party, one arrow per message (method or status above it, time
// on the left, an optional note below), coloured by kind (request, provisional, success, redirect, failure).
import type { SipFlowRecord, SipMessageRecord } from '../results.js';
import { xmlAttr, xmlText } from './escape.js';

export interface LadderOptions {
  /** Makes marker ids unique when several ladders share a page. */
  idPrefix?: string;
  laneGap?: number;
  rowHeight?: number;
}

const TIME_COL = 84;
const HEADER = 56;
const SIDE = 40;
const BOTTOM = 24;
const CHAR_W = 6.6; // average width of an 11-12px sans-serif glyph, for truncation

export type MessageClass = 'request' | 'provisional' | 'success' | 'redirect' | 'failure';

export function messageClass(m: SipMessageRecord): MessageClass {
  if (m.method) return 'request';
  const s = m.status ?? 0;
  if (s < 200) return 'provisional';
  if (s < 300) return 'success';
  if (s < 400) return 'redirect';
  return 'failure';
}

export const LADDER_COLORS: Record<MessageClass, string> = {
  request: '#2563eb',
  provisional: '#6b7280',
  success: '#15803d',
  redirect: '#b45309',
  failure: '#dc2626',
};

export function messageLabel(m: SipMessageRecord): string {
  if (m.method) return m.method;
  return `${m.status ?? ''} ${m.reason ?? ''}`.trim();
}

function fit(text: string, px: number): string {
  const max = Math.max(4, Math.floor(px / CHAR_W));
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

function timeLabel(ms: number, t0: number): string {
  const d = ms - t0;
  if (d < 1000) return `+${d.toFixed(d < 10 ? 1 : 0)} ms`;
  return `+${(d / 1000).toFixed(2)} s`;
}

export function renderLadderSvg(flow: SipFlowRecord, opts: LadderOptions = {}): string {
  const prefix = (opts.idPrefix ?? 'l') + '-';
  const parties = flow.parties.length ? flow.parties : [...new Set(flow.messages.flatMap((m) => [m.from, m.to]))];
  const longest = Math.max(...flow.messages.map((m) => Math.max(messageLabel(m).length, Math.min((m.summary ?? '').length, 40))), 12);
  const gap = opts.laneGap ?? Math.min(300, Math.max(170, Math.round(longest * CHAR_W + 40)));
  const row = opts.rowHeight ?? 40;
  const boxWidth = (p: string) => Math.min(gap - 16, Math.max(90, p.length * 7.4 + 20));
  // room for the widest lane header on both sides
  const side = Math.max(SIDE, ...parties.map((p) => boxWidth(p) / 2 + 8));
  const x = (p: string) => TIME_COL + side + Math.max(0, parties.indexOf(p)) * gap;
  const width = Math.ceil(TIME_COL + side * 2 + Math.max(0, parties.length - 1) * gap + (flow.messages.some((m) => m.from === m.to) ? 60 : 0));
  const height = HEADER + Math.max(1, flow.messages.length) * row + BOTTOM;
  const t0 = flow.messages[0]?.tMs ?? 0;
  const out: string[] = [];
  const label = `SIP ladder ${flow.title}: ${flow.messages.length} messages between ${parties.join(', ')}`;
  out.push(
    `<svg class="ladder" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${xmlAttr(label)}" data-flow="${xmlAttr(flow.id)}">`,
  );
  out.push(`<title>${xmlText(label)}</title>`);
  out.push('<defs>');
  for (const [k, c] of Object.entries(LADDER_COLORS))
    out.push(`<marker id="${xmlAttr(prefix + k)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`);
  out.push('</defs>');
  // lanes
  for (const p of parties) {
    const cx = x(p);
    const w = boxWidth(p);
    out.push(`<g class="lane" data-party="${xmlAttr(p)}">`);
    out.push(`<line class="lane-line" x1="${cx}" y1="${HEADER - 8}" x2="${cx}" y2="${height - 8}" stroke="#cbd5e1" stroke-width="1.5" stroke-dasharray="4 4"/>`);
    out.push(`<rect x="${cx - w / 2}" y="8" width="${w}" height="30" rx="7" fill="#0f172a"/>`);
    out.push(`<text x="${cx}" y="28" text-anchor="middle" font-size="13" font-weight="600" fill="#ffffff">${xmlText(fit(p, w - 12))}</text>`);
    out.push('</g>');
  }
  // messages
  for (const [i, m] of flow.messages.entries()) {
    const y = HEADER + i * row + row / 2 + 6;
    const cls = messageClass(m);
    const color = LADDER_COLORS[cls];
    const lbl = messageLabel(m);
    const x1 = x(m.from);
    const x2 = x(m.to);
    const data = `data-kind="${cls}"${m.method ? ` data-method="${xmlAttr(m.method)}"` : ''}${m.status !== undefined ? ` data-status="${m.status}"` : ''}`;
    out.push(`<g class="msg ${cls}" ${data}>`);
    out.push(`<text class="time" x="${TIME_COL - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="#64748b">${xmlText(timeLabel(m.tMs, t0))}</text>`);
    if (x1 === x2) {
      out.push(`<path class="arrow" d="M${x1},${y - 8} h36 v16 h-34" fill="none" stroke="${color}" stroke-width="2" marker-end="url(#${xmlAttr(prefix + cls)})"/>`);
      out.push(`<text class="label" x="${x1 + 44}" y="${y + 4}" font-size="12" font-weight="600" fill="${color}">${xmlText(fit(lbl, 120))}</text>`);
    } else {
      const dir = x2 > x1 ? 1 : -1;
      out.push(`<line class="arrow" x1="${x1 + dir * 2}" y1="${y}" x2="${x2 - dir * 3}" y2="${y}" stroke="${color}" stroke-width="2" marker-end="url(#${xmlAttr(prefix + cls)})"/>`);
      const mid = (x1 + x2) / 2;
      const span = Math.abs(x2 - x1) - 12;
      out.push(`<text class="label" x="${mid}" y="${y - 7}" text-anchor="middle" font-size="12" font-weight="600" fill="${color}">${xmlText(fit(lbl, span))}</text>`);
      if (m.summary) out.push(`<text class="note" x="${mid}" y="${y + 14}" text-anchor="middle" font-size="10.5" fill="#64748b">${xmlText(fit(m.summary, span))}</text>`);
    }
    const tip = [lbl, m.cseq ? `CSeq ${m.cseq}` : '', m.summary ?? '', `${m.from} → ${m.to}`, `t=${m.tMs.toFixed(1)} ms`].filter(Boolean).join(' · ');
    out.push(`<title>${xmlText(tip)}</title>`);
    out.push('</g>');
  }
  if (!flow.messages.length) out.push(`<text x="${TIME_COL + side}" y="${HEADER + 20}" font-size="12" fill="#64748b">no messages recorded</text>`);
  out.push('</svg>');
  return out.join('\n');
}
