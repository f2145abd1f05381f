import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../../scenarios/load.js';
import { formatScenarioError, ScenarioLoadError } from '../../scenarios/errors.js';

const BROKEN = join(dirname(fileURLToPath(import.meta.url)), 'broken');

/** `# expect-error L:C message` lines at the end of each broken file. */
function expected(text: string): { line: number; column: number; message: string }[] {
  return [...text.matchAll(/^# expect-error (\d+):(\d+) (.+)$/gm)].map((m) => ({ line: Number(m[1]), column: Number(m[2]), message: m[3]! }));
}

describe('scenarios: broken files fail with the right message at the right place', () => {
  const files = readdirSync(BROKEN).filter((f) => f.endsWith('.yaml'));

  it('covers an unknown key, a wrong enum, a missing property, a wrong type, a duplicate MAC, an undeclared phone and bad YAML', () => {
    for (const f of ['unknown-key', 'wrong-enum', 'missing-required', 'wrong-type', 'duplicate-mac', 'undeclared-phone', 'bad-yaml']) expect(files).to.include(`${f}.yaml`);
  });

  for (const f of files)
    it(f, async () => {
      const path = join(BROKEN, f);
      const want = expected(readFileSync(path, 'utf8'));
      expect(want.length, `${f} states its expected errors`).to.be.greaterThan(0);
      const r = await loadScenarioFile(path, { displayName: `broken/${f}` });
      expect(r.plan).to.equal(undefined);
      const got = r.errors.filter((e) => e.severity === 'error').map((e) => ({ line: e.line, column: e.column, message: e.message }));
      expect(got).to.deep.equal(want);
      for (const e of r.errors) expect(e.file).to.equal(`broken/${f}`);
    });

  it('points YAML syntax errors where the parser does', async () => {
    const r = await loadScenarioFile(join(BROKEN, 'bad-yaml.yaml'));
    expect(r.errors[0]).to.include({ code: 'yaml', line: 6, column: 1 });
    expect(r.errors[0]!.message).to.match(/^YAML syntax error: .*\(BAD_INDENT\)$/);
  });

  it('formats an error as file:line:column with the source line and a caret under the node', async () => {
    const r = await loadScenarioFile(join(BROKEN, 'wrong-enum.yaml'), { displayName: 'wrong-enum.yaml' });
    const text = formatScenarioError(r.errors[1]!, r.text);
    expect(text.split('\n')).to.deep.equal([
      `wrong-enum.yaml:11:21: error: ${r.errors[1]!.message}`,
      '11 |       tls: { suite: TLS_FOO }',
      '                         ^^^^^^^',
    ]);
  });

  it('throws ScenarioLoadError listing every error when asked to', async () => {
    let err: unknown;
    try {
      await loadScenarioFile(join(BROKEN, 'duplicate-mac.yaml'), { displayName: 'dup.yaml', throwOnError: true });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ScenarioLoadError);
    expect((err as ScenarioLoadError).errors).to.have.length(2);
    expect((err as Error).message).to.contain("dup.yaml:10:10: error: phones.bob.mac: duplicate MAC 001B54000001: phone 'alice' (line 7) already has it");
  });
});
