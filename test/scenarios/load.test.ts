import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenarioFile, loadScenarioText } from '../../scenarios/load.js';
import { formatScenarioError } from '../../scenarios/errors.js';
import { isGroup, type ActionStep, type CallStep, type ScenarioPlan, type StepSpec } from '../../scenarios/model.js';
import { DEFAULT_PHONE_PROFILE } from '../../scenarios/declarations.js';
import { EXAMPLES, examplePlan } from './support/fixtures.js';

const actions = (steps: StepSpec[]): ActionStep[] => steps.flatMap((s) => (isGroup(s) ? actions(s.children) : [s]));

describe('scenarios: loading the examples', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

  it('has at least 12 examples, covering S1, S2, S9, S11, S12, S13, S18 and a legacy-to-current call', () => {
    expect(files.length).to.be.at.least(12);
    for (const want of ['s01-', 's02-', 's09-', 's11-', 's12-', 's13-', 's18-', 'legacy-to-current']) expect(files.some((f) => f.startsWith(want)), want).to.equal(true);
  });

  for (const f of files)
    it(`loads ${f} without errors or warnings`, async () => {
      const r = await loadScenarioFile(join(EXAMPLES, f));
      expect(r.errors.map((e) => formatScenarioError(e, r.text))).to.deep.equal([]);
      expect(r.plan).to.not.equal(undefined);
      expect(r.plan!.stats.actionSteps).to.be.greaterThan(0);
      // every example references its seed scenario and describes itself
      expect(r.plan!.description ?? '').to.have.length.greaterThan(40);
    });

  it('normalizes S2: defaults, MACs, device names, profiles, steps and call ids', async () => {
    const p: ScenarioPlan = await examplePlan('s02-lsc-encrypted-call.yaml');
    expect(p.clusters).to.have.length(1);
    const c = p.clusters[0]!;
    expect(c).to.include({ name: 'cucm', hostname: 'cucm-pub', domain: 'trustline.test', securityMode: 'mixed', version: '14' });
    expect(c.parameters).to.include({ tlsCiphers: 'all-rsa', srtpCiphers: 'all-supported', minTlsVersion: '1.0', httpsCiphers: 'rsa-only' });
    expect(c.certificates['CallManager-ECDSA']).to.include({ keyType: 'EC', keySize: 384, hash: 'SHA384', present: true });
    expect(c.certificates.CallManager).to.include({ keyType: 'RSA', keySize: 2048, hash: 'SHA256' });
    expect(c.capf).to.include({ active: true, certificateIssuer: 'capf', validityDays: 1825 });
    const alice = p.phones.find((x) => x.name === 'alice')!;
    expect(alice).to.include({ mac: '001B540A0001', deviceName: 'SEP001B540A0001', cluster: 'cucm', profile: 'UDT-Encrypted-LSC.ent-pa.com', capfOperation: 'install-upgrade', authMode: 'existing-lsc' });
    expect(alice.lines).to.deep.equal(['1001']);
    expect(alice.location).to.include({ line: 28, column: 3 });
    expect(p.phoneProfiles['UDT-Encrypted-LSC.ent-pa.com']).to.include({ deviceSecurityMode: 'encrypted', transport: 'TLS', keyOrder: 'rsa-only', rsaKeySize: 2048 });
    expect(p.phoneProfiles[DEFAULT_PHONE_PROFILE]).to.include({ deviceSecurityMode: 'non-secure', transport: 'TCP', builtIn: true });
    expect(p.steps.map((s) => s.kind)).to.deep.equal(['boot', 'enroll', 'register', 'call', 'answer', 'wait', 'hangup']);
    const call = p.steps[3] as CallStep;
    expect(call.calls).to.deep.equal([{ id: 'c1', from: 'alice', to: 'bob' }]);
    expect(p.steps[4]).to.deep.include({ targets: [{ call: 'c1', by: 'bob' }] });
    expect(p.steps[6]).to.deep.include({ targets: [{ call: 'c1', by: 'alice' }] });
    expect(p.steps[5]).to.include({ kind: 'wait', durationMs: 2000, timeoutMs: 62_000 });
    expect(p.steps[0]).to.include({ register: false, door: 'tftp' });
    expect(p.steps[0]!.location).to.include({ line: 42, column: 5 });
  });

  it('expands groups of phones (MACs and lines count up) and multi-cluster declarations', async () => {
    const load = await examplePlan('load-parallel-calls.yaml');
    expect(load.phones).to.have.length(40);
    expect(load.groups.caller).to.have.length(20);
    const c20 = load.phones.find((x) => x.name === 'caller-20')!;
    expect(c20).to.include({ group: 'caller', index: 20, mac: '024C00000014' });
    expect(c20.lines).to.deep.equal(['8020']);
    expect(load.timeoutMs).to.equal(300_000);
    expect(load.stepTimeoutMs).to.equal(90_000);
    const s13 = await examplePlan('s13-migration-between-clusters.yaml');
    expect(s13.clusters.map((c) => [c.name, c.hostname, c.version])).to.deep.equal([
      ['old', 'old-pub', '12.5'],
      ['new', 'new-pub', '14'],
      ['sibling', 'sibling-pub', '14'],
    ]);
    expect(s13.clusters[2]!.certificates.ITLRecovery.sharedWith).to.equal('old');
    const s3 = await examplePlan('s03-online-ca-intercluster-trunk.yaml');
    expect(s3.trunks.map((t) => t.name)).to.deep.equal(['us-emea', 'us-emea-wrong-subject']);
    expect(s3.trunks[0]!.ends[0]).to.deep.equal({ cluster: 'us', profile: 'To-EMEA-Encrypted', port: 5061, srtpAllowed: true });
    expect(s3.trunkProfiles['To-EMEA-Encrypted']!.x509SubjectNames).to.deep.equal(['emea-cm-pub-ms.ent-pa.com']);
    expect(s3.clusters[0]!.capf.onlineCa).to.deep.equal({ hostname: 'ent-pa-ca.ent-pa.com', port: 443, template: 'CiscoLSC', type: 'microsoft-ca' });
    const trunkCall = actions(s3.steps).find((s) => s.kind === 'call') as CallStep;
    expect(trunkCall.calls[0]).to.deep.equal({ id: 'intl', from: 'alice', to: 'bob', via: 'us-emea' });
  });

  it('turns expectations into leaves with the line and column they are written on', async () => {
    const p = await examplePlan('legacy-to-current-call.yaml');
    const boot = p.steps[0]!;
    const leaf = boot.expect.leaves.find((l) => l.subject === 'legacy' && l.path === 'tls.version')!;
    expect(leaf.matcher).to.deep.equal({ op: 'equals', value: 'TLSv1' });
    // Where the value stands in the file, found from the text so the example can grow without breaking this test.
    const lines = readFileSync(join(EXAMPLES, 'legacy-to-current-call.yaml'), 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('tls: { version: TLSv1,'));
    expect(leaf.location).to.include({ line: at + 1, column: lines[at]!.indexOf('TLSv1') + 1 });
    expect(boot.expect.implicitOk).to.equal(false);
    const call = p.steps[1]!;
    const received = call.expect.leaves.find((l) => l.path === 'media.packetsReceived')!;
    expect(received.matcher).to.deep.equal({ op: 'compare', cmp: '>', value: 0 });
    expect(call.expect.implicitOk).to.equal(false);
    const set = p.steps[2]!;
    expect(set.expect).to.deep.equal({ leaves: [], implicitOk: true });
    expect(set).to.deep.include({ kind: 'set', parameters: { srtpCiphers: 'strongest' } });
  });

  it('follows YAML anchors and merge keys (x-… keys hold anchors) and locates errors in merged phones', () => {
    const text = `name: anchors
cluster: {}
x-phone: &phone { model: '8865', line: 1001 }
phones:
  a: { <<: *phone, mac: 00:1B:54:00:00:01 }
  b: { <<: *phone, mac: 00:1B:54:00:00:02, profile: Nope }
steps:
  - boot: [a, b]
`;
    const r = loadScenarioText(text, 'a.yaml');
    expect(r.errors.map((e) => `${e.line}:${e.column} ${e.message}`)).to.deep.equal(["6:53 phones.b.profile: unknown phone security profile 'Nope' (none is declared)"]);
    const ok = loadScenarioText(text.replace(', profile: Nope', ''), 'a.yaml');
    expect(ok.plan!.phones.map((p) => [p.name, p.model, p.lines[0]])).to.deep.equal([
      ['a', '8865', '1001'],
      ['b', '8865', '1001'],
    ]);
    expect(ok.errors).to.deep.equal([]);
  });

  it('loads the example at the top of scenarios/README.md', () => {
    const readme = readFileSync(join(EXAMPLES, '..', 'README.md'), 'utf8');
    const first = /```yaml\n([\s\S]*?)```/.exec(readme)![1]!;
    const r = loadScenarioText(first, 'README.md');
    expect(r.errors).to.deep.equal([]);
    expect(r.plan!.stats.actionSteps).to.equal(6);
  });

  it('reports a missing cluster, an empty file and a file that is not a mapping', () => {
    const none = loadScenarioText('name: x\nsteps:\n  - wait: 1s\n', 'none.yaml');
    expect(none.errors.map((e) => `${e.line}:${e.column} ${e.message}`)).to.deep.equal(['1:1 missing cluster: declare cluster: (one cluster) or clusters: (several by name)']);
    const both = loadScenarioText('name: x\ncluster: {}\nclusters: { a: {} }\nsteps:\n  - wait: 1s\n', 'both.yaml');
    expect(both.errors[0]).to.include({ line: 3, column: 1 });
    expect(both.errors[0]!.message).to.contain('not both');
    const list = loadScenarioText('- a\n- b\n', 'list.yaml');
    expect(list.errors[0]!.message).to.equal('a scenario is a mapping with name, cluster, phones and steps');
    const empty = loadScenarioText('', 'empty.yaml');
    expect(empty.plan).to.equal(undefined);
    expect(empty.errors).to.have.length(1);
  });

  it('reports a file it cannot read at 1:1, and refuses oversized files', async () => {
    const r = await loadScenarioFile('/nonexistent/dir/x.yaml', { displayName: 'x.yaml' });
    expect(r.errors).to.have.length(1);
    expect(r.errors[0]).to.include({ file: 'x.yaml', line: 1, column: 1, code: 'io' });
    expect(r.errors[0]!.message).to.contain('ENOENT');
    const big = loadScenarioText(`name: x\n# ${'x'.repeat(2 * 1024 * 1024)}\n`, 'big.yaml');
    expect(big.errors[0]).to.include({ code: 'limit' });
  });

  it('bounds alias expansion (billion laughs) with an error, not a hang', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]`);
    const r = loadScenarioText(lines.join('\n') + '\nname: x\n', 'lol.yaml');
    expect(r.plan).to.equal(undefined);
    expect(r.errors[0]!.message).to.match(/alias|YAML/i);
  });
});
