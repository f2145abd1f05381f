// The HTML report rendered by a real browser (Debian chromium, headless): a screenshot is taken, and the DOM after
// layout shows the ladders' arrows with their labels, laid out with a real width.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setLogSink } from '../../common/log.js';
import { renderHtml } from '../../scenarios/report/html.js';
import { requirePeer } from '../support/peers.js';
import { fabricatedRun } from './support/fixtures.js';

function chromium(args: string[], profile: string): Promise<string> {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
  return new Promise((resolve, reject) => {
    execFile('chromium', [...flags, ...args], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

/** Appended to a copy of the page: measures what the browser laid out and writes it into the DOM. */
const MEASURE = `<script>
const ladders = [...document.querySelectorAll('svg.ladder')];
const arrows = [...document.querySelectorAll('svg.ladder g.msg')].map((g) => {
  const a = g.querySelector('.arrow'); const l = g.querySelector('.label');
  const box = a.getBBox();
  return { method: g.dataset.method || null, status: g.dataset.status || null, label: l ? l.textContent : '', width: box.width, height: box.height, labelWidth: l ? l.getComputedTextLength() : 0 };
});
const lanes = [...document.querySelectorAll('svg.ladder g.lane')].length;
const visible = ladders.filter((s) => s.getBoundingClientRect().width > 100 && s.getBoundingClientRect().height > 50).length;
const pre = document.createElement('pre'); pre.id = 'measure';
pre.textContent = JSON.stringify({ ladders: ladders.length, visible, lanes, arrows });
document.body.appendChild(pre);
</script>`;

describe('scenarios: the HTML report in headless Chromium', function () {
  this.timeout(120_000);
  let dir: string;
  let page: string;

  before(async function () {
    requirePeer(this, 'chromium', 'chromium');
    setLogSink(() => {});
    const run = await fabricatedRun();
    setLogSink((l) => process.stderr.write(l + '\n'));
    dir = mkdtempSync(join(tmpdir(), 'trustline-html-'));
    page = join(dir, 'report.html');
    writeFileSync(page, renderHtml(run));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes a 1280x2000 screenshot of the page', async () => {
    const png = join(dir, 'report.png');
    await chromium([`--screenshot=${png}`, '--window-size=1280,2000', `file://${page}`], join(dir, 'profile-shot'));
    const b = readFileSync(png);
    expect(b.subarray(0, 8).toString('hex')).to.equal('89504e470d0a1a0a');
    expect(b.subarray(12, 16).toString('ascii')).to.equal('IHDR');
    expect([b.readUInt32BE(16), b.readUInt32BE(20)]).to.deep.equal([1280, 2000]);
    expect(b.length).to.be.greaterThan(30_000); // a blank page is a few KB
  });

  it('keeps the ladder SVG (arrows with method and status labels) in the DOM it renders', async () => {
    const dom = await chromium(['--dump-dom', `file://${page}`], join(dir, 'profile-dom'));
    expect(dom).to.match(/<svg class="ladder"/);
    expect(dom).to.match(/<g class="msg request" data-kind="request" data-method="INVITE">/);
    for (const label of ['INVITE', '100 Trying', '180 Ringing', '200 OK', 'ACK', 'BYE', 'REGISTER']) expect(dom).to.contain(`>${label}</text>`);
  });

  it('lays the arrows out: every arrow has a width, every label its text', async () => {
    const measured = join(dir, 'measured.html');
    writeFileSync(measured, readFileSync(page, 'utf8').replace('</body>', `${MEASURE}</body>`));
    const dom = await chromium(['--dump-dom', `file://${measured}`], join(dir, 'profile-measure'));
    const m = /<pre id="measure">([^<]+)<\/pre>/.exec(dom);
    expect(m, 'the measuring script ran').to.not.equal(null);
    const r = JSON.parse(m![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as {
      ladders: number;
      visible: number;
      lanes: number;
      arrows: { method: string | null; status: string | null; label: string; width: number; labelWidth: number }[];
    };
    expect(r.ladders).to.be.greaterThan(3);
    // registration ladders are folded in <details>, so only the call ladders are laid out visibly
    expect(r.visible).to.be.greaterThan(0);
    expect(r.lanes).to.be.at.least(r.ladders * 2);
    const invites = r.arrows.filter((a) => a.method === 'INVITE');
    expect(invites.length).to.be.greaterThan(0);
    for (const a of r.arrows.filter((x) => x.method === 'INVITE' || x.status === '200')) {
      expect(a.width, `${a.label} arrow`).to.be.greaterThan(100);
      expect(a.labelWidth, `${a.label} label`).to.be.greaterThan(10);
    }
  });
});
