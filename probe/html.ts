// A self-contained HTML page for a probe report: the versions x suites matrix (cells coloured by result and by the
// certificate type served), the preference order, certificates, groups, signature schemes, client certificates,
// SIP and fallback results. No scripts, no external resources.
import { TLS_SUITES, TLS_VERSIONS, formatCode } from '../ciphers/tls/suite-catalogue.js';
import { sipCell } from './report.js';
import { formatTarget } from './target.js';
import type { ProbeReport, SuiteProbe, VersionReport } from './types.js';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Background of a matrix cell: the result, and for accepted suites the certificate type. */
export type CellClass = 'acc-rsa' | 'acc-ecdsa' | 'acc-other' | 'rejected' | 'error' | 'unsupported' | 'na';

export function cellClass(v: VersionReport | undefined, p: SuiteProbe | undefined): CellClass {
  if (!v || !v.supported) return 'unsupported';
  if (!p) return 'na';
  if (p.result === 'rejected') return 'rejected';
  if (p.result !== 'accepted') return 'error';
  if (p.certificate?.keyType === 'RSA') return 'acc-rsa';
  if (p.certificate?.keyType === 'ECDSA') return 'acc-ecdsa';
  return 'acc-other';
}

/** Frame of an accepted cell: SIP answered (2xx-6xx), SIP failed (no answer, closed, garbage, handshake failed), or none. */
export function sipMark(p: SuiteProbe | undefined): 'sip-ok' | 'sip-fail' | '' {
  if (!p || p.result !== 'accepted') return '';
  if (p.sip?.outcome === 'answered') return 'sip-ok';
  if ((p.sip && p.sip.outcome !== 'not-sent') || p.handshake?.outcome === 'failed') return 'sip-fail';
  return '';
}

/** A few words for a cell. */
function sipShort(p: SuiteProbe): string {
  const s = p.sip;
  if (s) return s.outcome === 'answered' ? `SIP ${s.status} ${s.reason ?? ''}`.trim() : s.outcome === 'not-sent' ? 'SIP not tried' : `SIP ${s.outcome.replace('-', ' ')}`;
  if (p.handshake?.outcome === 'failed') return 'handshake failed';
  if (p.handshake?.outcome === 'unavailable') return 'no SIP (suite not in node)';
  return '';
}

