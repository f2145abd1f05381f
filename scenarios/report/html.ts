// The HTML report: one self-contained page (inline CSS and SVG, no script, no external asset) with, per scenario,
// its steps and expectations, a SIP ladder per call or registration, the TLS facts of every connection, the trust
// decisions of each phone, and media statistics per stream.
import type { ExpectationResult, RunResult, ScenarioResult, StepResult, TrustDecisionRecord } from '../results.js';
import { formatScenarioError } from '../errors.js';
import { formatMs, summaryLine } from './console.js';
import { html } from './escape.js';
import { LADDER_COLORS, renderLadderSvg } from './ladder.js';

export interface HtmlReportOptions {
  title?: string;
  /** Repetitions of a repeated step shown in full (the rest are folded into one line). Default 20. */
  maxRepetitionsShown?: number;
}

const CSS = `
:root{--bg:#f6f7fb;--card:#fff;--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--pass:#15803d;--pass-bg:#dcfce7;--fail:#b91c1c;--fail-bg:#fee2e2;--error:#7e22ce;--error-bg:#f3e8ff;--skip:#64748b;--skip-bg:#f1f5f9;--accent:#2563eb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header.top{background:#0f172a;color:#fff;padding:22px 32px 18px}
header.top h1{margin:0 0 4px;font-size:22px;letter-spacing:.2px}
header.top .meta{color:#cbd5e1;font-size:13px}
.badges{display:flex;gap:8px;flex-wrap:wrap;margin-top:12px}
.badge{border-radius:999px;padding:3px 11px;font-size:12.5px;font-weight:600;background:#1e293b;color:#e2e8f0}
.badge.pass{background:var(--pass);color:#fff}.badge.fail{background:var(--fail);color:#fff}.badge.error{background:var(--error);color:#fff}
main{max-width:1400px;margin:0 auto;padding:20px 24px 40px}
nav.toc{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:12px 16px;margin-bottom:18px}
nav.toc ol{margin:0;padding-left:20px}nav.toc li{margin:3px 0}
nav.toc a{color:var(--ink);text-decoration:none}nav.toc a:hover{text-decoration:underline}
section.scenario{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--skip);border-radius:12px;padding:18px 22px 22px;margin:0 0 22px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
section.scenario.pass{border-left-color:var(--pass)}section.scenario.fail{border-left-color:var(--fail)}section.scenario.error{border-left-color:var(--error)}
section.scenario h2{margin:0 0 4px;font-size:18px;display:flex;gap:10px;align-items:center}
section.scenario h3{font-size:14.5px;margin:22px 0 8px;color:#1e293b;border-bottom:1px solid var(--line);padding-bottom:4px}
.file{color:var(--muted);font-size:12.5px;margin:0 0 6px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.desc{margin:6px 0 0;color:#334155;max-width:980px}
.tag{display:inline-block;background:#eef2ff;color:#3730a3;border-radius:6px;padding:0 7px;margin-left:6px;font-size:11.5px;font-family:system-ui,sans-serif}
.chip{display:inline-block;border-radius:6px;padding:1px 8px;font-size:12px;font-weight:700;letter-spacing:.3px;white-space:nowrap}
.chip.pass{background:var(--pass-bg);color:var(--pass)}.chip.fail{background:var(--fail-bg);color:var(--fail)}.chip.error{background:var(--error-bg);color:var(--error)}.chip.skipped{background:var(--skip-bg);color:var(--skip)}
.chip.good{background:var(--pass-bg);color:var(--pass)}.chip.bad{background:var(--fail-bg);color:var(--fail)}.chip.neutral{background:#e0f2fe;color:#0369a1}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 9px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f8fafc;color:#334155;font-weight:600;font-size:12.5px;position:sticky;top:0}
tr.fail td{background:#fff7f7}tr.error td{background:#fcf8ff}tr.skipped td{color:var(--muted)}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.mono,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
td.bad{color:var(--fail);font-weight:700}
.step-name{font-weight:500}.depth-1{padding-left:22px}.depth-2{padding-left:40px}.depth-3{padding-left:58px}.depth-4{padding-left:76px}
details.exp summary,details.regs summary,details summary{cursor:pointer;color:var(--muted);font-size:12.5px}
details.regs{margin:6px 0 4px}
ul.exp{list-style:none;margin:6px 0 2px;padding:0}
ul.exp li{margin:2px 0;font-size:12.5px}
ul.exp li.ok::before{content:"✓ ";color:var(--pass);font-weight:700}
ul.exp li.ko::before{content:"✗ ";color:var(--fail);font-weight:700}
ul.exp li.ko{color:var(--fail)}
.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;background:#f1f5f9;border-radius:4px;padding:0 4px}
.errors{background:var(--fail-bg);color:var(--fail);border-radius:8px;padding:10px 14px;font-family:ui-monospace,monospace;font-size:12.5px;white-space:pre-wrap}
.errors.warn{background:#fef9c3;color:#854d0e}
figure.flow{margin:12px 0 18px;border:1px solid var(--line);border-radius:10px;background:#fcfdff}
figure.flow figcaption{padding:8px 12px;border-bottom:1px solid var(--line);font-weight:600;display:flex;gap:8px;align-items:center;flex-wrap:wrap}
figure.flow .svgwrap{overflow-x:auto;padding:6px 4px}
.legend{display:flex;gap:14px;font-size:12px;color:var(--muted);margin:4px 0 0}
.legend span::before{content:"";display:inline-block;width:18px;height:3px;margin-right:5px;vertical-align:middle;background:currentColor}
.empty{color:var(--muted);font-style:italic;margin:4px 0}
pre.logs{background:#0f172a;color:#e2e8f0;border-radius:8px;padding:12px;overflow:auto;max-height:420px;font-size:12px}
footer{color:var(--muted);text-align:center;font-size:12px;padding:10px 0 30px}
@media print{header.top{background:#fff;color:#000}section.scenario{break-inside:avoid-page}}
`;

