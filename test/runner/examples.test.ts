// Every scenario in scenarios/examples/ through the real runner (embedded cluster, emulated phones, B2BUA, SRTP media
// at twice real time): each must pass. The few that need what the engine cannot do yet are listed in KNOWN_GAPS with
// the exact steps and expectations that fail and why; they must fail exactly there and nowhere else, so a fix in the
// engine shows up here as "now passes: remove it from KNOWN_GAPS".
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../common/paths.js';
import { runScenarioFiles } from '../../scenarios/run.js';
import type { ScenarioResult } from '../../scenarios/results.js';
import { createExecutorFactory } from '../../scenarios/runner/index.js';

const EXAMPLES = join(projectRoot(), 'scenarios', 'examples');
const FILES = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort();

interface KnownGap {
  why: string;
  /** The scenario cannot be set up: its error contains this. */
  setup?: string;
  /** These expectations fail (step id and path); every other one passes. */
  failures?: { step: string; path: string }[];
}

const KNOWN_GAPS: Record<string, KnownGap> = {};

const factory = createExecutorFactory({ mediaSpeed: 2 });

function failuresOf(r: ScenarioResult): string[] {
  const out = r.errors.filter((e) => e.severity === 'error').map((e) => `error: ${e.message}`);
  for (const s of r.steps) {
    if (s.error) out.push(`step ${s.id} "${s.name}" errored: ${s.error.message}`);
    for (const e of s.expectations) if (!e.pass) out.push(e.message);
  }
  return out;
}

describe('runner: every example scenario against the embedded cluster', function () {
  this.timeout(180_000);
  this.slow(20_000);

  it('covers at least 12 scenarios', () => {
    expect(FILES.length).to.be.at.least(12);
    expect(FILES).to.include('secure-call.yaml');
  });

  it("README's first scenario runs and passes", async () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(readFileSync(join(projectRoot(), 'README.md'), 'utf8'))?.[1];
    expect(yaml, 'README.md has a yaml block').to.be.a('string');
    const dir = mkdtempSync(join(tmpdir(), 'trustline-readme-'));
    try {
      writeFileSync(join(dir, 'my-call.yaml'), yaml!);
      const run = await runScenarioFiles([join(dir, 'my-call.yaml')], { executorFactory: factory });
      expect(failuresOf(run.scenarios[0]!)).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const file of FILES) {
    const gap = KNOWN_GAPS[file];
    it(`${file}${gap ? ` (known gap: ${gap.why})` : ''}`, async () => {
      const run = await runScenarioFiles([join(EXAMPLES, file)], { executorFactory: factory });
      const r = run.scenarios[0]!;
      const failures = failuresOf(r);
      if (!gap) {
        expect(failures, failures.join('\n')).to.deep.equal([]);
        expect(r.status).to.equal('pass');
        return;
      }
      expect(r.status, `${file} now passes: remove it from KNOWN_GAPS`).to.not.equal('pass');
      if (gap.setup) {
        expect(r.errors.map((e) => e.message).join('\n')).to.contain(gap.setup);
        expect(r.steps.every((s) => s.status === 'skipped')).to.equal(true);
        return;
      }
      const failed = r.steps.flatMap((s) => s.expectations.filter((e) => !e.pass).map((e) => ({ step: e.stepId, path: e.path })));
      const errored = r.steps.filter((s) => s.status === 'error');
      expect(errored.map((s) => s.error?.message), 'no step may error').to.deep.equal([]);
      expect(failed, failures.join('\n')).to.have.deep.members(gap.failures ?? []);
    });
  }
});
