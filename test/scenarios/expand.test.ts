import { expect } from 'chai';
import { loadScenarioText } from '../../scenarios/load.js';
import { isGroup, type ActionStep, type CallActionStep, type CallStep, type GroupStep, type ScenarioPlan, type StepSpec } from '../../scenarios/model.js';
import { MAX_ACTION_STEPS } from '../../scenarios/steps.js';

const HEAD = `name: t
cluster: { securityMode: mixed }
phones:
  alice: { model: '8865', mac: 00:1B:54:00:00:01, line: 1001 }
  bob: { model: '8865', mac: 00:1B:54:00:00:02, line: 1002 }
  callers: { count: 3, model: '7841', mac: 00:1B:54:00:01:00, line: '0100' }
  callees: { count: 3, model: '7841', mac: 00:1B:54:00:02:00, line: 200 }
  pair: { count: 2, model: '7841', mac: 00:1B:54:00:03:00 }
steps:
`;

function plan(steps: string): ScenarioPlan {
  const r = loadScenarioText(HEAD + steps, 't.yaml');
  if (!r.plan) throw new Error(r.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('\n'));
  return r.plan;
}

function errors(steps: string): string[] {
  return loadScenarioText(HEAD + steps, 't.yaml').errors.map((e) => `${e.line}:${e.column} ${e.message}`);
}

const flat = (steps: StepSpec[]): StepSpec[] => steps.flatMap((s) => (isGroup(s) ? [s, ...flat(s.children)] : [s]));

