// Results fabricated by running example plans through the simulated executor: a passing scenario, the same one
// with a failing expectation and an engine error, a scenario that did not load, and a load test with repeated and
// parallel steps. Every report test renders this.
import { join } from 'node:path';
import { projectRoot } from '../../../common/paths.js';
import { loadScenarioFile, loadScenarioText } from '../../../scenarios/load.js';
import { runPlan } from '../../../scenarios/run-plan.js';
import { failedScenario, summarizeRun, type RunResult } from '../../../scenarios/results.js';
import type { ScenarioPlan } from '../../../scenarios/model.js';
import { SimulatedExecutor } from './simulated-executor.js';

export const EXAMPLES = join(projectRoot(), 'scenarios', 'examples');

export async function examplePlan(file: string): Promise<ScenarioPlan> {
  const r = await loadScenarioFile(join(EXAMPLES, file), { displayName: `scenarios/examples/${file}` });
  if (!r.plan) throw new Error(`${file} does not load: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.plan;
}

export async function fabricatedRun(): Promise<RunResult> {
  const s2 = await examplePlan('s02-lsc-encrypted-call.yaml');
  const ok = new SimulatedExecutor(s2);
  const passed = await runPlan(s2, { executor: ok, clock: ok.clock });

  const broken = new SimulatedExecutor(s2, {
    overrides: {
      // bob's registration negotiated the ECDSA suite with the ECDSA certificate
      '3': (o) => ({
        ...o,
        subjects: o.subjects.map((s) =>
          s.subject === 'bob' ? { ...s, facts: { ...s.facts, tls: { ...s.facts.tls, suite: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', certificate: 'CallManager-ECDSA', certificateType: 'ECDSA' as const } } } : s,
        ),
      }),
    },
  });
  const failed = await runPlan({ ...s2, name: `${s2.name} <with a "failure" & escapes>`, continueOnFailure: true }, { executor: broken, clock: broken.clock });

  const errored = new SimulatedExecutor(s2, { throwOn: ['5'] });
  const withError = await runPlan({ ...s2, name: 'S2 with an engine error in step 5' }, { executor: errored, clock: errored.clock });

  const bad = loadScenarioText('name: broken\nphnoes: {}\ncluster: {}\nsteps: []\n', 'test/scenarios/broken/inline.yaml');
  const notLoaded = failedScenario('test/scenarios/broken/inline.yaml', 'test/scenarios/broken/inline.yaml', bad.errors);

  const load = await examplePlan('load-parallel-calls.yaml');
  const sim = new SimulatedExecutor(load);
  const loadResult = await runPlan(load, { executor: sim, clock: sim.clock });

  return summarizeRun([passed, failed, withError, notLoaded, loadResult], '2025-01-01T12:00:00.000Z', 12_345, 'trustline test');
}
