import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import _Ajv from 'ajv';
import { buildScenarioSchema, SCHEMA_ID, type JsonSchema } from '../../scenarios/schema/build.js';
import { SCHEMA_FILE, schemaText } from '../../scenarios/schema/generate.js';
import * as V from '../../scenarios/vocabulary.js';
import { TLS_CIPHERS_PRESETS } from '../../engine/tls/presets.js';
import { PURPOSES } from '../../engine/pki/purposes.js';
import { SRTP_SUITE_NAMES } from '../../ciphers/srtp/suites.js';
import { TLS_SUITES } from '../../ciphers/tls/suite-catalogue.js';
import { CAPF_AUTH_MODES } from '../../engine/capf/device-operations.js';

const Ajv = _Ajv as unknown as typeof _Ajv.default;

describe('scenarios: the published JSON Schema', () => {
  const schema = buildScenarioSchema();
  const defs = schema.definitions as Record<string, JsonSchema>;

  it('is the file in scenarios/schema (regenerate with: node --import tsx scenarios/schema/generate.ts)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).to.equal(schemaText());
  });

  it('is draft-07 that a strict ajv compiles as it is (only the VS Code patternErrorMessage keyword added)', () => {
    const ajv = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true });
    ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
    const published = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as JsonSchema;
    expect(published.$schema).to.equal('http://json-schema.org/draft-07/schema#');
    expect(published.$id).to.equal(SCHEMA_ID);
    const validate = ajv.compile(published);
    expect(validate({ name: 'x', cluster: {}, steps: [{ wait: '1s' }] })).to.equal(true);
    expect(validate({ name: 'x', cluster: {}, steps: [{ wiat: '1s' }] })).to.equal(false);
  });

  it('uses the engine\'s names: presets, suites, purposes, SRTP suites, CAPF modes, step kinds', () => {
    const params = defs.enterpriseParameters!.properties as Record<string, JsonSchema>;
    expect(params.tlsCiphers!.enum).to.have.members(Object.keys(TLS_CIPHERS_PRESETS));
    expect(defs.tlsSuite!.enum).to.have.members(TLS_SUITES.map((s) => s.iana));
    expect(defs.srtpSuite!.enum).to.deep.equal([...SRTP_SUITE_NAMES]);
    expect(defs.purpose!.enum).to.deep.equal([...PURPOSES]);
    expect((defs.phoneProfile!.properties as Record<string, JsonSchema>).authMode!.enum).to.deep.equal([...CAPF_AUTH_MODES]);
    expect(Object.keys(defs.step!.properties as object)).to.include.members([...V.STEP_KINDS]);
    expect((defs.step!.anyOf as JsonSchema[]).map((b) => (b.required as string[])[0])).to.deep.equal([...V.STEP_KINDS]);
    expect(((defs.fault!.properties as Record<string, JsonSchema>).type!.enum)).to.deep.equal([...V.FAULT_KINDS]);
    // the preset suites are listed first, as editors show them
    expect((defs.tlsSuite!.enum as string[])[0]).to.equal('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
  });

  it('describes every property (editors show the description as help)', () => {
    const missing: string[] = [];
    const walk = (s: unknown, path: string) => {
      if (!s || typeof s !== 'object') return;
      const o = s as JsonSchema;
      if (o.properties)
        for (const [k, v] of Object.entries(o.properties as Record<string, JsonSchema>)) {
          if (typeof v.description !== 'string' && typeof v.$ref !== 'string') missing.push(`${path}.${k}`);
          walk(v, `${path}.${k}`);
        }
      for (const key of ['items', 'additionalProperties']) if (o[key] && typeof o[key] === 'object') walk(o[key], `${path}[${key}]`);
      for (const key of ['anyOf', 'allOf']) if (Array.isArray(o[key])) (o[key] as unknown[]).forEach((b, i) => walk(b, `${path}.${key}[${i}]`));
    };
    walk(schema, '#');
    for (const [k, d] of Object.entries(defs)) {
      if (typeof d.description !== 'string') missing.push(`definitions.${k}`);
      walk(d, `definitions.${k}`);
    }
    expect(missing).to.deep.equal([]);
  });

  it('keeps every $ref pointing at a definition', () => {
    const refs = JSON.stringify(schema).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const r of refs) {
      const name = r.slice('"$ref":"#/definitions/'.length, -1);
      expect(defs, r).to.have.property(name);
    }
  });
});