describe('scenarios: expansion of groups, repetition and fan-out', () => {
  it('names group members <group>-N and counts lines up keeping their width', () => {
    const p = plan('  - wait: 1s\n');
    expect(p.groups).to.deep.equal({ callers: ['callers-1', 'callers-2', 'callers-3'], callees: ['callees-1', 'callees-2', 'callees-3'], pair: ['pair-1', 'pair-2'] });
    expect(p.phones.filter((x) => x.group === 'callers').map((x) => [x.mac, x.lines[0]])).to.deep.equal([
      ['001B54000100', '0100'],
      ['001B54000101', '0101'],
      ['001B54000102', '0102'],
    ]);
  });

  it('fans a step out over a group and "all", and resolves per-phone expectations on a group', () => {
    const p = plan(`  - boot: [callers, alice]
    expect:
      phones:
        callers: { registration: { outcome: registered } }
  - reset: all
`);
    const boot = p.steps[0] as ActionStep & { phones: string[] };
    expect(boot.phones).to.deep.equal(['callers-1', 'callers-2', 'callers-3', 'alice']);
    expect(boot.expect.leaves.map((l) => l.subject)).to.deep.equal(['callers-1', 'callers-2', 'callers-3']);
    expect((p.steps[1] as ActionStep & { phones: string[] }).phones).to.have.length(10);
  });

  it('pairs group members in calls and gives each call an id; later steps find them by id or by phone', () => {
    const p = plan(`  - boot: all
  - call: { from: callers, to: callees, id: wave }
  - answer: wave
  - hold: { call: callers-2 }
  - resume: callers-2
  - hangup: { call: wave, by: callees }
  - call: { from: alice, to: callees }
`);
    const call = p.steps[1] as CallStep;
    expect(call.calls).to.deep.equal([
      { id: 'wave[1]', from: 'callers-1', to: 'callees-1' },
      { id: 'wave[2]', from: 'callers-2', to: 'callees-2' },
      { id: 'wave[3]', from: 'callers-3', to: 'callees-3' },
    ]);
    expect((p.steps[2] as CallActionStep).targets).to.deep.equal([
      { call: 'wave[1]', by: 'callees-1' },
      { call: 'wave[2]', by: 'callees-2' },
      { call: 'wave[3]', by: 'callees-3' },
    ]);
    expect((p.steps[3] as CallActionStep).targets).to.deep.equal([{ call: 'wave[2]', by: 'callers-2' }]);
    expect((p.steps[4] as CallActionStep).targets).to.deep.equal([{ call: 'wave[2]', by: 'callers-2' }]);
    expect((p.steps[5] as CallActionStep).targets.map((t) => t.by)).to.deep.equal(['callees-1', 'callees-2', 'callees-3']);
    const oneToMany = p.steps[6] as CallStep;
    expect(oneToMany.calls.map((c) => `${c.id} ${c.from}→${c.to}`)).to.deep.equal(['c7[1] alice→callees-1', 'c7[2] alice→callees-2', 'c7[3] alice→callees-3']);
  });

  it('expands repeat into a sequence of copies with ids 5#1, 5#2 … and per-repetition call ids', () => {
    const p = plan(`  - boot: all
  - name: round
    repeat: 3
    sequence:
      - call: { from: alice, to: bob, id: r }
      - answer: r
      - hangup: r
`);
    const rep = p.steps[1] as GroupStep;
    expect(rep).to.include({ kind: 'sequence', repeat: 3, name: 'round ×3' });
    expect(rep.children.map((c) => c.id)).to.deep.equal(['2#1', '2#2', '2#3']);
    const all = flat(p.steps).filter((s) => !isGroup(s));
    expect(all.map((s) => s.id)).to.deep.equal(['1', '2#1.1', '2#1.2', '2#1.3', '2#2.1', '2#2.2', '2#2.3', '2#3.1', '2#3.2', '2#3.3']);
    expect((all[4] as CallStep).calls[0]!.id).to.equal('r#2');
    expect((all[5] as CallActionStep).targets).to.deep.equal([{ call: 'r#2', by: 'bob' }]);
    expect(all[8]!.iteration).to.deep.equal([3]);
    expect(all[8]!.template).to.equal('steps[1].sequence[1]');
    expect(p.stats.actionSteps).to.equal(10);
  });

  it('keeps parallel groups as a tree with their concurrency', () => {
    const p = plan(`  - parallel:
      - boot: callers
        concurrency: 2
      - boot: callees
    concurrency: 2
  - boot: [alice, bob]
  - parallel:
      - call: { from: alice, to: bob, answer: true, duration: 2s }
      - call: { from: callers, to: callees, answer: true, duration: 1s }
    concurrency: 1
`);
    const g = p.steps[0] as GroupStep;
    expect(g).to.include({ kind: 'parallel', concurrency: 2, id: '1' });
    expect(g.children.map((c) => [c.id, c.kind, (c as { concurrency: number }).concurrency])).to.deep.equal([
      ['1.1', 'boot', 2],
      ['1.2', 'boot', 16],
    ]);
    const calls = p.steps[2] as GroupStep;
    expect(calls.concurrency).to.equal(1);
    expect(calls.children[0]).to.include({ durationMs: 2000, answer: true, timeoutMs: 62_000 });
  });

  it('refuses plans that grow past the step limit, mismatched groups, self-calls and calls across clusters without a trunk', () => {
    expect(errors(`  - repeat: 101\n    sequence:\n      - repeat: ${MAX_ACTION_STEPS / 100}\n        wait: 1ms\n`)).to.deep.equal([
      `12:9 steps[0].sequence[0]: the plan has more than ${MAX_ACTION_STEPS} action steps after repetition: lower repeat (or use count and fan-out, which run inside one step)`,
    ]);
    expect(errors(`  - boot: all\n  - call: { from: callers, to: pair }\n`)).to.deep.equal([
      '11:32 steps[1].call.to: from has 3 phones and to has 2: calls pair group members in order, so use groups of the same size (or one phone on a side)',
    ]);
    expect(errors(`  - boot: all\n  - call: { from: alice, to: alice }\n`)).to.deep.equal(["11:30 steps[1].call.to: phone 'alice' cannot call itself"]);
    expect(errors(`  - boot: all\n  - hangup: { call: alice, by: bob }\n`)).to.deep.equal(["11:21 steps[1].hangup.call: phone 'alice' has no call at this point"]);
    expect(errors(`  - boot: all\n  - call: { from: alice, to: bob, id: x, duration: 1s }\n  - hangup: x\n`)).to.deep.equal([
      '12:13 steps[2].hangup: call x has already ended (its duration hangs it up, or a hangup step did)',
    ]);
    expect(errors(`  - boot: alice\n  - clearFault: nope\n  - enroll: bob\n`)).to.deep.equal([
      "11:17 steps[1].clearFault: fault 'nope' is not active (no fault is active here)",
      "12:13 steps[2].enroll: phone 'bob' has not booted yet: boot it (register: false is enough) before it enrolls",
    ]);
    const two = loadScenarioText(
      `name: t
clusters: { us: {}, emea: {} }
phones:
  a: { model: '8865', mac: 00:1B:54:00:00:01, cluster: us }
  b: { model: '8865', mac: 00:1B:54:00:00:02, cluster: emea }
steps:
  - boot: [a, b]
  - call: { from: a, to: b }
`,
      't.yaml',
    );
    expect(two.errors.map((e) => `${e.line}:${e.column} ${e.message}`)).to.deep.equal(['8:26 steps[1].call.to: a (cluster us) and b (cluster emea) are on different clusters and no trunk connects them']);
  });

  it('lets a call to an unregistered phone through when the step expects the call to fail', () => {
    const p = plan(`  - boot: alice
  - boot: { phones: bob, register: false }
  - call: { from: alice, to: bob }
    expect: { call: { outcome: failed } }
`);
    expect(p.steps[2]!.kind).to.equal('call');
  });

  it('treats a registration expected to fail as leaving the phone unregistered', () => {
    expect(errors(`  - boot: alice
  - boot: bob
    expect: { registration: { outcome: refused, status: 403 } }
  - call: { from: alice, to: bob }
`)).to.deep.equal(["13:30 steps[2].call.to: phone 'bob' is not registered at this point: the boot at line 11 expects its registration to fail"]);
  });

  it('tracks moves between clusters and faults by id', () => {
    const r = loadScenarioText(
      `name: t
clusters: { old: {}, new: {} }
phones:
  a: { model: '8865', mac: 00:1B:54:00:00:01, cluster: old }
steps:
  - boot: a
  - move: { phones: a, to: new }
  - move: { phones: a, to: new }
  - fault: { type: capf-refusal, id: f1 }
  - fault: { type: packet-corruption, id: f1, phones: a, corrupt: auth-tag, rate: 0.5 }
  - clearFault: all
`,
      't.yaml',
    );
    expect(r.errors.map((e) => `${e.line}:${e.column} ${e.message}`)).to.deep.equal([
      "8:28 steps[2].move.to: phone 'a' is already on cluster new",
      "10:43 steps[4].fault.id: fault 'f1' is already active: clear it first or give another id",
    ]);
  });

  it('normalizes a fault with its defaults and a set step with only what it changes', () => {
    const p = plan(`  - boot: alice
  - fault: { type: packet-corruption, phones: alice }
  - fault: { type: cipher-mismatch, phones: bob, srtpSuites: [AES_CM_128_HMAC_SHA1_32] }
  - set: { parameters: { tlsCiphers: ecdsa-only, minTlsVersion: '1.2' }, capf: { endpointAdvancedEncryption: true } }
  - set: { phones: callers, profile: Universal Device Template - Model-independent Security Profile, authString: 123456 }
  - clearFault: [fault-1, fault-2]
`);
    expect((p.steps[1] as { fault: unknown }).fault).to.deep.equal({ id: 'fault-1', type: 'packet-corruption', cluster: 'cucm', phones: ['alice'], corrupt: 'payload', direction: 'both', rate: 0.01 });
    expect((p.steps[2] as { fault: unknown }).fault).to.deep.include({ id: 'fault-2', srtpSuites: ['AES_CM_128_HMAC_SHA1_32'] });
    expect(p.steps[3]).to.deep.include({ kind: 'set', cluster: 'cucm', parameters: { tlsCiphers: 'ecdsa-only', minTlsVersion: '1.2' }, capf: { endpointAdvancedEncryption: true }, phones: [] });
    expect(p.steps[4]).to.deep.include({ phones: ['callers-1', 'callers-2', 'callers-3'], phone: { profile: 'Universal Device Template - Model-independent Security Profile', authString: '123456' } });
    expect(p.steps[5]).to.deep.include({ faults: ['fault-1', 'fault-2'] });
  });
});
