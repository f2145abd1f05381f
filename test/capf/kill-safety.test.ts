// A process killed (SIGKILL) in the middle of issuing an LSC leaves a state that reopens consistently: never an LSC
// recorded as installed that the phone did not confirm, the operation still pending, the interrupted issue resolved on
// open (the LSC, if the pki committed it, listed as stale), and the next session completes normally.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CapfStore } from '../../engine/capf/capf-store.js';
import { ClusterPki } from '../../engine/pki/cluster-pki.js';
import { freshCluster, phone, type Bench } from './support.js';
import { startCapfServer } from '../../engine/capf/capf-server.js';

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'issue-child.ts');
const DEV = 'SEP00000000CAFE';

function runChild(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CHILD, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number; signal?: NodeJS.Signals }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

async function prepared(): Promise<{ pkiDir: string; capfDir: string }> {
  const pki = await freshCluster();
  const store = await CapfStore.open(CapfStore.dirFor(pki), { pki, journalFlushMs: 0 });
  await store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string', rsaKeySize: 1024 });
  await store.close();
  return { pkiDir: pki.dir, capfDir: store.dir };
}

describe('capf kill safety', function () {
  this.timeout(60_000);

  // [store, step, occurrence, whether the pki holds the LSC afterwards]
  const points: [string, string, number, boolean][] = [
    ['capf', 'log-synced', 1, false], // in-flight marker durable in the CAPF change log, nothing issued yet
    ['pki', 'object-written', 1, false], // the LSC object written, the pki manifest not yet
    ['pki', 'manifest-renamed', 1, true], // the pki committed the LSC, the phone has not seen it
    ['capf', 'log-appending', 2, true], // the phone stored it, "installed" not yet written to the log
  ];

  for (const [which, step, nth, lscInPki] of points) {
    it(`killed at ${which} "${step}"${nth > 1 ? ` (#${nth})` : ''}: reopens consistently, nothing recorded as installed`, async () => {
      const { pkiDir, capfDir } = await prepared();
      const r = await runChild([pkiDir, capfDir, which, step, String(nth)]);
      expect(r.signal, `child: ${r.stdout} ${r.stderr}`).to.equal('SIGKILL');

      const pki = await ClusterPki.open(pkiDir);
      expect(pki.lsc(DEV) !== undefined).to.equal(lscInPki);
      const store = await CapfStore.open(capfDir, { pki, journalFlushMs: 0 });
      const rec = store.device(DEV)!;
      expect(rec.installed).to.equal(undefined);
      expect(rec.inFlight).to.equal(undefined);
      expect(rec.settings.operation).to.equal('install-upgrade');
      expect(rec.status.state).to.equal('failed');
      expect(rec.status.detail).to.match(lscInPki ? /interrupted after the LSC .* was issued and before the phone confirmed it/ : /interrupted before an LSC was issued/);
      expect(store.staleLscs().map((s) => s.fingerprintSha256)).to.deep.equal(lscInPki ? [pki.lsc(DEV)!.certificate.fingerprintSha256] : []);
      expect(store.journal().some((j) => j.step === 'recovery')).to.equal(true);

      // The same state reopened again is stable, and the next session completes.
      const again = await CapfStore.open(capfDir, { pki, journalFlushMs: 0 });
      expect(again.generation).to.equal(store.generation);
      const server = await startCapfServer({ pki, store, host: '127.0.0.1', port: 0 });
      const b = { pki, store, server, capfPem: pki.certificate('CAPF').pem, close: async () => undefined } as Bench;
      try {
        const { outcome } = await phone(b, { deviceName: DEV, authMode: 'null-string' });
        expect(outcome.status, outcome.detail).to.equal('installed');
        expect(store.device(DEV)!.installed!.fingerprintSha256).to.equal(pki.lsc(DEV)!.certificate.fingerprintSha256);
        if (lscInPki) {
          const removed = await store.deleteStaleLscs(pki);
          expect(removed).to.equal(1);
          expect(pki.lsc(DEV)).to.not.equal(undefined); // the installed LSC is not the stale one
        }
      } finally {
        await server.close();
        await store.close();
      }
    });
  }

  it('an uninterrupted child completes the install (the fixture works)', async () => {
    const { pkiDir, capfDir } = await prepared();
    const r = await runChild([pkiDir, capfDir, 'pki', 'never']);
    expect(r.stdout).to.contain('survived installed');
    const pki = await ClusterPki.open(pkiDir);
    const store = await CapfStore.open(capfDir, { pki });
    expect(store.device(DEV)!.installed!.fingerprintSha256).to.equal(pki.lsc(DEV)!.certificate.fingerprintSha256);
    expect(store.staleLscs()).to.have.length(0);
    await store.close();
  });
});
