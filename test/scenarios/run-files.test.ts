import { expect } from 'chai';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { setLogSink } from '../../common/log.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runCommand, runScenarioFiles } from '../../scenarios/run.js';
import { parseJsonReport } from '../../scenarios/report/json.js';
import { SimulatedExecutor } from './support/simulated-executor.js';
import { EXAMPLES } from './support/fixtures.js';

const BROKEN = join(dirname(fileURLToPath(import.meta.url)), 'broken');

describe('scenarios: running files (what `trustline run` does)', () => {
  before(() => setLogSink(() => {}));
  after(() => setLogSink((l) => process.stderr.write(l + '\n')));

  it('runs every file, keeps the broken one as an errored scenario, and is ok only when all pass', async () => {
    const seen: string[] = [];
    const run = await runScenarioFiles([join(EXAMPLES, 's02-lsc-encrypted-call.yaml'), join(BROKEN, 'wrong-enum.yaml')], {
      executorFactory: (plan) => {
        seen.push(plan.name);
        return new SimulatedExecutor(plan);
      },
    });
    expect(seen).to.have.length(1);
    expect(run.scenarios.map((s) => s.status)).to.deep.equal(['pass', 'error']);
    expect(run.scenarios[1]!.errors).to.have.length(2);
    expect(run.summary.ok).to.equal(false);
    expect(run.tool).to.match(/^trustline \d+\.\d+\.\d+$/);
  });

  it('is ok when every scenario passes', async () => {
    const run = await runScenarioFiles([join(EXAMPLES, 's02-lsc-encrypted-call.yaml')], { executorFactory: (p) => new SimulatedExecutor(p) });
    expect(run.summary).to.deep.include({ ok: true, scenarios: 1, scenariosPassed: 1, steps: 7 });
  });

  it('with checkOnly, loads and validates without running anything', async () => {
    const run = await runScenarioFiles([join(EXAMPLES, 's09-cipher-fallback-probe.yaml')], {
      checkOnly: true,
      executorFactory: () => {
        throw new Error('must not run');
      },
    });
    expect(run.summary.ok).to.equal(true);
    expect(run.scenarios[0]!.name).to.equal('S9 Cipher-fallback probe of the SIP TLS listener (5061)');
  });

  it('runCommand: console report on stdout, other reports in files, exit code 1 when an expectation fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustline-run-'));
    try {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCommand([join(EXAMPLES, 's02-lsc-encrypted-call.yaml'), join(BROKEN, 'unknown-key.yaml')], {
        executorFactory: (p) => new SimulatedExecutor(p),
        reports: [`json=${join(dir, 'r.json')}`, `junit=${join(dir, 'j.xml')}`, `html=${join(dir, 'r.html')}`],
        stdout: { write: (s: string) => out.push(s) },
        stderr: { write: (s: string) => err.push(s) },
      });
      expect(code).to.equal(1);
      expect(out.join('')).to.contain('│ 7 │ hang up c1');
      expect(err.join('')).to.contain("unknown-key.yaml:5:1: error: unknown property 'phnoes' (did you mean 'phones'?)");
      expect(err.join('')).to.contain('wrote junit report');
      expect(parseJsonReport(readFileSync(join(dir, 'r.json'), 'utf8')).scenarios).to.have.length(2);
      expect(readFileSync(join(dir, 'j.xml'), 'utf8')).to.contain('<testsuites name="trustline"');
      expect(readFileSync(join(dir, 'r.html'), 'utf8')).to.contain('<svg class="ladder"');
      const quiet: string[] = [];
      const qerr: string[] = [];
      const ok = await runCommand([join(EXAMPLES, 's02-lsc-encrypted-call.yaml')], {
        executorFactory: (p) => new SimulatedExecutor(p),
        quiet: true,
        stdout: { write: (s: string) => quiet.push(s) },
        stderr: { write: (s: string) => qerr.push(s) },
      });
      expect(ok).to.equal(0);
      expect(qerr).to.deep.equal([]);
      expect(quiet.join('')).to.not.contain('┌');
      expect(quiet.join('')).to.match(/^PASS S2 .*\n\n1 scenario: 1 passed · 7 steps: 7 passed · 31 expectations, 0 failed · /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
