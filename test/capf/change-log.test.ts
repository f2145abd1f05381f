// The CAPF store's change log (engine/capf/capf-change-log.ts): every acknowledged change survives a SIGKILL at any
// moment, including in the middle of a compaction; a torn last line is cut off, a damaged line followed by whole ones
// is refused by line number; a second writer is refused; reopening gives exactly the state that was acknowledged.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CapfStore } from '../../engine/capf/capf-store.js';
import { CHANGE_LOG, decodeLog, encodeLogLine } from '../../engine/capf/capf-change-log.js';
import { tempDir } from './support.js';

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'log-child.ts');
const name = (i: number) => `SEP${i.toString(16).toUpperCase().padStart(12, '0')}`;

interface ChildRun {
  acked: string[];
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the child; `killAfterAcks` makes the parent SIGKILL it as soon as that many changes were acknowledged. */
function runChild(args: string[], killAfterAcks?: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let out = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.startsWith('ack ')) acked.push(line.slice(4));
        if (killAfterAcks !== undefined && acked.length === killAfterAcks) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ acked, signal, stderr });
    });
  });
}

/** Reopens and checks: every acknowledged device is there, nothing but a prefix of the sequence, a consistent journal. */
async function checkReopened(dir: string, acked: string[]): Promise<CapfStore> {
  const store = await CapfStore.open(dir, { journalFlushMs: 0 });
  const names = store.devices().map((d) => d.deviceName);
  // The change in flight when the kill came may or may not have reached the log: at most one more than acknowledged.
  expect(names.slice(0, acked.length)).to.deep.equal(acked);
  expect(names.length).to.be.within(acked.length, acked.length + 1);
  expect(names).to.deep.equal(names.map((_, i) => name(i + 1)));
  for (const n of names) expect(store.device(n)!.settings.operation).to.equal('install-upgrade');
  const seqs = store.journal().map((j) => j.seq);
  expect(seqs).to.deep.equal(seqs.map((_, i) => seqs[0]! + i));
  expect(store.journal().filter((j) => j.step === 'configure')).to.have.length(names.length);
  // One change per device: the counter neither loses nor repeats a change across compactions.
  expect(store.generation).to.equal(names.length);
  return store;
}

