import { expect } from 'chai';
import { evaluateExpectations, matches } from '../../scenarios/evaluate.js';
import { loadScenarioText } from '../../scenarios/load.js';
import type { ExpectationSpec, ObservedMediaStream, StepObservation } from '../../scenarios/model.js';

const where = { file: 's.yaml', line: 10, column: 5 };
const step = { id: '3', name: 'register alice, bob', location: where };

function stream(id: string, over: Partial<ObservedMediaStream> = {}): ObservedMediaStream {
  return { id, srtp: true, suite: 'AEAD_AES_256_GCM', packetsSent: 500, packetsReceived: 500, authFailures: 0, replays: 0, lost: 0, late: 0, jitterMs: 2, ...over };
}

const registered = (suite: string): StepObservation => ({
  outcome: 'ok',
  subjects: [
    { subject: 'alice', kind: 'phone', facts: { registration: { outcome: 'registered', status: 200 }, tls: { version: 'TLSv1.2', suite: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', certificate: 'CallManager' } } },
    { subject: 'bob', kind: 'phone', facts: { registration: { outcome: 'registered', status: 200 }, tls: { version: 'TLSv1.2', suite, certificate: 'CallManager' } } },
  ],
});

/** Expectations as the loader makes them from YAML (so the tests use the real matcher forms). */
function spec(expectYaml: string): ExpectationSpec {
  const r = loadScenarioText(
    `name: t\ncluster: {}\nphones:\n  alice: { model: '8865', mac: 00:1B:54:00:00:01 }\n  bob: { model: '8865', mac: 00:1B:54:00:00:02 }\nsteps:\n  - boot: [alice, bob]\n    expect:\n${expectYaml}`,
    's.yaml',
  );
  if (!r.plan) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.plan.steps[0]!.expect;
}

describe('scenarios: evaluateExpectations', () => {
  it('passes when every subject matches, folding the subjects into one result per path', () => {
    const res = evaluateExpectations(step, spec('      tls: { suite: TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, version: [TLSv1.2, TLSv1.3] }\n      registration: { status: 200 }\n'), registered('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'));
    expect(res.every((r) => r.pass)).to.equal(true);
    expect(res.map((r) => [r.path, r.subjects, r.observed])).to.deep.equal([
      ['outcome', 2, 'ok'],
      ['tls.suite', 2, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
      ['tls.version', 2, 'TLSv1.2'],
      ['registration.status', 2, '200'],
    ]);
    expect(res[0]!.implicit).to.equal(true);
  });

  it('names the step, where the expectation is written, the phone, the path, the expected and the observed value', () => {
    const res = evaluateExpectations(step, spec('      tls: { suite: TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 }\n'), registered('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'));
    const fail = res.find((r) => !r.pass)!;
    expect(fail).to.include({ stepId: '3', subject: 'bob', path: 'tls.suite', expected: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', observed: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', where: 's.yaml:9:21' });
    expect(fail.message).to.equal(
      'step 3 "register alice, bob" (s.yaml:9:21), bob: tls.suite: expected TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, observed TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    );
    const pass = res.find((r) => r.pass && r.path === 'tls.suite')!;
    expect(pass).to.include({ subject: 'alice' });
  });

  it('checks the implicit outcome ok, and says how to expect a failure', () => {
    const obs: StepObservation = { outcome: 'failed', reason: 'TLS handshake refused: no shared cipher', subjects: [{ subject: 'alice', kind: 'phone', facts: { outcome: 'failed', reason: 'no shared cipher' } }] };
    const res = evaluateExpectations(step, { leaves: [], implicitOk: true }, obs);
    expect(res).to.have.length(1);
    expect(res[0]!.pass).to.equal(false);
    expect(res[0]!.message).to.equal(
      'step 3 "register alice, bob" (s.yaml:10:5), alice: the action failed: no shared cipher (observed outcome failed; write expect: { outcome: failed } if that is intended)',
    );
    const expectedFailure = evaluateExpectations(step, spec('      outcome: failed\n      reason: shared cipher\n'), obs);
    expect(expectedFailure.every((r) => r.pass)).to.equal(true);
  });

  it('judges numbers (exact, comparisons, ranges) on every media stream and counts streams', () => {
    const obs: StepObservation = {
      outcome: 'ok',
      subjects: [{ subject: 'alice', kind: 'phone', facts: { media: [stream('a→b'), stream('b→a', { authFailures: 3, jitterMs: 45, packetsReceived: 12 })] } }],
    };
    const res = evaluateExpectations(step, spec("      media: { authFailures: 0, jitterMs: '< 30', packetsReceived: { min: 100, max: 1000 }, streams: 2, suite: AEAD_AES_256_GCM }\n"), obs);
    const fails = res.filter((r) => !r.pass).map((r) => r.message.replace(/^.*?, alice/, 'alice'));
    expect(fails).to.deep.equal([
      'alice stream b→a: media.authFailures: expected 0, observed 3',
      'alice stream b→a: media.jitterMs: expected < 30, observed 45',
      'alice stream b→a: media.packetsReceived: expected between 100 and 1000, observed 12',
    ]);
    expect(res.find((r) => r.path === 'media.streams')).to.include({ pass: true, observed: '2' });
    expect(res.find((r) => r.path === 'media.suite')).to.include({ pass: true });
  });

  it('fails an expectation nothing observed, and a phone the step did not report', () => {
    const res = evaluateExpectations(step, spec('      enrollment: { outcome: issued }\n      phones:\n        bob: { registration: { outcome: registered } }\n'), {
      outcome: 'ok',
      subjects: [{ subject: 'alice', kind: 'phone', facts: {} }],
    });
    expect(res.filter((r) => !r.pass).map((r) => r.message)).to.deep.equal([
      'step 3 "register alice, bob" (s.yaml:9:30), alice: enrollment.outcome: expected issued, observed nothing',
      'step 3 "register alice, bob" (s.yaml:11:41): registration.outcome: expected registered, but phone \'bob\' was not observed in this step',
    ]);
  });

  it('checks cluster facts on the cluster subject and phone facts on the phones', () => {
    const obs: StepObservation = {
      outcome: 'ok',
      subjects: [
        { subject: 'cucm', kind: 'cluster', facts: { cluster: { itlSigner: 'ITLRecovery', phoneResets: 3, itlCertificates: ['CallManager', 'TVS', 'CAPF'], warnings: ['If you use a tokenless CTL … CTL file has the updated CallManager certificate'] } } },
        { subject: 'alice', kind: 'phone', facts: { trust: { itl: 'verified' } } },
      ],
    };
    const res = evaluateExpectations(
      step,
      spec('      cluster: { itlSigner: ITLRecovery, phoneResets: 3, warnings: updated callmanager, itlCertificates: { includes: [TVS, CAPF], excludes: [CallManager-ECDSA] } }\n      trust: { itl: [verified, verified-by-tvs] }\n'),
      obs,
    );
    expect(res.filter((r) => !r.pass)).to.deep.equal([]);
    expect(res.map((r) => `${r.path}@${r.subject}`)).to.include.members(['cluster.itlSigner@cucm', 'trust.itl@alice']);
  });

  it('folds the same failure on many phones of a load test into one result', () => {
    const subjects = Array.from({ length: 50 }, (_, i) => ({ subject: `agent-${i + 1}`, kind: 'phone' as const, facts: { call: { outcome: 'failed' as const } } }));
    const res = evaluateExpectations(step, spec('      call: { outcome: connected }\n'), { outcome: 'ok', subjects });
    const fail = res.filter((r) => !r.pass);
    expect(fail).to.have.length(1);
    expect(fail[0]).to.include({ subject: 'agent-1, agent-2, agent-3, … (50 in all)', subjects: 50, observed: 'failed' });
  });

  it('matchers: text contains (any case) and regex, includes/excludes, comparisons', () => {
    expect(matches({ op: 'contains', text: 'Subject' }, 'peer subject name mismatch')).to.equal(true);
    expect(matches({ op: 'matches', pattern: '^TLS_ECDHE_' }, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384')).to.equal(true);
    expect(matches({ op: 'matches', pattern: '(' }, 'x')).to.equal(false);
    expect(matches({ op: 'includes', values: ['TVS'] }, ['TVS', 'CAPF'])).to.equal(true);
    expect(matches({ op: 'excludes', values: ['TVS'] }, ['TVS'])).to.equal(false);
    expect(matches({ op: 'compare', cmp: '!=', value: 0 }, 0)).to.equal(false);
    expect(matches({ op: 'compare', cmp: '>=', value: 1 }, undefined)).to.equal(false);
    expect(matches({ op: 'range', min: 1 }, 1)).to.equal(true);
    expect(matches({ op: 'oneOf', values: ['a', 'b'] }, 'c')).to.equal(false);
  });

  it('is pure: the same inputs give the same results', () => {
    const e = spec('      tls: { suite: TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 }\n');
    const o = registered('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384');
    const before = JSON.stringify([e, o]);
    expect(evaluateExpectations(step, e, o)).to.deep.equal(evaluateExpectations(step, e, o));
    expect(JSON.stringify([e, o])).to.equal(before);
  });
});
