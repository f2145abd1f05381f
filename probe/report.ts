// The probe report on a console (cli-table3 tables) and as JSON.
import Table from 'cli-table3';
import { formatCode } from '../ciphers/tls/suite-catalogue.js';
import { formatTarget } from './target.js';
import type { ProbeReport, SipResult, SuiteProbe, VersionReport } from './types.js';

const table = (head: string[]) => new Table({ head, style: { head: [], border: [] }, wordWrap: true });

export function sipCell(s: SipResult | undefined, h?: SuiteProbe['handshake']): string {
  if (s) return s.outcome === 'answered' ? `${s.status} ${s.reason}` : `${s.outcome}: ${s.detail}`;
  if (h && h.outcome !== 'completed') return h.outcome === 'unavailable' ? 'not tried (suite not in node)' : `handshake ${h.outcome}: ${h.detail}`;
  return '';
}

function rank(v: VersionReport, p: SuiteProbe): string {
  const i = v.order.indexOf(p.openssl);
  return i < 0 ? '' : String(i + 1);
}

function versionTable(v: VersionReport, sip: boolean): string {
  const accepted = v.suites.filter((p) => p.result === 'accepted');
  accepted.sort((a, b) => (rank(v, a) ? Number(rank(v, a)) : 999) - (rank(v, b) ? Number(rank(v, b)) : 999));
  const head = ['#', 'Suite (OpenSSL)', 'IANA', 'Code', 'Certificate', 'Key exchange', ...(sip ? ['SIP OPTIONS'] : [])];
  const t = table(head);
  for (const p of accepted)
    t.push([rank(v, p), p.openssl, p.iana, formatCode(p.code), p.certificate?.label ?? (p.iana.includes('anon') ? 'none (anonymous)' : ''), p.keyExchange ?? '', ...(sip ? [sipCell(p.sip, p.handshake)] : [])]);
  const pref =
    v.preference === 'server'
      ? 'server preference (order shown)'
      : v.preference === 'client'
        ? 'client preference: the server takes the client\'s first acceptable suite'
        : v.preference === 'single'
          ? 'one suite'
          : `preference ${v.preference}`;
  const errors = v.suites.filter((p) => p.result === 'error' || p.result === 'other-version');
  return (
    `${v.version}: ${accepted.length} of ${v.suites.length} catalogue suites accepted; ${pref}${v.orderNote ? ` (${v.orderNote})` : ''}\n` +
    (accepted.length ? t.toString() + '\n' : '') +
    (errors.length ? `  odd answers: ${errors.map((p) => `${p.openssl}: ${p.detail}`).join('; ')}\n` : '')
  );
}

export function renderConsole(r: ProbeReport): string {
  const out: string[] = [];
  out.push(`trustline probe ${formatTarget({ host: r.target.host, port: r.target.port })}${r.target.serverName ? ` (SNI ${r.target.serverName})` : ''}`);
  out.push(`verdict: ${r.verdict}`);
  out.push(`${r.connections} connection(s) in ${(r.durationMs / 1000).toFixed(1)} s, at most ${r.options.concurrency} at a time, timeout ${r.options.timeoutMs} ms\n`);
  if (r.versions.length) {
    const t = table(['Version', 'Supported', 'Accepted', 'Preference', 'Detail']);
    for (const v of r.versions)
      t.push([v.version, v.supported ? 'yes' : 'no', v.supported ? String(v.suites.filter((p) => p.result === 'accepted').length) : '', v.supported ? v.preference : '', v.detail]);
    out.push(t.toString() + '\n');
    const sip = r.options.sip !== 'off';
    for (const v of r.versions) if (v.supported) out.push(versionTable(v, sip));
  }
  if (r.groups.length) {
    const t = table(['Version', 'Group', 'Accepted', 'Detail']);
    for (const g of r.groups) t.push([g.version, g.group, g.accepted ? 'yes' : 'no', g.detail]);
    out.push('Named groups\n' + t.toString() + '\n');
  }
  if (r.sigalgs.length) {
    const t = table(['Version', 'Signature scheme', 'Accepted', 'Detail']);
    for (const s of r.sigalgs) t.push([s.version, s.sigalg, s.accepted ? 'yes' : 'no', s.detail]);
    out.push('Signature schemes\n' + t.toString() + '\n');
  }
  if (r.certificates.length) {
    const t = table(['Certificate', 'Subject', 'Issuer', 'Valid', 'Served with']);
    for (const c of r.certificates) {
      const x = c.certificate;
      const valid = `${x.validFrom.slice(0, 10)} .. ${x.validTo.slice(0, 10)}${x.expired ? ' EXPIRED' : x.notYetValid ? ' NOT YET VALID' : ''}`;
      t.push([x.label + (x.selfSigned ? ' (self-signed)' : ''), x.subject, x.issuer, valid, `${c.servedWith.length} suite/version(s): ${c.servedWith.slice(0, 6).join(', ')}${c.servedWith.length > 6 ? ', ...' : ''}`]);
    }
    out.push('Certificates\n' + t.toString() + '\n');
  }
  if (r.clientCertificates.length) {
    const t = table(['Client certificate', 'Requested', 'Outcome', 'Detail', 'CAs named']);
    for (const c of r.clientCertificates)
      t.push([c.variant, c.requested === undefined ? '?' : c.requested ? 'yes' : 'no', c.outcome, c.detail, (c.acceptableCas ?? []).join('; ')]);
    out.push(`Client certificates (${r.clientCertificates[0]?.version ?? ''})\n` + t.toString() + '\n');
  }
  for (const f of r.fallback) {
    const t = table(['Attempt', 'Offer', 'Outcome', 'Detail', 'SIP']);
    for (const a of f.attempts)
      t.push([a.label, `${a.offer.versions.join('/')}: ${a.offer.suites.join(':')}${a.offer.fallbackScsv ? ' +FALLBACK_SCSV' : ''}`, a.outcome, a.detail, sipCell(a.sip, a.handshake)]);
    out.push(`--as ${f.profile}: ${f.description}\n${t.toString()}\nresult: ${f.outcome.toUpperCase()}: ${f.summary}\n`);
  }
  if (r.notes.length) out.push('Notes\n' + r.notes.map((n) => `- ${n}`).join('\n') + '\n');
  return out.join('\n');
}

export function renderJson(r: ProbeReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}