describe('capf change log', function () {
  this.timeout(120_000);

  // A 4 KiB threshold compacts every few devices, so kills land in compactions as well as in appends.
  const COMPACT = '4096';

  it('a SIGKILL at any moment keeps every acknowledged change (killed by the parent after 7, 33 and 61 acks)', async () => {
    for (const after of [7, 33, 61]) {
      const dir = join(tempDir('capf-log'), 'capf');
      const r = await runChild([dir, '400', COMPACT], after);
      expect(r.signal, r.stderr).to.equal('SIGKILL');
      expect(r.acked.length).to.be.at.least(after);
      const store = await checkReopened(dir, r.acked);
      // The store keeps working after the kill: the next change commits and survives a reopen.
      const next = name(store.devices().length + 1);
      await store.configureDevice(next, { operation: 'none' });
      await store.close();
      const again = await CapfStore.open(dir, { journalFlushMs: 0 });
      expect(again.device(next)?.settings.operation).to.equal('none');
      await again.close();
    }
  });

  // [step, occurrence]: inside an append, and at each step of a compaction (snapshot written, renamed, log emptied).
  const points: [string, number][] = [
    ['log-appending', 20],
    ['log-written', 20],
    ['log-synced', 20],
    ['manifest-written', 2],
    ['committed', 2],
    ['log-truncated', 2],
  ];
  for (const [step, nth] of points) {
    it(`killed at its own "${step}" (#${nth}): reopens with every acknowledged change, once`, async () => {
      const dir = join(tempDir('capf-log'), 'capf');
      const r = await runChild([dir, '200', COMPACT, step, String(nth)]);
      expect(r.signal, r.stderr).to.equal('SIGKILL');
      (await checkReopened(dir, r.acked)).close();
    });
  }

  it('a torn last line (every cut of it) is dropped and cut off; the next change follows it', async () => {
    const dir = join(tempDir('capf-log'), 'capf');
    const store = await CapfStore.open(dir, { journalFlushMs: 0 });
    await store.configureDevice(name(1), { operation: 'install-upgrade', authMode: 'null-string' });
    await store.configureDevice(name(2), { operation: 'install-upgrade', authMode: 'null-string' });
    await store.close();
    const path = join(dir, CHANGE_LOG);
    const whole = readFileSync(path);
    const lastStart = whole.lastIndexOf(0x0a, whole.length - 2) + 1;
    const lastLen = whole.length - lastStart;
    for (const keep of [0, 1, 32, 33, Math.floor(lastLen / 2), lastLen - 2, lastLen - 1]) {
      writeFileSync(path, whole.subarray(0, lastStart + keep));
      const s = await CapfStore.open(dir, { journalFlushMs: 0 });
      expect(s.devices().map((d) => d.deviceName), `cut at ${keep}`).to.deep.equal([name(1)]);
      expect(readFileSync(path).length, `cut at ${keep}: the torn tail is removed`).to.equal(lastStart);
      await s.configureDevice(name(3), { operation: 'none' });
      await s.close();
      const again = await CapfStore.open(dir, { journalFlushMs: 0 });
      expect(again.devices().map((d) => d.deviceName)).to.deep.equal([name(1), name(3)]);
      await again.close();
    }
  });

  it('a damaged line followed by whole ones is refused with its line number, not skipped', async () => {
    const dir = join(tempDir('capf-log'), 'capf');
    const store = await CapfStore.open(dir, { journalFlushMs: 0 });
    for (let i = 1; i <= 3; i++) await store.configureDevice(name(i), { operation: 'none' });
    await store.close();
    const path = join(dir, CHANGE_LOG);
    const text = readFileSync(path, 'utf8').split('\n');
    text[1] = text[1]!.replace('SEP000000000002', 'SEP000000000009');
    writeFileSync(path, text.join('\n'));
    let err: (Error & { code?: string }) | undefined;
    await CapfStore.open(dir).catch((e: Error) => (err = e));
    expect(err?.code).to.equal('E_STATE');
    expect(err?.message).to.match(/line 2 \(offset \d+\) is damaged \(checksum mismatch\)/);
  });

  it('decodeLog: stale generations are skipped, gaps and future generations refused, garbage tails reported', () => {
    const lines = [encodeLogLine(1, 1, { a: 1 }), encodeLogLine(2, 1, { b: 1 }), encodeLogLine(2, 2, { b: 2 })];
    const all = Buffer.concat(lines);
    expect(decodeLog(all, 2, 'x').changes).to.deep.equal([{ b: 1 }, { b: 2 }]);
    expect(decodeLog(all, 3, 'x').changes).to.deep.equal([]);
    expect(() => decodeLog(all, 1, 'x')).to.throw(/follows snapshot generation 2, but the snapshot is at 1/);
    expect(() => decodeLog(Buffer.concat([lines[1]!, encodeLogLine(2, 3, {})]), 2, 'x')).to.throw(/change 3 of generation 2, expected 2/);
    const torn = decodeLog(Buffer.concat([all, Buffer.from('0123456789abcdef')]), 2, 'x');
    expect([torn.changes.length, torn.validBytes, torn.tornBytes]).to.deep.equal([2, all.length, 16]);
    expect(decodeLog(Buffer.alloc(0), 5, 'x')).to.deep.equal({ changes: [], validBytes: 0, tornBytes: 0 });
  });

  it('a second writer on the same directory is refused until it reloads', async () => {
    const dir = join(tempDir('capf-log'), 'capf');
    const a = await CapfStore.open(dir, { journalFlushMs: 0 });
    const b = await CapfStore.open(dir, { journalFlushMs: 0 });
    await a.configureDevice(name(1), { operation: 'none' });
    let err: (Error & { code?: string }) | undefined;
    await b.configureDevice(name(2), { operation: 'none' }).catch((e: Error) => (err = e));
    expect(err?.code).to.equal('E_CONFLICT');
    expect(b.device(name(2))).to.equal(undefined);
    await b.reload();
    await b.configureDevice(name(2), { operation: 'none' });
    await a.close();
    await b.close();
    const c = await CapfStore.open(dir);
    expect(c.devices().map((d) => d.deviceName)).to.deep.equal([name(1), name(2)]);
    await c.close();
  });

  it('an older snapshot without a log opens as before (appending a damaged byte to nothing is a torn tail)', async () => {
    const dir = join(tempDir('capf-log'), 'capf');
    const s = await CapfStore.open(dir, { journalFlushMs: 0 });
    await s.configureDevice(name(1), { operation: 'none' });
    await s.close();
    truncateSync(join(dir, CHANGE_LOG), 0);
    appendFileSync(join(dir, CHANGE_LOG), 'x');
    const again = await CapfStore.open(dir);
    expect(again.devices()).to.have.length(0);
    await again.close();
  });
});
