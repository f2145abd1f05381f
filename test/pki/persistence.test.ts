// The cluster state directory: reopening gives the same cluster; corruption and concurrent writers are named; a process
// killed at any step of a commit (and at random moments of a write loop) leaves the last good state.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../common/paths.js';
import { ClusterPki } from '../../engine/pki/cluster-pki.js';
import { PkiError } from '../../engine/pki/errors.js';
import { generateKey, spkiDer } from '../../engine/pki/keys.js';
import type { StoreStep } from '../../engine/pki/state-store.js';
import { FAST, freshCluster, tempDir } from './support.js';

async function rejects(p: Promise<unknown>, code: string): Promise<PkiError> {
  try {
    await p;
  } catch (err) {
    expect((err as PkiError).code, (err as Error).message).to.equal(code);
    return err as PkiError;
  }
  expect.fail(`expected ${code}`);
}

function snapshot(pki: ClusterPki) {
  const d = pki.describe();
  return {
    certificates: d.certificates,
    trustStores: d.trustStores,
    lscs: d.lscs,
    events: pki.events(),
    settings: d.settings,
    keys: pki.certificates().map((c) => spkiDer(pki.privateKey(c.purpose, c.node)).toString('hex')),
    generation: pki.generation,
  };
}

/** Every certificate matches its key, every manifest object exists; after a commit no orphan or temp file is left. */
function checkConsistent(pki: ClusterPki): void {
  for (const c of pki.certificates()) expect(new X509Certificate(c.der).checkPrivateKey(pki.privateKey(c.purpose, c.node)), `${c.node}/${c.purpose}`).to.equal(true);
  const manifest = JSON.parse(readFileSync(join(pki.dir, 'manifest.json'), 'utf8')) as { objects: Record<string, string> };
  for (const name of Object.keys(manifest.objects)) expect(existsSync(join(pki.dir, 'objects', name)), name).to.equal(true);
}

function noGarbage(dir: string): void {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { objects: Record<string, string> };
  expect(readdirSync(join(dir, 'objects')).sort()).to.deep.equal(Object.keys(manifest.objects).sort());
  expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).to.deep.equal([]);
  expect(existsSync(join(dir, 'lock'))).to.equal(false);
}

