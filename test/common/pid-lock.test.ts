import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquirePidLock, processAlive, withPidLock } from '../../common/pid-lock.js';
import { makeTempDir } from '../support/temp-dirs.js';

const busy = (holder: number) => new Error(`locked by ${holder}`);

describe('common/pid-lock', () => {
  it('writes the holder’s pid while held and removes the file on release, also when the work throws', async () => {
    const path = join(makeTempDir('pid-lock'), 'lock');
    const seen = await withPidLock(path, { timeoutMs: 2000, busy }, async () => readFileSync(path, 'utf8'));
    expect(seen).to.equal(`${process.pid}\n`);
    expect(existsSync(path)).to.equal(false);
    const err = await withPidLock(path, { timeoutMs: 2000, busy }, async () => {
      throw new Error('work failed');
    }).catch((e: Error) => e);
    expect((err as Error).message).to.equal('work failed');
    expect(existsSync(path)).to.equal(false);
  });

  it('waits for a live holder, then gives up with the caller’s error naming its pid', async () => {
    const path = join(makeTempDir('pid-lock'), 'lock');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)']);
    try {
      writeFileSync(path, `${child.pid}\n`);
      let err: Error | undefined;
      const t0 = Date.now();
      await acquirePidLock(path, { timeoutMs: 200, pollMs: 20, busy }).catch((e: Error) => (err = e));
      expect(err?.message).to.equal(`locked by ${child.pid}`);
      expect(Date.now() - t0).to.be.at.least(200);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('takes over the lock of a holder that died, and an empty lock file once it is old', async () => {
    const dir = makeTempDir('pid-lock');
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => child.on('exit', r));
    expect(processAlive(child.pid!)).to.equal(false);
    const dead = join(dir, 'dead');
    writeFileSync(dead, `${child.pid}\n`);
    const release = await acquirePidLock(dead, { timeoutMs: 1000, busy });
    expect(readFileSync(dead, 'utf8')).to.equal(`${process.pid}\n`);
    await release();
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    const { utimesSync } = await import('node:fs');
    const old = new Date(Date.now() - 10_000);
    utimesSync(empty, old, old);
    await (await acquirePidLock(empty, { timeoutMs: 1000, busy }))();
    expect(existsSync(empty)).to.equal(false);
  });
});
