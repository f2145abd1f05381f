// Model profiles: the built-in families (legacy 79xx, current 88xx, Jabber CSF) and user-defined models in YAML, with
// schema problems reported as file:line:column of the offending YAML node.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_MODELS, builtinModels, getModel, loadModelRegistry, loadModelsFile, ModelLoadError, parseModelsYaml } from '../../endpoints/index.js';
import { tempDir } from './support.js';

function loadError(text: string, file = 'lab.yaml'): ModelLoadError {
  try {
    parseModelsYaml(text, file);
  } catch (e) {
    if (e instanceof ModelLoadError) return e;
    throw e;
  }
  throw new Error('expected a ModelLoadError');
}

describe('endpoints: model profiles', () => {
  it('the legacy family: TLS 1.0 only, RSA only, SHA-1 files, CAPF v2, AES_CM 80/32, TFTP, no 6971', () => {
    const m = getModel('legacy');
    expect(m.id).to.equal('cisco-79xx');
    expect(m.tls.versions).to.deep.equal(['TLSv1']);
    expect(m.tls.serverKeyTypes).to.deep.equal(['RSA']);
    expect(m.certificates).to.deep.include({ capfVersion: 2, fileDigests: ['sha1'] });
    expect(m.certificates.keyGeneration.EC).to.deep.equal([]);
    expect(m.srtp.suites).to.deep.equal(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']);
    expect(m.config).to.include({ https6971: false });
    expect(m.config.transports).to.deep.equal(['tftp']);
    expect(m.trust).to.include({ itlVersion: '1.0', maxTrustListBytes: 65536, maxTrustListCertificates: 39 });
  });

  it('the current family: TLS 1.2 with ECDSA first, CAPF v3 with EC keys, ITL 1.1, 6971, GCM SRTP first', () => {
    const m = getModel('Cisco 8845');
    expect(m.id).to.equal('cisco-88xx');
    expect(m.tls.versions.at(-1)).to.equal('TLSv1.2');
    expect(m.tls.suites[0]).to.equal('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384');
    expect(m.certificates.capfVersion).to.equal(3);
    expect(m.certificates.keyGeneration.EC).to.deep.equal([256, 384, 521]);
    expect(m.trust.itlVersion).to.equal('1.1');
    expect(m.config.https6971).to.equal(true);
    expect(m.srtp.suites.slice(0, 2)).to.deep.equal(['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM']);
  });

  it('every model number the scenarios name resolves, with its own number for the MIC/TVS identity', () => {
    const expected: Record<string, string> = { '7942': 'cisco-79xx', '7945': 'cisco-79xx', '7962': 'cisco-79xx', '7965': 'cisco-79xx', '7975': 'cisco-79xx', '7811': 'cisco-78xx', '7841': 'cisco-78xx', '7861': 'cisco-78xx', '8831': 'cisco-88xx', '8832': 'cisco-88xx', '8865': 'cisco-88xx', '9841': 'cisco-98xx', '9871': 'cisco-98xx', Jabber: 'jabber-csf' };
    for (const [name, id] of Object.entries(expected)) {
      const m = getModel(name);
      expect(m.id, name).to.equal(id);
      if (name !== 'Jabber') expect(m.modelNumber, name).to.equal(name);
    }
    expect(getModel('Cisco 8865').models).to.deep.equal(['Cisco 8865']);
    expect(getModel('cisco-88xx').modelNumber, 'the family itself').to.equal('8845');
  });

  it('the soft client: no MIC, no ITL or CTL, unsigned config, CSF device names', () => {
    const m = getModel('jabber');
    expect(m).to.include({ kind: 'soft-client', deviceNamePrefix: 'CSF' });
    expect(m.certificates.mic).to.equal(null);
    expect(m.trust).to.include({ ctl: false, itl: false, tvs: false });
    expect(m.config.signedConfig).to.equal(false);
  });

  it('every built-in model names its sources and passes its own schema', () => {
    for (const m of BUILTIN_MODELS) {
      expect(Object.keys(m.sources).length, m.id).to.be.greaterThan(3);
      const yaml = `models:\n  - id: copy-${m.id}\n    extends: ${m.id}\n`;
      expect(parseModelsYaml(yaml)[0]!.tls).to.deep.equal(m.tls);
    }
    expect(() => builtinModels.get('cisco-9999')).to.throw(/unknown phone model "cisco-9999" \(known: cisco-79xx, cisco-78xx, cisco-88xx, cisco-98xx, jabber-csf\)/);
  });

  it('a user model extends a built-in one; OpenSSL suite names become IANA names', () => {
    const [m] = parseModelsYaml(
      [
        'models:',
        '  - id: lab-8865-strict',
        '    extends: cisco-88xx',
        '    models: [Cisco 8865]',
        '    tls:',
        '      fallback: none',
        '      suites: [ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256]',
        '    srtp: { suites: [AEAD_AES_128_GCM] }',
        '',
      ].join('\n'),
    );
    expect(m!.tls.suites).to.deep.equal(['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']);
    expect(m!.tls.versions, 'inherited').to.deep.equal(['TLSv1', 'TLSv1.1', 'TLSv1.2']);
    expect(m!.models).to.deep.equal(['Cisco 8865']);
    expect(m!.sources['tls.suites']).to.be.a('string');
  });

  it('schema errors name file:line:column: unknown property, bad enum, bad pattern', () => {
    const e = loadError(
      [
        'models:', //                                            1
        '  - id: lab-1', //                                      2
        '    extends: cisco-88xx', //                            3
        '    modelNumber: 88x5', //                              4
        '    tls:', //                                           5
        '      versions: [TLSv1.2, TLSv1.3]', //                 6
        '      colour: blue', //                                 7
        '',
      ].join('\n'),
    );
    expect(e.message.split('\n')).to.deep.equal([
      'lab.yaml:4:18: /models/0/modelNumber: must match pattern "^[0-9]{4}$"',
      'lab.yaml:7:7: /models/0/tls: unknown property "colour"',
      'lab.yaml:6:27: /models/0/tls/versions/1: must be one of "TLSv1", "TLSv1.1", "TLSv1.2"',
    ]);
    expect(e.issues[0]).to.deep.include({ file: 'lab.yaml', line: 4, col: 18, path: '/models/0/modelNumber' });
  });

  it('semantic errors: unknown suite, a suite the versions cannot carry, EC keys without CAPF v3, unknown base', () => {
    const e = loadError(
      [
        'models:',
        '  - id: lab-2',
        '    extends: cisco-79xx',
        '    tls:',
        '      suites: [AES128-SHA, TLS_FOO_WITH_BAR, ECDHE-RSA-AES128-GCM-SHA256]',
        '    certificates:',
        '      keyGeneration: { RSA: [2048], EC: [256] }',
        '  - id: lab-3',
        '    extends: cisco-99xx',
        '',
      ].join('\n'),
    );
    expect(e.message.split('\n')).to.deep.equal([
      'lab.yaml:5:28: /models/0/tls/suites/1: unknown TLS suite "TLS_FOO_WITH_BAR" (IANA or OpenSSL name)',
      'lab.yaml:5:46: /models/0/tls/suites/2: TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 cannot be negotiated in TLSv1',
      'lab.yaml:7:41: /models/0/certificates/keyGeneration/EC: EC keys need CAPF version 3 (004:L232-246)',
      'lab.yaml:9:14: /models/1/extends: unknown model "cisco-99xx" (known: cisco-79xx, cisco-78xx, cisco-88xx, cisco-98xx, jabber-csf)',
    ]);
  });

  it('a model without a base must be complete; YAML syntax errors and duplicates are located too', () => {
    expect(loadError('models:\n  - id: bare\n    family: Bare\n').message).to.equal(
      'lab.yaml:2:5: /models/0: model "bare" has no kind, models, modelNumber, deviceNamePrefix, tls, certificates, trust, config, srtp (give them, or extends: a model that has them)',
    );
    expect(loadError('models:\n  - id: a\n    extends: legacy\n  - id: A\n    extends: legacy\n').message).to.equal('lab.yaml:4:9: /models/1/id: model "A" is defined twice in this file');
    expect(loadError('models:\n  - id: x\n    tls: [\n').message).to.match(/^lab\.yaml:\d+:\d+: YAML: /);
    expect(loadError('phones: []\n').message.split('\n')).to.deep.equal(['lab.yaml:1:1: /: must have required property \'models\'', 'lab.yaml:1:1: /: unknown property "phones"']);
  });

  it('loads files by path (errors name the path) and builds a registry where later files extend earlier ones', async () => {
    const dir = tempDir('models');
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, 'models:\n  - id: site-phone\n    extends: current\n    modelNumber: "8861"\n');
    writeFileSync(b, 'models:\n  - id: site-phone-tls12\n    extends: site-phone\n    tls: { versions: [TLSv1.2] }\n');
    const reg = await loadModelRegistry([a, b]);
    expect(reg.get('site-phone-tls12')).to.deep.include({ modelNumber: '8861' });
    expect(reg.get('site-phone-tls12').tls.versions).to.deep.equal(['TLSv1.2']);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'models:\n  - id: z\n    extends: current\n    trust: { maxTrustListBytes: 10 }\n');
    try {
      await loadModelsFile(bad);
      expect.fail('should throw');
    } catch (e) {
      expect((e as Error).message).to.equal(`${bad}:4:33: /models/0/trust/maxTrustListBytes: must be >= 1024`);
    }
  });
});
