import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../common/paths.js';

describe('trustline CLI', () => {
  it('prints its version and the OpenSSL it runs on', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(projectRoot(), 'cli', 'dev.ts'), 'version'], { encoding: 'utf8' });
    expect(out).to.match(/^trustline \d+\.\d+\.\d+\n/);
    expect(out).to.contain(`openssl ${process.versions.openssl}`);
  });

  it('names an unknown subcommand and exits non-zero', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, ['--import', 'tsx', join(projectRoot(), 'cli', 'dev.ts'), 'frobnicate'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      const err = e as { status: number; stderr: string };
      status = err.status;
      stderr = err.stderr;
    }
    expect(status).to.not.equal(0);
    expect(stderr).to.contain("unknown command 'frobnicate'");
  });
});