const chip = (status: string, text = status.toUpperCase()) => `<span class="chip ${html(status)}">${html(text)}</span>`;

function expectationItem(e: ExpectationResult): string {
  const who = e.subject ? `<b>${html(e.subject)}</b> ` : e.subjects && e.subjects > 1 ? `<b>${e.subjects} subjects</b> ` : '';
  const body = e.pass
    ? `${who}<span class="path">${html(e.path)}</span> = ${html(e.observed)}${e.implicit ? ' <i>(implicit)</i>' : ''}`
    : e.implicit
      ? `${who}the action failed (observed outcome ${html(e.observed)})`
      : `${who}<span class="path">${html(e.path)}</span>: expected <b>${html(e.expected)}</b>, observed <b>${html(e.observed)}</b>`;
  return `<li class="${e.pass ? 'ok' : 'ko'}" title="${html(e.message)}">${body}${e.where ? ` <span class="mono" style="color:#94a3b8">${html(e.where)}</span>` : ''}</li>`;
}

function stepRow(s: StepResult, extra = ''): string {
  const group = s.kind === 'parallel' || s.kind === 'sequence';
  const failed = s.expectations.filter((e) => !e.pass);
  const t = s.startMs !== undefined && s.endMs !== undefined ? formatMs(s.endMs - s.startMs) : '';
  let detail = '';
  if (s.expectations.length)
    detail = `<details class="exp"${failed.length ? ' open' : ''}><summary>${s.expectations.length - failed.length}/${s.expectations.length} expectations</summary><ul class="exp">${s.expectations.map(expectationItem).join('')}</ul></details>`;
  if (s.error) detail += `<div class="errors">${html(s.error.message)}</div>`;
  return `<tr class="${html(s.status)}" data-step="${html(s.id)}"><td class="mono">${html(s.id)}</td><td class="depth-${Math.min(s.depth, 4)}"><span class="step-name">${html(s.name)}</span>${extra}${detail}</td><td class="mono">${html(group ? (s.repeat ? `repeat ×${s.repeat}` : s.kind) : s.kind)}</td><td>${chip(s.status)}</td><td class="num">${html(t)}</td><td class="mono" style="color:#94a3b8">${html(s.startMs !== undefined ? `${s.startMs.toFixed(0)} ms` : '')}</td></tr>`;
}

