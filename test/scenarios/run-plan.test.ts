import { expect } from 'chai';
import { setLogSink } from '../../common/log.js';
import { runPlan } from '../../scenarios/run-plan.js';
import { loadScenarioText } from '../../scenarios/load.js';
import type { ActionStep, ScenarioPlan, StepContext, StepExecutor, StepObservation } from '../../scenarios/model.js';
import { SimulatedExecutor } from './support/simulated-executor.js';
import { examplePlan } from './support/fixtures.js';

function plan(yaml: string): ScenarioPlan {
  const r = loadScenarioText(yaml, 'p.yaml');
  if (!r.plan) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.plan;
}

const TWO = `name: t
cluster: {}
phones:
  a: { model: '8865', mac: 00:1B:54:00:00:01 }
  b: { model: '8865', mac: 00:1B:54:00:00:02 }
`;

const ok = (): StepObservation => ({ outcome: 'ok', subjects: [] });

describe('scenarios: running a plan through a StepExecutor', () => {
  const logs: string[] = [];
  before(() => setLogSink((l) => logs.push(l)));
  after(() => setLogSink((l) => process.stderr.write(l + '\n')));

  it('runs S2 through the simulated executor: every step passes, every record kind is filled', async () => {
    const p = await examplePlan('s02-lsc-encrypted-call.yaml');
    const ex = new SimulatedExecutor(p);
    const r = await runPlan(p, { executor: ex, clock: ex.clock });
    expect(r.steps.map((s) => `${s.id} ${s.status}`)).to.deep.equal(['1 pass', '2 pass', '3 pass', '4 pass', '5 pass', '6 pass', '7 pass']);
    expect(r.status).to.equal('pass');
    expect(r.summary).to.deep.include({ steps: 7, passed: 7, failed: 0, skipped: 0, expectationsFailed: 0 });
    expect(ex.setupCalled && ex.teardownCalled).to.equal(true);
    expect(r.connections.map((c) => c.purpose)).to.deep.equal(['capf', 'capf', 'sip', 'sip']);
    expect(r.flows.find((f) => f.kind === 'call')!.messages.map((m) => m.method ?? m.status)).to.deep.equal(['INVITE', 100, 'INVITE', 180, 180, 200, 200, 'ACK', 'ACK', 'BYE', 'BYE', 200, 200]);
    expect(r.trust.filter((t) => t.phone === 'alice').map((t) => t.decision)).to.deep.equal(['leap-of-faith', 'verified', 'verified', 'verified']);
    expect(r.media).to.have.length(2);
    expect(r.steps[6]!.startMs).to.be.at.least(r.steps[5]!.endMs!);
  });

  it('fails a step whose observation differs, naming the step and the observed value; later steps are skipped', async () => {
    const p = await examplePlan('s02-lsc-encrypted-call.yaml');
    const ex = new SimulatedExecutor(p, {
      overrides: { '3': (o) => ({ ...o, subjects: o.subjects.map((s) => (s.subject === 'bob' ? { ...s, facts: { ...s.facts, tls: { ...s.facts.tls, version: 'TLSv1.1' } } } : s)) }) },
    });
    const r = await runPlan(p, { executor: ex, clock: ex.clock });
    expect(r.status).to.equal('fail');
    expect(r.steps.map((s) => s.status)).to.deep.equal(['pass', 'pass', 'fail', 'skipped', 'skipped', 'skipped', 'skipped']);
    const f = r.steps[2]!.expectations.filter((e) => !e.pass);
    expect(f.map((e) => e.message)).to.deep.equal(['step 3 "register alice, bob" (scenarios/examples/s02-lsc-encrypted-call.yaml:63:18), bob: tls.version: expected TLSv1.2, observed TLSv1.1']);
  });

  it('keeps going after a failure with continueOnFailure', async () => {
    const p = plan(`${TWO}continueOnFailure: true\nsteps:\n  - wait: 1ms\n    expect: { outcome: failed }\n  - wait: 1ms\n`);
    const r = await runPlan(p, { executor: { execute: async () => ok() } });
    expect(r.steps.map((s) => s.status)).to.deep.equal(['fail', 'pass']);
  });

  it('marks a step whose executor throws as an error, not a failure', async () => {
    const p = plan(`${TWO}steps:\n  - wait: 1ms\n  - wait: 2ms\n`);
    const r = await runPlan(p, {
      executor: {
        execute: async (s) => {
          if (s.id === '1') throw new Error('engine exploded');
          return ok();
        },
      },
    });
    expect(r.status).to.equal('error');
    expect(r.steps[0]).to.deep.include({ status: 'error', error: { message: 'engine exploded', stack: r.steps[0]!.error!.stack } });
    expect(r.steps[1]!.status).to.equal('skipped');
    expect(logs.some((l) => l.includes('engine exploded'))).to.equal(true);
  });

  it('stops a step at its time limit and aborts its signal', async () => {
    const p = plan(`${TWO}steps:\n  - wait: 10ms\n    timeout: 30ms\n`);
    let aborted = false;
    const r = await runPlan(p, {
      executor: {
        execute: (_s: ActionStep, ctx: StepContext) =>
          new Promise<StepObservation>((resolve) => {
            ctx.signal.addEventListener('abort', () => {
              aborted = true;
              resolve(ok());
            });
          }),
      },
    });
    expect(r.steps[0]!.status).to.equal('error');
    expect(r.steps[0]!.error!.message).to.equal('step 1 "wait 10ms" timed out after 30 ms');
    expect(aborted).to.equal(true);
  });

  it('runs parallel members at the same time, bounded by the group concurrency', async () => {
    const p = plan(`${TWO}steps:\n  - parallel:\n      - wait: 1ms\n      - wait: 2ms\n      - wait: 3ms\n    concurrency: 2\n  - wait: 4ms\n`);
    let running = 0;
    let peak = 0;
    const order: string[] = [];
    const r = await runPlan(p, {
      executor: {
        execute: async (s) => {
          running++;
          peak = Math.max(peak, running);
          order.push(`start ${s.id}`);
          await new Promise((res) => setTimeout(res, 5));
          order.push(`end ${s.id}`);
          running--;
          return ok();
        },
      },
    });
    expect(peak).to.equal(2);
    expect(order.slice(0, 2)).to.deep.equal(['start 1.1', 'start 1.2']);
    expect(order[order.length - 1]).to.equal('end 2');
    expect(r.steps.map((s) => `${s.id}:${s.kind}:${s.depth}:${s.status}`)).to.deep.equal(['1:parallel:0:pass', '1.1:wait:1:pass', '1.2:wait:1:pass', '1.3:wait:1:pass', '2:wait:0:pass']);
  });

  it('reports a setup failure as a scenario error and still tears down', async () => {
    const p = plan(`${TWO}steps:\n  - wait: 1ms\n`);
    let tornDown = false;
    const ex: StepExecutor = {
      setup: async () => {
        throw new Error('no PKI');
      },
      execute: async () => ok(),
      teardown: async () => {
        tornDown = true;
      },
    };
    const r = await runPlan(p, { executor: ex });
    expect(r.status).to.equal('error');
    expect(r.errors.map((e) => e.message)).to.deep.equal(['setup failed: no PKI']);
    expect(r.steps[0]!.status).to.equal('skipped');
    expect(tornDown).to.equal(true);
  });

  it('stops when the run is cancelled', async () => {
    const p = plan(`${TWO}steps:\n  - wait: 1ms\n  - wait: 1ms\n`);
    const ac = new AbortController();
    const r = await runPlan(p, {
      signal: ac.signal,
      executor: {
        execute: async () => {
          ac.abort(new Error('interrupted'));
          return ok();
        },
      },
    });
    expect(r.steps.map((s) => s.status)).to.deep.equal(['pass', 'skipped']);
  });
});