const LEGEND: ReadonlyArray<[string, string]> = [
  ['acc-rsa', 'accepted, RSA certificate'],
  ['acc-ecdsa', 'accepted, ECDSA certificate'],
  ['acc-other', 'accepted, other or no certificate'],
  ['acc-other sip-ok', 'SIP answered'],
  ['acc-other sip-fail', 'TLS works but SIP fails'],
  ['rejected', 'refused (alert)'],
  ['error', 'no clear answer (timeout, close, garbage)'],
  ['unsupported', 'version not supported'],
  ['na', 'suite not defined in this version'],
];

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top;max-width:42em;overflow-wrap:anywhere}
th{background:#f0f0f0}
table.matrix td.cell{text-align:center;min-width:7em;font-size:12px}
.acc-rsa{background:#8fd19e}.acc-ecdsa{background:#8ec5f0}.acc-other{background:#d6e9a8}
.acc-nosip{background:#f7d07a}.rejected{background:#fbe3e4;color:#a33}.error{background:#e6a0a0}
.unsupported{background:#e4e4e4;color:#888}.na{background:#fafafa;color:#bbb}
.sip-ok{box-shadow:inset 0 0 0 3px #2e7d32}.sip-fail{box-shadow:inset 0 0 0 3px #e65100}
.legend span{display:inline-block;padding:2px 8px;margin:2px;border:1px solid #ccc}
code{font-size:12px}
`;

function matrix(r: ProbeReport): string {
  const byVersion = new Map(r.versions.map((v) => [v.version, v]));
  const versions = TLS_VERSIONS.filter((v) => byVersion.has(v));
  const probed = new Set(r.versions.flatMap((v) => v.suites.map((p) => p.code)));
  const acceptedSomewhere = new Set(r.versions.flatMap((v) => v.suites.filter((p) => p.result === 'accepted').map((p) => p.code)));
  // Suites accepted in some version first (catalogue order), then the refused ones.
  const suites = TLS_SUITES.filter((s) => probed.has(s.code) || r.versions.every((v) => !v.supported)).sort(
    (a, b) => Number(acceptedSomewhere.has(b.code)) - Number(acceptedSomewhere.has(a.code)),
  );
  const rows = suites.map((s) => {
    const cells = versions.map((vn) => {
      const v = byVersion.get(vn);
      const p = v?.suites.find((x) => x.code === s.code);
      const cls = [cellClass(v, p), sipMark(p)].filter(Boolean).join(' ');
      let text = '';
      if (cls === 'unsupported') text = '';
      else if (cls === 'na') text = '&ndash;';
      else if (p && p.result === 'accepted') {
        const rank = v!.order.indexOf(p.openssl);
        text = `${rank >= 0 ? `<b>#${rank + 1}</b> ` : ''}${esc(p.certificate?.label ?? (s.authentication === 'none' ? 'anon' : 'accepted'))}`;
        const sip = sipShort(p);
        if (sip) text += `<br>${esc(sip)}`;
      } else if (p) text = esc(p.detail.length > 30 ? p.detail.slice(0, 30) + '...' : p.detail);
      const title = [p?.detail ?? v?.detail ?? '', p?.sip ? `SIP: ${p.sip.detail}` : p?.handshake ? `handshake: ${p.handshake.detail}` : ''].filter(Boolean).join(' | ');
      return `<td class="cell ${cls}" title="${esc(title)}">${text}</td>`;
    });
    return `<tr><th><code>${esc(s.openssl)}</code><br><small>${esc(s.iana)} ${esc(formatCode(s.code))}</small></th>${cells.join('')}</tr>`;
  });
  const head = versions.map((vn) => {
    const v = byVersion.get(vn)!;
    return `<th>${esc(vn)}<br><small>${v.supported ? esc(v.preference) : 'not supported'}</small></th>`;
  });
  return `<table class="matrix" id="matrix"><thead><tr><th>Suite</th>${head.join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function simpleTable(head: string[], rows: unknown[][]): string {
  if (!rows.length) return '<p>none</p>';
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function renderHtml(r: ProbeReport): string {
  const target = formatTarget({ host: r.target.host, port: r.target.port });
  const sections: string[] = [];
  sections.push(`<p><b>Verdict:</b> ${esc(r.verdict)}</p>`);
  sections.push(
    `<p>${esc(r.connections)} connection(s) in ${esc((r.durationMs / 1000).toFixed(1))} s, at most ${esc(r.options.concurrency)} at a time, timeout ${esc(r.options.timeoutMs)} ms; started ${esc(r.startedAt)}; trustline ${esc(r.trustlineVersion)}</p>`,
  );
  if (r.versions.length) {
    sections.push('<h2>Versions x suites</h2>');
    sections.push(`<div class="legend">${LEGEND.map(([c, t]) => `<span class="${c}">${esc(t)}</span>`).join('')}</div>`);
    sections.push(matrix(r));
    sections.push('<h2>Preference order</h2>');
    sections.push(
      simpleTable(
        ['Version', 'Preference', 'Order (first = preferred)', 'Note'],
        r.versions.filter((v) => v.supported).map((v) => [v.version, v.preference, v.order.join(' > '), v.orderNote ?? '']),
      ),
    );
    sections.push(simpleTable(['Version', 'Supported', 'Detail'], r.versions.map((v) => [v.version, v.supported ? 'yes' : 'no', v.detail])));
  }
  if (r.certificates.length) {
    sections.push('<h2>Certificates</h2>');
    sections.push(
      simpleTable(
        ['Key', 'Subject', 'Issuer', 'Valid from', 'Valid to', 'SHA-256', 'Served with'],
        r.certificates.map((c) => [
          c.certificate.label + (c.certificate.expired ? ' (EXPIRED)' : ''),
          c.certificate.subject,
          c.certificate.issuer,
          c.certificate.validFrom,
          c.certificate.validTo,
          c.certificate.fingerprint256,
          c.servedWith.join(', '),
        ]),
      ),
    );
  }
  if (r.groups.length) {
    sections.push('<h2>Named groups</h2>');
    sections.push(simpleTable(['Version', 'Group', 'Accepted', 'Detail'], r.groups.map((g) => [g.version, g.group, g.accepted ? 'yes' : 'no', g.detail])));
  }
  if (r.sigalgs.length) {
    sections.push('<h2>Signature schemes</h2>');
    sections.push(simpleTable(['Version', 'Scheme', 'Accepted', 'Detail'], r.sigalgs.map((s) => [s.version, s.sigalg, s.accepted ? 'yes' : 'no', s.detail])));
  }
  if (r.clientCertificates.length) {
    sections.push('<h2>Client certificates</h2>');
    sections.push(
      simpleTable(
        ['Offered', 'Version', 'Requested', 'Outcome', 'Detail', 'CAs named', 'Schemes asked'],
        r.clientCertificates.map((c) => [
          c.variant + (c.subject ? ` (${c.subject})` : ''),
          c.version ?? '',
          c.requested === undefined ? '?' : c.requested ? 'yes' : 'no',
          c.outcome,
          c.detail,
          (c.acceptableCas ?? []).join('; '),
          (c.requestSigalgs ?? []).join(', '),
        ]),
      ),
    );
  }
  const sipRows = r.versions.flatMap((v) => v.suites.filter((p) => p.sip || p.handshake).map((p) => [v.version, p.openssl, p.handshake?.detail ?? '', sipCell(p.sip, p.handshake), p.register ? sipCell(p.register) : '']));
  if (sipRows.length) {
    sections.push('<h2>SIP through each suite</h2>');
    sections.push(simpleTable(['Version', 'Suite', 'Handshake (node:tls)', 'OPTIONS', 'REGISTER'], sipRows));
  }
  for (const f of r.fallback) {
    sections.push(`<h2>Fallback: --as ${esc(f.profile)}</h2><p>${esc(f.description)}</p>`);
    sections.push(
      simpleTable(
        ['Attempt', 'Offer', 'Outcome', 'Detail', 'SIP'],
        f.attempts.map((a) => [a.label, `${a.offer.versions.join('/')}: ${a.offer.suites.join(':')}${a.offer.fallbackScsv ? ' +FALLBACK_SCSV' : ''}`, a.outcome, a.detail, sipCell(a.sip, a.handshake)]),
      ),
    );
    sections.push(`<p><b>${esc(f.outcome.toUpperCase())}</b>: ${esc(f.summary)}</p>`);
  }
  if (r.notes.length) sections.push(`<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>trustline probe ${esc(target)}</title><style>${CSS}</style></head>
<body><h1>trustline probe ${esc(target)}</h1>
${sections.join('\n')}
</body></html>
`;
}