function stepsTable(r: ScenarioResult, maxReps: number): string {
  if (!r.steps.length) return '<p class="empty">No steps ran.</p>';
  const rows: string[] = [];
  const shownPerGroup = new Map<string, number>();
  const hiddenPerGroup = new Map<string, number>();
  const repeatOf = new Map<string, string>();
  for (const s of r.steps) {
    const parentRepeat = s.parentId ? (repeatOf.get(s.parentId) ?? (r.steps.find((x) => x.id === s.parentId)?.repeat ? s.parentId : undefined)) : undefined;
    if (parentRepeat) {
      repeatOf.set(s.id, parentRepeat);
      const n = shownPerGroup.get(parentRepeat) ?? 0;
      const interesting = s.status === 'fail' || s.status === 'error';
      if (n >= maxReps && !interesting) {
        hiddenPerGroup.set(parentRepeat, (hiddenPerGroup.get(parentRepeat) ?? 0) + 1);
        continue;
      }
      if (s.parentId === parentRepeat) shownPerGroup.set(parentRepeat, n + 1);
    }
    rows.push(stepRow(s));
  }
  for (const [g, n] of hiddenPerGroup) rows.push(`<tr class="skipped"><td></td><td colspan="5">… ${n} more passing rows of repeated step ${html(g)} not shown</td></tr>`);
  return `<table class="steps"><thead><tr><th>#</th><th>Step</th><th>Kind</th><th>Result</th><th>Time</th><th>Start</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Call ladders shown open; the others are folded (a load test has hundreds). */
const MAX_OPEN_LADDERS = 12;

/** The lock icon phones show for an encrypted call (an inline SVG: no emoji font needed). */
const LOCK = '<svg width="11" height="12" viewBox="0 0 11 12" aria-hidden="true" style="vertical-align:-1px;margin-right:3px"><rect x="1" y="5" width="9" height="7" rx="1.5" fill="currentColor"/><path d="M3 5V3.5a2.5 2.5 0 0 1 5 0V5" fill="none" stroke="currentColor" stroke-width="1.6"/></svg>';

function securityChip(security: string): string {
  if (security === 'encrypted') return `<span class="chip good">${LOCK}encrypted</span>`;
  return chip(security === 'non-secure' ? 'bad' : 'neutral', security);
}

function ladders(r: ScenarioResult, si: number): string {
  if (!r.flows.length) return '<p class="empty">No SIP messages were recorded.</p>';
  const legend = `<div class="legend">${Object.entries(LADDER_COLORS)
    .map(([k, c]) => `<span style="color:${c}">${k}</span>`)
    .join('')}</div>`;
  const indexed = r.flows.map((f, fi) => ({ f, fi }));
  const figure = ({ f, fi }: { f: (typeof r.flows)[number]; fi: number }) => {
    const facts = [
      `<span class="chip neutral">${html(f.kind)}</span>`,
      ...(f.outcome ? [chip(/connected|registered|ok|answered|ended/.test(f.outcome) ? 'good' : 'bad', f.outcome)] : []),
      ...(f.security ? [securityChip(f.security)] : []),
      ...(f.srtpSuite ? [`<span class="mono">${html(f.srtpSuite)}</span>`] : []),
    ].join(' ');
    return `<figure class="flow" id="flow-${si}-${fi}"><figcaption>${html(f.title)} ${facts}</figcaption><div class="svgwrap">${renderLadderSvg(f, { idPrefix: `s${si}f${fi}` })}</div></figure>`;
  };
  // the first calls in full, the rest of a load test and the registrations (one per phone) folded
  const calls = indexed.filter((x) => x.f.kind !== 'registration');
  const regs = indexed.filter((x) => x.f.kind === 'registration');
  const shown = calls.slice(0, MAX_OPEN_LADDERS);
  const more = calls.slice(MAX_OPEN_LADDERS);
  return (
    legend +
    (calls.length ? shown.map(figure).join('') : '<p class="empty">No calls.</p>') +
    (more.length ? `<details class="regs"><summary>${more.length} more call ladder${more.length === 1 ? '' : 's'}</summary>${more.map(figure).join('')}</details>` : '') +
    (regs.length ? `<details class="regs"><summary>${regs.length} registration ladder${regs.length === 1 ? '' : 's'}</summary>${regs.map(figure).join('')}</details>` : '')
  );
}

function connections(r: ScenarioResult): string {
  if (!r.connections.length) return '<p class="empty">No TLS connections were recorded.</p>';
  const rows = r.connections.map(
    (c) =>
      `<tr class="${c.outcome === 'refused' ? 'fail' : ''}"><td class="num">${c.tMs.toFixed(0)} ms</td><td>${html(c.from)}</td><td class="mono">${html(c.to)}</td><td>${html(c.purpose)}</td><td>${chip(c.outcome === 'accepted' ? 'good' : 'bad', c.outcome)}</td><td class="mono">${html(c.version ?? '')}</td><td class="mono">${html(c.suite ?? '')}</td><td>${html(c.certificate ?? '')}${c.certificateType ? ` <span class="tag">${html(c.certificateType)}</span>` : ''}</td><td>${html(c.clientCertificate ?? '')}</td><td class="mono">${html(c.group ?? '')}</td><td>${html(c.refusal ?? '')}</td></tr>`,
  );
  return `<table><thead><tr><th>Time</th><th>Client</th><th>Server</th><th>Use</th><th>Outcome</th><th>Version</th><th>Suite</th><th>Server certificate</th><th>Client certificate</th><th>Group</th><th>Refusal</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const GOOD_TRUST = new Set(['leap-of-faith', 'verified', 'verified-by-tvs', 'accepted-unsigned']);

function trust(r: ScenarioResult): string {
  if (!r.trust.length) return '<p class="empty">No trust decisions were recorded.</p>';
  const byPhone = new Map<string, TrustDecisionRecord[]>();
  for (const d of r.trust) byPhone.set(d.phone, [...(byPhone.get(d.phone) ?? []), d]);
  const rows: string[] = [];
  for (const [phone, list] of byPhone)
    list.forEach((d, i) =>
      rows.push(
        `<tr class="${d.decision.startsWith('rejected') ? 'fail' : ''}">${i === 0 ? `<td rowspan="${list.length}"><b>${html(phone)}</b></td>` : ''}<td class="num">${d.tMs.toFixed(0)} ms</td><td class="mono">${html(d.item)}</td><td>${chip(GOOD_TRUST.has(d.decision) ? 'good' : d.decision === 'not-offered' ? 'neutral' : 'bad', d.decision)}</td><td>${html(d.detail ?? '')}</td></tr>`,
      ),
    );
  return `<table><thead><tr><th>Phone</th><th>Time</th><th>Item</th><th>Decision</th><th>Detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function media(r: ScenarioResult): string {
  if (!r.media.length) return '<p class="empty">No media streams were recorded.</p>';
  const num = (n: number, badIfPositive = false) => `<td class="num${badIfPositive && n > 0 ? ' bad' : ''}">${n.toLocaleString('en-US')}</td>`;
  const rows = r.media.map(
    (m) =>
      `<tr><td class="mono">${html(m.id)}</td><td class="mono">${html(m.call ?? '')}</td><td>${html(m.from)} → ${html(m.to)}</td><td>${chip(m.srtp ? 'good' : 'bad', m.srtp ? 'SRTP' : 'RTP')}</td><td class="mono">${html(m.suite ?? '')}</td><td>${html(m.codec ?? '')}</td>${num(m.packetsSent)}${num(m.packetsReceived)}${num(m.authFailures, true)}${num(m.replays, true)}${num(m.lost, true)}${num(m.late, true)}<td class="num">${m.jitterMs.toFixed(1)}</td></tr>`,
  );
  return `<table><thead><tr><th>Stream</th><th>Call</th><th>Direction</th><th>Protection</th><th>Suite</th><th>Codec</th><th>Sent</th><th>Received</th><th>Auth failures</th><th>Replays</th><th>Lost</th><th>Late</th><th>Jitter (ms)</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function scenarioSection(r: ScenarioResult, i: number, opts: HtmlReportOptions): string {
  const s = r.summary;
  const errs = r.errors.filter((e) => e.severity === 'error');
  const warns = r.errors.filter((e) => e.severity === 'warning');
  return `<section class="scenario ${html(r.status)}" id="scenario-${i}">
<h2>${chip(r.status)} ${html(r.name)}</h2>
<p class="file">${html(r.file)} · ${html(new Date(r.startedAt).toISOString())} · ${html(formatMs(r.durationMs))} · ${s.passed}/${s.steps} steps passed · ${s.expectations - s.expectationsFailed}/${s.expectations} expectations${r.tags.map((t) => `<span class="tag">${html(t)}</span>`).join('')}</p>
${r.description ? `<p class="desc">${html(r.description)}</p>` : ''}
${errs.length ? `<div class="errors">${errs.map((e) => html(formatScenarioError(e))).join('\n')}</div>` : ''}
${warns.length ? `<div class="errors warn">${warns.map((e) => html(formatScenarioError(e))).join('\n')}</div>` : ''}
<h3>Steps</h3>
${stepsTable(r, opts.maxRepetitionsShown ?? 20)}
<h3>SIP ladders</h3>
${ladders(r, i)}
<h3>TLS connections</h3>
${connections(r)}
<h3>Trust decisions</h3>
${trust(r)}
<h3>Media streams</h3>
${media(r)}
${r.logs.length ? `<h3>Logs</h3><details><summary>${r.logs.length} log lines</summary><pre class="logs">${html(r.logs.map((l) => `${l.tMs.toFixed(1).padStart(9)} ms ${l.level.toUpperCase().padEnd(5)} ${l.component ? `[${l.component}] ` : ''}${l.message}`).join('\n'))}</pre></details>` : ''}
</section>`;
}

export function renderHtml(result: RunResult, opts: HtmlReportOptions = {}): string {
  const s = result.summary;
  const title = opts.title ?? `trustline report: ${s.scenarios} scenario${s.scenarios === 1 ? '' : 's'}, ${s.ok ? 'all passed' : `${s.scenariosFailed + s.scenariosErrored} not passed`}`;
  const toc = result.scenarios
    .map((r, i) => `<li>${chip(r.status)} <a href="#scenario-${i}">${html(r.name)}</a> <span class="file">${html(r.file)}</span></li>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${html(result.tool)}">
<title>${html(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="top">
<h1>${html(title)}</h1>
<div class="meta">${html(result.startedAt)} · ${html(summaryLine(result))}</div>
<div class="badges"><span class="badge ${s.ok ? 'pass' : 'fail'}">${s.ok ? 'PASS' : 'FAIL'}</span><span class="badge">${s.scenariosPassed}/${s.scenarios} scenarios</span><span class="badge">${s.passed}/${s.steps} steps</span><span class="badge">${s.expectations - s.expectationsFailed}/${s.expectations} expectations</span><span class="badge">${html(formatMs(result.durationMs))}</span></div>
</header>
<main>
${result.scenarios.length > 1 ? `<nav class="toc"><ol>${toc}</ol></nav>` : ''}
${result.scenarios.map((r, i) => scenarioSection(r, i, opts)).join('\n')}
</main>
<footer>${html(result.tool)} · ${html(result.format)}</footer>
</body>
</html>
`;
}
