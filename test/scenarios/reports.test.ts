import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setLogSink } from '../../common/log.js';
import type { RunResult } from '../../scenarios/results.js';
import { renderConsole } from '../../scenarios/report/console.js';
import { parseJsonReport, renderJson, ReportFormatError } from '../../scenarios/report/json.js';
import { renderJunit } from '../../scenarios/report/junit.js';
import { xmlAttr, xmlText } from '../../scenarios/report/escape.js';
import { renderHtml } from '../../scenarios/report/html.js';
import { renderLadderSvg } from '../../scenarios/report/ladder.js';
import { parseReportSpec, renderReport, writeAtomically } from '../../scenarios/report/index.js';
import { requirePeer } from '../support/peers.js';
import { fabricatedRun } from './support/fixtures.js';

/** A small XML 1.0 well-formedness check: one root, balanced tags, quoted unique attributes, known entities. */
export function checkWellFormedXml(xml: string): void {
  let s = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const name = '[A-Za-z_][\\w.-]*';
  while (s.length) {
    const lt = s.indexOf('<');
    const text = lt < 0 ? s : s.slice(0, lt);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) throw new Error(`bad entity in text near ${JSON.stringify(text.slice(0, 40))}`);
    if (text.includes('>')) throw new Error('raw > in text');
    if (!stack.length && text.trim()) throw new Error('text outside the root');
    if (lt < 0) break;
    s = s.slice(lt);
    const close = new RegExp(`^</(${name})\\s*>`).exec(s);
    if (close) {
      if (stack.pop() !== close[1]) throw new Error(`mismatched </${close[1]}>`);
      s = s.slice(close[0].length);
      continue;
    }
    const open = new RegExp(`^<(${name})((?:\\s+${name}\\s*=\\s*"[^"<]*")*)\\s*(/?)>`).exec(s);
    if (!open) throw new Error(`malformed tag near ${JSON.stringify(s.slice(0, 60))}`);
    const attrs = [...open[2]!.matchAll(new RegExp(`(${name})\\s*=\\s*"([^"<]*)"`, 'g'))];
    const names = attrs.map((a) => a[1]);
    if (new Set(names).size !== names.length) throw new Error(`duplicate attribute in <${open[1]}>`);
    for (const a of attrs) if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(a[2]!)) throw new Error(`bad entity in attribute ${a[1]}`);
    if (!stack.length) roots++;
    if (!open[3]) stack.push(open[1]!);
    s = s.slice(open[0].length);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('> <')}>`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}

describe('scenarios: reports', () => {
  let run: RunResult;
  before(async () => {
    setLogSink(() => {});
    run = await fabricatedRun();
    setLogSink((l) => process.stderr.write(l + '\n'));
  });

  it('console: a table per scenario, the failures in full and one summary line', () => {
    const out = renderConsole(run);
    expect(out).to.contain('┌───┬');
    expect(out).to.match(/│ # +│ Step +│ Kind +│ Expect +│ Result +│ Time +│/);
    expect(out).to.match(/│ 3 +│ register alice, bob +│ register +│ 9\/12 +│ fail +│/);
    expect(out).to.contain(
      '✗ step 3 "register alice, bob" (scenarios/examples/s02-lsc-encrypted-call.yaml:64:16), bob: tls.suite: expected TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, observed TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    );
    expect(out).to.contain('! step 5 "answer c1" (scenarios/examples/s02-lsc-encrypted-call.yaml:73:5): simulated engine failure in step 5');
    expect(out).to.contain("test/scenarios/broken/inline.yaml:2:1: error: unknown property 'phnoes' (did you mean 'phones'?)");
    // a repeated step is one row
    expect(out).to.match(/│ 2 +│ round of calls ×3 +│ call +│ 21\/21 +│ pass ×3 +│/);
    expect(out.trimEnd().split('\n').pop()).to.equal('5 scenarios: 2 passed, 1 failed, 2 errors · 26 steps: 22 passed, 1 failed, 1 error, 2 skipped · 108 expectations, 3 failed · 12.35 s');
    expect(out).to.not.contain('\x1b[');
    expect(renderConsole(run, { color: true })).to.contain('\x1b[32m');
    expect(renderConsole(run, { expandRepeats: true })).to.match(/│ 2#3 +│ +round of calls +│ call/);
  });

  it('JSON: round-trips the results model and refuses other documents', () => {
    const text = renderJson(run);
    expect(parseJsonReport(text)).to.deep.equal(JSON.parse(JSON.stringify(run)));
    expect(parseJsonReport(text).summary.ok).to.equal(false);
    expect(() => parseJsonReport('{"format":"other"}')).to.throw(ReportFormatError, 'is not trustline-results/1');
    expect(() => parseJsonReport('not json')).to.throw(ReportFormatError, 'not JSON');
  });

  it('JUnit: one testsuite per scenario, one testcase per step, failure/error/skipped elements, well-formed', () => {
    const xml = renderJunit(run);
    checkWellFormedXml(xml);
    expect(xml).to.match(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="trustline" tests="27" failures="1" errors="2" skipped="2"/);
    expect((xml.match(/<testsuite /g) ?? []).length).to.equal(5);
    expect((xml.match(/<testcase /g) ?? []).length).to.equal(27);
    expect(xml).to.contain('name="S2 MIC phone enrolls an LSC, registers encrypted and makes an SRTP call &lt;with a &quot;failure&quot; &amp; escapes&gt;"');
    expect(xml).to.contain('<failure message="step 3 &quot;register alice, bob&quot; (scenarios/examples/s02-lsc-encrypted-call.yaml:64:16), bob: tls.suite: expected TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, observed TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" type="expectation">');
    expect(xml).to.contain('<error message="simulated engine failure in step 5" type="error">');
    expect(xml).to.contain('<skipped message="not run: an earlier step failed or the scenario stopped"/>');
    expect(xml).to.match(/<testcase name="load scenario" classname="test\/scenarios\/broken\/inline.yaml"[^>]*>\n\s*<error message="test\/scenarios\/broken\/inline.yaml:2:1: error: unknown property &apos;phnoes&apos;/);
    expect(xml).to.contain('file="scenarios/examples/s02-lsc-encrypted-call.yaml" line="59"');
  });

  it('JUnit passes xmllint (libxml2)', function () {
    requirePeer(this, 'xmllint', 'libxml2-utils');
    const dir = mkdtempSync(join(tmpdir(), 'trustline-junit-'));
    try {
      const f = join(dir, 'junit.xml');
      writeFileSync(f, renderJunit(run));
      const out = execFileSync('xmllint', ['--noout', f], { encoding: 'utf8', stdio: 'pipe', timeout: 20_000 });
      expect(out).to.equal('');
      const count = execFileSync('xmllint', ['--xpath', 'count(//testcase/failure)', f], { encoding: 'utf8', timeout: 20_000 });
      expect(count.trim()).to.equal('1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('escapes XML text and attributes and replaces characters XML cannot carry', () => {
    expect(xmlText('a < b & c > d')).to.equal('a &lt; b &amp; c &gt; d');
    expect(xmlAttr(`"'\n`)).to.equal('&quot;&apos;&#10;');
    expect(xmlText('bell\x07 nul\x00 ok\t')).to.equal('bell\uFFFD nul\uFFFD ok\t');
    expect(xmlText('\uD800 lone surrogate')).to.equal('\uFFFD lone surrogate');
    checkWellFormedXml(`<a x="${xmlAttr('<&>"\'\x01')}">${xmlText('<&>\x02]]>')}</a>`);
  });

  it('HTML: one self-contained page (no script, no external asset) with a ladder per call and the tables', () => {
    const page = renderHtml(run);
    expect(page).to.match(/^<!doctype html>/);
    expect(page).to.not.match(/<script|<link|<img|<iframe|@import|url\(\s*['"]?(https?:|\/\/)/i);
    expect(page).to.not.match(/\s(src|href)="(https?:)?\/\//i);
    expect((page.match(/<svg class="ladder"/g) ?? []).length).to.be.greaterThan(3);
    expect(page).to.contain('data-method="INVITE"');
    expect(page).to.contain('>180 Ringing</text>');
    for (const h of ['Steps', 'SIP ladders', 'TLS connections', 'Trust decisions', 'Media streams']) expect(page).to.contain(`<h3>${h}</h3>`);
    expect(page).to.contain('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
    expect(page).to.contain('leap-of-faith');
    expect(page).to.contain('&lt;with a &quot;failure&quot; &amp; escapes&gt;');
    expect(page).to.not.contain('<with a "failure"');
  });

  it('ladder: one lane per party, arrows with method or status labels, self-messages as loops', () => {
    const svg = renderLadderSvg({
      id: 'x',
      kind: 'call',
      title: 'x',
      parties: ['alice', 'cucm-pub', 'bob'],
      messages: [
        { tMs: 0, from: 'alice', to: 'cucm-pub', method: 'INVITE' },
        { tMs: 5, from: 'cucm-pub', to: 'alice', status: 486, reason: 'Busy Here' },
        { tMs: 6, from: 'bob', to: 'bob', method: 'OPTIONS' },
      ],
    });
    checkWellFormedXml(svg);
    expect((svg.match(/<g class="lane"/g) ?? []).length).to.equal(3);
    expect(svg).to.contain('<g class="msg failure" data-kind="failure" data-status="486">');
    expect(svg).to.contain('>486 Busy Here</text>');
    expect(svg).to.match(/<path class="arrow" d="M[\d.]+,[\d.]+ h36 v16 h-34"/);
  });

  it('renders by format name and parses --report specs', async () => {
    expect(renderReport('json', run)).to.equal(renderJson(run));
    expect(parseReportSpec('junit')).to.deep.equal({ format: 'junit', path: 'trustline-junit.xml' });
    expect(parseReportSpec('html=out/r.html')).to.deep.equal({ format: 'html', path: 'out/r.html' });
    expect(parseReportSpec('console')).to.deep.equal({ format: 'console' });
    expect(() => parseReportSpec('pdf')).to.throw('unknown report "pdf": use console, json, junit, html');
    const dir = mkdtempSync(join(tmpdir(), 'trustline-report-'));
    try {
      const f = join(dir, 'sub', 'r.json');
      await writeAtomically(f, 'x');
      expect(readFileSync(f, 'utf8')).to.equal('x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