function child(dir: string, args: string[]): { done: Promise<number | null>; lines: string[]; kill: () => void } {
  const p = spawn(process.execPath, ['--import', 'tsx', join('test', 'pki', 'fixtures', 'writer-child.ts'), dir, ...args], { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number | null>((resolve) =>
    p.on('exit', (code, signal) => {
      if (code && code !== 0) process.stderr.write(err);
      resolve(signal === 'SIGKILL' ? null : code);
    }),
  );
  return { done, lines, kill: () => p.kill('SIGKILL') };
}

describe('pki state directory', function () {
  this.timeout(120_000);

  it('reopens to the same cluster: certificates, keys, trust stores, LSCs, events', async () => {
    const pki = await freshCluster();
    await pki.regenerate('TVS');
    await pki.importTrustCertificate('Phone-SAST-trust', (await freshCluster('two-nodes', { subscribers: ['cucm-sub1'], parameters: FAST })).certificate('ITLRecovery').pem);
    await pki.issueLsc({ deviceName: 'SEP001122334455', publicKey: (await generateKey('EC', 256)).publicKey });
    await pki.generateCsr('tomcat');
    const reopened = await ClusterPki.open(pki.dir);
    expect(snapshot(reopened)).to.deep.equal(snapshot(pki));
    expect(reopened.pendingCsr('tomcat')).to.equal(pki.pendingCsr('tomcat'));
    expect(reopened.pendingPhoneResets()).to.deep.equal(pki.pendingPhoneResets());
    checkConsistent(reopened);
    noGarbage(pki.dir);
  });

  it('keeps keys private: directory 0700, objects 0600', async () => {
    const pki = await freshCluster();
    expect(statSync(pki.dir).mode & 0o777).to.equal(0o700);
    for (const f of readdirSync(join(pki.dir, 'objects'))) expect(statSync(join(pki.dir, 'objects', f)).mode & 0o777, f).to.equal(0o600);
  });

  it('names a missing state, a corrupted object, a missing object and a broken manifest', async () => {
    await rejects(ClusterPki.open(join(tempDir('empty'), 'nothing')), 'E_NO_STATE');
    const pki = await freshCluster();
    const key = readdirSync(join(pki.dir, 'objects')).find((n) => n.endsWith('.key'))!;
    const path = join(pki.dir, 'objects', key);
    const original = readFileSync(path);
    writeFileSync(path, Buffer.concat([original, Buffer.from('x')]));
    const e = await rejects(ClusterPki.open(pki.dir), 'E_STATE');
    expect(e.message).to.contain(key).and.contain('corrupted');
    rmSync(path);
    expect((await rejects(ClusterPki.open(pki.dir), 'E_STATE')).message).to.contain('missing');
    writeFileSync(path, original);
    await ClusterPki.open(pki.dir);
    writeFileSync(join(pki.dir, 'manifest.json'), '{"format":');
    expect((await rejects(ClusterPki.open(pki.dir), 'E_STATE')).message).to.contain('not valid JSON');
  });

  it('refuses to create over an existing state unless forced', async () => {
    const pki = await freshCluster();
    await rejects(ClusterPki.create(pki.dir, { parameters: FAST }), 'E_EXISTS');
    const replaced = await ClusterPki.create(pki.dir, { force: true, hostname: 'other-pub', parameters: FAST });
    expect(replaced.publisher).to.equal('other-pub');
    expect((await ClusterPki.open(pki.dir)).certificate('TVS').certificate.subjectCN).to.equal('other-pub');
    noGarbage(pki.dir);
  });

  it('refuses a change based on a state another writer has changed, until reloaded', async () => {
    const a = await freshCluster();
    const b = await ClusterPki.open(a.dir);
    await a.regenerate('tomcat-ECDSA');
    const e = await rejects(b.regenerate('CallManager-ECDSA'), 'E_CONFLICT');
    expect(e.message).to.contain('changed by another process');
    await b.reload();
    await b.regenerate('CallManager-ECDSA');
    expect(b.generation).to.equal(a.generation + 1);
  });

  it('serialises concurrent changes of one instance', async () => {
    const pki = await freshCluster();
    const g = pki.generation;
    const firstSeq = pki.events().at(-1)!.seq + 1;
    const events = await Promise.all([pki.regenerate('tomcat-ECDSA'), pki.regenerate('CallManager-ECDSA'), pki.phonesSettled()]);
    expect(events.map((e) => e.seq).sort((x, y) => x - y)).to.deep.equal([firstSeq, firstSeq + 1, firstSeq + 2]);
    expect(pki.generation).to.equal(g + 3);
    checkConsistent(await ClusterPki.open(pki.dir));
  });

  it("waits for a live process's lock and takes over a dead process's lock", async () => {
    const pki = await freshCluster('default', {}, { lockTimeoutMs: 300 });
    const sleeper = spawn('sleep', ['30']);
    try {
      writeFileSync(join(pki.dir, 'lock'), `${sleeper.pid}\n`);
      expect((await rejects(pki.regenerate('tomcat-ECDSA'), 'E_LOCKED')).message).to.contain(`process ${sleeper.pid}`);
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((r) => sleeper.on('exit', r));
    }
    await pki.regenerate('tomcat-ECDSA');
    noGarbage(pki.dir);
  });

  describe('kill-safety', function () {
    const steps: { step: StoreStep; committed: boolean }[] = [
      { step: 'object-written', committed: false },
      { step: 'objects-synced', committed: false },
      { step: 'manifest-written', committed: false },
      { step: 'manifest-renamed', committed: true },
      { step: 'committed', committed: true },
    ];
    for (const { step, committed } of steps) {
      it(`a writer killed at "${step}" leaves the ${committed ? 'new' : 'previous'} state, which opens and accepts changes`, async () => {
        const pki = await freshCluster();
        const before = snapshot(pki);
        const c = child(pki.dir, ['step', step]);
        expect(await c.done).to.equal(null);
        const after = await ClusterPki.open(pki.dir);
        checkConsistent(after);
        if (committed) {
          expect(after.generation).to.equal(before.generation + 1);
          expect(after.certificate('CallManager-ECDSA').certificate.fingerprintSha256).to.not.equal(pki.certificate('CallManager-ECDSA').certificate.fingerprintSha256);
          expect(after.events().at(-1)!.type).to.equal('certificate-regenerated');
        } else {
          expect(snapshot(after)).to.deep.equal(before);
        }
        await after.regenerate('tomcat-ECDSA');
        noGarbage(pki.dir);
      });
    }

    it('a write loop killed at random moments always reopens to the last or the next committed generation', async () => {
      const pki = await freshCluster();
      let base = pki.generation;
      for (let round = 0; round < 3; round++) {
        const c = child(pki.dir, ['loop']);
        // Let it start (tsx) and commit for a while; the kill lands wherever the loop is.
        while (c.lines.length < 3 + round * 5) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
        c.kill();
        await c.done;
        const last = Math.max(base, ...c.lines.filter((l) => l.startsWith('committed ')).map((l) => Number(l.split(' ')[1])));
        const after = await ClusterPki.open(pki.dir);
        expect(after.generation).to.be.oneOf([last, last + 1]);
        checkConsistent(after);
        base = after.generation;
      }
      const final = await ClusterPki.open(pki.dir);
      await final.phonesSettled();
      noGarbage(pki.dir);
    });
  });
});
