import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic-file.js';

describe('common/atomic-file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trustline-atomic-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the directory, writes with the mode asked, replaces the old content, leaves no temporary file', async () => {
    const path = join(dir, 'sub', 'key.json');
    await writeFileAtomic(path, 'one', { mode: 0o600 });
    expect(readFileSync(path, 'utf8')).to.equal('one');
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    await writeFileAtomic(path, Buffer.from('two'));
    expect(readFileSync(path, 'utf8')).to.equal('two');
    expect(readdirSync(join(dir, 'sub'))).to.deep.equal(['key.json']);
  });

  it('names the path when the directory is missing and creating it is not allowed', async () => {
    const path = join(dir, 'missing', 'x');
    let err: Error | undefined;
    await writeFileAtomic(path, 'x', { mkdir: false }).catch((e: Error) => (err = e));
    expect(err?.message).to.contain(join(dir, 'missing'));
  });
});
